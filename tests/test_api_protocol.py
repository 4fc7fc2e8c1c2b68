"""SPARQL 1.1 Protocol conformance of ``/sparql`` (issue 13 item 8), against a real uvicorn server on every
backend: content negotiation by RFC 9110, relative IRIs resolved against the request IRI, and well-formed XML
results whatever characters a literal holds."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from rdflib import Graph

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


# ------------------------------------------------------------------ relative IRIs: the request IRI is the base
def test_relative_iris_resolve_against_the_request_iri(server: Any) -> None:
    with server.client() as client:
        posted = client.post(
            "/sparql",
            content="CONSTRUCT { <s> <p> 1 } WHERE {}",
            headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
        )
        assert posted.status_code == 200, posted.text
        assert f"<{server.url}/s> <{server.url}/p> " in posted.text, posted.text
        got = client.get(
            "/sparql",
            params={"query": "BASE <sub/> SELECT ?x WHERE { BIND(<x> AS ?x) }"},  # a relative BASE, resolved too
            headers={"Accept": "application/sparql-results+json"},
        )
        assert got.status_code == 200, got.text
        assert got.json()["results"]["bindings"] == [{"x": {"type": "uri", "value": f"{server.url}/sub/x"}}]
        absolute = client.post(
            "/sparql",
            data={"query": "BASE <http://example.org/a/> ASK { FILTER(STR(<b>) = 'http://example.org/a/b') }"},
        )
        assert absolute.status_code == 200 and absolute.json()["boolean"] is True, absolute.text


# ------------------------------------------------------------------ XML answers are well-formed XML 1.0
def test_xml_answers_carry_no_character_xml_forbids(server: Any) -> None:
    value = "a\x01b\x0bc\rd\U0001f600"  # two controls XML 1.0 cannot carry even as references, kept CR, emoji
    literal = '"a\\u0001b\\u000bc\\rd\\U0001F600"'
    sparql_ns = "{http://www.w3.org/2005/sparql-results#}"
    with server.client() as client:
        results = client.get(
            "/sparql",
            params={"query": f"SELECT ?v WHERE {{ BIND({literal}@en AS ?v) }}"},
            headers={"Accept": "application/sparql-results+xml"},
        )
        assert results.status_code == 200, results.text
        text = ET.fromstring(results.content).find(f".//{sparql_ns}literal")
        assert text is not None and text.text == "a\ufffdb\ufffdc\rd\U0001f600", results.text
        assert text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        rdf = client.get(
            "/sparql",
            params={"query": f"CONSTRUCT {{ <http://example.org/s> <http://example.org/p> {literal} }} WHERE {{}}"},
            headers={"Accept": "application/rdf+xml"},
        )
        assert rdf.status_code == 200, rdf.text
        graph = Graph().parse(data=rdf.content, format="xml")
        assert [str(o) for o in graph.objects()] == ["a\ufffdb\ufffdc\nd\U0001f600"]  # XML reads CR as LF
        as_json = client.get("/sparql", params={"query": f"SELECT ?v WHERE {{ BIND({literal} AS ?v) }}"})
        assert as_json.json()["results"]["bindings"][0]["v"]["value"] == value  # JSON keeps every character
