"""A page cut inside a query's key sub-select is exactly that slice of the whole answer, whatever an engine
does with ties (issue 12).

``kg.queries.paged_text`` puts ``LIMIT offset + limit`` into the first ordered sub-select of a query
(``kg.queries.key_page_at``), so the expensive columns are looked up for one page of keys only.  That is
only right when the sub-select's first rows are the keys of the answer's first rows: its ORDER BY must be a
total order over its rows, compared the same way as the outer ORDER BY, which must start with the same keys,
and every key must give at least one row.  A tie decided differently inside and outside once shifted a page
of actor-statements by one row in the full test suite (c0130e5).

Here ties decide the pages: the seed article is stored several times over under other identifiers, three
of the copies on one day, two without a date (so the date key ties for many claims, and the claims of one
article tie on everything but their IRIs, whose string order, ``claim/10`` before ``claim/2``, is not the order
they were written in), stored in an order that is neither the identifiers' nor the dates'.  Every query with
a key sub-select is then paged at every offset with several page sizes, on both backends, and each page must
be its slice of the whole answer; the whole answers must be the same on both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import pytest
from rdflib.term import Node

from kg import ns
from kg.model import Extraction
from kg.queries import NamedQuery, key_page_at, load_queries, run_named, run_page
from kg.sparql_tokens import spans
from kg.store import Store
from tests.conftest import both_stores
from tests.test_queries_backends import same_term

DAY = dt.date(2024, 11, 7)
#: The copies, in the order they are stored: neither their identifiers' order nor their dates'.
COPIES: tuple[tuple[str, dt.date | None], ...] = (
    ("tie-c", DAY),
    ("tie-a", DAY),
    ("tie-undated-2", None),
    ("tie-d", DAY - dt.timedelta(days=1)),
    ("tie-b", DAY),
    ("tie-undated-1", None),
)
#: The lists of claims whose pages are cut in a sub-select of their keys.
CLAIM_LISTS = {"actor-statements", "claim-details", "deployments", "location-timeline", "troops-by-location"}
#: Page sizes, each tried at every ``stride``-th offset: (limit, stride).
PAGES = ((3, 1), (1, 4), (7, 5))


def cut_queries() -> list[NamedQuery]:
    """The named queries whose pages are cut inside a key sub-select."""
    return [q for _, q in sorted(load_queries().items()) if q.form == "SELECT" and key_page_at(q.text) is not None]


def order_keys(tokens: list[str]) -> list[str]:
    """The keys of the last ``ORDER BY`` among ``tokens``, each a variable, ``ASC(...)``/``DESC(...)`` or a
    parenthesised expression, written without spaces."""
    at = max(i for i, t in enumerate(tokens) if t.upper() == "ORDER")
    keys: list[str] = []
    depth = 0
    for token in tokens[at + 2:]:
        if token.upper() in ("LIMIT", "OFFSET", "VALUES") or token == "}":
            break
        if depth or (keys and keys[-1].upper() in ("ASC", "DESC")):
            keys[-1] += token
        else:
            keys.append(token)
        depth += token.count("(") - token.count(")")
    return keys


def bare(key: str) -> str:
    """The variable an ``ASC(?x)``/``DESC(?x)`` key orders by (the key itself when it is a variable)."""
    for word in ("ASC(", "DESC("):
        if key.upper().startswith(word) and key.endswith(")"):
            return key[len(word):-1]
    return key


def test_every_key_sub_select_orders_by_plain_keys_the_outer_order_starts_with() -> None:
    """Statically, for the lists of claims: the sub-select a page is cut in orders by variables it projects
    (no expression an engine might evaluate twice or compare otherwise), and the outermost ORDER BY starts
    with the same variables in the same order.  (articles.rq cuts a sub-select of date keys alone and keeps
    the articles on or after the least of them, where ties cannot matter: only the test below applies.)"""
    queries = [q for q in cut_queries() if q.name in CLAIM_LISTS]
    assert {q.name for q in queries} == CLAIM_LISTS
    for query in queries:
        at = key_page_at(query.text)
        assert at is not None
        inner_tokens = [t.text for t, _, _ in spans(query.text[:at]) if t.kind not in ("ws", "comment")]
        inner = order_keys(inner_tokens)
        opened: list[int] = []  # the groups open at the cut: the innermost is the sub-select's
        for i, token in enumerate(inner_tokens):
            if token == "{":
                opened.append(i)
            elif token == "}":
                opened.pop()
        select = opened[-1] + 1
        assert inner_tokens[select].upper() == "SELECT", (query.name, inner_tokens[select])
        projected = inner_tokens[select + 1: inner_tokens.index("{", select)]
        everything = [t.text for t, _, _ in spans(query.text) if t.kind not in ("ws", "comment")]
        outer = order_keys(everything)
        assert all(bare(k).startswith("?") and bare(k) in projected for k in inner), (query.name, inner, projected)
        assert outer[: len(inner)] == inner, (query.name, inner, outer)


def copies(seed: Extraction) -> list[Extraction]:
    return [replace(seed, article=replace(seed.article, id=doc, published=day)) for doc, day in COPIES]


@pytest.fixture(scope="module")
def both(seed_extraction: Extraction, virtuoso: object, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[Store, Store]]:
    # a cluster's members are several keys of one claim in actor-statements
    with both_stores(virtuoso, tmp_path_factory.mktemp("cuts"), copies(seed_extraction),
                     [("russia", "north-korea")]) as stores:
        yield stores


def cases(query: NamedQuery) -> Iterator[dict[str, str]]:
    """The parameter values each cut query is paged with: required ones always, each optional one alone."""
    given = {
        "location": "Kursk", "actor": "Russia", "deployer": "Korea", "claimant": "Zelensky",
        "entity": str(ns.entity_iri("north-korea")), "article": str(ns.article_iri("tie-a")),
        "certainty": "https://w3id.org/kg/ontology#asserted",
    }
    required = {p.name: given[p.name] for p in query.params if p.required}
    yield required
    for param in query.params:
        if not param.required:
            yield {**required, param.name: given[param.name]}


def plain(rows: Sequence[Mapping[str, Node]]) -> list[dict[str, Node]]:
    return [{k: same_term(v) for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("name", [q.name for q in cut_queries()])
def test_pages_cut_in_the_key_sub_select_are_slices_of_the_whole_answer(
    name: str, both: tuple[Store, Store],
) -> None:
    embedded, remote = both
    query = load_queries()[name]
    tried = 0
    for n, values in enumerate(cases(query)):  # every page size with the required parameters, fewer with more
        wholes = [plain(run_named(store, query, values)) for store in (embedded, remote)]
        assert wholes[0] == wholes[1], (name, values, len(wholes[0]), len(wholes[1]))
        whole = wholes[0]
        assert len(whole) >= 6, (name, values, len(whole))
        for store, label in ((embedded, "embedded"), (remote, "virtuoso")):
            for limit, stride in PAGES if n == 0 else ((3, 3),):
                for offset in range(0, len(whole) + 1, stride):
                    page = run_page(store, query, values, limit=limit, offset=offset)
                    assert plain(page.rows) == whole[offset: offset + limit], (label, name, values, limit, offset)
                    more = offset + limit < len(whole)
                    assert page.next_offset == (offset + limit if more else None), (label, name, values, offset)
                    tried += 1
    assert tried > 0
