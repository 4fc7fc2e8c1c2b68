"""The gazetteer: canonical entities and every name a text may use for them.

The data lives in ``ontology/gazetteer.csv`` (one row per entity, ``|``-separated aliases); every ISO 3166
state from pycountry is added, and the CSV rows add demonyms, capitals and translations to them (matched by
ISO code).  ``countryinfo`` fills in what no row says (``ontology/countries.json``, its extract): the
demonym ("Haitian", "Ivorian"), longer alternative names ("DR Congo", "Ivory Coast"), the German name, and the
state's coordinates, so a state named in a new conflict is known without a hand-typed row.

``Gazetteer.lookup`` resolves a name by exact alias after :func:`kg.text.normalise`, then by
rapidfuzz for transliteration noise ("Selenskyi", "Zelenskyi") above :data:`kg.text.FUZZY_THRESHOLD`, a value measured
in ``tests/test_extract_gazetteer.py`` (true variants score >= 90, the closest wrong pair below 87).
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from rapidfuzz import fuzz, process

from kg.model import Entity, EntityType
from kg.paths import data_dir
from kg.text import FUZZY_MIN_LEN, FUZZY_THRESHOLD, normalise, slug, spelling

log = logging.getLogger(__name__)

GAZETTEER_CSV = data_dir("ontology") / "gazetteer.csv"
#: demonyms, alternative names and centroids of the ISO states, extracted from ``countryinfo`` (regenerate
#: with :func:`write_country_facts`; ``tests/test_extract_gazetteer.py`` checks it is current)
COUNTRIES_JSON = data_dir("ontology") / "countries.json"


_FUZZY_TYPES = {EntityType.PERSON, EntityType.ORGANISATION, EntityType.OUTLET, EntityType.ARMED_GROUP,
                EntityType.LOCATION}


class Gazetteer:
    """Canonical entities indexed by normalised alias."""

    def __init__(self, entities: list[Entity], seats: set[str] | None = None) -> None:
        self._entities: dict[str, Entity] = {}
        self._by_alias: dict[str, str] = {}
        self._by_spelling: dict[str, str] = {}
        self._seats = {normalise(s) for s in seats or ()}
        for entity in entities:
            self.add(entity)
        self._fuzzy_keys: list[str] = []
        self._fuzzy_names: list[str] = []
        for alias, key in self._by_alias.items():
            if len(alias) >= FUZZY_MIN_LEN and self._entities[key].type in _FUZZY_TYPES:
                self._fuzzy_names.append(alias)
                self._fuzzy_keys.append(key)

    def add(self, entity: Entity) -> None:
        old = self._entities.get(entity.key)
        if old is not None:
            entity = replace(
                old,
                labels=tuple(dict.fromkeys((*old.labels, *entity.labels))),
                wikidata=old.wikidata or entity.wikidata,
                iso_code=old.iso_code or entity.iso_code,
            )
        self._entities[entity.key] = entity
        for name in (entity.label, *entity.labels):
            norm = normalise(name)
            if norm and norm not in self._by_alias:
                self._by_alias[norm] = entity.key
            folded = spelling(norm)  # "Khartiya" finds a row spelt "Khartiia" (kg.text.spelling)
            if folded != norm:
                self._by_spelling.setdefault(folded, entity.key)

    def entities(self) -> list[Entity]:
        """All canonical entities."""
        return list(self._entities.values())

    def is_seat(self, name: str) -> bool:
        """Whether ``name`` is a capital or seat of government standing for a state ("Moscow", "Budapest").

        >>> load_gazetteer().is_seat("Budapest"), load_gazetteer().is_seat("Hungary")
        (True, False)
        """
        return normalise(name) in self._seats

    def get(self, key: str) -> Entity | None:
        return self._entities.get(key)

    def aliases(self) -> dict[str, str]:
        """Normalised alias -> entity key."""
        return dict(self._by_alias)

    def surface_forms(self) -> list[tuple[str, str]]:
        """(surface form as written in the data, key) for every label and alias, for phrase matching."""
        out = []
        for entity in self._entities.values():
            for name in dict.fromkeys((entity.label, *entity.labels)):
                if name:
                    out.append((name, entity.key))
        return out

    def lookup(self, name: str, *, fuzzy: bool = True) -> Entity | None:
        """The canonical entity a name stands for, or None.

        >>> load_gazetteer().lookup("Selenskyj").key
        'zelensky'
        >>> load_gazetteer().lookup("the Kremlin").key
        'russia'
        """
        norm = normalise(name)
        if not norm:
            return None
        key = self._by_alias.get(norm)
        if key is None:
            folded = spelling(norm)
            key = self._by_alias.get(folded) or self._by_spelling.get(folded)
        if key is None:
            # possessive and plural forms: "Russia's", "Houthis'"
            for suffix in (" s", "s"):
                if norm.endswith(suffix) and norm[: -len(suffix)] in self._by_alias:
                    key = self._by_alias[norm[: -len(suffix)]]
                    break
        if key is None and fuzzy and len(norm) >= FUZZY_MIN_LEN and self._fuzzy_names:
            best = process.extractOne(norm, self._fuzzy_names, scorer=fuzz.ratio,
                                      score_cutoff=FUZZY_THRESHOLD)
            if best is not None:
                key = self._fuzzy_keys[best[2]]
        return self._entities[key] if key is not None else None


def _state_rows(csv_keys: dict[str, str | None] | None = None) -> list[Entity]:
    """Every ISO 3166 state from pycountry; ``csv_keys`` (CSV key -> ISO code) keeps a state whose short name
    is another state's key apart from it ("Congo" of CG is not the CSV's ``congo``, the DRC)."""
    csv_keys = csv_keys or {}
    out = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        short = name.split(",")[0].strip()
        official = getattr(country, "official_name", None)
        labels = tuple(dict.fromkeys(n for n in (country.name, official, name, short) if n))
        key = slug(short)
        if key in csv_keys and csv_keys[key] not in (None, country.alpha_2):
            # the other state's short name is no name of this one
            short = official or country.name
            labels = tuple(n for n in labels if slug(n) != key)
            key = slug(short)
        out.append(Entity(key=key, label=short, type=EntityType.STATE, labels=labels, iso_code=country.alpha_2))
    return out


@dataclass(frozen=True)
class CountryFacts:
    """What ``countryinfo`` adds to a state: names the CSV may not have, and coordinates (its centroid)."""

    names: tuple[str, ...]
    latitude: float | None
    longitude: float | None


def country_facts_from_package() -> dict[str, dict[str, Any]]:
    """ISO alpha-2 -> ``{"names", "latitude", "longitude"}`` from ``countryinfo`` (a dev dependency), written
    to :data:`COUNTRIES_JSON` by :func:`write_country_facts`: parsing the package's 1.9 MB of JSON
    (borders included) cost a tenth of a second at every start, the extract of it a millisecond.

    Names: the state's own name there ("Democratic Republic of the Congo"), the demonym when no other state
    shares it ("Congolese" and "Dominican" belong to two),
    alternative names of two or more words or acronyms ("DR Congo", "DRC"; not single native words that are
    also first names, "Dominique"), the German name (the German route).  Entries sharing an ISO code with
    another (Wales, Scotland under GB) are not states here.
    """
    from countryinfo import CountryInfo

    data = [d for d in CountryInfo.all().values() if (d.get("ISO") or {}).get("alpha2")]
    per_code = Counter(d["ISO"]["alpha2"] for d in data)
    demonyms = Counter(normalise(str(d.get("demonym") or "")) for d in data)
    out: dict[str, dict[str, Any]] = {}
    for d in sorted(data, key=lambda x: x["ISO"]["alpha2"]):
        iso = d["ISO"]
        if per_code[iso["alpha2"]] > 1:
            continue
        names: list[str] = [str(d.get("name") or "").strip()] if d.get("name") else []
        demonym = str(d.get("demonym") or "").strip()
        if demonym and demonyms[normalise(demonym)] == 1:
            names.extend(p.strip() for p in demonym.split(",") if p.strip())
        codes = {iso.get("alpha2"), iso.get("alpha3")}
        for alt in d.get("altSpellings") or ():
            alt = str(alt).strip()
            acronym = alt.isupper() and alt.isalpha() and len(alt) >= 3
            if alt and alt not in codes and (len(alt.split()) >= 2 or "-" in alt or acronym):
                names.append(alt)
        german = str((d.get("translations") or {}).get("de") or "").strip()
        if german:
            names.append(german)
        latlng = d.get("latlng") or ()
        out[iso["alpha2"]] = {"names": list(dict.fromkeys(names)),
                              "latitude": float(latlng[0]) if len(latlng) == 2 else None,
                              "longitude": float(latlng[1]) if len(latlng) == 2 else None}
    return out


def write_country_facts(path: Path = COUNTRIES_JSON) -> None:
    """Regenerate ``ontology/countries.json`` from the installed ``countryinfo``."""
    path.write_text(json.dumps(country_facts_from_package(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _country_facts(path: Path = COUNTRIES_JSON) -> dict[str, CountryFacts]:
    """The extract of ``countryinfo`` shipped as data (:func:`country_facts_from_package`); none when absent."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:  # pragma: no cover - shipped with the package
        log.warning("%s is missing: states have no demonyms beyond the gazetteer's rows", path)
        return {}
    return {iso: CountryFacts(tuple(f["names"]), f["latitude"], f["longitude"]) for iso, f in data.items()}


