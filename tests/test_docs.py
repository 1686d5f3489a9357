"""Tests keep the docs honest: every command has --help and is in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from monitor.cli import _register, main
from monitor.cli.base import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "monitor") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append(path)
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


_register()
COMMANDS = _commands(cli)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str, capsys: pytest.CaptureFixture) -> None:
    assert main([*command.split()[1:], "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out
    assert f"`{command}" in README, f"{command} is not documented in README.md"


def test_quick_start_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "python -m pytest -q" in README and "readme_commands.py 2" in ci
