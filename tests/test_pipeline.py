"""The whole pipeline on the seed article: ingest, re-ingest, delete, the SHACL gate and the named query,
on every backend, with the answer fetched over real HTTP from a real uvicorn server."""

from __future__ import annotations

import dataclasses

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from kg import ns
from kg.api.app import create_app
from kg.errors import ShapeViolation
from kg.ingest import ingest, store_extraction
from kg.model import Article, Deployment, Extraction
from kg.queries import run_named
from kg.store import Store


def entity_count(store: Store) -> int:
    rows = store.select(
        "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { GRAPH ?g { ?e ?p ?o } }",
        {"g": ns.ENTITY_GRAPH},
    )
    return int(rows[0]["n"])  # type: ignore[call-overload]


def test_ingest_stores_one_named_graph(store: Store, seed_extraction: Extraction) -> None:
    outcome = store_extraction(store, seed_extraction)
    assert outcome.ok, outcome.message
    graph = ns.article_graph("seed-001")
    assert graph in store.graphs()
    assert ns.ENTITY_GRAPH in store.graphs()
    assert store.quad_count(graph) == outcome.triples


def test_reingest_replaces_exactly(store: Store, seed_extraction: Extraction) -> None:
    store_extraction(store, seed_extraction)
    first = store.quad_count()
    store_extraction(store, seed_extraction)
    assert store.quad_count() == first
    assert len([g for g in store.graphs() if ns.doc_id_of_graph(str(g))]) == 1


def test_reingest_of_a_changed_article_drops_stale_claims(store: Store, seed_extraction: Extraction) -> None:
    store_extraction(store, seed_extraction)
    fewer = dataclasses.replace(seed_extraction, claims=seed_extraction.claims[:1])
    outcome = store_extraction(store, fewer)
    assert store.quad_count(ns.article_graph("seed-001")) == outcome.triples
    rows = store.select("SELECT (COUNT(?c) AS ?n) WHERE { ?c a ?type }", {"type": URIRef(str(ns.KG.Claim))})
    assert int(rows[0]["n"]) == 1, rows  # type: ignore[call-overload]


def test_delete_removes_the_article_and_keeps_entities(store: Store, seed_extraction: Extraction) -> None:
    store_extraction(store, seed_extraction)
    entities = entity_count(store)
    assert entities > 0
    assert store.drop_graph(ns.article_graph("seed-001")) is True
    assert ns.article_graph("seed-001") not in store.graphs()
    assert store.quad_count(ns.article_graph("seed-001")) == 0
    assert entity_count(store) == entities
    assert store.drop_graph(ns.article_graph("seed-001")) is False


def test_shape_violation_is_rejected_with_its_message(store: Store, seed_extraction: Extraction) -> None:
    claim = seed_extraction.deployments[0]
    assert isinstance(claim.subject, Deployment)
    inverted = dataclasses.replace(claim.subject, troops_min=12000, troops_max=10000)
    broken = dataclasses.replace(seed_extraction, claims=[dataclasses.replace(claim, subject=inverted)])
    with pytest.raises(ShapeViolation) as info:
        store_extraction(store, broken)
    assert "The minimum troop count is above the maximum." in str(info.value)
    assert ns.article_graph("seed-001") not in store.graphs()


def test_batch_outcomes_name_each_document(store: Store, seed_article: Article) -> None:
    from kg.errors import InputError

    outcomes = list(ingest(store, [InputError("bad.json", "invalid JSON"), seed_article]))
    assert [(o.doc, o.status) for o in outcomes] == [("bad.json", "failed"), ("seed-001", "stored")]


def test_troops_by_location_answers_who_says_north_korea_is_in_kursk(
    store: Store, seed_extraction: Extraction
) -> None:
    store_extraction(store, seed_extraction)
    rows = run_named(store, "troops-by-location", {"location": "Kursk"})
    north_korea = [r for r in rows if str(r["deployer"]) == "North Korea"]
    assert north_korea, rows
    assert {str(r["place"]) for r in north_korea} == {"Kursk Oblast"}
    claimants = {c for r in north_korea for c in str(r.get("claimants", "")).split("; ")}
    assert {"CNN", "Volodymyr Zelensky", "United States", "South Korea", "Ukraine"} <= claimants, claimants
    evidence = {str(r["evidence"]) for r in north_korea}
    assert any("US officials had previously warned" in e for e in evidence), evidence
    possible = [r for r in north_korea if str(r["certainty"]) == "possible"]
    assert possible and all("could" in str(r["evidence"]) for r in possible), possible


def test_named_query_over_http(store: Store, seed_extraction: Extraction, live_server: type) -> None:
    store_extraction(store, seed_extraction)
    with live_server(create_app(store)) as server, server.client() as client:
        response = client.get("/queries/troops-by-location", params={"location": "Kursk"})
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert any(r["deployer"] == "North Korea" and "South Korea" in r["claimants"] for r in rows), rows


def test_entity_labels_merge_noisy_names(store: Store, seed_extraction: Extraction) -> None:
    store_extraction(store, seed_extraction)
    labels = {
        str(row["label"])
        for row in store.select(
            "SELECT ?label WHERE { ?e ?p ?label }", {"e": ns.entity_iri("zelensky"), "p": SKOS.altLabel}
        )
    }
    assert "Selenskyj" in labels, labels
