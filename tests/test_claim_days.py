"""A page of an entity's claims read through its days (``kg.queries.DayPath``: entity-days, then
claim-details-on-days over the first days) is exactly the page claim-details gives, on both backends (issue 12:
the entity page at 100,000 articles); so are troops-by-location's and actor-statements' through a place's or an
actor's days.

The seed article is stored many times over on a dozen days (several copies on some days, two undated, which
sort first), so a page starts and ends inside a day, spans several days, and needs the day list's counts to
be doubled past; every page is compared with the slice of the whole ordered answer and with the page read
without the day path, for one entity and for a merged cluster (``kg.judgements.expand``).  ``run_page`` takes
the day path on the embedded store only (``kg.queries.reads_claims_one_by_one``), so the cuts read through the
days (``kg.queries.select_by_days``) are also compared directly on both backends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import pytest
from rdflib.namespace import RDF
from rdflib.term import Node

from kg import ns
from kg.api.entities import describe
from kg.errors import QueryError
from kg.judgements import expand
from kg.model import Extraction
from kg.queries import (
    DayPath,
    NamedQuery,
    claim_after,
    claims_in,
    construct_by_days,
    construct_page,
    day_path,
    get_query,
    key_page_at,
    last_claim,
    load_queries,
    paged_text,
    reads_claims_one_by_one,
    run_named,
    run_page,
    select_by_days,
)
from kg.store import Store
from tests.conftest import both_stores
from tests.test_queries_backends import same_term

START = dt.date(2024, 3, 1)
#: (identifier, day): in an order that is neither the identifiers' nor the days'.
COPIES: tuple[tuple[str, dt.date | None], ...] = (
    *((f"days-{n:02d}", START + dt.timedelta(days=(7 * n) % 12)) for n in range(16)),
    ("days-undated-b", None),
    ("days-undated-a", None),
)
ENTITY = str(ns.entity_iri("russia"))
#: (limit, stride): each tried at every stride-th offset.
PAGES = ((1, 3), (3, 2), (10, 7), (40, 25))


def plain(rows: Sequence[Mapping[str, Node]]) -> list[dict[str, Node]]:
    return [{k: same_term(v) for k, v in row.items()} for row in rows]


def check_days(store: Store, query: NamedQuery, path: DayPath, values: dict[str, str], total: int) -> int:
    """Every cut the pages ask for (``fetch`` rows from ``start``), read through the days, is the cut the query
    answers itself: on either backend, whether or not ``run_page`` takes the day path there."""
    tried = 0
    for fetch in (1, 2, 5, 17, 65):
        for start in range(0, total + 2, 9):
            got = select_by_days(store, query, path, values, fetch, start)
            want = store.select(paged_text(query, fetch, start), query.bind(values))
            assert plain(got) == plain(want), (query.name, fetch, start)
            tried += 1
    return tried


@pytest.fixture(scope="module")
def both(seed_extraction: Extraction, virtuoso: object, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[tuple[Store, Store]]:
    copies = [replace(seed_extraction, article=replace(seed_extraction.article, id=doc, published=day))
              for doc, day in COPIES]
    with both_stores(virtuoso, tmp_path_factory.mktemp("days"), copies, [("russia", "north-korea")]) as stores:
        yield stores


@pytest.mark.parametrize("name", ["claim-details", "troops-by-location", "actor-statements"])
def test_the_page_on_days_has_the_columns_and_order_of_its_query(name: str) -> None:
    """A query's page on days differs from it only in how its key sub-select finds the claims: its projection
    and what follows the sub-select (every column and the outer order) are the same text."""
    query = get_query(name)
    assert query.days is not None
    days, on_days = (load_queries()[n] for n in query.days)
    assert [p.name for p in days.params] == [p.name for p in on_days.params]
    tails = []
    for each in (query, on_days):
        at = key_page_at(each.text)
        assert at is not None, each.name
        first = each.text.index("SELECT ?claim" if name != "claim-details" else "SELECT DISTINCT")
        tails.append((each.text[first:].split("{")[0], each.text[at:]))
    assert tails[0] == tails[1]


def test_an_entity_page_takes_the_day_path_only_for_an_entity(both: tuple[Store, Store]) -> None:
    details = get_query("claim-details")
    assert day_path(details, {"entity": ENTITY}) is not None
    assert day_path(details, {"entity": ENTITY, "article": str(ns.article_iri("days-01"))}) is None
    assert day_path(details, {}) is None
    assert reads_claims_one_by_one(both[0]) and not reads_claims_one_by_one(both[1])  # embedded; Virtuoso
    for store in both:
        days = run_named(store, "entity-days", {"entity": ENTITY})
        assert [str(row["day"]) for row in days] == sorted({str(d or "") for _, d in COPIES})
        assert str(days[0]["day"]) == "" and int(days[0]["articles"]) == 2  # type: ignore[call-overload]


@pytest.mark.parametrize("group", [None, "claim"])
def test_pages_through_the_days_are_slices_of_the_whole_answer(both: tuple[Store, Store], group: str | None) -> None:
    details = get_query("claim-details")
    plain_details = replace(details, days=None)  # the same query without its day path
    values = {"entity": ENTITY}
    wholes = [plain(run_named(store, details, values)) for store in both]
    assert wholes[0] == wholes[1]
    whole = wholes[0]
    assert len({str(row["published"]) for row in whole if "published" in row}) == 12, "too few days to page"
    tried = 0
    for store, label in zip(both, ("embedded", "virtuoso"), strict=True):
        for limit, stride in PAGES:
            for offset in range(0, len(whole) + 1, stride):
                page = run_page(store, details, values, limit=limit, offset=offset, group=group)
                before = run_page(store, plain_details, values, limit=limit, offset=offset, group=group)
                assert plain(page.rows) == plain(before.rows), (label, group, limit, offset)
                assert page.next_offset == before.next_offset, (label, group, limit, offset)
                if group is None:
                    assert plain(page.rows) == whole[offset: offset + limit], (label, limit, offset)
                tried += 1
        path = day_path(details, values)
        assert path is not None
        tried += check_days(store, details, path, values, len(whole))
    assert tried > 50


def test_a_merged_cluster_pages_through_its_members_days(both: tuple[Store, Store]) -> None:
    """describe's day path for a cluster: the members' days, each member's claims; the same pages as the
    expanded claim-details, and the entity page (JSON) the same on both backends."""
    members = [ENTITY, str(ns.entity_iri("north-korea"))]
    details = expand(get_query("claim-details"), "entity", members)
    path = DayPath(expand(get_query("entity-days"), "entity", members),
                   expand(get_query("claim-details-on-days"), "entity", members))
    for store in both:
        whole = plain(run_named(store, details, {}))
        assert len(whole) > 40
        for limit, offset in ((5, 0), (5, 7), (30, 11), (200, 0)):
            page = run_page(store, details, {}, limit=limit, offset=offset, days=path)
            assert plain(page.rows) == whole[offset: offset + limit], (limit, offset)
        check_days(store, details, path, {}, len(whole))
    described = [describe(store, "russia", limit=7, offset=9) for store in both]
    assert described[0] == described[1]
    assert described[0]["deployments"] or described[0]["statements"]


@pytest.mark.parametrize("name,values", [("troops-by-location", {"location": "Kursk"}),
                                         ("actor-statements", {"actor": "Russia"})])
def test_pages_of_a_named_place_or_actor_through_their_days_are_slices_of_the_whole_answer(
    both: tuple[Store, Store], name: str, values: dict[str, str],
) -> None:
    """A place's troops and an actor's statements: the names resolved first, then their days (whose counts are
    of articles naming them in any role, so the page may take more days)."""
    query = get_query(name)
    path = day_path(query, values)
    assert path is not None
    wholes = [plain(run_named(store, query, values)) for store in both]
    assert wholes[0] == wholes[1]
    whole = wholes[0]
    assert len(whole) >= 18, len(whole)
    for store, label in zip(both, ("embedded", "virtuoso"), strict=True):
        days = run_named(store, path.days, values)
        assert len(days) == 13, (label, len(days))
        for limit, stride in PAGES:
            for offset in range(0, len(whole) + 1, stride):
                page = run_page(store, query, values, limit=limit, offset=offset)
                assert plain(page.rows) == whole[offset: offset + limit], (label, limit, offset)
                assert page.next_offset == (offset + limit if offset + limit < len(whole) else None)
        check_days(store, query, path, values, len(whole))


def test_the_entity_graph_on_days_is_entity_graph_but_for_its_way_in() -> None:
    """entity-graph-on-days differs from entity-graph only in how its key sub-select finds the claims: the
    template and everything after the sub-select are the same text."""
    query = get_query("entity-graph")
    assert query.days == ("entity-days", "entity-graph-on-days")
    on_days = get_query("entity-graph-on-days")
    parts = []
    for each in (query, on_days):
        at = key_page_at(each.text)
        assert at is not None, each.name
        template = each.text[each.text.index("CONSTRUCT"):each.text.index("SELECT ?claim")]
        parts.append((template, each.text[at:]))
    assert parts[0] == parts[1]


def test_pages_of_an_entity_graph_through_the_days_are_its_pages(both: tuple[Store, Store]) -> None:
    """A page of entity-graph's claims (``construct_page``) read through the entity's days is the page the
    query answers itself, at every cut, on both backends, for one entity and for a merged cluster; the pages
    together are the whole graph, the claims in the JSON entity page's order."""
    members = [ENTITY, str(ns.entity_iri("north-korea"))]
    cases = [(get_query("entity-graph"), {"entity": ENTITY}, None),
             (expand(get_query("entity-graph"), "entity", members), {},
              DayPath(expand(get_query("entity-days"), "entity", members),
                      expand(get_query("entity-graph-on-days"), "entity", members)))]
    for query, values, days in cases:
        path = days or day_path(query, values)
        assert path is not None
        wholes = []
        for store in both:
            whole = store.construct(query.text, query.bind(values))
            total = claims_in(whole)
            assert total >= len(COPIES), total  # a claim of the entity in each copy at least
            order = [str(row["claim"]) for row in run_named(store, "claim-details", {"entity": ENTITY})]
            for limit, stride in ((1, 7), (5, 3), (40, 25), (1000, 1)):
                for offset in range(0, total + 1, stride):
                    page, next_offset = construct_page(store, query, values, limit=limit, offset=offset, days=days)
                    want = store.construct(paged_text(query, limit, offset), query.bind(values))
                    assert set(page) == set(want), (query.name, limit, offset)
                    through = construct_by_days(store, query, path, values, limit, offset)
                    assert set(through) == set(want), (query.name, limit, offset)
                    assert claims_in(page) == min(limit, max(0, total - offset)), (limit, offset)
                    assert next_offset == (offset + limit if claims_in(page) == limit else None)
            walked: list[str] = []
            at: int | None = 0
            while at is not None:  # a claim a page, following the next offsets
                page, at = construct_page(store, query, values, limit=1, offset=at, days=days)
                walked += [str(c) for c in page.subjects(RDF.type, ns.KG.Claim)]
            assert len(walked) == total
            if values:  # one entity: the claims in the JSON entity page's order
                order = [str(row["claim"]) for row in run_named(store, "claim-details", values)]
                assert walked == list(dict.fromkeys(order))
            wholes.append({(str(s), str(p)) for s, p, _ in whole})
        assert wholes[0] == wholes[1]


