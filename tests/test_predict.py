"""The prediction format of ../shared/eval/score.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.extract import extract_one
from kg.model import Article
from kg.predict import to_prediction

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = ROOT / "seeds" / "kursk-north-korea-2024-11.json"


def seed() -> Article:
    obj = json.loads(SEED.read_text(encoding="utf-8"))
    return Article(id=obj["id"], text=obj["text"], outlet=obj["outlet"], language=obj["language"])


def test_prediction_refers_only_to_its_entities() -> None:
    pred = to_prediction(extract_one(seed()))
    ids = {e["id"] for e in pred["entities"]}
    assert pred["id"] == "seed-001"
    for d in pred["deployments"]:
        assert {d["deployer"], d["location"], *d["claimants"]} <= ids, d
        assert d["certainty"] in ("asserted", "possible", "denied"), d
        assert d["troops"] is None or d["troops"] >= 0, d
    for s in pred["statements"]:
        assert s["speaker"] in ids, s
    nk = next(e for e in pred["entities"] if e["id"] == "north-korea")
    assert nk["wikidata"] == "Q423" and "North Korea" in nk["labels"], nk


def test_scorer_accepts_the_prediction(tmp_path: Path) -> None:
    scorer = SHARED / "eval" / "score.py"
    if not scorer.exists():
        pytest.skip(f"the scorer is not here ({scorer}); it lives in ../shared/eval")
    out = tmp_path / "pred.jsonl"
    out.write_text(json.dumps(to_prediction(extract_one(seed()))) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(scorer), "--gold", str(SHARED / "gold"), "--pred", str(out),
                             "--ids", "seed-001", "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["headline"] >= 0.7, result.stdout
