"""Conflicting troop estimates are SHACL warnings, not errors: both claims are stored, and the pair is shown by
``kg validate`` (store mode) and at ``GET /reports/conflicts`` with both claims and their evidence.

The claims are built by hand (not by the extractor) so that each case says exactly what it tests: who
claims, when, which numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

import kg.cli
from kg import ns
from kg.api import reports
from kg.api.app import create_app
from kg.ingest import store_extraction
from kg.model import Article, Certainty, Claim, Deployment, Entity, EntityType, Extraction, Span
from kg.queries import run_named
from kg.store import Store
from kg.validate import validate_conflicts, validate_store

NK = Entity("north-korea", "North Korea", EntityType.STATE)
RUSSIA = Entity("russia", "Russia", EntityType.STATE)
KURSK = Entity("kursk-oblast", "Kursk Oblast", EntityType.LOCATION)
SEOUL = Entity("south-korea", "South Korea", EntityType.STATE)
KYIV = Entity("ukraine", "Ukraine", EntityType.STATE)
CNN = Entity("cnn", "CNN", EntityType.OUTLET)
NOV1, NOV5 = dt.date(2024, 11, 1), dt.date(2024, 11, 5)


def article(doc: str, text: str, claims: list[tuple[Entity, int | None, int | None, Entity, Certainty]],
            published: dt.date | None = NOV1) -> Extraction:
    """One article whose whole text is the evidence of each of its deployment claims."""
    art = Article(doc, text, title=doc, outlet="CNN", published=published)
    span = Span(0, len(text), text)
    return Extraction(art, [
        Claim(Deployment(deployer, KURSK, low, high, approximate=low != high), (claimant,), certainty, span, CNN)
        for deployer, low, high, claimant, certainty in claims
    ])


A = article("seoul-11000", "About 11,000 North Korean troops are in Kursk, South Korea said.",
            [(NK, 11000, 11000, SEOUL, Certainty.ASSERTED)])
B = article("kyiv-12000", "12,000 North Korean soldiers are in Kursk, Ukraine said.",
            [(NK, 12000, 12000, KYIV, Certainty.ASSERTED)])
# not in conflict with anything:
SAME_SOURCE = article("kyiv-11000-same-day", "Ukraine said 11,000 North Korean troops are in Kursk.",
                      [(NK, 11000, 11000, KYIV, Certainty.ASSERTED)])  # vs B: same claimant, same date
OVERLAP = article("range", "Between 10,000 and 12,000 North Korean troops are in Kursk, South Korea said.",
                  [(NK, 10000, 12000, SEOUL, Certainty.ASSERTED)], published=NOV5)  # overlaps A and B
DENIED = article("denied", "Russia denied that 50,000 North Korean troops are in Kursk.",
                 [(NK, 50000, 50000, RUSSIA, Certainty.DENIED)])  # a denial is no estimate
OTHER_DEPLOYER = article("russians", "50,000 Russian troops are in Kursk, Ukraine said.",
                         [(RUSSIA, 50000, 50000, KYIV, Certainty.ASSERTED)])
NO_NUMBER = article("no-number", "North Korean troops are in Kursk, Ukraine said.",
                    [(NK, None, None, KYIV, Certainty.ASSERTED)])
# same claimant, later date: the estimate changed over time, which a researcher wants to see
LATER = article("kyiv-later", "Ukraine now says 15,000 North Korean troops are in Kursk.",
                [(NK, 15000, 15000, KYIV, Certainty.POSSIBLE)], published=NOV5)

ALL = [A, B, SAME_SOURCE, OVERLAP, DENIED, OTHER_DEPLOYER, NO_NUMBER, LATER]
EXPECTED = {("kyiv-12000", "seoul-11000"), ("kyiv-11000-same-day", "kyiv-later"),
            ("kyiv-later", "seoul-11000"), ("kyiv-12000", "kyiv-later"), ("kyiv-later", "range")}


def pair(*docs: str) -> tuple[str, str]:
    first, second = sorted(docs)
    return first, second


def doc_of(claim: str) -> str:
    return claim.split("/article/", 1)[1].split("/claim/", 1)[0]


@pytest.fixture
def conflicting(store: Store) -> Store:
    for extraction in ALL:
        outcome = store_extraction(store, extraction)
        assert outcome.ok and not outcome.report.warnings, outcome  # type: ignore[union-attr]
    return store


def test_conflicts_are_warnings_with_both_claims_and_their_evidence(conflicting: Store) -> None:
    found = validate_conflicts(conflicting)
    assert all(result.severity == "Warning" for _, result in found), found
    messages = {pair(doc, doc_of(result.message.rsplit("see claim ", 1)[1])): result.message for doc, result in found}
    assert set(messages) == EXPECTED and len(found) == len(EXPECTED), messages
    message = messages[("kyiv-12000", "seoul-11000")]
    assert "Conflicting troop estimates for North Korea at Kursk Oblast" in message, message
    assert '"About 11,000 North Korean troops are in Kursk, South Korea said."' in message, message
    assert '"12,000 North Korean soldiers are in Kursk, Ukraine said."' in message, message


def test_validate_store_reports_them_on_the_article_and_still_conforms(conflicting: Store) -> None:
    reports = {r.doc: r for r in validate_store(conflicting)}
    assert set(reports) == {e.article.id for e in ALL}, set(reports)
    assert all(r.conforms for r in reports.values()), [r.violations for r in reports.values()]
    warned = {doc for doc, r in reports.items() if any("Conflicting troop estimates" in w.message for w in r.warnings)}
    assert warned == {first for first, _ in EXPECTED}, warned


class Borrowed:
    """The test's store lent to the CLI, which closes what it opened: closing a borrowed store does nothing."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def close(self) -> None:
        pass


