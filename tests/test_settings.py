"""The one settings object (``kg.settings.Settings``) against the README's tables of variables: every variable
the README names in a table is a setting, every setting is in a table, and a default the README states is the
setting's default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.errors import KgError
from kg.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\|\s*(`KG_[A-Z0-9_]+`(?:\s*,\s*`KG_[A-Z0-9_]+`)*)\s*\|([^|]*)\|")


def readme_rows() -> list[tuple[str, str | None]]:
    """(variable, default cell or None) for each variable in a README table; a table whose header has no
    "default" column gives None."""
    rows: list[tuple[str, str | None]] = []
    has_default = False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("| variable"):
            has_default = "default" in line.split("|")[2]
            continue
        match = ROW.match(line)
        if match:
            for name in re.findall(r"`(KG_[A-Z0-9_]+)`", match.group(1)):
                rows.append((name, match.group(2).strip() if has_default else None))
    return rows


def test_the_readme_tables_name_every_setting_and_nothing_else() -> None:
    named = {name for name, _ in readme_rows()}
    variables = set(Settings.variables().values())
    assert named - variables == set(), "in the README but not a setting"
    assert variables - named == set(), "a setting the README's tables do not name"


def test_the_readme_defaults_are_the_settings_defaults() -> None:
    fields = {var: name for name, var in Settings.variables().items()}
    defaults = Settings.model_validate({})
    checked = 0
    for variable, cell in readme_rows():
        if cell is None or cell == "system temp folder":
            continue
        value = getattr(defaults, fields[variable])
        if cell == "unset":
            assert not value, (variable, value)
        else:
            assert value == type(value)(cell), (variable, cell, value)
        checked += 1
    assert checked >= 15, checked


def test_one_variable_of_each_kind_is_read() -> None:
    settings = Settings.from_env(
        {"KG_QUERY_MAX_ROWS": "7", "KG_SNAPSHOT_DIR": "/tmp/x", "KG_CORS_ORIGINS": "a, b,", "KG_STORE_AUTH": "basic",
         "KG_API_TOKEN": "  "}
    )
    assert (settings.max_rows, settings.snapshot_dir, settings.cors_origins) == (7, Path("/tmp/x"), ("a", "b"))
    assert settings.store_auth == "basic" and settings.api_token is None  # blank is unset


@pytest.mark.parametrize(
    ("env", "variable"),
    [({"KG_QUERY_WORKERS": "0"}, "KG_QUERY_WORKERS"), ({"KG_STORE_AUTH": "ntlm"}, "KG_STORE_AUTH"),
     ({"KG_READ_TIMEOUT": "soon"}, "KG_READ_TIMEOUT")],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(KgError, match=variable):
        Settings.from_env(env)
