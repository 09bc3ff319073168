"""The README documents every sub-command of the `megasale` command."""

from pathlib import Path

from megasale.cli import build_parser

README = Path(__file__).resolve().parents[3] / "README.md"


def subcommands():
    parser = build_parser()
    for action in parser._subparsers._group_actions:  # argparse keeps them here
        yield from action.choices


def test_every_sub_command_is_in_the_readme():
    text = README.read_text()
    missing = [name for name in subcommands() if f"megasale {name}" not in text]
    assert missing == []


def test_every_sub_command_has_help():
    parser = build_parser()
    for action in parser._subparsers._group_actions:
        for name, sub in action.choices.items():
            assert sub.format_help().strip(), name
