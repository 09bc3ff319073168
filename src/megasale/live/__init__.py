"""The live sales screen (issue 6): the event log folded into figures, pushed to a page."""
