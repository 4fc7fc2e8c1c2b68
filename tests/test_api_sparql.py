"""The SPARQL 1.1 Protocol endpoint, driven by real clients (SPARQLWrapper, rdflib's SPARQLStore, httpx)
against a real uvicorn server on 127.0.0.1, on every backend."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper

from kg import ns
from kg.api.app import create_app
from kg.api.deps import Settings
from kg.api.guard import query_form, tokens
from kg.errors import QueryError, QueryRefused
from kg.store import Store

PREFIXES = """PREFIX kg: <https://w3id.org/kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
WHO_IS_IN_KURSK = (
    PREFIXES
    + """SELECT DISTINCT ?deployer ?place WHERE {
  ?d a kg:Deployment ; kg:deployer/skos:prefLabel ?deployer ; kg:location/skos:prefLabel ?place .
  FILTER(CONTAINS(?place, "Kursk"))
} ORDER BY ?deployer"""
)
CLAIMS_GRAPH = PREFIXES + "CONSTRUCT { ?c kg:claimant ?who } WHERE { ?c a kg:Claim ; kg:claimant ?who }"
NORTH_KOREA = ns.entity_iri("north-korea")
KURSK = ns.entity_iri("kursk-oblast")


def settings(**kwargs: Any) -> Settings:
    return Settings(**{"query_timeout": 20.0, "max_rows": 1000, "query_workers": 1, **kwargs})


@pytest.fixture
def server(seeded: Store, live_server: type) -> Iterator[Any]:
    with live_server(create_app(seeded, settings())) as running:
        yield running


def wrapper(server: Any, query: str, fmt: str) -> SPARQLWrapper:
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client


