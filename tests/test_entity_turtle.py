"""``GET /entities/{id}`` as Turtle answers a page of the entity's graph (issue 12): its own triples and
``limit`` of its claims, in the JSON page's order, with a ``next`` link; the pages put together are the
entity's own triples and every claim ``entity-graph`` answers unpaged, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from kg import ns
from kg.api.app import create_app
from kg.settings import Settings
from kg.store import Store
from tests.test_queries_backends import same_term


@pytest.fixture
def client(seeded: Store, live_server: type) -> Iterator[Any]:
    with live_server(create_app(seeded, Settings(query_workers=1))) as server, server.client() as http:
        yield http


def canonical(term: Node) -> Node:
    """A literal typed xsd:string as the simple literal it is in RDF 1.1, a whole number or decimal as a decimal
    in one lexical form (the bulk route answers as the store writes them; Virtuoso 7 reads the stored decimal
    "127" back as "127", 127.0 or the integer 127, depending on the answer's format)."""
    if isinstance(term, Literal) and term.datatype in (XSD.decimal, XSD.integer):
        return Literal(format(Decimal(str(term)).normalize(), "f"), datatype=XSD.decimal)
    return same_term(term)


def plain(graph: Graph) -> Graph:
    out = Graph()
    for s, p, o in graph:
        out.add((canonical(s), canonical(p), canonical(o)))
    return out


def claims_of(graph: Graph) -> list[str]:
    return sorted(str(s) for s in graph.subjects(RDF.type, ns.KG.Claim))


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_entity_turtle_pages_put_together_are_the_whole_graph(client: Any, order: str) -> None:
    iri = str(ns.entity_iri("north-korea"))
    answer = client.get("/queries/entity-graph", params={"entity": iri, "limit": 1000})
    assert answer.status_code == 200 and "link" not in answer.headers, answer.text  # one page: every claim
    whole = Graph().parse(data=answer.text, format="turtle")
    assert len(claims_of(whole)) > 2, "too few claims to page"
    together = Graph()
    seen: list[str] = []
    by_page: list[list[str]] = []
    url: str | None = f"/entities/north-korea?limit=2&order={order}"
    pages = 0
    while url:
        response = client.get(url, headers={"Accept": "text/turtle"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
        page = Graph().parse(data=response.text, format="turtle")
        claims = claims_of(page)
        assert len(claims) <= 2 and not set(claims) & set(seen), (url, claims, seen)
        assert (URIRef(iri), RDF.type, None) in page  # every page describes the entity itself
        seen += claims
        by_page.append(claims)
        together += page
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None
        last = claims[-1] if order == "oldest" else claims[0]  # its last claim in page order
        assert url is None or f"after={quote(last, safe='')}" in url, (url, claims)
        pages += 1
        assert pages < 50
    assert pages > 1
    claims_part = Graph()
    for triple in together:
        if triple[0] != URIRef(iri):  # the entity's own triples, which entity-graph leaves to the entity query
            claims_part.add(triple)
    only = (sorted(set(claims_part) - set(whole))[:3], sorted(set(whole) - set(claims_part))[:3])
    assert to_isomorphic(plain(claims_part)) == to_isomorphic(plain(whole)), only
    # one article, one day: the claims in the order of their IRIs as strings, or its reverse
    assert [c for claims in (by_page if order == "oldest" else by_page[::-1]) for c in claims] == sorted(seen)


def test_entity_turtle_of_an_unknown_entity_is_404(client: Any) -> None:
    response = client.get("/entities/no-such-entity", headers={"Accept": "text/turtle"})
    assert response.status_code == 404, response.text


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_the_named_entity_graph_pages_carry_the_cursor_too(client: Any, order: str) -> None:
    """``GET /queries/entity-graph`` pages as the entity's Turtle page does: next links with the page's last
    claim (``after``), in either order, every claim once; a bad order is refused."""
    iri = str(ns.entity_iri("north-korea"))
    whole = Graph().parse(data=client.get("/queries/entity-graph", params={"entity": iri, "limit": 1000}).text,
                          format="turtle")
    url: str | None = f"/queries/entity-graph?entity={quote(iri, safe='')}&limit=2&order={order}"
    together, by_page = Graph(), []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        page = Graph().parse(data=response.text, format="turtle")
        claims = claims_of(page)
        by_page.append(claims)
        together += page
        link = response.headers.get("link")
        url = link.split(">")[0].lstrip("<") if link else None
        last = claims[-1] if order == "oldest" else claims[0]
        assert url is None or f"after={quote(last, safe='')}" in url, (url, claims)
        assert len(by_page) < 50
    assert len(by_page) > 1
    assert to_isomorphic(plain(together)) == to_isomorphic(plain(whole))
    assert [c for claims in (by_page if order == "oldest" else by_page[::-1]) for c in claims] == claims_of(whole)
    refused = client.get("/queries/entity-graph", params={"entity": iri, "order": "sideways"})
    assert refused.status_code == 400 and "oldest or newest" in refused.text