@pytest.mark.parametrize("name,values", [("claim-details", {"entity": ENTITY}),
                                         ("troops-by-location", {"location": "Kursk"})])
def test_walking_the_pages_after_each_last_claim_is_walking_them_by_offset(
    both: tuple[Store, Store], name: str, values: dict[str, str],
) -> None:
    """A keyset cursor (``after``: the previous page's last claim) gives the pages the offsets give, row for
    row and with the same numbering, on both backends, through the days (embedded) and not (Virtuoso): pages
    that start and end inside a day, and a first day of undated articles (the key "")."""
    query = get_query(name)
    for store in both:
        whole = plain(run_named(store, query, values))
        assert len(whole) > 20
        for limit in (1, 3, 10, 40):
            by_offset: list[list[dict[str, Node]]] = []
            offset: int | None = 0
            while offset is not None:
                page = run_page(store, query, values, limit=limit, offset=offset, group="claim")
                by_offset.append(plain(page.rows))
                offset = page.next_offset
            by_key: list[list[dict[str, Node]]] = []
            offset, after = 0, None
            while offset is not None:
                page = run_page(store, query, values, limit=limit, offset=offset, group="claim", after=after)
                by_key.append(plain(page.rows))
                if page.next_offset is not None:
                    assert page.last == page.rows[-1]["claim"]
                    assert page.next_offset == offset + len(page.rows)
                offset, after = page.next_offset, page.last
            assert by_key == by_offset, (name, limit)
            assert [row for rows in by_key for row in rows] == whole