# ------------------------------------------------------------------ the guard, without a server
def test_guard_tokenises_instead_of_matching_substrings() -> None:
    assert query_form('SELECT * WHERE { ?s ?p "SERVICE <http://x> { }" }') == "SELECT"
    assert query_form("PREFIX ex: <http://ex/LOAD#> ASK { ?s ex:DROP ?o } # INSERT DATA") == "ASK"
    assert query_form("CONSTRUCT WHERE { ?s ?p '''DELETE\nWHERE''' }") == "CONSTRUCT"
    for refused in (
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "PREFIX x: <http://x#> DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/x.ttl>",
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { ?s ?p ?o . service silent <http://e> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://e> { ?s ?p ?o } }",
        "DROP ALL",
    ):
        with pytest.raises(QueryRefused):
            query_form(refused)
    with pytest.raises(QueryError):
        query_form("hello")
    assert [t.kind for t in tokens('?x <http://a> "b"@en _:c ex:d')] == [
        "var",
        "iri",
        "string",
        "lang",
        "bnode",
        "pname",
    ]


# ------------------------------------------------------------------ results, every format, real clients
def test_select_in_every_results_format_with_sparqlwrapper(server: Any) -> None:
    expected = {("North Korea", "Kursk Oblast")}

    data = wrapper(server, WHO_IS_IN_KURSK, JSON).query().convert()
    assert isinstance(data, dict), data
    got = {(b["deployer"]["value"], b["place"]["value"]) for b in data["results"]["bindings"]}
    assert expected <= got, got

    xml = wrapper(server, WHO_IS_IN_KURSK, XML).query().response.read()
    parsed = Result.parse(io.BytesIO(xml), format="xml")
    assert expected <= {(str(r[0]), str(r[1])) for r in parsed}, xml[:500]

    body = wrapper(server, WHO_IS_IN_KURSK, CSV).query().convert()
    assert isinstance(body, bytes)
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert expected <= {(r["deployer"], r["place"]) for r in rows}, body[:500]
    assert {str(r[0]) for r in Result.parse(io.BytesIO(body), format="csv")} >= {"North Korea"}

    body = wrapper(server, WHO_IS_IN_KURSK, TSV).query().convert()
    assert isinstance(body, bytes) and body.startswith(b"?deployer\t?place"), body[:200]
    parsed = Result.parse(io.StringIO(body.decode()), format="tsv")
    assert expected <= {(str(r[0]), str(r[1])) for r in parsed}, body[:500]


def test_post_form_and_direct_post(server: Any) -> None:
    for method in (POST, POSTDIRECTLY):
        client = wrapper(server, WHO_IS_IN_KURSK, JSON)
        client.setMethod(POST)
        client.setRequestMethod(method if method == POSTDIRECTLY else "urlencoded")
        data = client.query().convert()
        assert isinstance(data, dict), data
        assert any(b["deployer"]["value"] == "North Korea" for b in data["results"]["bindings"]), (method, data)


def test_ask_in_every_format(server: Any) -> None:
    ask = PREFIXES + f"ASK {{ ?d kg:deployer <{NORTH_KOREA}> ; kg:location <{KURSK}> }}"
    assert wrapper(server, ask, JSON).query().convert()["boolean"] is True  # type: ignore[index]
    xml = wrapper(server, ask, XML).query().response.read()
    assert Result.parse(io.BytesIO(xml), format="xml").askAnswer is True, xml
    with server.client() as client:
        for media in ("text/csv", "text/tab-separated-values"):
            response = client.get("/sparql", params={"query": ask}, headers={"Accept": media})
            assert response.status_code == 200 and "true" in response.text, response.text


def test_construct_in_every_rdf_format(server: Any) -> None:
    for fmt in (TURTLE, N3, XML, JSONLD):
        result = wrapper(server, CLAIMS_GRAPH, fmt).query()
        converted = result.convert()
        graph = converted if isinstance(converted, Graph) else Graph().parse(data=converted, format="turtle")
        assert (None, URIRef(str(ns.KG.claimant)), ns.entity_iri("cnn")) in graph, (fmt, len(graph))
    with server.client() as client:
        for media, fmt in (
            ("application/n-triples", "nt"),
            ("application/trig", "trig"),
            ("application/n-quads", "nquads"),
            ("application/ld+json", "json-ld"),
        ):
            response = client.get("/sparql", params={"query": CLAIMS_GRAPH}, headers={"Accept": media})
            assert response.status_code == 200, response.text
            assert response.headers["content-type"].startswith(media), response.headers
            graph = Graph().parse(data=response.content, format=fmt) if fmt not in ("trig", "nquads") else None
            if graph is None:
                from rdflib import Dataset

                dataset = Dataset().parse(data=response.content, format=fmt)
                assert len(dataset) > 0 or sum(len(g) for g in dataset.graphs()) > 0, response.text[:300]
            else:
                assert (None, URIRef(str(ns.KG.claimant)), ns.entity_iri("zelensky")) in graph, media
        describe = client.get("/sparql", params={"query": f"DESCRIBE <{NORTH_KOREA}>"})
        assert describe.status_code == 200 and describe.headers["content-type"].startswith("text/turtle")
        described = Graph().parse(data=describe.text, format="turtle")  # what DESCRIBE gives is the engine's choice
        assert NORTH_KOREA in set(described.subjects()) | set(described.objects()), describe.text


def test_rdflib_sparqlstore(server: Any) -> None:
    for fmt in ("xml", "json"):
        remote = Graph(SPARQLStore(server.url + "/sparql", returnFormat=fmt))
        rows = {(str(r[0]), str(r[1])) for r in remote.query(WHO_IS_IN_KURSK)}  # type: ignore[index]
        assert ("North Korea", "Kursk Oblast") in rows, (fmt, rows)
        assert remote.query(PREFIXES + "ASK { ?c a kg:Claim }").askAnswer is True
    # graphs come back as RDF/XML (SPARQLStore's "json" asks for SPARQL results only, so a CONSTRUCT gets 406)
    remote = Graph(SPARQLStore(server.url + "/sparql", returnFormat="xml"))
    built = remote.query(CLAIMS_GRAPH).graph
    assert built is not None and (None, None, ns.entity_iri("cnn")) in built, len(built or ())
    assert (NORTH_KOREA, None, Literal("North Korea")) in remote  # a triple pattern, as SPARQLStore asks it


def test_default_graph_is_the_union_and_graph_uris_narrow_it(server: Any) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    with server.client() as client:

        def number(**params: Any) -> int:
            response = client.get("/sparql", params={"query": count, **params})
            assert response.status_code == 200, response.text
            return int(response.json()["results"]["bindings"][0]["n"]["value"])

        union = number()
        entities_only = number(**{"default-graph-uri": str(ns.ENTITY_GRAPH)})
        article_only = number(**{"default-graph-uri": str(ns.article_graph("seed-001"))})
        assert 0 < entities_only < union and 0 < article_only < union, (union, entities_only, article_only)
        named = client.get(
            "/sparql",
            params={
                "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                "named-graph-uri": str(ns.ENTITY_GRAPH),
            },
        )
        graphs = {b["g"]["value"] for b in named.json()["results"]["bindings"]}
        assert graphs == {str(ns.ENTITY_GRAPH)}, graphs
        docs = client.get("/openapi.json").json()
        assert "union of all graphs" in json.dumps(docs), "the OpenAPI description must say what the default graph is"


def test_malformed_query_and_unacceptable_accept(server: Any) -> None:
    with server.client() as client:
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["error"] == "QueryError" and "1:" in body["message"], body  # the parser's position
        assert "Traceback" not in response.text
        response = client.get("/sparql", params={"query": WHO_IS_IN_KURSK}, headers={"Accept": "image/png"})
        assert response.status_code == 406 and "sparql-results+json" in response.json()["message"], response.text
        response = client.get("/sparql", params={"query": CLAIMS_GRAPH}, headers={"Accept": "text/csv"})
        assert response.status_code == 406, response.text
        assert client.get("/sparql").status_code == 400
        response = client.post("/sparql", content=b"x", headers={"Content-Type": "text/plain"})
        assert response.status_code == 415, response.text


def test_updates_load_and_service_are_refused(seeded: Store, live_server: type) -> None:
    before = seeded.quad_count()
    graph = ns.article_graph("seed-001")
    with live_server(create_app(seeded, settings())) as server, server.client() as client:
        attempts = [
            client.get("/sparql", params={"query": f"DROP GRAPH <{graph}>"}),
            client.get("/sparql", params={"update": f"DROP GRAPH <{graph}>"}),
            client.post("/sparql", data={"update": "DROP ALL"}),
            client.post("/sparql", data={"query": "CLEAR ALL"}),
            client.post("/sparql", content=b"DROP ALL", headers={"Content-Type": "application/sparql-update"}),
            client.post(
                "/sparql",
                content=b"INSERT DATA { <http://a> <http://b> <http://c> }",
                headers={"Content-Type": "application/sparql-query"},
            ),
            client.get("/sparql", params={"query": "LOAD <http://127.0.0.1:9/data.ttl>"}),
            client.get(
                "/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}
            ),
        ]
        for response in attempts:
            assert response.status_code == 403, (response.request.url, response.text)
            body = response.json()
            assert body["error"] == "QueryRefused" and body["message"], body
        assert "LOAD" in attempts[-2].json()["message"] and "SERVICE" in attempts[-1].json()["message"]
        literal = client.get(
            "/sparql", params={"query": 'SELECT ?x WHERE { BIND("SERVICE <http://x> { } ; DROP ALL ; LOAD" AS ?x) }'}
        )
        assert literal.status_code == 200, literal.text
        assert literal.json()["results"]["bindings"][0]["x"]["value"].startswith("SERVICE"), literal.text
    assert seeded.quad_count() == before


def test_row_limit_truncates_and_says_so(seeded: Store, live_server: type) -> None:
    with live_server(create_app(seeded, settings(max_rows=5))) as server, server.client() as client:
        response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
        assert response.status_code == 200, response.text
        assert len(response.json()["results"]["bindings"]) == 5
        assert response.headers["x-kg-truncated"] == "true" and response.headers["x-kg-row-limit"] == "5"
        assert "truncated" in response.headers["warning"]
        graph = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"})
        assert len(Graph().parse(data=graph.text, format="turtle")) == 5 and graph.headers["x-kg-truncated"] == "true"
        small = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2"})
        assert "x-kg-truncated" not in small.headers


@pytest.mark.parametrize("store", ["oxigraph"], indirect=True)
def test_a_query_over_the_time_limit_is_stopped_and_its_worker_killed(store: Store, live_server: type) -> None:
    triples = " ".join(f"<http://example.org/s{i}> <http://example.org/p> {i} ." for i in range(3000))
    store.update(f"INSERT DATA {{ GRAPH <http://example.org/big> {{ {triples} }} }}")
    app = create_app(store, settings(query_timeout=1.0))
    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 2.7e10 rows
    with live_server(app) as server, server.client() as client:
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200  # worker started
        started = time.monotonic()
        response = client.get("/sparql", params={"query": cross})
        elapsed = time.monotonic() - started
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "QueryTimeout" and "time limit" in response.json()["message"]
        assert elapsed < 10, elapsed
        runner = app.state.runner
        assert len(runner.killed) == 1, runner.killed
        assert not psutil.pid_exists(runner.killed[0]), f"worker {runner.killed[0]} still exists"
        again = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        assert again.status_code == 200 and int(again.json()["results"]["bindings"][0]["n"]["value"]) == 3000
