"""The ``kg`` commands end to end on a real on-disk store, as a researcher would type them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset
from typer.testing import CliRunner

from kg import ns
from kg.cli import app
from tests.conftest import ROOT, SEED_JSON, shared_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = str(tmp_path_factory.mktemp("cli") / "store")
    result = runner.invoke(app, ["ingest", str(SEED_JSON), "--store", store])
    assert result.exit_code == 0, result.output
    assert "1 stored, 0 failed" in result.output
    return store


def test_query_json_lists_north_korea_in_kursk(seeded: str) -> None:
    result = runner.invoke(
        app, ["query", "troops-by-location", "--param", "location=kursk", "--format", "json", "--store", seeded]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert any(r["deployer"] == "North Korea" and r["place"] == "Kursk Oblast" for r in rows), rows


def test_query_refuses_undeclared_parameters(seeded: str) -> None:
    result = runner.invoke(app, ["query", "troops-by-location", "--param", "city=Kursk", "--store", seeded])
    assert result.exit_code == 2
    assert "takes no parameter city" in result.output


def test_query_list_shows_headers() -> None:
    result = runner.invoke(app, ["query", "--list"])
    assert result.exit_code == 0, result.output
    assert "troops-by-location" in result.output and "location" in result.output


def test_stats_counts_the_seed(seeded: str) -> None:
    result = runner.invoke(app, ["stats", "--store", seeded])
    assert result.exit_code == 0, result.output
    assert "articles" in result.output and "claims" in result.output


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_export_rdf_round_trips(seeded: str, tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"dump.{fmt}"
    result = runner.invoke(app, ["export", "--format", fmt, "-o", str(target), "--store", seeded])
    assert result.exit_code == 0, result.output
    dataset = Dataset()
    dataset.parse(target, format="trig" if fmt == "trig" else "nquads")
    graphs = {str(g.identifier) for g in dataset.graphs()}
    assert str(ns.article_graph("seed-001")) in graphs and str(ns.ENTITY_GRAPH) in graphs, graphs


def test_delete_then_delete_again(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert runner.invoke(app, ["ingest", str(SEED_JSON), "--store", store]).exit_code == 0
    result = runner.invoke(app, ["delete", "seed-001", "--store", store])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["delete", "seed-001", "--store", store])
    assert again.exit_code == 1 and "no article 'seed-001'" in again.output


def test_validate_files_and_store(seeded: str) -> None:
    result = runner.invoke(app, ["validate", str(SEED_JSON)])
    assert result.exit_code == 0, result.output
    assert "1 checked, 0 with violations" in result.output
    stored = runner.invoke(app, ["validate", "--store", seeded])
    assert stored.exit_code == 0, stored.output


def test_extract_output_is_scored_by_the_shared_scorer(tmp_path: Path) -> None:
    """`kg extract` writes the scorer's prediction format; the scorer accepts it and finds the seed's facts."""
    gold = shared_dir("gold")
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["extract", str(SEED_JSON), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    prediction = json.loads(out.read_text().splitlines()[0])
    assert prediction["id"] == "seed-001" and prediction["deployments"], prediction
    scored = subprocess.run(
        [sys.executable, str(gold.parent / "eval" / "score.py"), "--gold", str(gold), "--pred", str(out),
         "--ids", "seed-001", "--json", "--articles", str(ROOT / "seeds")],
        capture_output=True, text=True, check=False,
    )
    assert scored.returncode == 0, scored.stderr
    micro = json.loads(scored.stdout)["micro"]
    # Regression floor for the seed, well under what the extractor reaches: a broken stage shows here.
    assert micro["deployments"]["tp"] >= 3 and micro["statements"]["tp"] >= 5, micro


def test_plain_text_article_without_outlet_is_stored(tmp_path: Path) -> None:
    """A .txt article has no metadata: claims in its own voice have no known claimant, and are still stored."""
    store = str(tmp_path / "store")
    result = runner.invoke(app, ["ingest", str(ROOT / "seeds" / "kursk-north-korea-2024-11.txt"), "--store", store])
    assert result.exit_code == 0, result.output
    assert "1 stored, 0 failed" in result.output


def test_extract_reports_a_bad_document_and_goes_on(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"id": "x", "text": ')
    (tmp_path / "seed.json").write_bytes(SEED_JSON.read_bytes())
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["extract", str(tmp_path / "bad.json"), str(tmp_path / "seed.json"), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert "bad.json" in result.output and "invalid JSON" in result.output, result.output
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["seed-001"]