def walk_by_offset(store: Store, query: NamedQuery, values: dict[str, str], limit: int,
                   newest: bool = False) -> list[dict[str, Node]]:
    """Every row of ``query``'s pages of whole claims, following each page's ``next_offset``."""
    rows: list[dict[str, Node]] = []
    offset: int | None = 0
    while offset is not None:
        page = run_page(store, query, values, limit=limit, offset=offset, group="claim", newest=newest)
        rows += plain(page.rows)
        offset = page.next_offset
    return rows


@pytest.mark.parametrize("name,values", [("claim-details", {"entity": ENTITY}),
                                         ("troops-by-location", {"location": "Kursk"})])
def test_newest_first_pages_are_the_claims_in_reverse(both: tuple[Store, Store], name: str,
                                                       values: dict[str, str]) -> None:
    """Newest first (the entity page a person browses): walked by offset and by cursor, through the days walked
    from the last (embedded) and not (Virtuoso), the pages are the whole answer's claims in reverse, undated
    last, each claim's rows (its claimants) in their own order; the same with the day path switched off."""
    query = get_query(name)
    plain_query = replace(query, days=None)
    for store in both:
        claims: dict[Node, list[dict[str, Node]]] = {}
        for row in plain(run_named(store, query, values)):
            claims.setdefault(row["claim"], []).append(row)
        want = [row for rows in reversed(claims.values()) for row in rows]
        assert len(claims) > 15 and "published" not in want[-1]
        for limit in (1, 3, 10, 40):
            for each in (query, plain_query):
                assert walk_by_offset(store, each, values, limit, newest=True) == want, (name, limit, each.days)
            by_key: list[dict[str, Node]] = []
            offset, after = 0, None
            while offset is not None:
                page = run_page(store, query, values, limit=limit, offset=offset, group="claim", after=after,
                                newest=True)
                by_key += plain(page.rows)
                offset, after = page.next_offset, page.last
            assert by_key == want, (name, limit)


