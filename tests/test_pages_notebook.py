"""The notebook library: ``import kg`` gives ``open_store``, ``ingest``, ``extract``, ``run_named`` and
``query``, and query answers become pandas DataFrames (the README's example, on the seed article)."""

from __future__ import annotations

from pathlib import Path

import pytest

import kg
from kg.model import Extraction
from tests.conftest import SEED_JSON


def test_notebook_workflow(tmp_path: Path, seed_extraction: Extraction) -> None:
    pd = pytest.importorskip("pandas")
    store = kg.open_store(":memory:")
    try:
        outcomes = kg.ingest(store, kg.load_path(SEED_JSON).__next__())  # an Article object
        assert [o.status for o in outcomes] == ["stored"]
        assert kg.ingest(store, tmp_path / "absent.json")[0].ok is False  # an outcome, not an exception

        result = kg.run_named(store, "troops-by-location", location="Kursk")
        assert result.columns[:3] == ["claim", "deployer", "place"]
        frame = result.to_dataframe()
        assert list(frame.columns) == result.columns and len(frame) == len(result) > 0
        assert "North Korea" in set(frame["deployer"])
        assert pd.api.types.is_datetime64_any_dtype(frame["published"])

        # the README's example: deployments per deployer and month
        deployments = kg.run_named(store, "deployments").to_dataframe()
        per_month = deployments.groupby([deployments["published"].dt.to_period("M"), "deployerLabel"]).size()
        assert per_month.sum() == len(deployments) and ("2024-11", "North Korea") in per_month.index

        mine = kg.query(store, "SELECT ?s WHERE { ?s a <https://w3id.org/kg/ontology#Article> }")
        assert mine.columns == ["s"] and len(mine) == 1
        empty = kg.run_named(store, "troops-by-location", location="Atlantis")
        assert empty == [] and list(empty.to_dataframe().columns) == result.columns
        with pytest.raises(kg.QueryError):
            kg.run_named(store, "troops-by-location", place="Kursk")
    finally:
        store.close()


def test_extract_without_storing(seed_extraction: Extraction) -> None:
    (extraction,) = kg.extract(SEED_JSON)
    assert len(extraction.claims) == len(seed_extraction.claims)


def test_submodules_stay_modules() -> None:
    import kg.ingest

    assert callable(kg.ingest) and callable(kg.ingest.build_graphs)  # the function and the module
    assert callable(kg.extract) and callable(kg.extract.extract_one)
