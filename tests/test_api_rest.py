"""REST lookups (entities, articles, deployments, named queries) over a real uvicorn server, with httpx, on
every backend; parameters carrying SPARQL syntax are plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.ingest import store_extraction
from kg.model import Article, Extraction
from kg.store import Store
from tests.conftest import RESEARCHER_QUERIES

HOSTILE = ['Kursk" } ; DROP ALL #', "<http://x> }", "') } } DELETE WHERE { ?s ?p ?o } #", '\\" } UNION { ?s ?p ?o']


@pytest.fixture
def client(seeded: Store, live_server: type) -> Iterator[Any]:
    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as http:
        yield http


def test_entity_search_is_alias_and_typo_aware(client: Any) -> None:
    for q in ("Selenskyj", "zelensky", "Zelenskyy", "Zelenksy"):
        response = client.get("/entities", params={"q": q})
        assert response.status_code == 200, response.text
        ids = [hit["id"] for hit in response.json()["results"]]
        assert ids and ids[0] == "zelensky", (q, response.json())
    hits = client.get("/entities", params={"q": "north korea"}).json()["results"]
    assert hits[0]["id"] == "north-korea" and hits[0]["type"] == "State" and hits[0]["score"] == 100, hits
    kursk = client.get("/entities", params={"q": "Kursk"}).json()["results"]
    assert "kursk-oblast" in [h["id"] for h in kursk], kursk
    assert client.get("/entities", params={"q": "Xqzzyv Wrtlbrmpf"}).json()["results"] == []


def test_entity_json_has_labels_deployments_and_claims(client: Any) -> None:
    response = client.get("/entities/north-korea")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["label"] == "North Korea" and body["type"] == "State", body
    assert body["iri"] == str(ns.entity_iri("north-korea"))
    in_kursk = [d for d in body["deployments"] if d["deployment"]["location"]["id"] == "kursk-oblast"]
    assert in_kursk, body["deployments"]
    claimants = {c["id"] for d in in_kursk for c in d["claimants"]}
    assert {"cnn", "zelensky"} <= claimants, claimants
    claim = in_kursk[0]
    assert claim["certainty"] in ("asserted", "possible", "denied") and "deployer" in claim["roles"], claim
    assert claim["outlet"]["id"] == "cnn" and claim["article"]["id"] == "seed-001", claim
    assert claim["article"]["published"] == "2024-11-07", claim
    evidence = claim["evidence"]
    assert evidence["exact"] and isinstance(evidence["start"], int) and evidence["end"] > evidence["start"], evidence
    numbers = {(d["deployment"]["troopsMin"], d["deployment"]["troopsMax"]) for d in in_kursk}
    assert (11000, 11000) in numbers, numbers

    zelensky = client.get("/entities/zelensky").json()
    assert zelensky["statements"] and all(
        "speaker" in s["roles"] or "claimant" in s["roles"] for s in zelensky["statements"]
    )
    assert "Selenskyj" in zelensky["altLabels"], zelensky["altLabels"]
    missing = client.get("/entities/no-such-entity")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFound", missing.text


def test_entity_page_highlights_escaped_evidence(seeded: Store, client: Any) -> None:
    response = client.get("/entities/north-korea", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), response.text
    page = response.text
    assert "<mark>" in page and "North Korea" in page
    assert 'Korean "> Soldiers' not in page  # the seed's stray '">' (from its source HTML) comes out escaped
    turtle = client.get("/entities/north-korea", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle"), turtle.text
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (ns.entity_iri("north-korea"), SKOS.prefLabel, Literal("North Korea")) in graph
    assert (None, ns.KG.deployer, ns.entity_iri("north-korea")) in graph
    assert client.get("/entities/north-korea", headers={"Accept": "image/png"}).status_code == 406


def test_article_by_id_including_ids_with_any_character(
    seeded: Store, seed_extraction: Extraction, client: Any
) -> None:
    response = client.get("/articles/seed-001")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["headline"].startswith("Zelensky") and body["published"] == "2024-11-07", body
    assert body["publisher"] == "CNN" and body["graph"] == str(ns.article_graph("seed-001"))
    assert any(c["kind"] == "deployment" for c in body["claims"]) and any(
        c["kind"] == "statement" for c in body["claims"]
    )
    assert client.get("/articles/nope").status_code == 404

    from dataclasses import replace

    odd_id = 'https://example.org/news/a b?x=1&y="2"#frag/ü'
    store_extraction(seeded, replace(seed_extraction, article=replace(seed_extraction.article, id=odd_id)))
    response = client.get("/articles/" + quote(odd_id, safe=""))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == odd_id and response.json()["claims"], response.json()


def test_deployments_filters(client: Any) -> None:
    everything = client.get("/deployments").json()
    assert everything["count"] > 0
    kursk = client.get("/deployments", params={"location": "kursk", "deployer": "north korea"}).json()
    assert kursk["count"] > 0 and kursk["count"] <= everything["count"]
    assert all(d["deployment"]["location"]["id"] == "kursk-oblast" for d in kursk["results"]), kursk
    by_zelensky = client.get("/deployments", params={"location": "Kursk", "claimant": "Selenskyj"}).json()
    assert by_zelensky["count"] > 0
    assert all("zelensky" in {c["id"] for c in d["claimants"]} for d in by_zelensky["results"]), by_zelensky
    possible = client.get("/deployments", params={"certainty": "possible"}).json()
    assert all(d["certainty"] == "possible" for d in possible["results"]), possible
    bad = client.get("/deployments", params={"certainty": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"] == "QueryError", bad.text


def test_named_queries_are_listed_and_checked(client: Any) -> None:
    listed = {q["name"]: q for q in client.get("/queries").json()}
    for name in RESEARCHER_QUERIES:
        assert name in listed and listed[name]["title"] and listed[name]["description"], name
    assert listed["troops-by-location"]["params"][0]["name"] == "location"
    response = client.get("/queries/troops-by-location", params={"location": "Kursk"})
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert any(r["deployer"] == "North Korea" and r["place"] == "Kursk Oblast" for r in rows), rows
    assert client.get("/queries/troops-by-location").status_code == 400  # required parameter missing
    unknown = client.get("/queries/troops-by-location", params={"location": "Kursk", "city": "3"})
    assert unknown.status_code == 400 and "city" in unknown.json()["message"], unknown.text
    page = client.get("/queries/troops-by-location", params={"location": "Kursk", "limit": "1"})  # a page's size
    assert page.status_code == 200 and page.json()["count"] == 1 and page.json()["next"], page.text
    assert client.get("/queries/troops-by-location", params={"location": "Kursk", "limit": "x"}).status_code == 400
    assert client.get("/queries/entity", params={"entity": "not an iri"}).status_code == 400
    assert client.get("/queries/no-such-query").status_code == 404
    graph = client.get("/queries/entity-graph", params={"entity": str(ns.entity_iri("north-korea"))})
    assert graph.status_code == 200 and graph.headers["content-type"].startswith("text/turtle"), graph.text
    assert (None, ns.KG.deployer, ns.entity_iri("north-korea")) in Graph().parse(data=graph.text, format="turtle")


def test_parameters_carrying_sparql_are_plain_values(seeded: Store, client: Any) -> None:
    before = seeded.quad_count()
    for payload in HOSTILE:
        for path, params in (
            ("/queries/troops-by-location", {"location": payload}),
            ("/deployments", {"location": payload, "deployer": payload, "claimant": payload}),
            ("/entities", {"q": payload}),
            ("/export.gexf", {"location": payload, "actor": payload}),
        ):
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, payload, response.text)
            if path == "/queries/troops-by-location":
                assert response.json()["rows"] == [], (payload, response.json())
            if path == "/deployments":
                assert response.json()["count"] == 0, (payload, response.json())
        for path in ("/entities/", "/articles/"):
            response = client.get(path + quote(payload, safe=""))
            assert response.status_code == 404, (path, payload, response.text)
        response = client.get("/queries/entity", params={"entity": payload})
        assert response.status_code == 400, (payload, response.text)  # not an IRI: refused, not spliced
    assert seeded.quad_count() == before
    assert client.get("/queries/troops-by-location", params={"location": "Kursk"}).json()["rows"]


def test_entity_page_escapes_hostile_text(store: Store, live_server: type) -> None:
    """Evidence and context are article text: markup in them is shown, never run."""
    from kg.model import Certainty, Claim, Deployment, Entity, EntityType, Span

    north_korea = Entity("north-korea", "North Korea", EntityType.STATE)
    kursk = Entity("kursk-oblast", "Kursk Oblast", EntityType.LOCATION)
    cnn = Entity("cnn", "CNN", EntityType.OUTLET)
    prefix = '<script>alert("prefix")</script> Before. '
    exact = "North Korean troops <img src=x onerror=alert(1)> are in Kursk, CNN said."
    text = prefix + exact + ' After <b onclick="x">.'
    span = Span(len(prefix), len(prefix) + len(exact), exact)
    article = Article("hostile", text, title="<i>t</i>", outlet="CNN", published=dt.date(2024, 11, 1))
    claim = Claim(Deployment(north_korea, kursk), (cnn,), Certainty.ASSERTED, span, cnn)
    store_extraction(store, Extraction(article, [claim]))
    with live_server(create_app(store, Settings(query_workers=1))) as server, server.client() as client:
        page = client.get("/entities/north-korea", headers={"Accept": "text/html"}).text
        docs = client.get("/docs")
        openapi = client.get("/openapi.json").json()
    assert "<mark>North Korean troops &lt;img src=x onerror=alert(1)&gt; are in Kursk, CNN said.</mark>" in page, page
    page = page.replace("&#34;", "&quot;")  # Jinja2 (the pages' templates) writes a quote as &#34;
    assert "&lt;script&gt;alert(&quot;prefix&quot;)&lt;/script&gt;" in page and "<script>" not in page
    assert "<img" not in page and "onclick=" not in page.replace("onclick=&quot;", "")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    for path in (
        "/sparql",
        "/entities",
        "/entities/{entity}",
        "/articles",
        "/articles/{doc_id}",
        "/deployments",
        "/queries",
        "/queries/{name}",
        "/export.gexf",
        "/export.graphml",
    ):
        assert path in openapi["paths"], (path, sorted(openapi["paths"]))
