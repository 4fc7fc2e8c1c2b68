"""Coreference of places and actors within an article (kg.extract.coref): each rule on sentences written for
the test, with a case where it must not resolve."""

from __future__ import annotations

import datetime as dt

import pytest

from kg.extract import extract_one
from kg.extract.coref import armed_groups, broad_region, resolve_actor, resolve_place, vessel_owner
from kg.extract.entities import get_nlp
from kg.extract.pipeline import Context, make_context
from kg.model import Article, Deployment, Entity, EntityType


def context(text: str, *, title: str | None = None) -> Context:
    article = Article(id="t", text=text, title=title, outlet="CNN", published=dt.date(2024, 5, 2), language="en")
    return make_context(article, get_nlp()(text))


def found(text: str, *, title: str | None = None, outlet: str = "CNN") -> list[tuple[str, str]]:
    ex = extract_one(Article(id="t", text=text, title=title, outlet=outlet, published=dt.date(2024, 5, 2),
                             language="en"))
    return sorted((c.subject.deployer.key, c.subject.location.key) for c in ex.claims
                  if isinstance(c.subject, Deployment))


def token(ctx: Context, word: str, nth: int = 0) -> int:
    return [t.i for t in ctx.doc if t.text == word][nth]


NOBODY = Entity(key="nobody", label="nobody", type=EntityType.STATE)


def test_the_peninsula_is_the_region_of_the_states_named() -> None:
    ctx = context("North Korea tested a missile. South Korea and North Korea exchanged warnings. "
                  "Warships gathered off the peninsula.")
    place = resolve_place(ctx, ctx.doc[token(ctx, "peninsula")], NOBODY)
    assert place is not None and place.key == "korean-peninsula"
    # with no Korean state named there is no peninsula to point back to
    ctx = context("Chile tested a missile. Warships gathered off the peninsula.")
    assert resolve_place(ctx, ctx.doc[token(ctx, "peninsula")], NOBODY) is None


def test_the_region_alone_is_the_broad_region_of_the_states_named() -> None:
    text = ("MR. KIRBY:  Iran threatened Israel again on Monday. Israel warned Iran.\n"
            "We have added more military forces in the region.\n")
    assert found(text, outlet="The White House (briefing transcript)") == [("united-states", "middle-east")]
    ctx = context(text)
    assert broad_region(ctx, len(ctx.doc), NOBODY).key == "middle-east"  # type: ignore[union-attr]
    # "the area" is local: it never widens to a broad region
    ctx = context("Iran threatened Israel again on Monday. Israel warned Iran. Guards patrolled the area.")
    assert resolve_place(ctx, ctx.doc[token(ctx, "area")], NOBODY) is None


def test_a_specified_description_points_back_to_nothing() -> None:
    ctx = context("Fighting raged in the Blue Valley. Hezbollah fighters crossed the buffer zone.")
    assert resolve_place(ctx, ctx.doc[token(ctx, "zone")], NOBODY) is None
    # while the bare description points back
    ctx = context("Fighting raged in the Blue Valley. Hezbollah fighters crossed the valley.")
    place = resolve_place(ctx, ctx.doc[token(ctx, "valley")], NOBODY)
    assert place is not None and "valley" in place.label.lower()


def test_the_country_is_a_state_named_in_its_own_sentence_first() -> None:
    text = "Iran denied it. The Islamic Front in Iraq, a coalition of militias in the country, spoke."
    ctx = context(text)
    place = resolve_place(ctx, ctx.doc[token(ctx, "country")], NOBODY)
    assert place is not None and place.key == "iraq"


def test_a_named_warship_is_its_states_force() -> None:
    text = ("On Monday the USS Bainbridge, a destroyer, responded to a distress call. "
            "Bainbridge shot down two missiles.")
    ex = found(text, title="Guarding the Red Sea")
    assert ex == [("united-states", "red-sea"), ("united-states", "red-sea")], ex
    ctx = context(text)
    assert vessel_owner(ctx, ctx.doc[token(ctx, "Bainbridge", 1)]).key == "united-states"  # type: ignore[union-attr]
    # a capitalised word that is no ship named in the article is nobody's
    ctx = context("Gravely concerned, the minister left Aden.")
    assert vessel_owner(ctx, ctx.doc[0]) is None


@pytest.mark.parametrize(("text", "expected"), [
    # "the group": the armed group named as a subject before, not the one in its description
    ("JNIM, an al-Qaeda affiliate, is active in central Mali. The group claimed attacks in the Mopti region.",
     [("jnim", "mopti-region")]),
    # "the rebels": the armed group named before
    ("M23 rebels took Goma. The rebels then entered Bukavu.", [("m23", "bukavu"), ("m23", "goma")]),
    # "they" and "it" as the subject after a subject
    ("North Korean troops arrived in Russia in October. They are now fighting in the Kursk region.",
     [("north-korea", "kursk-oblast"), ("north-korea", "russia")]),
    ("The Wagner Group recruited in Russia. It deployed to Mali in 2021.", [("wagner-group", "mali")]),
    # "its troops" after a sentence about the state
    ("Russia invaded Ukraine. Its troops are still there.", [("russia", "ukraine"), ("russia", "ukraine")]),
    # an acronym the article defined for forces
    ("The Israeli Security Forces (ISF) raided Jenin. The ISF deployed ground troops and sealed the camp "
     "at Tulkarm.", [("israel", "jenin"), ("israel", "tulkarm")]),
    # a name described once as a private military company is an armed group wherever it appears
    ("Moscow did not want Russian PMC Redut to replace Wagner. In Syria, Redut operated in the country.",
     [("redut", "syria")]),
])
def test_actor_references_resolve(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected, found(text)


def test_actor_references_that_must_not_resolve() -> None:
    # a rights group is no armed group: "the group" finds none
    ctx = context("Human Rights Watch, a rights group, is active in central Mali. The group reported abuses.")
    assert armed_groups(ctx) == {}
    assert resolve_actor(ctx, ctx.doc[token(ctx, "group", 1)]) is None
    # "it" after a place named in another role is not that place ("... in Niger, although it maintains ...")
    text = "France withdrew from Mali and more recently from Niger, although it maintains operations in Chad."
    assert found(text) == [("france", "chad")], found(text)
    # a sponsor is no group: "Iran-backed" names no armed group
    ctx = context("The front, a coalition of Iran-backed militias, spoke.")
    assert all("backed" not in key for key in armed_groups(ctx))


def test_the_reef_is_the_shoal_named_before() -> None:
    text = "Boats gathered near Second Thomas Shoal. Chinese troops were deployed around the reef."
    assert found(text) == [("china", "second-thomas-shoal")], found(text)
    # no shoal, reef or atoll named: the reef is nothing known
    assert found("Boats gathered near Manila. Chinese troops were deployed around the reef.") == []
