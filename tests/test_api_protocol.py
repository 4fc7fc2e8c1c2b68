"""SPARQL 1.1 Protocol conformance of ``/sparql`` (issue 13 item 8), against a real uvicorn server on every
backend: content negotiation by RFC 9110, relative IRIs resolved against the request IRI, and well-formed XML
results whatever characters a literal holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kg.api.app import create_app
from kg.api.deps import Settings
from kg.api.sparql import _RDF_ALIASES, _RESULT_ALIASES, negotiate
from kg.store import Store

CONSTRUCT_ONE = "CONSTRUCT { <http://example.org/s> <http://example.org/p> 1 } WHERE {}"
SELECT_ONE = "SELECT ?x WHERE { BIND(1 AS ?x) }"


@pytest.fixture
def server(store: Store, live_server: type) -> Iterator[Any]:
    settings = Settings(query_timeout=20.0, max_rows=100, query_workers=1)
    with live_server(create_app(store, settings)) as running:
        yield running


# ------------------------------------------------------------------ content negotiation, without a server
@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("text/turtle;q=0, */*", "application/n-triples"),  # q=0 on the specific range wins over */*
        ("text/turtle;q=0, text/*", None),  # text/n3 is an alias of Turtle, answered as text/turtle
        ("text/plain", "application/n-triples"),  # an alias named outright
        ("*/*", "text/turtle"),
        ("application/*", "application/n-triples"),
        ("application/ld+json;q=0.4, application/rdf+xml;q=0.9", "application/rdf+xml"),
        ("*/*;q=0.1, application/n-quads", "application/n-quads"),
        ("text/turtle;q=0", None),
        ("image/png", None),
        ("", "text/turtle"),
        (None, "text/turtle"),
        ("not a media type", "text/turtle"),  # a malformed header is disregarded
    ],
)
def test_negotiate_rdf(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, _RDF_ALIASES, "text/turtle") == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("text/csv;q=0.2, text/tab-separated-values;q=0.3", "text/tab-separated-values"),
        ("application/xml;q=0.9, application/json;q=0.5", "application/sparql-results+xml"),
        ("text/csv; charset=utf-8", "text/csv"),
        ("*/*;q=0", None),
    ],
)
def test_negotiate_results(accept: str, expected: str | None) -> None:
    assert negotiate(accept, _RESULT_ALIASES, "application/sparql-results+json") == expected


def test_negotiation_on_the_endpoint(server: Any) -> None:
    with server.client() as client:
        answer = client.get("/sparql", params={"query": CONSTRUCT_ONE}, headers={"Accept": "text/turtle;q=0, */*"})
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/n-triples")
        assert "<http://example.org/s> <http://example.org/p>" in answer.text
        refused = client.get("/sparql", params={"query": CONSTRUCT_ONE}, headers={"Accept": "text/turtle;q=0"})
        assert refused.status_code == 406
        answer = client.get(
            "/sparql", params={"query": SELECT_ONE}, headers={"Accept": "application/sparql-results+json;q=0, */*"}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/sparql-results+xml")
