"""The store contract, run on every backend (the ``store`` fixture): what kg above the store relies on."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Identifier

from kg import ns
from kg.errors import QueryError, StoreError
from kg.queries import load_queries
from kg.store import Store
from kg.store.base import RawResult
from kg.store.oxigraph import OxigraphStore

EX = "https://w3id.org/kg/test/"
G1 = ns.article_graph("store-test-1")
G2 = ns.article_graph("store-test-2")
P = URIRef(EX + "p")


def triples(*objects: object, subject: str = "s") -> Graph:
    graph = Graph()
    for obj in objects:
        graph.add((URIRef(EX + subject), P, obj if isinstance(obj, (Literal, URIRef)) else Literal(obj)))
    return graph


def objects_in(store: Store, graph: URIRef) -> set[object]:
    rows = store.select(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return {row["o"] for row in rows}


def test_replace_writes_the_graph_and_the_entities(store: Store) -> None:
    entity = ns.entity_iri("store-test-entity")
    entities = Graph()
    entities.add((entity, RDF.type, URIRef("https://w3id.org/kg/ontology#State")))
    entities.add((entity, SKOS.prefLabel, Literal("Testland")))
    store.replace_graph(G1, triples("a", "b"), entities)
    assert objects_in(store, G1) == {Literal("a", datatype=XSD.string), Literal("b", datatype=XSD.string)}
    assert store.quad_count(ns.ENTITY_GRAPH) == 2
    assert set(store.graphs()) == {G1, ns.ENTITY_GRAPH}, store.graphs()


def test_replace_replaces_and_is_idempotent(store: Store) -> None:
    store.replace_graph(G1, triples("old", "older"))
    store.replace_graph(G1, triples("new"))
    store.replace_graph(G1, triples("new"))
    assert objects_in(store, G1) == {Literal("new", datatype=XSD.string)}
    assert store.quad_count(G1) == 1


def test_replace_leaves_other_graphs_alone(store: Store) -> None:
    store.replace_graph(G1, triples("one"))
    store.replace_graph(G2, triples("two"))
    store.replace_graph(G1, triples("uno"))
    assert objects_in(store, G2) == {Literal("two", datatype=XSD.string)}
    assert store.quad_count() == 2


def test_entity_triples_are_added_not_replaced(store: Store) -> None:
    e1, e2 = ns.entity_iri("store-test-a"), ns.entity_iri("store-test-b")
    store.replace_graph(G1, triples("x"), Graph().add((e1, SKOS.prefLabel, Literal("A"))))
    store.replace_graph(G2, triples("y"), Graph().add((e2, SKOS.prefLabel, Literal("B"))))
    store.replace_graph(G1, triples("x"), Graph().add((e1, SKOS.prefLabel, Literal("A"))))
    assert store.quad_count(ns.ENTITY_GRAPH) == 2


def test_large_article_is_one_write(store: Store) -> None:
    # More triples than one INSERT DATA block takes on Virtuoso, with long literals: still one write.
    big = Graph()
    text = "A long sentence about troops, with \"quotes\" and ünïcode. " * 20
    for i in range(5500):
        big.add((URIRef(f"{EX}claim/{i}"), P, Literal(f"{text}{i}")))
    store.replace_graph(G1, big)
    assert store.quad_count(G1) == 5500
    store.replace_graph(G1, triples("small"))
    assert store.quad_count(G1) == 1


def test_a_refused_replace_leaves_the_old_graph(store: Store) -> None:
    store.replace_graph(G1, triples("old"))
    bad = triples("new")
    bad.add((URIRef(EX + "s"), P, Literal("abc", datatype=XSD.integer)))  # ill-typed: refused by Virtuoso
    try:
        store.replace_graph(G1, bad)
    except StoreError:
        assert objects_in(store, G1) == {Literal("old", datatype=XSD.string)}
    else:  # accepted (pyoxigraph keeps ill-typed literals): then wholly replaced
        assert Literal("old", datatype=XSD.string) not in objects_in(store, G1)
        assert store.quad_count(G1) == 2


def test_drop_graph(store: Store) -> None:
    store.replace_graph(G1, triples("a"))
    store.replace_graph(G2, triples("b"))
    assert store.drop_graph(G1) is True
    assert store.drop_graph(G1) is False
    assert store.graphs() == [G2]
    assert store.quad_count() == 1


def test_empty_store(store: Store) -> None:
    assert store.graphs() == []
    assert store.quad_count() == 0
    assert store.select(f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}") == []


def test_two_writers_of_one_new_article_never_merge(store: Store, request: pytest.FixtureRequest) -> None:
    """The embedded store writes a new article with one ``load`` and a stored one with an update: two threads
    writing the same new article at once must still leave one version whole, never both added together."""
    if not isinstance(store, OxigraphStore):
        # Seen here: Virtuoso under repeatable read (DefaultIsolation = 4) lets two concurrent requests each
        # drop the absent graph and insert, so both versions end up in it (a phantom; serializable isolation
        # would prevent it): 18 of 150 races merged.  Since writes CLEAR the graph instead of dropping it,
        # none of 150 did (the cause not traced); kept as an expected failure until that is understood, so a
        # pass shows as XPASS.
        request.node.add_marker(pytest.mark.xfail(reason="Virtuoso merges two concurrent writes of one new graph"))
    versions = [{Literal(f"{tag}{i}", datatype=XSD.string) for i in range(300)} for tag in "ab"]
    for attempt in range(6):  # without the store's write lock, 6 in 10 attempts merged here
        graph = ns.article_graph(f"store-test-race-{attempt}")
        writers = [threading.Thread(target=store.replace_graph, args=(graph, triples(*v))) for v in versions]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        assert objects_in(store, graph) in versions, attempt


def test_default_graph_is_the_union(store: Store) -> None:
    store.replace_graph(G1, triples("a"))
    store.replace_graph(G2, triples("b"))
    rows = store.select(f"SELECT ?o WHERE {{ <{EX}s> <{P}> ?o }} ORDER BY ?o")
    assert [str(r["o"]) for r in rows] == ["a", "b"], rows
    assert store.ask(f"ASK {{ <{EX}s> <{P}> 'b' }}")
    assert not store.ask(f"ASK {{ <{EX}s> <{P}> 'c' }}")


LITERALS = [
    Literal("plain"),
    Literal("with lang", lang="de-at"),
    Literal("ünïcödé ✓ ру́сский 中文"),
    Literal("line\nbreak\ttab \"quoted\" \\ back"),
    Literal("line\u2028separator, next\x85line, form\x0cfeed"),  # line ends to str.splitlines(), not to N-Triples
    Literal(42, datatype=XSD.integer),
    Literal(-7, datatype=XSD.integer),
    Literal(dt.date(2024, 11, 7), datatype=XSD.date),
    Literal(True),
    Literal(False),
    Literal("https://example.org/a?b=c", datatype=XSD.anyURI),
    Literal("1.5", datatype=XSD.decimal),
    Literal("custom", datatype=URIRef(EX + "type")),
]


@pytest.mark.parametrize("literal", LITERALS, ids=lambda lit: repr(lit)[:40])
def test_literals_round_trip(store: Store, literal: Literal) -> None:
    store.replace_graph(G1, triples(literal))
    (row,) = store.select(f"SELECT ?o WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    got = row["o"]
    assert isinstance(got, Literal)
    expected_type = literal.datatype or (None if literal.language else XSD.string)
    assert (str(got), got.datatype, got.language) == (str(literal), expected_type, literal.language)
    assert got.toPython() == literal.toPython()


def test_ntriples_writes_what_rdflib_writes() -> None:
    """The stores' N-Triples (``kg.store.ntriples``) are rdflib's lines, escaping included; an IRI rdflib
    cannot write is refused as rdflib refuses it, and a graph received as text is written as that text."""
    from rdflib import BNode

    from kg.store.ntriples import ReceivedGraph, ntriples

    graph = triples(*LITERALS)
    graph.add((BNode("b1"), P, URIRef(EX + "o")))
    graph.add((URIRef(EX + "s"), RDF.type, BNode("b1")))
    lines = ntriples(graph)
    assert lines.endswith(" .\n") and sorted(lines.splitlines(keepends=True)) == sorted(
        graph.serialize(format="nt").splitlines(keepends=True)
    )
    assert Graph().parse(data=lines, format="nt").isomorphic(graph)
    assert ntriples(Graph()) == ""
    with pytest.raises(Exception, match="valid URI"):
        ntriples(triples(URIRef(EX + "a b")))
    assert ntriples(ReceivedGraph(lines, len(graph))) is lines


def test_aggregates_have_the_same_datatypes(store: Store) -> None:
    store.replace_graph(G1, triples(Literal(1, datatype=XSD.integer), Literal(2, datatype=XSD.integer)))
    (row,) = store.select(
        f"SELECT (COUNT(*) AS ?n) (SUM(?o) AS ?sum) (MAX(?o) AS ?max) (STRLEN('ab') AS ?len) "
        f"(GROUP_CONCAT(STR(?o); separator=',') AS ?all) WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
    )
    assert {k: v.datatype for k, v in row.items()} == {  # type: ignore[union-attr]
        "n": XSD.integer,
        "sum": XSD.integer,
        "max": XSD.integer,
        "len": XSD.integer,
        "all": XSD.string,
    }, row
    assert int(row["n"]) == 2 and int(row["sum"]) == 3  # type: ignore[call-overload]


HOSTILE = [
    'x" } DROP ALL #',
    "x' } ; DELETE WHERE { ?s ?p ?o } #",
    "}}}} INSERT DATA { <http://evil/> <http://evil/> 1 }",
    "back\\slash\\\" and \\u0022",
    "line\nbreak",
    "<http://example.org/not-an-iri>",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_bindings_with_hostile_strings_stay_values(store: Store, value: str) -> None:
    store.replace_graph(G1, triples("keep", value))
    rows = store.select(f"SELECT ?s WHERE {{ ?s <{P}> ?v }}", {"v": Literal(value)})
    assert rows == [{"s": URIRef(EX + "s")}], rows
    assert store.quad_count() == 2
    assert store.ask(f"ASK WHERE {{ ?s <{P}> ?v }}", {"v": Literal(value + "no")}) is False


def test_bound_iri_that_breaks_out_is_refused(store: Store) -> None:
    with pytest.raises(QueryError):
        store.select("SELECT ?o WHERE { ?s ?p ?o }", {"s": URIRef("http://x/> } DROP ALL #")})


def test_unbound_variables_are_absent_from_rows(store: Store) -> None:
    store.replace_graph(G1, triples("a"))
    rows = store.select(f"SELECT ?o ?none WHERE {{ <{EX}s> <{P}> ?o OPTIONAL {{ ?o <{EX}q> ?none }} }}")
    assert rows == [{"o": Literal("a", datatype=XSD.string)}], rows


def test_malformed_query_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError) as info:
        store.select("SELECT ?s WHERE { ?s ?p }")
    assert str(info.value), "the server's message is kept"


def test_construct(store: Store) -> None:
    store.replace_graph(G1, triples("a", Literal("b", lang="en")))
    graph = store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")
    assert len(graph) == 2
    assert (URIRef(EX + "s"), P, Literal("b", lang="en")) in graph


@pytest.mark.parametrize(
    "media_type", ["application/sparql-results+json", "application/sparql-results+xml", "text/csv"]
)
def test_query_raw(store: Store, media_type: str) -> None:
    store.replace_graph(G1, triples("a"))
    result = store.query_raw(f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}", media_type)
    assert isinstance(result, RawResult)
    assert result.media_type == media_type
    assert b"a" in result.body


def test_query_raw_default_graph_uri(store: Store) -> None:
    store.replace_graph(G1, triples("a"))
    store.replace_graph(G2, triples("b"))
    result = store.query_raw(
        f"SELECT ?o WHERE {{ <{EX}s> ?p ?o }}", "application/sparql-results+json", default_graph_uris=[str(G2)]
    )
    assert b'"b"' in result.body and b'"a"' not in result.body, result.body


def test_dump(store: Store) -> None:
    store.replace_graph(G1, triples("a"))
    body = store.dump("application/n-quads").decode()
    assert f"<{G1}>" in body and '"a"' in body, body


@pytest.mark.parametrize(("media_type", "fmt"), [("application/n-quads", "nquads"), ("application/trig", "trig")])
def test_dump_streams_to_a_file_and_reads_back(store: Store, tmp_path: Path, media_type: str, fmt: str) -> None:
    store.replace_graph(G1, triples("a", 'say "b" .\n c'))
    entity = Graph().add((URIRef(EX + "e"), P, Literal(1)))
    store.replace_graph(G2, triples(Literal("ç", lang="fr"), subject="t"), entity)
    path = tmp_path / f"dump.{fmt}"
    with path.open("wb") as sink:
        assert store.dump(media_type, sink) == b""
    dataset = Dataset().parse(path, format=fmt)
    quads = {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in dataset.quads((None, None, None, None))}
    plain = {(s, p, Literal(str(o), lang=o.language) if isinstance(o, Literal) and o.datatype in (None, XSD.string)
              else o, g) for s, p, o, g in quads}  # a plain literal may read back typed or untyped
    assert {(URIRef(EX + "s"), P, Literal(v), G1) for v in ("a", 'say "b" .\n c')} <= plain, quads
    assert (URIRef(EX + "t"), P, Literal("ç", lang="fr"), G2) in plain
    assert (URIRef(EX + "e"), P, Literal(1), ns.ENTITY_GRAPH) in plain
    assert len(quads) == 4
    assert store.dump(media_type) == path.read_bytes() or fmt == "trig"  # the same N-Quads either way


def test_many_rows_are_not_truncated(store: Store) -> None:
    big = Graph()
    for i in range(12_000):  # over Virtuoso's default ResultSetMaxRows of 10,000
        big.add((URIRef(f"{EX}s{i}"), P, Literal(i)))
    store.replace_graph(G1, big)
    assert len(store.select(f"SELECT ?s WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}")) == 12_000


def test_boolean_values_from_the_query_text(store: Store) -> None:
    # Virtuoso 7 returns the constants true/false (and comparisons) as 1/0 and casts xsd:boolean("false") to
    # true; STRDT keeps the boolean, which is how queries/*.rq must write them.
    (row,) = store.select(
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
        'SELECT ?yes ?no WHERE { BIND(STRDT("true", xsd:boolean) AS ?yes) '
        'BIND(STRDT("false", xsd:boolean) AS ?no) }'
    )
    assert row == {"yes": Literal(True), "no": Literal(False)}, row


def _sample_value(param: object) -> str:
    kind = getattr(param, "type", "string")
    return {"iri": "https://w3id.org/kg/id/entity/russia", "integer": "1000", "date": "2024-01-01"}.get(kind, "Kursk")


@pytest.mark.parametrize("name", sorted(load_queries()))
def test_every_named_query_runs(store: Store, name: str) -> None:
    # What one backend's dialect refuses (Virtuoso 7: GROUP_CONCAT without a separator, ...) fails here.
    store.replace_graph(G1, triples("a"))
    query = load_queries()[name]
    bindings = query.bind({p.name: _sample_value(p) for p in query.params})
    body = re.sub(r"(?m)^\s*(#.*|PREFIX\s+\S+\s+<[^>]*>)\s*$", "", query.text)
    if re.match(r"\s*(CONSTRUCT|DESCRIBE)\b", body, re.IGNORECASE):
        graph = store.construct(query.text, bindings)
        assert all(isinstance(p, URIRef) for _, p, _ in graph), list(graph)[:5]
    else:
        # every row binds only variables the query projects, each to an RDF term (a backend's dialect that
        # renames or drops a column, or answers something else, fails here)
        projected = {str(v) for v in prepareQuery(query.text).algebra["PV"]}
        rows = store.select(query.text, bindings)
        assert all(set(row) <= projected and all(isinstance(v, Identifier) for v in row.values()) for row in rows), (
            projected, rows[:3])


def test_virtuoso_write_is_durable_and_all_or_nothing_across_a_crash(tmp_path: Path) -> None:
    """Kill a private Virtuoso (SIGKILL, no checkpoint) after one write and in the middle of the next: after
    the restart the first is there whole, and the second is either wholly there or wholly absent."""
    from tests.virtuoso_server import VirtuosoServer

    server = VirtuosoServer.start(tmp_path / "virtuoso")
    try:
        store = server.store(timeout=120)
        text = "A long sentence about troops, with \"quotes\" and ünïcode. " * 8
        old = Graph()
        new = Graph()
        for i in range(12_000):
            old.add((URIRef(f"{EX}old/{i}"), P, Literal(f"{text}{i}")))
            new.add((URIRef(f"{EX}new/{i}"), P, Literal(f"{text}{i}")))
        store.replace_graph(G1, old)
        writer = threading.Thread(target=lambda: _ignore_errors(lambda: store.replace_graph(G1, new)))
        writer.start()
        time.sleep(1.0)
        server.kill()
        writer.join()
        store.close()
        server.restart()
        store = server.store(timeout=120)
        (row,) = store.select(
            f"SELECT (SUM(IF(STRSTARTS(STR(?s), '{EX}old/'), 1, 0)) AS ?old) (COUNT(*) AS ?all) "
            f"WHERE {{ GRAPH <{G1}> {{ ?s ?p ?o }} }}"
        )
        assert (int(row["old"]), int(row["all"])) in ((12_000, 12_000), (0, 12_000)), row  # type: ignore[call-overload]
        store.close()
    finally:
        server.stop()


def _ignore_errors(fn: Callable[[], object]) -> None:
    try:
        fn()
    except StoreError:
        pass  # the server was killed under the write: what matters is what it holds after the restart


def test_replace_graphs_writes_a_batch_and_isolates_a_refused_article(store: Store) -> None:
    many = getattr(store, "replace_graphs", None)
    if many is None:
        pytest.skip(f"{type(store).__name__} writes one article at a time (replace_graph)")
    g3 = ns.article_graph("store-test-3")
    store.replace_graph(G2, triples("old two"))
    bad = triples("new two")
    bad.add((URIRef(EX + "s"), P, Literal("abc", datatype=XSD.integer)))  # refused by Virtuoso
    errors = many([(G1, triples("one"), None), (G2, bad, None), (g3, triples("three"), None)])
    assert objects_in(store, G1) == {Literal("one", datatype=XSD.string)}
    assert objects_in(store, g3) == {Literal("three", datatype=XSD.string)}
    if errors[1] is not None:
        assert objects_in(store, G2) == {Literal("old two", datatype=XSD.string)}
    assert errors[0] is None and errors[2] is None, errors