def test_a_merged_cluster_walked_newest_first_is_its_claims_in_reverse(both: tuple[Store, Store]) -> None:
    """The entity page a person browses (describe, newest first, by cursor) for a merged cluster: every claim
    of its members once, in the reverse of the oldest-first walk, the same on both backends."""
    walks = []
    for store in both:
        orders = []
        for newest in (False, True):
            seen: list[str] = []
            after = None
            while True:
                page = describe(store, "russia", limit=4, after=after, newest=newest)
                claims = sorted(page["deployments"] + page["statements"],
                                key=lambda c: (c["article"].get("published") or "", c["claim"]), reverse=newest)
                seen += [c["claim"] for c in claims]
                after = page["next_after"]
                if after is None:
                    break
            orders.append(seen)
        assert len(orders[0]) > 20 and len(set(orders[0])) == len(orders[0])
        assert orders[1] == orders[0][::-1]
        walks.append(orders)
    assert walks[0] == walks[1]


def test_only_a_query_keyed_by_days_has_a_newest_first_order(both: tuple[Store, Store]) -> None:
    with pytest.raises(QueryError, match="newest-first"):
        run_page(both[0], get_query("articles"), {}, newest=True)


def test_walking_an_entity_graph_after_each_last_claim_is_walking_it_by_offset(both: tuple[Store, Store]) -> None:
    """The Turtle entity page's cursor: each page's last claim in page order (``last_claim``, a graph keeps
    none) starts the next page, and the pages are those of the offsets, for one entity and a merged cluster."""
    members = [ENTITY, str(ns.entity_iri("north-korea"))]
    cases = [(get_query("entity-graph"), {"entity": ENTITY}, None),
             (expand(get_query("entity-graph"), "entity", members), {},
              DayPath(expand(get_query("entity-days"), "entity", members),
                      expand(get_query("entity-graph-on-days"), "entity", members)))]
    for store in both:
        for query, values, days in cases:
            for limit in (1, 4, 25):
                offset: int | None = 0
                after = None
                while offset is not None:
                    page, next_offset = construct_page(store, query, values, limit=limit, offset=offset,
                                                       days=days, after=after)
                    want, _ = construct_page(store, query, values, limit=limit, offset=offset, days=days)
                    assert set(page) == set(want), (limit, offset)
                    offset, after = next_offset, last_claim(store, page)


def test_a_page_after_something_that_is_no_claim_is_refused(both: tuple[Store, Store]) -> None:
    details = get_query("claim-details")
    for store in both:
        with pytest.raises(QueryError, match="no claim"):
            run_page(store, details, {"entity": ENTITY}, group="claim", after=claim_after("https://example.org/x"))
        with pytest.raises(QueryError, match="whole claims"):
            claim = run_named(store, details, {"entity": ENTITY})[0]["claim"]
            run_page(store, details, {"entity": ENTITY}, after=claim)
    with pytest.raises(QueryError, match="absolute IRI"):
        claim_after("not an iri>")


@pytest.mark.parametrize("name,values", [("claim-details-on-days", {"entity": ENTITY}),
                                         ("troops-by-location-on-days", {"location": "Kursk"}),
                                         ("actor-statements-on-days", {"actor": "Ukraine"})])
def test_a_page_on_days_asked_for_itself_reads_its_own_first_days(both: tuple[Store, Store], name: str,
                                                                 values: dict[str, str]) -> None:
    """A page query of a day path asked for on its own, without days (``GET /queries/claim-details-on-days``),
    is its own day path's page (``#+ days:``): its pages read through the first days are the pages it answers
    over all its claims, in both orders."""
    query = get_query(name)
    assert query.days is not None and query.days[1] == name
    path = day_path(query, values)
    assert path is not None and path.page.name == name
    plain_query = replace(query, days=None)
    for store in both:
        for newest in (False, True):
            for limit in (1, 7, 40):
                pages = [walk_by_offset(store, each, values, limit, newest) for each in (query, plain_query)]
                assert pages[0] == pages[1] and len(pages[0]) > 3, (name, newest, limit)