def test_kg_validate_shows_the_conflicts(conflicting: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kg.cli, "open_store", lambda spec=None, **kw: Borrowed(conflicting))
    result = CliRunner().invoke(kg.cli.app, ["validate"])
    assert result.exit_code == 0, result.output  # warnings do not fail validation
    lines = [line for line in result.output.splitlines() if "Conflicting troop estimates" in line]
    assert len(lines) == len(EXPECTED), result.output
    assert all(line.startswith("warning ") and "see claim" in line for line in lines), lines
    assert f"{len(ALL)} checked, 0 with violations, {len(EXPECTED)} warnings" in result.output, result.output


def test_named_query_agrees_with_the_shape(conflicting: Store) -> None:
    rows = run_named(conflicting, "conflicts")
    from_query = {pair(doc_of(str(r["claim"])), doc_of(str(r["other"]))) for r in rows}
    assert from_query == EXPECTED, from_query
    only_kursk = run_named(conflicting, "conflicts", {"location": "kursk"})
    assert len(only_kursk) == len(rows)
    assert run_named(conflicting, "conflicts", {"location": "Donetsk"}) == []


def test_conflict_groups_narrow_the_pairing_without_changing_the_report(conflicting: Store) -> None:
    """GET /reports/conflicts pairs claims only where conflict-groups finds two ranges that do not overlap:
    North Korea at Kursk (Russia's one estimate there pairs with nothing), and the report is the whole query's."""
    groups = {(str(r["locationIri"]), str(r["deployerIri"])) for r in run_named(conflicting, "conflict-groups")}
    assert groups == {(str(ns.entity_iri(KURSK.key)), str(ns.entity_iri(NK.key)))}, groups
    assert run_named(conflicting, "conflict-groups", {"location": "Donetsk"}) == []
    for location in (None, "kursk", "Donetsk"):
        whole = run_named(conflicting, "conflicts", {"location": location} if location else {})
        report = reports.conflicts(conflicting, location)
        assert [(c.claims[0].claim, c.claims[1].claim) for c in report.conflicts] == [
            (str(r["claim"]), str(r["other"])) for r in whole], location
        assert report.count == len(whole) == (0 if location == "Donetsk" else len(EXPECTED)), location


def app_with_reports(store: Store) -> FastAPI:
    app = create_app(store)
    if not any(getattr(route, "path", "") == "/reports/conflicts" for route in app.routes):
        app.include_router(reports.router)
    return app


def test_reports_endpoint_shows_both_claims_and_evidence(conflicting: Store, live_server: type) -> None:
    with live_server(app_with_reports(conflicting)) as server, server.client() as client:
        response = client.get("/reports/conflicts")
        hostile = client.get("/reports/conflicts", params={"location": '") } } DROP ALL #'})
        pages = [client.get("/reports/conflicts", params={"limit": 2})]
        while pages[-1].status_code == 200 and pages[-1].json()["next"] and len(pages) < 5:
            pages.append(client.get(pages[-1].json()["next"]))
        too_many = client.get("/reports/conflicts", params={"limit": 100_000})
    assert response.status_code == 200, response.text
    assert response.json()["next"] is None and "link" not in response.headers, response.headers
    # pages of two: 2 + 2 + 1, each with a Link to the next but the last, together the whole report in order
    assert [p.json()["count"] for p in pages] == [2, 2, 1], [p.text for p in pages]
    assert all(("link" in p.headers) == (p.json()["next"] is not None) for p in pages), [p.headers for p in pages]
    assert [c for p in pages for c in p.json()["conflicts"]] == response.json()["conflicts"]
    assert too_many.status_code in (400, 422), too_many.text
    body = response.json()
    assert body["count"] == len(EXPECTED) == len(body["conflicts"]), body
    by_pair = {tuple(sorted(c["article"] for c in item["claims"])): item for item in body["conflicts"]}
    assert set(by_pair) == EXPECTED, set(by_pair)
    item = by_pair[("kyiv-12000", "seoul-11000")]
    assert item["deployer_label"] == "North Korea" and item["location_label"] == "Kursk Oblast", item
    sides = {c["article"]: c for c in item["claims"]}
    assert sides["seoul-11000"]["troops_min"] == 11000 and sides["kyiv-12000"]["troops_max"] == 12000, sides
    assert sides["seoul-11000"]["claimants"] == ["South Korea"] and sides["kyiv-12000"]["claimants"] == ["Ukraine"]
    assert sides["seoul-11000"]["evidence"] == A.article.text and sides["kyiv-12000"]["evidence"] == B.article.text
    assert sides["seoul-11000"]["published"] == "2024-11-01" and sides["kyiv-12000"]["outlet"] == "CNN", sides
    assert hostile.status_code == 200 and hostile.json()["count"] == 0, hostile.text
    assert run_named(conflicting, "conflicts"), "the hostile parameter dropped nothing"


def test_no_conflicts_in_an_empty_store(store: Store) -> None:
    assert validate_conflicts(store) == []
    assert run_named(store, "conflicts") == []
