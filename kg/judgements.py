"""Identity judgements: a person says two entities are one (merge) or two (split), and every answer follows.

Extraction gives one IRI per name it can tell apart; only a person can say that "Khartiia Brigade" and
"Khartia brigade" are one unit, or that "Africa Corps" should not be folded into "Wagner Group".  As
FollowTheMoney's nomenklatura does for OpenSanctions, each decision is kept as data that can be reviewed and
undone:

* a **judgement** is a ``kg:Merge`` or ``kg:Split`` of two entities (``kg:left``, ``kg:right``) with who
  (``prov:wasAssociatedWith`` an agent named by ``rdfs:label``), when (``prov:endedAtTime``) and why
  (``kg:reason``), in a named graph of its own (``kg.ns.judgement_graph``).  Deleting that graph undoes it.
  Nothing in the article graphs or the entity graph is rewritten, so re-ingesting articles keeps every
  judgement, and a judgement never depends on which articles are stored;
* the **canon graph** (``kg.ns.CANON_GRAPH``) is rebuilt from all judgements on every change (a few
  triples per merged entity): ``?member kg:canonical ?canon`` for each member of a merged cluster, the
  canonical entity included, and ``?member owl:sameAs ?canon`` for the others.  Entities in no merge have no
  triple there, so a query resolves an entity with one cheap ``OPTIONAL { ?e kg:canonical ?c }`` and
  ``COALESCE(?c, ?e)``, and a bound entity is expanded to its cluster before the query runs
  (:func:`expand`).  It is read on every request: a merge or split takes effect on the next one;
* **clusters**: the latest judgement about a pair wins (a split undoes an earlier merge of that pair); the
  merges are then applied in time order, each joining its two entities' clusters unless a split keeps a
  member of one apart from a member of the other.  The canonical IRI of a cluster is the first entity
  (``kg:left``) of its earliest merge: ``kg merge KEEP OTHER`` keeps ``KEEP``.

The same module settles **preferred labels**: an entity the gazetteer does not know gets its label from each
article that names it, and articles spell it differently, so after an ingest every entity with more than
one ``skos:prefLabel`` keeps one (:func:`choose_label`) and the others become ``skos:altLabel``
(:func:`settle_labels`); ``kgsh:EntityLabelShape`` checks that none has two.  It also proposes merges
(:func:`suggest`): pairs of entities whose labels rapidfuzz finds close, for a person to accept.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz, process
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

from kg import ns
from kg.errors import NotFound, QueryError
from kg.ns import KG
from kg.queries import NamedQuery, run_named
from kg.store.base import Store, bind_rows
from kg.text import FUZZY_MIN_LEN, FUZZY_THRESHOLD, normalise

KINDS: dict[str, URIRef] = {"merge": KG.Merge, "split": KG.Split}
#: the longest reason and judge name kept (a judgement is a note, not a document)
MAX_REASON_CHARS = 2000
MAX_WHO_CHARS = 200
#: rapidfuzz ``fuzz.ratio`` (0-100) at or above which two labels are proposed as one entity, and the shortest
#: label compared: the gazetteer's own (``kg.text``), measured on transliterations
SUGGEST_MIN_SCORE = FUZZY_THRESHOLD
SUGGEST_MIN_LEN = FUZZY_MIN_LEN
_QID = re.compile(r"^[Qq][1-9][0-9]*$")


@dataclass(frozen=True)
class Judgement:
    """One recorded decision about two entities."""

    id: str
    kind: str  # "merge" or "split"
    left: str  # entity IRIs
    right: str
    when: str  # ISO 8601, UTC
    who: str | None = None
    why: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "left": self.left,
            "right": self.right,
            "leftId": entity_id(self.left),
            "rightId": entity_id(self.right),
            "who": self.who,
            "when": self.when,
            "why": self.why,
            "graph": str(ns.judgement_graph(self.id)),
        }


def entity_id(iri: str) -> str:
    """The REST id of an entity IRI (its last path segment)."""
    from urllib.parse import unquote

    return unquote(iri.rsplit("/", 1)[-1])


def default_judge() -> str:
    """Who judges from the command line: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a container)
        return "unknown"


