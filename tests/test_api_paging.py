"""Every REST list comes in pages: ``limit`` and ``offset`` with a bounded default and maximum, the next
page's address in ``next`` and in a ``Link: <...>; rel="next"`` header, none on the last page; walking the
pages gives exactly the whole list, in order, with no claim split between two pages.  On every backend,
over a real uvicorn server."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from rdflib import Graph
from rdflib.compare import to_isomorphic
from rdflib.namespace import RDF

from kg.api.app import create_app
from kg.api.deps import Settings
from kg.ingest import store_extraction
from kg.model import Extraction
from kg.ns import KG
from kg.queries import MAX_LIMIT
from kg.store import Store

COPIES = ("paging-a", "paging-b")


@pytest.fixture
def client(seeded: Store, seed_extraction: Extraction, live_server: type) -> Iterator[Any]:
    """The seed and two copies under other ids: three articles, every claim three times."""
    for doc in COPIES:
        article = dataclasses.replace(seed_extraction.article, id=doc)
        assert store_extraction(seeded, dataclasses.replace(seed_extraction, article=article)).ok
    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as http:
        yield http


def walk(http: Any, path: str, params: dict[str, Any], key: str) -> tuple[list[Any], int]:
    """Every item of a paged list, following ``next``; and how many pages that took."""
    items: list[Any] = []
    url: str | None = path
    pages = 0
    while url is not None:
        response = http.get(url, params=params if pages == 0 else None)
        assert response.status_code == 200, response.text
        body = response.json()
        link = response.headers.get("link")
        if body["next"] is None:
            assert link is None, link
        else:
            assert link == f'<{body["next"]}>; rel="next"', (link, body["next"])
            assert re.search(r"[?&]offset=\d+", body["next"]), body["next"]
        items += body[key]
        url = body["next"]
        pages += 1
        assert pages < 100, "the pages never end"
    return items, pages


def claim_ids(claims: list[dict[str, Any]]) -> list[str]:
    return [c["claim"] for c in claims]


def test_every_list_pages_to_the_whole(client: Any) -> None:
    # deployments: a page is whole claims, and the pages together are the whole list
    response = client.get("/deployments", params={"limit": MAX_LIMIT})
    assert response.status_code == 200, response.text
    whole = response.json()
    assert whole["next"] is None and whole["count"] > 3, whole
    paged, pages = walk(client, "/deployments", {"limit": 2}, "results")
    assert pages > 2
    assert claim_ids(paged) == claim_ids(whole["results"])
    assert paged == whole["results"]  # each claim with all its claimants: none split between pages

    # an entity's claims
    whole = client.get("/entities/north-korea", params={"limit": MAX_LIMIT}).json()
    assert whole["next"] is None and len(whole["deployments"]) >= 3, whole
    url: str | None = "/entities/north-korea?limit=1"
    deployments: list[Any] = []
    statements: list[Any] = []
    pages = 0
    while url is not None:
        body = client.get(url).json()
        assert len(body["deployments"]) + len(body["statements"]) <= 1, body
        deployments += body["deployments"]
        statements += body["statements"]
        if body["next"] is not None:  # the next page starts after this page's last claim (a keyset cursor)
            assert "after=" in body["next"], body["next"]
        url, pages = body["next"], pages + 1
    assert pages > 3
    assert deployments == whole["deployments"] and statements == whole["statements"]
    bad = client.get("/entities/north-korea", params={"after": "https://example.org/no-such-claim"})
    assert bad.status_code == 400 and "no claim" in bad.text, bad.text

    # an entity's claims as RDF (entity-graph, a CONSTRUCT of claims): pages of whole claims, the next page in
    # the Link header, the pages together the whole answer
    nk = "https://w3id.org/kg/id/entity/north-korea"
    response = client.get("/queries/entity-graph", params={"entity": nk, "limit": MAX_LIMIT})
    assert response.status_code == 200 and "link" not in response.headers, response.text
    whole_graph = Graph().parse(data=response.text, format="turtle")
    every_claim = set(whole_graph.subjects(RDF.type, KG.Claim))
    assert len(every_claim) > 3
    together = Graph()
    order: list[str] = []
    next_url: str | None = f"/queries/entity-graph?entity={quote(nk, safe='')}&limit=2"
    pages = 0
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
        page = Graph().parse(data=response.text, format="turtle")
        claims = sorted(str(c) for c in page.subjects(RDF.type, KG.Claim))
        assert len(claims) <= 2 and not set(claims) & set(order), (next_url, claims)
        order += claims
        together += page
        link = response.headers.get("link")
        next_url = re.sub(r'^<(.*)>; rel="next"$', r"\1", link) if link else None
        pages += 1
        assert pages < 100, "the pages never end"
    assert pages > 2 and order == sorted(order)  # one day: the claims in the order of their IRIs as strings
    assert to_isomorphic(together) == to_isomorphic(whole_graph)

    # the articles, newest first
    every, pages = walk(client, "/articles", {"limit": 1}, "results")
    assert pages == 3 and sorted(a["id"] for a in every) == sorted(["seed-001", *COPIES]), every
    assert client.get(every[0]["url"]).status_code == 200

    # entity search
    hits = client.get("/entities", params={"q": "", "min_score": 0, "limit": MAX_LIMIT}).json()
    assert hits["next"] is None and len(hits["results"]) > 5
    paged, _ = walk(client, "/entities", {"q": "", "min_score": 0, "limit": 4}, "results")
    assert paged == hits["results"]

    # a named query of claims: pages of whole claims, in the query's order, ties broken the same way on every
    # page, each next link starting after the page's last claim
    whole = client.get("/queries/claim-details", params={"limit": MAX_LIMIT}).json()
    assert whole["pages"] == "claims" and whole["next"] is None
    paged, pages = walk(client, "/queries/claim-details", {"limit": 5}, "rows")
    assert pages > 2 and paged == whole["rows"]
    # a named query of other rows: pages of rows
    whole = client.get("/queries/location-timeline", params={"location": "Kursk", "limit": MAX_LIMIT}).json()
    assert whole["pages"] == "rows" and len(whole["rows"]) > 3, whole
    paged, pages = walk(client, "/queries/location-timeline", {"location": "Kursk", "limit": 2}, "rows")
    assert pages > 2 and paged == whole["rows"]


@pytest.mark.parametrize("name, params", [("claim-details", {"entity": "https://w3id.org/kg/id/entity/north-korea"}),
                                          ("troops-by-location", {"location": "Kursk"}),
                                          ("deployments", {})])
def test_named_queries_of_claims_page_by_claim_in_both_orders(client: Any, name: str, params: dict[str, str]) -> None:
    """``/queries/{name}`` for a query of claims in date order: ``limit`` counts whole claims (a claim's
    claimants are never split), the next link carries the page's last claim (``after``), and ``order=newest``
    gives the same claims, latest day first; each walk gives the whole answer."""
    path = f"/queries/{name}"
    whole = client.get(path, params={**params, "limit": MAX_LIMIT}).json()
    claims = list(dict.fromkeys(row["claim"] for row in whole["rows"]))
    assert len(claims) > 3 and whole["pages"] == "claims", whole
    rows: list[Any] = []
    url: str | None = f"{path}?{urlencode({**params, 'limit': 2})}"
    pages = 0
    while url is not None:
        body = client.get(url).json()
        page_claims = list(dict.fromkeys(row["claim"] for row in body["rows"]))
        assert len(page_claims) <= 2 and not set(page_claims) & {r["claim"] for r in rows}, (url, page_claims)
        rows += body["rows"]
        if body["next"] is not None:
            assert f"after={quote(page_claims[-1], safe='')}" in body["next"], body["next"]
        url, pages = body["next"], pages + 1
        assert pages < 100, "the pages never end"
    assert pages > 2 and rows == whole["rows"]

    newest = client.get(path, params={**params, "limit": MAX_LIMIT, "order": "newest"}).json()
    assert sorted(map(str, newest["rows"])) == sorted(map(str, whole["rows"]))
    # the three articles share one day: newest first is then the claims' IRI order turned round
    assert list(dict.fromkeys(row["claim"] for row in newest["rows"])) == claims[::-1]
    walked, _ = walk(client, path, {**params, "limit": 3, "order": "newest"}, "rows")
    assert walked == newest["rows"]
    bad = client.get(path, params={**params, "order": "sideways"})
    assert bad.status_code == 400 and "order" in bad.json()["message"], bad.text
    bad = client.get(path, params={**params, "after": "https://example.org/no-such-claim"})
    assert bad.status_code == 400 and "no claim" in bad.text, bad.text


def test_only_queries_of_claims_take_a_cursor(client: Any) -> None:
    for params in ({"after": "https://example.org/x"}, {"order": "newest"}):
        response = client.get("/queries/location-timeline", params={"location": "Kursk", **params})
        assert response.status_code == 400 and next(iter(params)) in response.json()["message"], response.text


def test_limits_are_bounded(client: Any) -> None:
    default = client.get("/queries/claim-details").json()
    assert default["limit"] == 100 and default["offset"] == 0
    for path in ("/deployments", "/articles", "/entities", "/entities/north-korea", "/queries/claim-details"):
        for params in ({"limit": MAX_LIMIT + 1}, {"limit": 0}, {"offset": -1}):
            response = client.get(path, params=params)
            assert response.status_code == 400, (path, params, response.text)
    response = client.get("/queries/estimate-claims", params={"limit": 5})
    assert response.status_code == 400 and "no pages" in response.json()["message"], response.text
    response = client.get("/queries/entity-graph", params={"entity": "https://w3id.org/kg/id/entity/x", "limit": 0})
    assert response.status_code == 400, response.text
    response = client.get("/deployments", params={"offset": 5_000})
    assert response.status_code == 200, response.text
    past = response.json()
    assert past["results"] == [] and past["next"] is None
