"""Every named query answers the same rows on both backends (issue 12, item 4): the seed and a few real corpus
articles are stored in the embedded store and in Virtuoso, and each query's answer is compared row for row, in
order (each query's ORDER BY is total over what it returns), including which columns are unbound; and a page
of each (``run_page``, which may cut a query's key sub-select at the page's end) is that slice of the whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rdflib import Graph, Literal
from rdflib.compare import to_isomorphic
from rdflib.namespace import XSD
from rdflib.term import Node

from kg import ns
from kg.errors import QueryError
from kg.ingest import extract_each
from kg.load import load_path
from kg.model import Article, Extraction
from kg.queries import NamedQuery, load_queries, run_page
from kg.store import Store
from tests.conftest import both_stores, shared_dir

#: Real articles beside the seed: Kursk and North Korean troops, a deployment debate, German reports.
CORPUS = (
    "pen0-2024-12-04-n-korean-troops-in-russia.json",
    "pen0-2024-08-21-decoding-kursk.json",
    "cnbc-2024-03-15-macron-doubles-down-on-nato-deployment.json",
    "dlf-2024-11-21-ukraine-krieg-russland-setzt-erstmals-interkontinentalrakete.json",
)


def corpus_extractions(seed: Extraction) -> list[Extraction]:
    """The seed's extraction and those of the ``CORPUS`` articles that are present."""
    folder = shared_dir("corpus")
    articles = [a for name in CORPUS if (folder / name).exists()
                for a in load_path(folder / name) if isinstance(a, Article)]
    extracted = [e for e in extract_each(articles, 8) if isinstance(e, Extraction)]
    assert len(extracted) >= 3, "too few corpus articles extracted to compare the backends on"
    return [seed, *extracted]


@pytest.fixture(scope="module")
def extractions(seed_extraction: Extraction) -> list[Extraction]:
    return corpus_extractions(seed_extraction)


@pytest.fixture(scope="module")
def both(extractions: list[Extraction], virtuoso: object, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[Store, Store]]:
    # merged clusters (issue 15), so canonical paths are compared
    merges = (("kursk-oblast", "budapest"), ("russia", "north-korea"))
    with both_stores(virtuoso, tmp_path_factory.mktemp("both"), extractions, merges) as stores:
        yield stores


def cases(seed: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Each named query with every parameter combination worth comparing: required ones always, optional
    ones both absent and given."""
    given = {
        "location": "Kursk", "actor": "Russia", "deployer": "Korea", "claimant": "Zelensky",
        "entity": str(ns.entity_iri("north-korea")), "article": str(ns.article_iri(seed)),
        "graph": str(ns.article_graph(seed)), "certainty": "https://w3id.org/kg/ontology#asserted",
        "claim": f"{ns.article_iri(seed)}/claim/1",
    }
    for name, query in sorted(load_queries().items()):
        required = {p.name: given[p.name] for p in query.params if p.required}
        yield name, required
        optional = {p.name: given[p.name] for p in query.params if not p.required}
        for key, value in optional.items():
            yield name, {**required, key: value}
        if len(optional) > 1:
            yield name, {**required, **optional}


def same_term(term: Node) -> Node:
    """A literal typed xsd:string as the simple literal it is in RDF 1.1 (the embedded store's CONSTRUCT types
    it, Virtuoso's does not; rdflib tells them apart)."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def run(store: Store, query: NamedQuery, values: dict[str, str]) -> list[dict[str, object]] | Graph:
    if "\nCONSTRUCT" in query.text:
        graph = Graph()
        for triple in store.construct(query.text, query.bind(values)):
            graph.add((same_term(triple[0]), same_term(triple[1]), same_term(triple[2])))
        return graph
    return [{k: same_term(v) for k, v in row.items()} for row in store.select(query.text, query.bind(values))]


def test_every_named_query_answers_the_same_rows_on_both_backends(
    both: tuple[Store, Store], extractions: list[Extraction],
) -> None:
    embedded, remote = both
    queries = load_queries()
    compared = nonempty = 0
    for name, values in cases(extractions[0].article.id):
        query = queries[name]
        mine, theirs = run(embedded, query, values), run(remote, query, values)
        if isinstance(mine, Graph):
            assert isinstance(theirs, Graph)
            only = (set(mine) - set(theirs), set(theirs) - set(mine))
            assert to_isomorphic(mine) == to_isomorphic(theirs), (name, values, sorted(only[0])[:3],
                                                                   sorted(only[1])[:3])
            nonempty += len(mine) > 0
        else:
            assert isinstance(theirs, list)
            assert len(mine) == len(theirs), (name, values, len(mine), len(theirs))
            for n, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                assert a == b, (name, values, n, {k: (a.get(k), b.get(k)) for k in set(a) | set(b)
                                                  if a.get(k) != b.get(k)})
            nonempty += len(mine) > 0
            for store, whole in ((embedded, mine), (remote, theirs)):  # a page is that slice of the whole
                try:
                    page = run_page(store, query, values, limit=3, offset=2)
                except QueryError as exc:  # a short list of its own (latest-articles): no pages
                    assert "ends in its own LIMIT" in str(exc), (name, exc)
                    continue
                assert [{k: same_term(v) for k, v in row.items()} for row in page.rows] == whole[2:5], (name, values)
                assert page.next_offset == (5 if len(whole) > 5 else None), (name, values, page.next_offset)
        compared += 1
    assert compared >= len(queries)
    assert nonempty >= len(queries) - 2, "too few queries answered anything: the comparison would prove little"
