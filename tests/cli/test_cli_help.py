"""``gloss --help`` documents every command, and README's command table lists every one."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from reader.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def readme_commands() -> set[str]:
    """The command names in README's table under "The command line": ``gloss NAME …`` cells,
    ``read\\|unread`` listing several."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## The command line", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `gloss"):
            for found in re.finditer(r"`gloss ([a-z][a-z-]*(?:\\\|[a-z][a-z-]*)*)", line):
                names.update(found.group(1).split("\\|"))
    return names


def test_every_command_is_in_the_readme_table() -> None:
    commands = set(subcommands())
    listed = readme_commands()
    assert commands - listed == set(), "commands missing from README's command table"
    assert listed - commands == set(), "README lists commands that do not exist"


def test_help_lists_every_command_with_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for name, parser in subcommands().items():
        assert re.search(rf"^\s+{re.escape(name)}\s", text, re.MULTILINE), name
        assert parser.description, name
    assert "feed://" in text  # feed: links, which are not a command


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_each_command_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: gloss {name}")
