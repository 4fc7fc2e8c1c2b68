"""Every IRI kg uses: the ontology's terms and the minting of IRIs for entities, articles and graphs.

``KG`` is a closed ``DefinedNamespace`` (``_fail = True``), so a misspelt term raises instead of silently
producing a new IRI; ``tests/test_ontology.py`` checks that each term here is declared in ``ontology/kg.ttl``.
Minting lives here and nowhere else, so "one real-world entity, one IRI" is one testable function.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

BASE = "https://w3id.org/kg/"
ID = Namespace(BASE + "id/")

OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")
#: W3C WGS84 positions: ``geo:lat`` and ``geo:long`` of a place, in decimal degrees (for a map)
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")


class KG(DefinedNamespace):
    """The kg conflict ontology (``ontology/kg.ttl``)."""

    _fail = True
    _NS = Namespace(BASE + "ontology#")

    # classes
    Actor: URIRef  # anyone who has forces, speaks or claims
    State: URIRef  # a sovereign state (ISO 3166)
    ArmedForce: URIRef  # a state's armed forces or one of their branches
    ArmedGroup: URIRef  # a non-state armed organisation (Wagner, Hezbollah, Houthis)
    Person: URIRef
    Organisation: URIRef
    NewsOutlet: URIRef
    Location: URIRef
    Article: URIRef
    Deployment: URIRef  # an actor's forces present, sent or planned somewhere, as one claim states it
    Statement: URIRef  # reported speech by an identifiable speaker
    Claim: URIRef  # n-ary node: subject, claimants, outlet, certainty, evidence, article
    Certainty: URIRef  # the three certainty values
    # certainty values
    asserted: URIRef
    possible: URIRef
    denied: URIRef
    # deployment
    deployer: URIRef
    location: URIRef
    troopsMin: URIRef
    troopsMax: URIRef
    approximate: URIRef
    onBehalfOf: URIRef
    since: URIRef
    # statement
    speaker: URIRef
    date: URIRef
    place: URIRef
    # claim
    subject: URIRef
    claimant: URIRef
    outlet: URIRef
    certainty: URIRef
    evidence: URIRef
    article: URIRef
    # article and entity
    reducedCoverage: URIRef
    isoCode: URIRef
    # provenance of an article graph (kg.provenance): what kg ingest compares to skip unchanged articles
    inputHash: URIRef
    extractorVersion: URIRef
    # derived at write time ("truthy" short paths, ontology/kg.ttl: kg:derivedFrom), in the article's graph
    derivedFrom: URIRef  # annotation: what a derived property is computed from
    subjectType: URIRef
    involves: URIRef
    mentionsActor: URIRef
    claimDeployer: URIRef
    claimLocation: URIRef
    claimOnBehalfOf: URIRef
    claimSpeaker: URIRef
    claimPlace: URIRef
    deployerLabel: URIRef
    locationLabel: URIRef
    onBehalfOfLabel: URIRef
    speakerLabel: URIRef
    placeLabel: URIRef
    outletLabel: URIRef
    claimantNames: URIRef
    claimTroopsMin: URIRef
    claimTroopsMax: URIRef
    claimApproximate: URIRef
    claimSince: URIRef
    claimDate: URIRef
    evidenceText: URIRef
    evidencePrefix: URIRef
    evidenceSuffix: URIRef
    evidenceStart: URIRef
    evidenceEnd: URIRef
    docId: URIRef
    published: URIRef
    headline: URIRef
    claimDay: URIRef  # entity -> the day (article date, or "") of a claim that involves it
    # identity judgements (kg.judgements): each in its own graph; the canon graph is rebuilt from them
    Judgement: URIRef  # a person's decision about two entities (a prov:Activity)
    Merge: URIRef  # the two entities are one: the first (kg:left) is kept as the cluster's canonical IRI
    Split: URIRef  # the two entities are different: undoes a merge of the pair, keeps them apart for good
    left: URIRef  # the first entity a judgement names
    right: URIRef  # the second entity a judgement names
    reason: URIRef  # why, in the judge's words
    canonical: URIRef  # canon graph: a member of a merged cluster -> the cluster's canonical entity


ENTITY_GRAPH = URIRef(BASE + "graph/entities")
#: ``?member kg:canonical ?canon`` (and ``owl:sameAs``) for the members of merged clusters only, rebuilt from
#: the judgement graphs on every merge or split (kg.judgements)
CANON_GRAPH = URIRef(BASE + "graph/canon")
JUDGEMENT_GRAPH_PREFIX = BASE + "graph/judgement/"

def entity_iri(key: str) -> URIRef:
    """The IRI of a canonical entity; ``key`` is a gazetteer key or a slug of its normalised name.

    >>> entity_iri("north-korea")
    rdflib.term.URIRef('https://w3id.org/kg/id/entity/north-korea')
    """
    return ID[f"entity/{_segment(key)}"]


def article_iri(doc_id: str) -> URIRef:
    """The IRI of the article resource itself."""
    return ID[f"article/{_segment(doc_id)}"]


def article_graph(doc_id: str) -> URIRef:
    """The named graph holding everything extracted from one article; replaced whole on re-ingest."""
    return URIRef(f"{BASE}graph/article/{_segment(doc_id)}")


def claim_iri(doc_id: str, n: int) -> URIRef:
    return ID[f"article/{_segment(doc_id)}/claim/{n}"]


def subject_iri(doc_id: str, n: int, kind: str) -> URIRef:
    """The deployment or statement node claimed by claim ``n``; ``kind`` is ``deployment`` or ``statement``."""
    return ID[f"article/{_segment(doc_id)}/{kind}/{n}"]


def evidence_iri(doc_id: str, n: int, part: str = "") -> URIRef:
    """The ``oa:SpecificResource`` of claim ``n`` (``part=""``), or one of its selectors (``quote``, ``position``)."""
    suffix = f"/{part}" if part else ""
    return ID[f"article/{_segment(doc_id)}/evidence/{n}{suffix}"]


def judgement_graph(judgement_id: str) -> URIRef:
    """The named graph holding one identity judgement (and nothing else): deleting it undoes the judgement."""
    return URIRef(JUDGEMENT_GRAPH_PREFIX + _segment(judgement_id))


def judgement_iri(judgement_id: str) -> URIRef:
    """The judgement itself (a ``prov:Activity``)."""
    return ID[f"judgement/{_segment(judgement_id)}"]


def agent_iri(name: str) -> URIRef:
    """The person (or token holder) who made a judgement, by name."""
    return ID[f"agent/{_segment(name)}"]


def doc_id_of_graph(graph: str) -> str | None:
    """Invert ``article_graph``: the document id of an article graph IRI, or None."""
    prefix = f"{BASE}graph/article/"
    return unquote(graph[len(prefix):]) if graph.startswith(prefix) else None


def _segment(value: str) -> str:
    """Percent-encode a value for one IRI path segment: any string gives a valid, stable, reversible IRI."""
    return quote(value, safe="-._~")
