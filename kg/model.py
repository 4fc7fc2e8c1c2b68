"""Plain, frozen records of what an extractor found in one article.

These mirror the classes of ``ontology/kg.ttl`` but know nothing of RDF: extractors build them, ``kg.rdf``
turns them into triples, and ``kg.predict`` into the scorer's prediction format.  Keeping RDF out of here
lets the extractors be tested without a store and the RDF mapping be tested without spaCy.

Words used throughout kg (one word per concept):

* *article*: one news document, the unit of ingest, delete and named graph;
* *claim*: one assertion in an article that ties a deployment or statement to who makes it;
* *claimant*: who makes the claim (a state, person, organisation, outlet);
* *outlet*: who reported it (the article's publisher, or a cited outlet);
* *span*: character offsets into the article text, the evidence;
* *certainty*: ``asserted``, ``possible`` or ``denied``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum


class EntityType(StrEnum):
    """The kinds of actor and place in the ontology (``kg:State`` ... ``kg:Location``)."""

    STATE = "state"
    ARMED_FORCE = "armed-force"
    ARMED_GROUP = "armed-group"
    PERSON = "person"
    ORGANISATION = "organisation"
    OUTLET = "outlet"
    LOCATION = "location"


class Certainty(StrEnum):
    """How firmly a claim is made: "could be deployed" is ``POSSIBLE``, not ``ASSERTED``."""

    ASSERTED = "asserted"
    POSSIBLE = "possible"
    DENIED = "denied"


@dataclass(frozen=True)
class Span:
    """A half-open character range ``[start, end)`` of the article text, with the text it covers."""

    start: int
    end: int
    text: str

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid span [{self.start}, {self.end})")


@dataclass(frozen=True)
class Entity:
    """One real-world entity as named in an article.

    ``key`` is the canonical key (a gazetteer key such as ``north-korea``, or a key minted from the
    normalised name for an entity the gazetteer does not know): the same key in every article, and so
    the same IRI (``kg.ns.entity_iri``).  ``labels`` are the surface forms seen in this article.
    """

    key: str
    label: str
    type: EntityType
    labels: tuple[str, ...] = ()
    wikidata: str | None = None
    iso_code: str | None = None
    #: WGS84 coordinates of a place, where offline place data gives them (for a map); None otherwise
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Deployment:
    """Who has forces where, as one claim states it.  ``troops_min``/``troops_max`` are both set for an
    exact number; ``approximate`` marks "about", "several thousand" and ranges."""

    deployer: Entity
    location: Entity
    troops_min: int | None = None
    troops_max: int | None = None
    approximate: bool = False
    on_behalf_of: Entity | None = None
    since: dt.date | None = None


@dataclass(frozen=True)
class Statement:
    """Reported speech: who said it, the span holding the quote or speech verb, when and where."""

    speaker: Entity
    date: dt.date | None = None
    place: Entity | None = None


@dataclass(frozen=True)
class Claim:
    """The n-ary node of the ontology: what is claimed (a deployment or a statement), by whom, reported by
    which outlet, how certainly, and the exact span it rests on."""

    subject: Deployment | Statement
    claimants: tuple[Entity, ...]
    certainty: Certainty
    span: Span
    outlet: Entity | None = None

    def roles(self) -> Iterator[tuple[str, Entity]]:
        """Every entity of the claim with the kind of role it plays (``"actor"``, ``"place"`` or ``"outlet"``),
        in the order subject, claimants, outlet."""
        subject = self.subject
        if isinstance(subject, Deployment):
            yield "actor", subject.deployer
            yield "place", subject.location
            if subject.on_behalf_of is not None:
                yield "actor", subject.on_behalf_of
        else:
            yield "actor", subject.speaker
            if subject.place is not None:
                yield "place", subject.place
        for claimant in self.claimants:
            yield "actor", claimant
        if self.outlet is not None:
            yield "outlet", self.outlet


@dataclass(frozen=True)
class Article:
    """An input document after loading, before extraction.  ``id`` is stable across re-ingests."""

    id: str
    text: str
    title: str | None = None
    outlet: str | None = None
    published: dt.date | None = None
    url: str | None = None
    language: str | None = None
    source: str | None = None  # where it was read from (file path, "line 3 of x.jsonl"), for error messages


@dataclass
class Extraction:
    """Everything extracted from one article.  ``reduced_coverage`` is true when the article was processed
    with less than the full pipeline (for instance a language the English models do not cover), so that
    users are told rather than shown a silently thin graph."""

    article: Article
    claims: list[Claim] = field(default_factory=list)
    reduced_coverage: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def entities(self) -> list[Entity]:
        """Every entity the claims mention, each key once, with the labels of all its mentions merged."""
        seen: dict[str, Entity] = {}
        for claim in self.claims:
            for _, entity in claim.roles():
                first = seen.get(entity.key)
                if first is None:
                    seen[entity.key] = entity
                else:
                    labels = tuple(dict.fromkeys((*first.labels, *entity.labels, entity.label)))
                    seen[entity.key] = replace(first, labels=labels)
        return list(seen.values())

    @property
    def deployments(self) -> list[Claim]:
        return [c for c in self.claims if isinstance(c.subject, Deployment)]

    @property
    def statements(self) -> list[Claim]:
        return [c for c in self.claims if isinstance(c.subject, Statement)]


@dataclass(frozen=True)
class Result:
    """One SHACL result: the shape's message, the node it concerns and the property path."""

    message: str
    focus: str
    path: str | None
    severity: str  # "Violation", "Warning" or "Info"


@dataclass
class Report:
    """What SHACL said about one article; ``conforms`` is false only for violations, never for warnings."""

    doc: str
    violations: list[Result] = field(default_factory=list)
    warnings: list[Result] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        return not self.violations
