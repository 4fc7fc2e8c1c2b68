"""kg.diskcache: a table built at start-up is read back by the next process, and never when what built it
changed (the offline place index of kg.extract.places is kept so, issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.diskcache import cache_path, cached


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "kg"


def test_built_once_then_read_back_until_its_source_changes(cache_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "builder.py"
    source.write_text("RULE = 1\n")
    calls: list[int] = []

    def build() -> dict[str, int]:
        calls.append(1)
        return {"kramatorsk": len(calls)}

    assert cached("table", build, files=[source], packages=("rdflib",)) == {"kramatorsk": 1}
    assert cached("table", build, files=[source], packages=("rdflib",)) == {"kramatorsk": 1}
    assert len(calls) == 1, "the second process reads the table instead of building it"
    assert [p.name for p in cache_home.iterdir()] == [cache_path("table", [source], ("rdflib",)).name]
    source.write_text("RULE = 2\n")  # the code that builds it changed: never the old table
    assert cached("table", build, files=[source], packages=("rdflib",)) == {"kramatorsk": 2}
    assert cache_path("table", [source], ("rdflib",)) != cache_path("table", [source], ("rdflib", "pyshacl"))


def test_a_damaged_file_or_an_unwritable_folder_only_costs_the_build(
    cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = cache_path("table")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x05 truncated")
    assert cached("table", lambda: [1, 2]) == [1, 2]
    assert cached("table", lambda: [3]) == [1, 2], "the damaged file was replaced by the built table"
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert cached("other", lambda: "built") == "built"