def entity_ref(store: Store, ref: str) -> URIRef:
    """The IRI of an entity named by its IRI or its id (``north-korea``, as in ``/entities/{id}``).

    :raises NotFound: no such entity in the entity graph.
    """
    ref = ref.strip()
    iri = URIRef(ref) if ref.startswith(("http://", "https://")) else ns.entity_iri(ref)
    if not ref or not run_named(store, "entity", {"entity": str(iri)}):
        raise NotFound(f"no entity {ref!r} (give an entity id such as 'north-korea', or its IRI)")
    return iri


def record(
    store: Store, kind: str, left: str, right: str, *, who: str | None = None, why: str | None = None,
    when: dt.datetime | None = None,
) -> Judgement:
    """Store a merge or split of two entities (ids or IRIs) in a graph of its own and rebuild the canon graph.

    :raises QueryError: an unknown kind, the same entity twice, or an over-long reason or name.
    :raises NotFound: an entity that is not in the entity graph.
    """
    if kind not in KINDS:
        raise QueryError(f"a judgement is one of {', '.join(KINDS)}, not {kind!r}")
    a, b = entity_ref(store, left), entity_ref(store, right)
    if a == b:
        raise QueryError(f"{entity_id(a)!r} is the same entity twice: a judgement names two entities")
    who = (who or "").strip() or default_judge()
    why = (why or "").strip() or None
    if len(who) > MAX_WHO_CHARS:
        raise QueryError(f"the judge's name is over {MAX_WHO_CHARS} characters")
    if why is not None and len(why) > MAX_REASON_CHARS:
        raise QueryError(f"the reason is over {MAX_REASON_CHARS} characters")
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    judgement_id = f"{when:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"  # sorts by time (to the microsecond)
    node, agent = ns.judgement_iri(judgement_id), ns.agent_iri(who)
    graph = Graph()
    graph.add((node, RDF.type, KINDS[kind]))
    graph.add((node, KG.left, a))
    graph.add((node, KG.right, b))
    graph.add((node, PROV.endedAtTime, Literal(when.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)))
    graph.add((node, PROV.wasAssociatedWith, agent))
    graph.add((agent, RDF.type, PROV.Agent))
    graph.add((agent, RDFS.label, Literal(who)))
    if why is not None:
        graph.add((node, KG.reason, Literal(why)))
    store.replace_graph(ns.judgement_graph(judgement_id), graph)
    rebuild_canon(store)
    return Judgement(judgement_id, kind, str(a), str(b), when.strftime("%Y-%m-%dT%H:%M:%SZ"), who, why)


def delete(store: Store, judgement_id: str) -> None:
    """Remove one judgement (its graph) and rebuild the canon graph: as if it had never been made.

    :raises NotFound: no judgement with that id.
    """
    if not judgement_id or not any(j.id == judgement_id for j in judgements(store)):
        raise NotFound(f"no judgement {judgement_id!r} (kg judgements lists them)")
    store.drop_graph(ns.judgement_graph(judgement_id))
    rebuild_canon(store)


def judgements(store: Store) -> list[Judgement]:
    """Every judgement, oldest first."""
    prefix = ns.JUDGEMENT_GRAPH_PREFIX
    found: dict[str, Judgement] = {}
    for row in run_named(store, "judgements"):
        graph = str(row["graph"])
        if not graph.startswith(prefix):
            continue
        from urllib.parse import unquote

        judgement_id = unquote(graph[len(prefix):])
        found[judgement_id] = Judgement(
            id=judgement_id,
            kind=str(row["kind"]).rsplit("#", 1)[-1].lower(),
            left=str(row["left"]),
            right=str(row["right"]),
            when=_iso(row["when"]),
            who=str(row["who"]) if "who" in row else None,
            why=str(row["why"]) if "why" in row else None,
        )
    return sorted(found.values(), key=lambda j: j.id)


