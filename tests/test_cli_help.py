"""Every command's help is written for an operator (issue 19 item 3): rendered for each command
of `permis`, it shows names (NEPH, DATE, FILE), never a Python type (`<bool>`, `<str>`) nor an
argument in braces (`{file}`), never an internal section number (CONTRACT §3), and no sentence
broken across lines by a docstring's line breaks."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from services.cli import command

WIDTH = 100
PLACEHOLDER = re.compile(r"<(bool|str|int|float|path|datetime)[^>]*>|\{[a-z_]+\}|\{[A-Z_]+\}")


def commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        yield from commands(sub, (*path, name))


EVERY = list(commands(command()))


def rendered(path: tuple[str, ...]) -> str:
    env = {**os.environ, "COLUMNS": str(WIDTH), "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "services", *path, "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_issue_19_every_command_is_covered() -> None:
    """The walk finds the groups and their commands (a new one is checked without listing it)."""
    assert ("licence", "show") in EVERY and ("db", "current") in EVERY and len(EVERY) > 30


@pytest.mark.parametrize("path", EVERY, ids=lambda p: " ".join(p) or "permis")
def test_issue_19_help_is_written_for_operators(path: tuple[str, ...]) -> None:
    text = rendered(path)
    assert f"Usage: permis {' '.join(path)}".rstrip() in text
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)
    assert "CONTRACT" not in text and "§" not in text
    lines = [line.strip(" │") for line in text.splitlines()]
    for line, after in itertools.pairwise(lines):
        # A sentence cut by a line break: a short line left unfinished, then one going on in
        # lower case (Rich's own wraps fill the line).
        unfinished = not line.rstrip().endswith((".", ":", ";", ")", "]", "─╯", "─╮"))
        broken = (
            0 < len(line) < WIDTH - 40 and unfinished and re.match(r"[a-z]", after.strip() or "X")
        )
        assert not broken, f"broken line in the help of {path}: {line!r} / {after!r}"
    for argument in re.findall(r"^│ \*?\s+([A-Z]+)\s+│?$", text, re.MULTILINE):
        pytest.fail(f"argument {argument} of {path} has no help")


def test_issue_19_version() -> None:
    """`permis --version` prints the installed version."""
    done = subprocess.run(
        [sys.executable, "-m", "services", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert re.fullmatch(r"permis \d+\.\d+\.\d+\S*\n", done.stdout)
