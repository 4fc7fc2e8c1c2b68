"""The actor-, entity- and article-centred queries after their rewrite for speed: the cases a rewrite that
starts from the entity (or the article) could plausibly lose, on every backend."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kg import ns
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.queries import get_query, run_named
from kg.store import Store


@pytest.fixture
def seeded(store: Store, seed_extraction: Extraction) -> Store:
    """The seed, and a copy a month later under another id whose claims name no outlet (a plain-text
    article's claims have none)."""
    assert store_extraction(store, seed_extraction).ok
    later = replace(seed_extraction.article, id="seed-no-outlet", published=dt.date(2024, 12, 2), outlet=None)
    claims = [replace(c, outlet=None) for c in seed_extraction.claims]
    assert store_extraction(store, replace(seed_extraction, article=later, claims=claims)).ok
    return store


def text(row: dict[str, object], key: str) -> str:
    return str(row.get(key, ""))


def test_actor_matched_by_an_alias_only_is_both_claimant_and_speaker(seeded: Store) -> None:
    rows = run_named(seeded, "actor-statements", {"actor": "Präsident Selenskyj"})  # an altLabel, not the name
    assert rows and {text(r, "actorName") for r in rows} == {"Volodymyr Zelensky"}, rows
    by_claim: dict[str, set[str]] = {}
    for row in rows:
        by_claim.setdefault(text(row, "claim"), set()).add(text(row, "role"))
    assert any(roles == {"claimant", "speaker"} for roles in by_claim.values()), by_claim
    no_outlet = [r for r in rows if text(r, "article") == "seed-no-outlet"]
    assert no_outlet and all("outlet" not in r for r in no_outlet), no_outlet
    assert all(text(r, "evidence") for r in rows)
    published = [text(r, "published") for r in rows]
    assert published == sorted(published)


def test_co_mentioned_counts_articles_and_leaves_out_the_actor(seeded: Store) -> None:
    rows = run_named(seeded, "co-mentioned", {"actor": "Selenskyj"})
    others = {str(r["other"]).rsplit("/", 1)[-1]: int(str(r["articles"])) for r in rows}
    assert "zelensky" not in others and others.get("north-korea") == 2, others
    assert "cnn" in others, others
    assert run_named(seeded, "co-mentioned", {"actor": "no such actor anywhere"}) == []


def test_claim_details_of_an_entity_with_and_without_outlet(seeded: Store) -> None:
    zelensky = str(ns.entity_iri("zelensky"))
    rows = run_named(seeded, "claim-details", {"entity": zelensky})
    claims = {text(r, "claim") for r in rows}
    assert claims and {text(r, "docId") for r in rows} == {"seed-001", "seed-no-outlet"}
    assert all(text(r, "exact") and text(r, "start") and text(r, "end") for r in rows)
    assert any("outletIri" not in r for r in rows) and any("outletIri" in r for r in rows)
    assert claims < {text(r, "claim") for r in run_named(seeded, "claim-details")}
    one = run_named(seeded, "claim-details", {"article": str(ns.article_iri("seed-no-outlet"))})
    assert one and {text(r, "docId") for r in one} == {"seed-no-outlet"}
    both = run_named(seeded, "claim-details", {"article": str(ns.article_iri("seed-001")), "entity": zelensky})
    assert {text(r, "claim") for r in both} == {c for c in claims if "seed-001" in c}


def test_article_details_metadata_and_claims(seeded: Store) -> None:
    rows = run_named(seeded, "article-details", {"article": str(ns.article_iri("seed-no-outlet"))})
    metadata = [r for r in rows if "p" in r]
    claims = {text(r, "claim") for r in rows if "claim" in r}
    assert metadata and claims and all("claim" not in r for r in metadata)
    same = run_named(seeded, "claim-details", {"article": str(ns.article_iri("seed-no-outlet"))})
    assert claims == {text(r, "claim") for r in same}
    assert run_named(seeded, "article-details", {"article": str(ns.article_iri("absent"))}) == []


def test_entity_graph_holds_the_entitys_claims(seeded: Store) -> None:
    query = get_query("entity-graph")
    graph = seeded.construct(query.text, query.bind({"entity": str(ns.entity_iri("north-korea"))}))
    subjects = {str(s) for s in graph.subjects()}
    assert (None, ns.KG.deployer, ns.entity_iri("north-korea")) in graph
    assert any("/claim/" in s for s in subjects) and any("/evidence/" in s for s in subjects)
    assert any(s.endswith("/quote") for s in subjects), sorted(subjects)[:20]
