"""Offline place knowledge: names NER mistypes become places where the text puts them, and places keep their
coordinates; sentences written for these tests."""

from __future__ import annotations

import datetime as dt

from kg.extract import extract_one
from kg.extract.places import find_place
from kg.model import Article, Deployment, EntityType, Extraction


def run(text: str) -> Extraction:
    return extract_one(Article(id="t", text=text, outlet="CNN", published=dt.date(2024, 5, 2), language="en"))


def test_a_city_is_known_with_its_coordinates() -> None:
    info = find_place("Goma")
    assert info is not None and info.country == "CD" and info.latitude is not None, info


def test_an_own_name_wins_over_another_places_old_name() -> None:
    info = find_place("Pokrovsk")
    assert info is not None and info.name == "Pokrovsk" and info.country == "UA", info


def test_a_person_is_no_place() -> None:
    assert find_place("Zelensky") is None


def test_deployment_place_keeps_coordinates() -> None:
    ex = run("Rwandan troops were seen in Goma on Sunday.")
    places = [c.subject.location for c in ex.claims if isinstance(c.subject, Deployment)]
    assert places and places[0].type is EntityType.LOCATION, places
    assert places[0].latitude is not None and abs(places[0].latitude - -1.7) < 0.5, places


def test_a_known_city_named_after_a_preposition_is_a_place() -> None:
    from kg.extract.entities import get_nlp
    from kg.extract.pipeline import make_context

    text = "Fighting continued in Mopti overnight."
    ctx = make_context(Article(id="t", text=text, language="en"), get_nlp()(text))
    mopti = [m.entity for m in ctx.mentions if m.text == "Mopti"]
    assert mopti and mopti[0].type is EntityType.LOCATION and mopti[0].latitude is not None, ctx.mentions


def test_a_name_that_is_no_place_keeps_its_type() -> None:
    from kg.extract.entities import get_nlp
    from kg.extract.pipeline import make_context

    text = "The envoy met Amadou Diallo in the capital."
    ctx = make_context(Article(id="t", text=text, language="en"), get_nlp()(text))
    assert all(m.entity.type is not EntityType.LOCATION for m in ctx.mentions if "Diallo" in m.text), ctx.mentions


def test_places_and_states_carry_their_coordinates_into_rdf() -> None:
    from rdflib import Literal
    from rdflib.namespace import XSD

    from kg import ns
    from kg.rdf import entity_triples

    ex = run("Kenyan troops were seen in Goma on Sunday.")
    graph = entity_triples(ex.entities)
    goma = ns.entity_iri("goma")
    lat = graph.value(goma, ns.GEO.lat)
    assert isinstance(lat, Literal) and lat.datatype == XSD.decimal and abs(float(lat) - -1.68) < 0.1, lat
    assert graph.value(goma, ns.GEO.long) is not None
    # a state has its centroid (countryinfo)
    assert graph.value(ns.entity_iri("kenya"), ns.GEO.lat) is not None, graph.serialize(format="turtle")


def test_one_place_gets_the_same_coordinates_whatever_an_article_calls_it() -> None:
    from kg.extract.entities import get_nlp
    from kg.extract.pipeline import make_context

    found = set()
    for text in ("Shelling hit the Kharkiv region overnight.", "Shelling hit Kharkiv Oblast overnight."):
        ctx = make_context(Article(id="t", text=text, language="en"), get_nlp()(text))
        found |= {(m.entity.latitude, m.entity.longitude) for m in ctx.mentions if m.entity.key == "kharkiv-oblast"}
    assert len(found) == 1 and None not in next(iter(found)), found
