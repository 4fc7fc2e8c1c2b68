"""The named queries researchers ask, each run on the seed article on every backend; and every ``.rq``
(public or used by the REST endpoints) runs with its parameters bound as values."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kg.api.guard import query_form
from kg.ingest import store_extraction
from kg.model import Article, Certainty, Claim, Deployment, Entity, EntityType, Extraction, Span
from kg.queries import load_queries, run_named
from kg.store import Store
from tests.conftest import RESEARCHER_QUERIES

SAMPLE = {"string": "Kursk", "iri": "https://w3id.org/kg/id/entity/north-korea", "integer": "1", "date": "2024-11-07"}


@pytest.fixture
def seeded(store: Store, seed_extraction: Extraction) -> Store:
    """The seed, and the same article again a month later under another id (a second date on the timeline)."""
    store_extraction(store, seed_extraction)
    later = replace(seed_extraction.article, id="seed-later", published=dt.date(2024, 12, 2))
    store_extraction(store, replace(seed_extraction, article=later))
    return store


def text(row: dict[str, object], key: str) -> str:
    return str(row.get(key, ""))


def test_public_queries_are_documented() -> None:
    queries = load_queries()
    for name in RESEARCHER_QUERIES:
        assert name in queries and queries[name].title and queries[name].description, name
        assert query_form(queries[name].text) == "SELECT", name


def test_every_query_runs_with_sample_values(store: Store) -> None:
    for name, query in load_queries().items():
        values = {p.name: SAMPLE[p.type] for p in query.params}
        if query_form(query.text) == "SELECT":
            assert isinstance(store.select(query.text, query.bind(values)), list), name
        else:
            assert len(store.construct(query.text, query.bind(values))) == 0, name


def test_troops_by_location_according_to_whom(seeded: Store) -> None:
    rows = run_named(seeded, "troops-by-location", {"location": "kursk"})
    north_korea = [r for r in rows if text(r, "deployer") == "North Korea"]
    assert north_korea and all("Kursk" in text(r, "place") for r in north_korea), rows
    claimants = " ".join(text(r, "claimants") for r in north_korea)
    assert "CNN" in claimants and "Zelensky" in claimants, claimants


def test_what_an_actor_has_said(seeded: Store) -> None:
    rows = run_named(seeded, "actor-statements", {"actor": "Selenskyj"})
    assert rows and {text(r, "actorName") for r in rows} == {"Volodymyr Zelensky"}, rows
    assert {"speaker", "claimant"} <= {text(r, "role") for r in rows}
    statements = [r for r in rows if text(r, "kind") == "Statement" and text(r, "role") == "speaker"]
    assert statements and all(text(r, "evidence") and text(r, "outlet") == "CNN" for r in statements), statements
    assert {text(r, "article") for r in rows} == {"seed-001", "seed-later"}
    deployments = [r for r in rows if text(r, "kind") == "Deployment"]
    assert any(text(r, "deployer") == "North Korea" for r in deployments), deployments


def test_who_reported_a_deployment_first(seeded: Store) -> None:
    rows = run_named(seeded, "first-report", {"deployer": "north korea", "location": "Kursk"})
    assert rows, "the seed reports North Korean troops in Kursk"
    assert {text(r, "article") for r in rows} == {"seed-001"}, rows  # not the later copy
    assert {text(r, "published") for r in rows} == {"2024-11-07"}
    assert {"CNN", "Volodymyr Zelensky"} <= {text(r, "claimant") for r in rows}, rows
    everything = run_named(seeded, "first-report")
    assert {text(r, "article") for r in everything} == {"seed-001"} and len(everything) >= len(rows)


def test_conflicting_troop_estimates(seeded: Store) -> None:
    rows = run_named(seeded, "conflicting-estimates", {"deployer": "North Korea", "location": "Kursk"})
    assert rows, "the seed has 'about 11,000' (Zelensky) and 'around 10,000' (US officials)"
    for row in rows:
        assert text(row, "deployerName") == "North Korea" and "Kursk" in text(row, "placeName"), row
        first = (text(row, "troopsMin1"), text(row, "troopsMax1"))
        second = (text(row, "troopsMin2"), text(row, "troopsMax2"))
        assert first != second, row
        assert text(row, "evidence1") and text(row, "evidence2") and text(row, "claim1") < text(row, "claim2")
    numbers = {text(r, "troopsMin1") for r in rows} | {text(r, "troopsMin2") for r in rows}
    assert {"10000", "11000"} <= numbers, numbers
    assert run_named(seeded, "conflicting-estimates", {"location": "Donetsk"}) == []


def test_actors_co_mentioned(seeded: Store) -> None:
    rows = run_named(seeded, "co-mentioned", {"actor": "North Korea"})
    others = {str(r["other"]).rsplit("/", 1)[-1]: int(str(r["articles"])) for r in rows}
    assert {"zelensky", "cnn"} <= set(others) and "north-korea" not in others, others
    assert others["zelensky"] == 2, others
    counts = [int(str(r["articles"])) for r in rows]
    assert counts == sorted(counts, reverse=True), counts


def test_location_timeline(seeded: Store) -> None:
    rows = run_named(seeded, "location-timeline", {"location": "Kursk"})
    assert rows and all("Kursk" in text(r, "placeName") for r in rows), rows
    dates = [text(r, "when") for r in rows]
    assert dates == sorted(dates), dates
    assert dates[0] <= "2024-11-07" and dates[-1] == "2024-12-02", dates
    assert any(text(r, "kind") == "deployment" and text(r, "actor") == "North Korea" for r in rows)


def test_values_are_bound_never_spliced(seeded: Store) -> None:
    before = seeded.quad_count()
    for payload in ('Kursk" } ; DROP ALL #', "<http://x> }", "') } } DELETE WHERE { ?s ?p ?o } #"):
        for name in RESEARCHER_QUERIES:
            query = load_queries()[name]
            values = {p.name: payload for p in query.params if p.type == "string"}
            assert run_named(seeded, name, values) == [] or not values, (name, payload)
    assert seeded.quad_count() == before
    with pytest.raises(Exception, match="IRI"):
        run_named(seeded, "entity", {"entity": "<http://x> }"})
    assert run_named(seeded, "entity", {"entity": "https://w3id.org/kg/id/entity/north-korea"})


# Hand-built claims for the cases a query rewrite could break: an alias-only place name, two first reports
# on the same date, and a claim with neither claimant nor outlet (a plain-text article's own voice).
NK = Entity("north-korea", "North Korea", EntityType.STATE)
KURSK = Entity("kursk-oblast", "Kursk Oblast", EntityType.LOCATION, labels=("Kursk Oblast", "Course region"))
CNN = Entity("cnn", "CNN", EntityType.OUTLET)
SEOUL = Entity("south-korea", "South Korea", EntityType.STATE)
KYIV = Entity("ukraine", "Ukraine", EntityType.STATE)
NOV1, NOV5 = dt.date(2024, 11, 1), dt.date(2024, 11, 5)


def report(doc: str, published: dt.date, claimants: tuple[Entity, ...], outlet: Entity | None = CNN) -> Extraction:
    text = f"North Korean troops are in the Course region ({doc})."
    art = Article(doc, text, title=doc, outlet=outlet.label if outlet else None, published=published)
    claim = Claim(Deployment(NK, KURSK), claimants, Certainty.ASSERTED, Span(0, len(text), text), outlet)
    return Extraction(art, [claim])


@pytest.fixture
def reports(store: Store) -> Store:
    for extraction in (report("seoul-first", NOV1, (SEOUL,)), report("kyiv-first", NOV1, (KYIV,)),
                       report("kyiv-later", NOV5, (KYIV,)), report("own-voice", NOV5, (), None)):
        assert store_extraction(store, extraction).ok
    return store


def test_a_place_matched_only_by_an_alias(reports: Store) -> None:
    docs = {"seoul-first", "kyiv-first", "kyiv-later", "own-voice"}
    for name, key in (("troops-by-location", "article"), ("location-timeline", "article"), ("deployments", "docId")):
        by_alias = run_named(reports, name, {"location": "COURSE region"})
        assert {text(r, key) for r in by_alias} == docs, (name, by_alias)
        assert len(by_alias) == len(run_named(reports, name, {"location": "Kursk Oblast"})), name
        assert run_named(reports, name, {"location": "Course regions"}) == [], name


def test_first_report_keeps_every_article_of_the_first_date(reports: Store) -> None:
    rows = run_named(reports, "first-report", {"location": "course", "deployer": "north"})
    assert {text(r, "article") for r in rows} == {"seoul-first", "kyiv-first"}, rows
    assert {text(r, "claimant") for r in rows} == {"South Korea", "Ukraine"}, rows
    assert {text(r, "published") for r in rows} == {"2024-11-01"}
    assert run_named(reports, "first-report") == rows


def test_a_claim_without_claimant_or_outlet_keeps_its_row(reports: Store) -> None:
    troops = {text(r, "article"): r for r in run_named(reports, "troops-by-location", {"location": "kursk"})}
    assert not text(troops["own-voice"], "claimants") and not text(troops["own-voice"], "outlet"), troops
    assert text(troops["kyiv-later"], "claimants") == "Ukraine" and text(troops["kyiv-later"], "outlet") == "CNN"
    deployments = [r for r in run_named(reports, "deployments", {"location": "kursk"})
                   if text(r, "docId") == "own-voice"]
    assert len(deployments) == 1 and "claimantIri" not in deployments[0] and "outletIri" not in deployments[0]
    timeline = [r for r in run_named(reports, "location-timeline", {"location": "kursk"})
                if text(r, "article") == "own-voice"]
    assert len(timeline) == 1 and not text(timeline[0], "claimant"), timeline
