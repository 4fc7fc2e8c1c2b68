"""A page of claims holds ``limit`` whole claims even when claims have several rows (one per claimant) and
the first fetch (``kg.queries.GROUP_ROWS`` rows a claim) was too short: ``run_page`` goes on just after the
last whole claim it fetched, for the claims still missing, rather than answer a short page; the pages put
together are the whole answer, no claim split, whether walked by offset or by cursor, oldest or newest first,
through the day path or not.  On a real store of each backend."""

from __future__ import annotations

import datetime as dt

import pytest

from kg import ns
from kg.ingest import store_extraction
from kg.model import Article, Certainty, Claim, Deployment, Entity, EntityType, Extraction, Span
from kg.queries import GROUP_MIN_ROWS, GROUP_ROWS, MAX_LIMIT, run_named, run_page
from kg.store.base import Store

KURSK = Entity("kursk-oblast", "Kursk Oblast", EntityType.LOCATION, labels=("Kursk",))
CLAIMANTS = (Entity("ukraine", "Ukraine", EntityType.STATE), Entity("south-korea", "South Korea", EntityType.STATE),
             Entity("united-states", "United States", EntityType.STATE))
CNN = Entity("cnn", "CNN", EntityType.OUTLET)
CLAIMS = 90


def many_claimants() -> Extraction:
    """One article of ``CLAIMS`` claims, each told by three claimants: three rows a claim in claim-details."""
    sentences = [f"Unit {n} is in Kursk, three governments said." for n in range(CLAIMS)]
    text = " ".join(sentences)
    claims = []
    at = 0
    for n, sentence in enumerate(sentences):
        unit = Entity(f"unit-{n}", f"Unit {n}", EntityType.ARMED_GROUP)
        span = Span(at, at + len(sentence), sentence)
        claims.append(Claim(Deployment(unit, KURSK), CLAIMANTS, Certainty.ASSERTED, span, CNN))
        at += len(sentence) + 1
    article = Article("many-claimants", text, title="Units in Kursk", outlet="CNN", published=dt.date(2024, 11, 1))
    return Extraction(article, claims)


def test_pages_of_claims_with_many_rows_are_full_and_whole(store: Store) -> None:
    assert store_extraction(store, many_claimants()).ok
    values = {"article": str(ns.article_iri("many-claimants"))}
    whole = run_named(store, "claim-details", values)
    assert len(whole) == 3 * CLAIMS
    limit = 80
    assert limit * 3 > max(int(limit * GROUP_ROWS), GROUP_MIN_ROWS) + 1, "the first fetch must fall short"
    order = list(dict.fromkeys(str(row["claim"]) for row in whole))
    page = run_page(store, "claim-details", values, limit=limit, group="claim")
    claims = list(dict.fromkeys(str(row["claim"]) for row in page.rows))
    assert claims == order[:limit] and len(page.rows) == 3 * limit
    assert page.next_offset is not None
    rest = run_page(store, "claim-details", values, limit=limit, offset=page.next_offset, group="claim")
    assert [str(r["claim"]) for r in page.rows + rest.rows] == [str(r["claim"]) for r in whole]
    assert rest.next_offset is None


@pytest.mark.parametrize("newest", [False, True])
def test_walks_of_claims_with_many_rows_give_the_whole_answer(store: Store, newest: bool) -> None:
    assert store_extraction(store, many_claimants()).ok
    for values in ({"article": str(ns.article_iri("many-claimants"))}, {"entity": str(ns.entity_iri("kursk-oblast"))}):
        whole = run_page(store, "claim-details", values, limit=MAX_LIMIT, group="claim", newest=newest)
        assert whole.next_offset is None and len(whole.rows) == 3 * CLAIMS
        for limit in (7, 40, 80):
            by_offset: list[object] = []
            by_cursor: list[object] = []
            offset: int | None = 0
            after = None
            while offset is not None:
                page = run_page(store, "claim-details", values, limit=limit, offset=offset, group="claim",
                                newest=newest)
                cursor = run_page(store, "claim-details", values, limit=limit, offset=offset, group="claim",
                                  after=after, newest=newest)
                assert cursor.rows == page.rows and cursor.next_offset == page.next_offset, (values, limit, offset)
                assert len({row["claim"] for row in page.rows}) == min(limit, CLAIMS - len(by_offset) // 3)
                by_offset += page.rows
                by_cursor += cursor.rows
                offset, after = page.next_offset, page.last
            assert by_offset == by_cursor == whole.rows, (values, limit)
