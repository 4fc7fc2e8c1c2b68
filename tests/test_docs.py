"""The documentation stays true: every command has help and is in the README, every named query has a header."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from kg.cli import app
from kg.queries import load_queries

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help(name: str) -> None:
    assert COMMANDS[name].help, f"kg {name} has no help text"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_in_the_readme(name: str) -> None:
    assert f"`kg {name}" in README, f"kg {name} is not documented in README.md"


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_named_query_has_a_header(name: str) -> None:
    query = load_queries()[name]
    assert query.title and query.description, f"{name}.rq needs '#+ title:' and '#+ description:'"
    for param in query.params:
        assert param.description, f"{name}.rq: parameter {param.name} has no description"


def test_readme_starts_with_make_run_and_make_test() -> None:
    commands = [line.split("#")[0].strip() for line in README.splitlines() if line.startswith("make ")]
    assert commands[:2] == ["make run", "make test"], commands