def read_csv(path: Path = GAZETTEER_CSV, seats: set[str] | None = None) -> list[Entity]:
    """The rows of the gazetteer CSV as entities (comment lines start with ``#``); aliases written ``@Name``
    (a capital or seat of government) are added to ``seats`` without the ``@``."""
    with path.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    out = []
    for row in csv.DictReader(lines):
        raw = [a.strip() for a in (row.get("aliases") or "").split("|") if a.strip()]
        if seats is not None:
            seats.update(a[1:] for a in raw if a.startswith("@"))
        aliases = tuple(a.lstrip("@") for a in raw)
        out.append(Entity(
            key=row["key"].strip(),
            label=row["label"].strip(),
            type=EntityType(row["type"].strip()),
            labels=aliases,
            wikidata=(row.get("wikidata") or "").strip() or None,
            iso_code=(row.get("iso") or "").strip() or None,
        ))
    return out


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The gazetteer (cached per process): pycountry states merged with ``ontology/gazetteer.csv``, then the
    names and coordinates ``countryinfo`` knows of each state that no row or other entity already claims."""
    seats: set[str] = set()
    rows = read_csv(seats=seats)
    by_iso = {e.iso_code: e for e in rows if e.iso_code}
    entities: list[Entity] = []
    for state in _state_rows({e.key: e.iso_code for e in rows}):
        row = by_iso.pop(state.iso_code or "", None)
        if row is not None:
            # the CSV row's key and label win; pycountry adds the official names
            entities.append(replace(row, labels=tuple(dict.fromkeys((*row.labels, *state.labels)))))
        else:
            entities.append(state)
    entities.extend(e for e in rows if not e.iso_code or e.iso_code in by_iso)
    claimed = {normalise(n) for e in entities for n in (e.label, *e.labels)} | {normalise(s) for s in seats}
    facts = _country_facts()
    for i, entity in enumerate(entities):
        fact = facts.get(entity.iso_code or "") if entity.type is EntityType.STATE else None
        if fact is None:
            continue
        extra = [n for n in fact.names if normalise(n) and normalise(n) not in claimed]
        claimed.update(normalise(n) for n in extra)
        entities[i] = replace(entity, labels=tuple(dict.fromkeys((*entity.labels, *extra))),
                              latitude=entity.latitude if entity.latitude is not None else fact.latitude,
                              longitude=entity.longitude if entity.longitude is not None else fact.longitude)
    gaz = Gazetteer(entities, seats)
    log.debug("gazetteer: %d entities, %d aliases", len(gaz.entities()), len(gaz.aliases()))
    return gaz