def _iso(value: object) -> str:
    """A stored ``xsd:dateTime`` as ``YYYY-MM-DDTHH:MM:SSZ`` whichever lexical form the backend returns."""
    python = value.toPython() if isinstance(value, Literal) else value
    if isinstance(python, dt.datetime):
        if python.tzinfo is None:
            python = python.replace(tzinfo=dt.UTC)
        return python.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def clusters(found: Iterable[Judgement]) -> dict[str, str]:
    """Member IRI -> canonical IRI for every entity in a merged cluster (the canonical one included).

    The latest judgement about a pair wins; merges are applied oldest first, each joining two clusters
    unless a split keeps a member of one apart from a member of the other; a cluster's canonical IRI is
    the first entity of its earliest merge.

    >>> m = lambda i, a, b, k="merge": Judgement(str(i), k, a, b, "")
    >>> clusters([m(1, "A", "B"), m(2, "C", "B")])
    {'A': 'A', 'B': 'A', 'C': 'A'}
    >>> clusters([m(1, "A", "B"), m(2, "A", "B", "split")])
    {}
    >>> clusters([m(1, "A", "C", "split"), m(2, "A", "B"), m(3, "B", "C")])
    {'A': 'A', 'B': 'A'}
    """
    ordered = sorted(found, key=lambda j: j.id)
    latest: dict[frozenset[str], Judgement] = {}
    for judgement in ordered:
        latest[frozenset((judgement.left, judgement.right))] = judgement
    apart = [(j.left, j.right) for j in latest.values() if j.kind == "split"]
    root: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(iri: str) -> str:
        while root.get(iri, iri) != iri:
            iri = root[iri]
        return iri

    born: dict[str, int] = {}  # canonical IRI -> when its cluster was formed (the merge's rank)
    for n, judgement in enumerate(sorted(latest.values(), key=lambda j: j.id)):
        if judgement.kind != "merge":
            continue
        ra, rb = find(judgement.left), find(judgement.right)
        if ra == rb:
            continue
        one, two = members.get(ra, {ra}), members.get(rb, {rb})
        if any((x in one and y in two) or (y in one and x in two) for x, y in apart):
            continue  # kept apart for good
        if born.get(rb, n) < born.get(ra, n):  # the older cluster keeps its canonical IRI
            ra, rb, one, two = rb, ra, two, one
        born.setdefault(ra, n)
        root[rb] = ra
        members[ra] = one | two
        members.pop(rb, None)
    return {member: canon for canon, group in sorted(members.items()) for member in sorted(group)}


def rebuild_canon(store: Store) -> dict[str, str]:
    """Write the canon graph from the stored judgements (replaced whole, in one write); the map it holds."""
    mapping = clusters(judgements(store))
    if not mapping:
        store.drop_graph(ns.CANON_GRAPH)
        return mapping
    graph = Graph()
    for member, canon in mapping.items():
        graph.add((URIRef(member), KG.canonical, URIRef(canon)))
        if member != canon:
            graph.add((URIRef(member), OWL.sameAs, URIRef(canon)))
    store.replace_graph(ns.CANON_GRAPH, graph)
    return mapping


@dataclass(frozen=True)
class Canon:
    """The canon graph as read for one request: which entity stands for which, and the canonical labels."""

    canonical: dict[str, str] = field(default_factory=dict)  # member -> canonical (members of clusters only)
    labels: dict[str, str] = field(default_factory=dict)  # canonical -> its preferred label

    def of(self, iri: str) -> str:
        """The canonical IRI standing for ``iri`` (itself when it is in no merge)."""
        return self.canonical.get(iri, iri)

    def members(self, iri: str) -> list[str]:
        """Every IRI of ``iri``'s cluster, the canonical one first, then in IRI order; ``[iri]`` alone when
        it is in no merge."""
        canon = self.of(iri)
        others = sorted(m for m, c in self.canonical.items() if c == canon and m != canon)
        return [canon, *others]

    def label(self, iri: str) -> str | None:
        """The preferred label of the canonical entity of ``iri``'s cluster, or None if it is in no merge."""
        return self.labels.get(self.canonical[iri]) if iri in self.canonical else None

    def __bool__(self) -> bool:
        return bool(self.canonical)


