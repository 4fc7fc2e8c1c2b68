"""Entity lookups (labels, types, ids), and claim rows (``queries/claim-details.rq``,
``queries/deployments.rq``) turned into plain JSON values: one object per claim.

Below the service on purpose: the REST endpoints (``kg.api``) answer with these objects, and the Gephi
export (``kg.export``) labels and types its nodes with them, so neither reaches into the other."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from kg.judgements import Canon, load_canon
from kg.ns import BASE, KG
from kg.queries import run_named
from kg.store.base import Row, Store

ENTITY_PREFIX = BASE + "id/entity/"


def entity_id(iri: str) -> str:
    """The REST id of an entity: the last path segment of its IRI, percent-decoded.

    >>> entity_id("https://w3id.org/kg/id/entity/north-korea")
    'north-korea'
    """
    return unquote(iri.rsplit("/", 1)[-1])


def plain(term: Identifier | None) -> Any:
    """A JSON value for an RDF term: numbers, booleans and dates as themselves, anything else as text."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, bool | int | float):
            return value
        if isinstance(value, dt.date):
            return value.isoformat()
    return str(term)


def local_name(iri: Identifier | None) -> str | None:
    return str(iri).rsplit("#", 1)[-1] if iri is not None else None


def _ref(row: Row, name: str, canon: Canon | None = None) -> dict[str, Any] | None:
    """The entity playing role ``name`` in a claim row; with ``canon`` (the identity judgements,
    ``kg.judgements``) the canonical entity of its merged cluster, with that entity's label."""
    iri = row.get(f"{name}Iri")
    if iri is None:
        return None
    label = row.get(f"{name}Label")
    if canon and str(iri) in canon.canonical:
        label = Literal(canon.label(str(iri))) if canon.label(str(iri)) else label
        iri = URIRef(canon.of(str(iri)))
    return {
        "id": entity_id(str(iri)),
        "iri": str(iri),
        "label": str(label) if label is not None else entity_id(str(iri)),
    }


ROLES = ("deployer", "location", "onBehalfOf", "speaker", "place", "claimant", "outlet")


def claims_from_rows(rows: list[Row], entity: str | None = None, canon: Canon | None = None) -> list[dict[str, Any]]:
    """One JSON object per claim, in row order; ``entity`` (an IRI) adds the roles it plays in each claim.
    With ``canon`` every entity is shown as the canonical entity of its merged cluster, and ``entity`` (a
    canonical IRI) plays a role that any member of its cluster plays."""
    claims: dict[str, dict[str, Any]] = {}

    def ref(row: Row, name: str) -> dict[str, Any] | None:
        return _ref(row, name, canon)

    def plays(row: Row, role: str) -> bool:
        iri = row.get(f"{role}Iri")
        return iri is not None and (canon.of(str(iri)) if canon else str(iri)) == entity
    for row in rows:
        key = str(row["claim"])
        claim = claims.get(key)
        if claim is None:
            kind = (local_name(row.get("subjectType")) or "").lower()
            claim = {"claim": key, "kind": kind}
            if kind == "deployment":
                claim["deployment"] = {
                    "iri": str(row["subject"]),
                    "deployer": ref(row, "deployer"),
                    "location": ref(row, "location"),
                    "onBehalfOf": ref(row, "onBehalfOf"),
                    "troopsMin": plain(row.get("troopsMin")),
                    "troopsMax": plain(row.get("troopsMax")),
                    "approximate": plain(row.get("approximate")),
                    "since": plain(row.get("since")),
                }
            else:
                claim["statement"] = {
                    "iri": str(row["subject"]),
                    "speaker": ref(row, "speaker"),
                    "date": plain(row.get("date")),
                    "place": ref(row, "place"),
                }
            claim.update(
                {
                    "claimants": [],
                    "outlet": ref(row, "outlet"),
                    "certainty": local_name(row.get("certaintyIri")),
                    "evidence": {
                        "exact": plain(row.get("exact")),
                        "prefix": plain(row.get("prefix")),
                        "suffix": plain(row.get("suffix")),
                        "start": plain(row.get("start")),
                        "end": plain(row.get("end")),
                    },
                    "article": {
                        "id": plain(row.get("docId")),
                        "iri": plain(row.get("article")),
                        "headline": plain(row.get("headline")),
                        "published": plain(row.get("published")),
                    },
                }
            )
            claims[key] = claim
        claimant = ref(row, "claimant")
        if claimant is not None and claimant["iri"] not in {c["iri"] for c in claim["claimants"]}:
            claim["claimants"].append(claimant)
        if entity is not None:
            roles = claim.setdefault("roles", [])
            for role in ROLES:
                if plays(row, role) and role not in roles:
                    roles.append(role)
    return list(claims.values())


_GENERIC_TYPES = {str(KG.Actor), str(KG.Organisation)}


def entity_type(types: set[str]) -> str | None:
    """The most specific kg class of an entity, as a local name (``State``, ``Location``...)."""
    specific = sorted(t for t in types if t.startswith(str(KG)) and t not in _GENERIC_TYPES)
    chosen = specific or sorted(types)
    return local_name(URIRef(chosen[0])) if chosen else None


def entity_index(store: Store) -> dict[str, dict[str, Any]]:
    """Every entity with its labels and types, from ``queries/entity-labels.rq``."""
    index: dict[str, dict[str, Any]] = {}
    for row in run_named(store, "entity-labels"):
        iri = str(row["entity"])
        item = index.setdefault(iri, {"labels": [], "label": None, "types": set()})
        label = str(row["label"])
        if label not in item["labels"]:
            item["labels"].append(label)
        if plain(row.get("preferred")) is True and item["label"] is None:
            item["label"] = label
        if "type" in row:
            item["types"].add(str(row["type"]))
    for iri, item in index.items():
        item["label"] = item["label"] or (item["labels"][0] if item["labels"] else entity_id(iri))
    for member, canonical in load_canon(store).canonical.items():  # a merged entity is its canonical one
        if member != canonical and member in index:
            item = index.pop(member)
            target = index.setdefault(canonical, {"labels": [], "label": item["label"], "types": item["types"]})
            target["labels"].extend(x for x in item["labels"] if x not in target["labels"])
    return index
