"""The conflict-related named queries (conflicting-estimates, conflicts, conflict-groups, first-report) on claims
that do conflict: the same rows on both backends, the rows their rule says, and every page a slice of the whole.

tests/test_queries_backends.py compares every named query on real articles, where few estimates conflict; here
the hand-built claims of tests/test_conflicts.py (who claims, when, which numbers) make each query pair, group
and pick claims, so a rewrite for speed (issue 12: the pairing done only where two numbers differ) is checked
on what it must still find."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import combinations

import pytest
from rdflib.term import Node

from kg.api import reports
from kg.model import Certainty, Deployment, Extraction
from kg.queries import run_named, run_page
from kg.store import Store
from tests.conftest import both_stores
from tests.test_conflicts import ALL, EXPECTED, NK, RUSSIA, doc_of, pair

QUERIES = ("conflicting-estimates", "conflicts", "conflict-groups", "first-report")
#: Every parameter combination worth comparing (the queries that take no deployer ignore it: left out).
VALUES: tuple[dict[str, str], ...] = (
    {}, {"location": "Kursk"}, {"location": "kursk"}, {"location": "Donetsk"},
    {"deployer": "Korea"}, {"deployer": "Russia"}, {"location": "Kursk", "deployer": "North Korea"},
)


@pytest.fixture(scope="module")
def both(virtuoso: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Store]]:
    with both_stores(virtuoso, tmp_path_factory.mktemp("conflict-queries"), ALL) as stores:
        yield stores


def values_for(name: str, values: dict[str, str]) -> dict[str, str]:
    """``values`` without the parameters the query does not declare (conflicts takes no deployer)."""
    declared = {"conflicts": {"location"}, "conflict-groups": {"location"}}.get(name, {"location", "deployer"})
    return {k: v for k, v in values.items() if k in declared}


def deployment(extraction: Extraction) -> Deployment:
    """The one claim's deployment of a test article."""
    subject = extraction.claims[0].subject
    assert isinstance(subject, Deployment)
    return subject


def plain(rows: list[dict[str, Node]]) -> list[dict[str, str]]:
    return [{k: str(v) for k, v in row.items()} for row in rows]


def test_both_backends_answer_the_same_rows_and_pages_are_slices(both: tuple[Store, Store]) -> None:
    embedded, remote = both
    answered = set()
    for name in QUERIES:
        for given in VALUES:
            values = values_for(name, given)
            mine, theirs = plain(run_named(embedded, name, values)), plain(run_named(remote, name, values))
            assert mine == theirs, (name, values, mine, theirs)
            if mine:
                answered.add(name)
            for store in (embedded, remote):
                for limit, offset in ((1, 0), (2, 1), (3, 2), (5, 4)):
                    page = run_page(store, name, values, limit=limit, offset=offset)
                    assert plain(page.rows) == mine[offset:offset + limit], (name, values, limit, offset)
                    more = len(mine) > offset + limit
                    assert page.next_offset == (offset + limit if more else None), (name, values, limit, offset)
    assert answered == set(QUERIES), answered


def test_conflicting_estimates_pairs_every_two_claims_whose_numbers_differ(both: tuple[Store, Store]) -> None:
    numbers = {}  # doc -> (lo, hi) of its one claim, North Korea's at Kursk with a number (a denial too)
    for extraction in ALL:
        low, high = deployment(extraction).troops_min, deployment(extraction).troops_max
        if deployment(extraction).deployer == NK and (low is not None or high is not None):
            numbers[extraction.article.id] = (low if low is not None else high, high if high is not None else low)
    expected = {pair(a, b) for a, b in combinations(numbers, 2) if numbers[a] != numbers[b]}
    assert len(expected) == 14, expected  # six claims, two of which agree (11,000 twice)
    for store in both:
        rows = run_named(store, "conflicting-estimates")
        assert {pair(doc_of(str(r["claim1"])), doc_of(str(r["claim2"]))) for r in rows} == expected
        assert all(str(r["claim1"]) < str(r["claim2"]) for r in rows)
        assert {str(r["deployerName"]) for r in rows} == {"North Korea"}
        assert all(r.get("evidence1") and r.get("evidence2") and r.get("article1") for r in rows)
        assert run_named(store, "conflicting-estimates", {"deployer": "Russia"}) == []  # one estimate only


def test_conflicts_and_its_groups_follow_the_rule(both: tuple[Store, Store]) -> None:
    for store in both:
        rows = run_named(store, "conflicts")
        assert {pair(doc_of(str(r["claim"])), doc_of(str(r["other"]))) for r in rows} == EXPECTED
        groups = [(str(r["locationIri"]), str(r["deployerIri"])) for r in run_named(store, "conflict-groups")]
        assert groups == [("https://w3id.org/kg/id/entity/kursk-oblast", "https://w3id.org/kg/id/entity/north-korea")]


def test_first_report_is_the_earliest_date_for_each_deployer(both: tuple[Store, Store]) -> None:
    earliest: dict[str, dt.date] = {}
    for extraction in ALL:
        deployer = deployment(extraction).deployer.label
        published = extraction.article.published
        assert published is not None
        earliest[deployer] = min(earliest.get(deployer, published), published)
    expected = {(deployment(e).deployer.label, e.article.id) for e in ALL
                if e.article.published == earliest[deployment(e).deployer.label]}
    for store in both:
        rows = run_named(store, "first-report")
        assert {(str(r["deployerName"]), str(r["article"])) for r in rows} == expected
        assert {str(r["published"]) for r in rows} == {"2024-11-01"}
        russian = run_named(store, "first-report", {"deployer": RUSSIA.label})
        assert {str(r["article"]) for r in russian} == {"russians"}
        assert any(str(r["certainty"]) == Certainty.DENIED.value for r in rows)


def test_the_report_is_the_named_query_page_by_page(both: tuple[Store, Store]) -> None:
    """GET /reports/conflicts and GET /queries/conflicts answer with one query: the same pairs, pages alike."""
    for store in both:
        whole = run_named(store, "conflicts")
        report, next_offset = reports.conflict_page(store, None, 2, 2)
        assert [(c.claims[0].claim, c.claims[1].claim) for c in report.conflicts] == [
            (str(r["claim"]), str(r["other"])) for r in whole[2:4]]
        assert next_offset == 4
        last, after = reports.conflict_page(store, "Kursk", 10, 4)
        assert len(last.conflicts) == len(whole) - 4 and after is None