def load_canon(store: Store) -> Canon:
    """The canon graph (one small query: only merged entities are in it)."""
    canonical: dict[str, str] = {}
    labels: dict[str, str] = {}
    for row in run_named(store, "canon-map"):
        member, canon = str(row["member"]), str(row["canonical"])
        canonical[member] = canon
        if "label" in row:
            labels[canon] = min(labels.get(canon, str(row["label"])), str(row["label"]))
    return Canon(canonical, labels)


def expand(query: NamedQuery, param: str, members: Sequence[str]) -> NamedQuery:
    """``query`` with the IRI parameter ``param`` bound to every member of a cluster (one ``VALUES`` row each,
    where ``kg.store.base.bind_values`` would put the one value) and no longer declared: run it with the
    other parameters as usual.  A cluster of one is the query unchanged."""
    if len(members) < 2:
        return query
    text = bind_rows(query.text, [param], [[URIRef(m)] for m in members])
    return replace(query, text=text, params=tuple(p for p in query.params if p.name != param))


def links(store: Store) -> dict[str, list[str]]:
    """Entity IRI -> its ``owl:sameAs`` links in the entity graph (Wikidata)."""
    found: dict[str, list[str]] = defaultdict(list)
    for row in run_named(store, "entity-links"):
        found[str(row["entity"])].append(str(row["link"]))
    return dict(found)


def find_qid(store: Store, text: str) -> list[str]:
    """The entities linked to the Wikidata item ``text`` (``Q423``), or none when it is not a QID."""
    text = text.strip()
    if not _QID.match(text):
        return []
    wanted = str(ns.WD[text.upper()])
    return sorted(iri for iri, targets in links(store).items() if wanted in targets)


# ---------------------------------------------------------------------------------- preferred labels
def choose_label(labels: Iterable[str], gazetteer_label: str | None = None) -> str:
    """The one preferred label among an entity's spellings: the gazetteer's label when the gazetteer knows
    the entity, else the proper-name form: the spelling with the most words starting with a capital letter
    ("Khartiia Brigade" over "Khartiia brigade"), then the longest (an initial spelled out, a transliteration
    with its letters), then the first in code-point order.  It depends only on the set of spellings, never on
    the order articles were stored in, so every writer settles on the same one.

    >>> choose_label(["Khartiia brigade", "Khartiia Brigade", "Khartia Brigade"])
    'Khartiia Brigade'
    """
    spellings = sorted(set(labels))
    if gazetteer_label is not None:
        return gazetteer_label
    if not spellings:
        raise ValueError("an entity with no label")
    return min(spellings, key=lambda s: (-sum(w[:1].isupper() for w in s.split()), -len(s), s))


def settle_labels(store: Store, gazetteer_label: Callable[[str], str | None] | None = None) -> int:
    """Leave every entity of the entity graph with one ``skos:prefLabel`` (:func:`choose_label`), the others
    turned into ``skos:altLabel``, in one update; the number of entities settled.  One query when nothing
    needs settling (the usual case), so it runs after every ingest.  ``gazetteer_label`` gives the
    gazetteer's label of an entity id, where the caller has the gazetteer (``kg ingest``); the gazetteer's
    entities are written with its one label, so this matters only after the gazetteer renamed one."""
    clashes: dict[URIRef, list[Literal]] = defaultdict(list)
    for row in run_named(store, "preferred-label-clashes"):
        entity, label = row["entity"], row["label"]
        if isinstance(entity, URIRef) and isinstance(label, Literal):
            plain = Literal(str(label), lang=label.language) if label.datatype in (None, XSD.string) else label
            clashes[entity].append(plain)
    if not clashes:
        return 0
    removed, added = Graph(), Graph()
    for entity, labels in clashes.items():
        known = gazetteer_label(entity_id(str(entity))) if gazetteer_label is not None else None
        keep = choose_label([str(label) for label in labels], known)
        for label in labels:
            if str(label) != keep:
                removed.add((entity, SKOS.prefLabel, label))
                added.add((entity, SKOS.altLabel, label))
        if keep not in {str(label) for label in labels}:
            added.add((entity, SKOS.prefLabel, Literal(keep)))
    graph = f"<{ns.ENTITY_GRAPH}>"
    store.update(
        f"DELETE DATA {{ GRAPH {graph} {{\n{removed.serialize(format='nt')}\n}} }} ;\n"
        f"INSERT DATA {{ GRAPH {graph} {{\n{added.serialize(format='nt')}\n}} }}"
    )
    return len(clashes)


