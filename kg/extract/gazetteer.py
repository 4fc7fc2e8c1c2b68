"""The gazetteer: canonical entities and every name a text may use for them.

The data lives in ``ontology/gazetteer.csv`` (one row per entity, ``|``-separated aliases); every ISO 3166
state from pycountry is added, and the CSV rows add demonyms, capitals and translations to them (matched by
ISO code).  ``Gazetteer.lookup`` resolves a name by exact alias after :func:`kg.ns.normalise`, then by
rapidfuzz for transliteration noise ("Selenskyi", "Zelenskyi") above :data:`FUZZY_THRESHOLD`, a value measured
in ``tests/test_extract_gazetteer.py`` (true variants score >= 90, the closest wrong pair below 87).
"""

from __future__ import annotations

import csv
import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pycountry
from rapidfuzz import fuzz, process

from kg.model import Entity, EntityType
from kg.ns import normalise, slug
from kg.paths import data_dir

log = logging.getLogger(__name__)

GAZETTEER_CSV = data_dir("ontology") / "gazetteer.csv"

#: rapidfuzz ``fuzz.ratio`` score (0-100) at or above which a name resolves to an alias.  Measured on the
#: transliteration pairs of the corpus; see ``tests/test_extract_gazetteer.py::test_fuzzy_threshold``.
FUZZY_THRESHOLD = 88.0
#: names shorter than this (normalised) never match fuzzily: "Iran"/"Iraq" differ by one letter.
FUZZY_MIN_LEN = 6

_FUZZY_TYPES = {EntityType.PERSON, EntityType.ORGANISATION, EntityType.OUTLET, EntityType.ARMED_GROUP,
                EntityType.LOCATION}


class Gazetteer:
    """Canonical entities indexed by normalised alias."""

    def __init__(self, entities: list[Entity], seats: set[str] | None = None) -> None:
        self._entities: dict[str, Entity] = {}
        self._by_alias: dict[str, str] = {}
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


def _state_rows() -> list[Entity]:
    out = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        short = name.split(",")[0].strip()
        labels = tuple(dict.fromkeys(
            n for n in (country.name, getattr(country, "official_name", None), name, short) if n
        ))
        out.append(Entity(key=slug(short), label=short, type=EntityType.STATE, labels=labels,
                          iso_code=country.alpha_2))
    return out


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
    """The gazetteer (cached per process): pycountry states merged with ``ontology/gazetteer.csv``."""
    seats: set[str] = set()
    rows = read_csv(seats=seats)
    by_iso = {e.iso_code: e for e in rows if e.iso_code}
    entities: list[Entity] = []
    for state in _state_rows():
        row = by_iso.pop(state.iso_code or "", None)
        if row is not None:
            # the CSV row's key and label win; pycountry adds the official names
            entities.append(replace(row, labels=tuple(dict.fromkeys((*row.labels, *state.labels)))))
        else:
            entities.append(state)
    entities.extend(e for e in rows if not e.iso_code or e.iso_code in by_iso)
    gaz = Gazetteer(entities, seats)
    log.debug("gazetteer: %d entities, %d aliases", len(gaz.entities()), len(gaz.aliases()))
    return gaz
