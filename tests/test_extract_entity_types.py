"""One type for each entity of an article (``kg.extract.consistency``): a name the gazetteer does not know can
be typed a place in one sentence and a person in another; the key takes the type most of its mentions give,
and only the claims whose role cannot take that type are dropped, said in the notes, so SHACL no longer
rejects the whole article for one mis-typed mention."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.extract import extract_one
from kg.extract.consistency import one_type_per_entity
from kg.ingest import build_graphs
from kg.model import Article, Certainty, Claim, Deployment, Entity, EntityType, Extraction, Span, Statement
from tests.conftest import shared_dir

ISRAEL = Entity("israel", "Israel", EntityType.STATE)
GAZA = Entity("gaza", "Gaza", EntityType.LOCATION)
AS_PERSON = Entity("local-call", "Local Call", EntityType.PERSON)
AS_PLACE = Entity("local-call", "Local Call", EntityType.LOCATION)
OUTLET = Entity("guardian", "The Guardian", EntityType.OUTLET)
TEXT = ("According to Local Call, Israel struck Gaza. Local Call said the strikes went on. "
        "Israel has troops in Local Call.")


def claim(subject: Deployment | Statement, claimants: tuple[Entity, ...], start: int, end: int) -> Claim:
    return Claim(subject, claimants, Certainty.ASSERTED, Span(start, end, TEXT[start:end]), OUTLET)


def claims() -> list[Claim]:
    return [
        claim(Statement(AS_PERSON), (AS_PERSON,), 0, 44),
        claim(Statement(AS_PERSON, place=GAZA), (AS_PERSON,), 45, 82),
        claim(Deployment(ISRAEL, AS_PLACE), (), 83, len(TEXT)),  # the mis-typed mention
    ]


def test_the_type_most_mentions_give_wins_and_only_the_misfit_claim_goes() -> None:
    notes: list[str] = []
    kept = one_type_per_entity(claims(), notes)
    assert [c.span.start for c in kept] == [0, 45]
    assert {e.type for c in kept for e in (c.subject.speaker, *c.claimants)} == {EntityType.PERSON}  # type: ignore[union-attr]
    assert len(notes) == 1 and "'Local Call' is a person" in notes[0] and "place" in notes[0], notes
    article = Article("types", TEXT, title="Strikes", outlet="The Guardian", published=dt.date(2024, 4, 3))
    assert build_graphs(Extraction(article, kept))[2].conforms
    # before: the first mention's type for the key, whichever role the others play; the article was rejected
    assert not build_graphs(Extraction(article, claims()))[2].conforms


def test_a_tie_keeps_the_first_mentions_type_and_agreeing_keys_are_untouched() -> None:
    notes: list[str] = []
    said = claim(Statement(AS_PERSON), (), 0, 44)
    two = [claims()[2], said]  # one place, one person mention: the first (the place) wins the tie
    kept = one_type_per_entity(two, notes)
    assert [c.span.start for c in kept] == [83] and len(notes) == 1
    agreeing = [claims()[0], claims()[1]]
    assert one_type_per_entity(agreeing, notes) == agreeing and len(notes) == 1


def test_a_real_article_with_a_name_typed_two_ways_is_stored() -> None:
    """The Guardian on Lavender (April 2024): "+972 and Local Call" (an Israeli news site) is a speaker in one
    sentence and was a place in another; SHACL rejected the article and all its claims."""
    path = shared_dir("corpus") / "guardian-2024-04-03-the-machine-did-it-coldly-israel.json"
    if not path.exists():
        pytest.skip(f"{path} is absent: this test reads a whole real article from ../shared at test time")
    from kg.load import load_path

    extraction = extract_one(next(iter(load_path(path))))
    report = build_graphs(extraction)[2]
    assert report.conforms, [v.message for v in report.violations]
    assert len(extraction.claims) > 10
