"""The home page's overview (``kg.api.pages.overview``) is kept between calls while the embedded store is
unchanged (its ``version()``), and asked again as soon as an article is written or deleted: a kept overview
must never show counts the store no longer holds (issue 12)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kg import ns
from kg.api.pages import overview
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.store.oxigraph import OxigraphStore


def test_overview_follows_every_write(tmp_path: Path, seed_extraction: Extraction) -> None:
    store = OxigraphStore(tmp_path / "store")
    try:
        assert store_extraction(store, seed_extraction).ok
        first = overview(store)
        assert first["counts"]["articles"] == 1 and [a["id"] for a in first["latest"]] == [seed_extraction.article.id]
        first["counts"]["articles"] = 99  # the caller's copy: changing it changes nothing kept
        again = overview(store)
        assert again["counts"]["articles"] == 1 and again == {**first, "counts": again["counts"]}

        copy = replace(seed_extraction, article=replace(seed_extraction.article, id="home-copy", published=None))
        assert store_extraction(store, copy).ok
        grown = overview(store)
        assert grown["counts"]["articles"] == 2
        assert grown["counts"]["claims"] == 2 * again["counts"]["claims"]
        assert grown["dates"]["undated"] == 1
        assert [a["id"] for a in grown["latest"]] == [seed_extraction.article.id, "home-copy"]

        assert store.drop_graph(ns.article_graph("home-copy"))
        assert overview(store) == again
    finally:
        store.close()

