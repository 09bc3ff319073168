"""Fixtures of the brushing unit tests; the log builder lives in ``brushing_logs``."""

from tests.unit.brushing.brushing_logs import make_table

__all__ = ["make_table"]