# ---------------------------------------------------------------------------------- suggestions
@dataclass(frozen=True)
class Suggestion:
    """Two entities whose labels are close enough to be one: for a person to merge, or keep apart."""

    left: str
    right: str
    left_label: str
    right_label: str
    score: float

    def as_json(self) -> dict[str, Any]:
        return {
            "left": self.left, "right": self.right, "leftId": entity_id(self.left), "rightId": entity_id(self.right),
            "leftLabel": self.left_label, "rightLabel": self.right_label, "score": self.score,
        }


def suggest(store: Store, *, min_score: float = SUGGEST_MIN_SCORE, limit: int | None = 50) -> list[Suggestion]:
    """Pairs of entities that are probably one, best first: the highest rapidfuzz ``fuzz.ratio`` between any
    label of one and any label of the other, after ``kg.text.normalise``, at least ``min_score``.  Places are
    compared with places and actors with actors; a pair already judged, already in one cluster, or linked to
    two different Wikidata items is not proposed.  ``choose_label`` decides which is named first (the one
    that would be kept by ``kg merge FIRST SECOND``: a gazetteer entity, one with a Wikidata link, before one
    minted from a name)."""
    canon = load_canon(store)
    judged = {frozenset((j.left, j.right)) for j in judgements(store)}
    qids = links(store)
    entities: dict[str, dict[str, Any]] = {}
    for row in run_named(store, "entity-labels"):
        item = entities.setdefault(str(row["entity"]), {"labels": set(), "pref": None, "types": set()})
        item["labels"].add(str(row["label"]))
        if str(row.get("preferred", "")).lower() in ("true", "1"):
            item["pref"] = str(row["label"])
        if "type" in row:
            item["types"].add(str(row["type"]))
    best: dict[tuple[str, str], float] = {}
    for family in ("place", "actor"):
        names: list[str] = []
        owners: list[str] = []
        for iri, item in entities.items():
            if _family(item["types"]) != family:
                continue
            for label in item["labels"]:
                folded = normalise(label)
                if len(folded) >= SUGGEST_MIN_LEN:
                    names.append(folded)
                    owners.append(iri)
        if len(names) < 2:
            continue
        scores = process.cdist(names, names, scorer=fuzz.ratio, score_cutoff=min_score, workers=1)
        for i, j in zip(*scores.nonzero(), strict=True):
            a, b = owners[int(i)], owners[int(j)]
            if a >= b:
                continue
            score = float(scores[i, j])
            if score > best.get((a, b), 0.0):
                best[(a, b)] = score
    found = []
    for (a, b), score in best.items():
        if frozenset((a, b)) in judged or canon.of(a) == canon.of(b):
            continue
        if qids.get(a) and qids.get(b) and not set(qids[a]) & set(qids[b]):
            continue  # two different Wikidata items: known to be two
        first, second = sorted((a, b), key=lambda iri: (not qids.get(iri), iri))
        found.append(Suggestion(first, second, _label(entities[first]), _label(entities[second]), round(score, 1)))
    found.sort(key=lambda s: (-s.score, s.left_label.casefold(), s.right_label.casefold(), s.left, s.right))
    return found if limit is None else found[:limit]


def _label(item: dict[str, Any]) -> str:
    return str(item["pref"] or sorted(item["labels"])[0])


def _family(types: set[str]) -> str:
    """``place`` for a location that is no actor, else ``actor`` (a state is both, and is compared as an actor)."""
    actor_types = {str(KG[t]) for t in ("State", "ArmedForce", "ArmedGroup", "Person", "Organisation", "NewsOutlet",
                                         "Actor")}
    return "actor" if types & actor_types or str(KG.Location) not in types else "place"
