"""Store -> networkx ``MultiDiGraph`` -> GEXF (dynamic, for Gephi's timeline) or GraphML.

The graph drawn from the claims (``queries/export-claims.rq``):

* **nodes** are actors and locations, keyed by entity id (``north-korea``), with ``label``, ``type``
  (``State``, ``Location``, ``Person``...), ``iri`` and, where the gazetteer knows it, ``wikidata`` (the
  item's IRI); an entity merged into another (``kg merge``) is drawn as that canonical entity;
* **deployment edges** ``deployer -> location``, one per deployer, location and certainty, aggregating
  every claim of that deployment: ``claims`` (the number of supporting claims, also the GEXF ``weight``),
  ``troops_min`` (lowest estimate) and ``troops_max`` (highest estimate) when any claim gives numbers,
  ``claimants`` (their names), ``first`` and ``last`` (the earliest and latest publication dates);
* **claim edges** ``claimant -> deployer``, one per claimant, deployer, location and certainty: "who says
  whose forces are where", with ``location`` (the place's label) and the same counts and dates;
* **statement edges** ``speaker -> place`` when a statement has a place, and ``claimant -> speaker`` when
  someone other than the speaker reports the statement (an outlet reporting what a president said).

Every edge has ``kind`` (``deployment``, ``claim`` or ``statement``), ``certainty`` and ``label``.  With
dates known, nodes and edges get ``start``/``end`` (first and last publication date), which makes the
GEXF dynamic: Gephi's timeline then plays the claims forward.  Filters keep only deployments at matching
places (``location``), only edges touching matching actors (``actor``) and only claims from articles
published in a date range (``since``/``until``, inclusive); names match labels and aliases as substrings
after normalisation (case, accents, punctuation).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from kg import ns
from kg.errors import QueryError
from kg.judgements import Canon, links, load_canon
from kg.queries import run_named
from kg.rows import entity_id, entity_index, entity_type
from kg.store.base import Row, Store
from kg.text import normalise

log = logging.getLogger(__name__)

FORMATS = ("gexf", "graphml")


@dataclass(frozen=True)
class ExportFilter:
    """Which claims go into an export; every field is optional."""

    location: str | None = None
    actor: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    @classmethod
    def parse(
        cls,
        *,
        location: str | None = None,
        actor: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ExportFilter:
        """A filter from text values, as given on the command line or in a query string.

        :raises QueryError: a date that is not ``YYYY-MM-DD``, or ``since`` after ``until``.

        >>> ExportFilter.parse(location="Kursk", since="2024-11-01")
        ExportFilter(location='Kursk', actor=None, since=datetime.date(2024, 11, 1), until=None)
        """
        start, end = _date("since", since), _date("until", until)
        if start and end and start > end:
            raise QueryError(f"since ({start}) is after until ({end})")
        return cls(
            location=(location or "").strip() or None, actor=(actor or "").strip() or None, since=start, until=end
        )


def _date(name: str, value: str | None) -> dt.date | None:
    if value is None or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from None


def _matches(needle: str | None, labels: Iterable[str]) -> bool:
    if needle is None:
        return True
    folded = normalise(needle)
    return any(folded in normalise(label) for label in labels)


def build_graph(store: Store, filter: ExportFilter | None = None) -> nx.MultiDiGraph:
    """The claims in ``store`` that pass ``filter`` as a graph of actors and locations (see the module
    documentation for what the nodes and edges are)."""
    filter = filter or ExportFilter()
    index = entity_index(store)  # merged entities folded into their canonical one (kg.judgements)
    canon = load_canon(store)
    wikidata: dict[str, set[str]] = {}  # canonical entity -> the Wikidata items of its cluster
    for iri, targets in links(store).items():
        wikidata.setdefault(canon.of(iri), set()).update(t for t in targets if t.startswith(str(ns.WD)))
    rows = run_named(store, "export-claims")
    claims: dict[str, dict[str, Any]] = {}
    for row in rows:
        claim = claims.setdefault(str(row["claim"]), _claim(row, canon))
        if "claimantIri" in row:
            claim["claimants"].add(canon.of(str(row["claimantIri"])))

    graph = nx.MultiDiGraph(name="kg claims")
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}

    def labels_of(iri: str | None) -> list[str]:
        return index.get(iri, {}).get("labels", []) if iri else []

    def node(iri: str) -> str:
        key = entity_id(iri)
        if key not in graph:
            item = index.get(iri, {})
            graph.add_node(
                key, label=item.get("label") or key, type=entity_type(item.get("types", set())) or "", iri=iri
            )
            if wikidata.get(iri):
                graph.nodes[key]["wikidata"] = " ".join(sorted(wikidata[iri]))
        return key

    def edge(source: str, target: str, kind: str, claim: dict[str, Any], **extra: Any) -> None:
        s, t = node(source), node(target)
        key = f"{kind}:{s}->{t}:{claim['certainty']}" + (f"@{extra['location_id']}" if "location_id" in extra else "")
        data = edges.get((s, t, key))
        if data is None:
            data = {"kind": kind, "certainty": claim["certainty"], "claims": 0, "dates": [], "claimant_set": set()}
            data.update({k: v for k, v in extra.items() if k != "location_id"})
            edges[(s, t, key)] = data
        data["claims"] += 1
        if claim["published"] is not None:
            data["dates"].append(claim["published"])
        for bound, pick in (("troops_min", min), ("troops_max", max)):
            value = claim[bound]
            if value is not None:
                data[bound] = pick(data[bound], value) if bound in data else value
        data["claimant_set"].update(index.get(c, {}).get("label") or entity_id(c) for c in claim["claimants"])

    for claim in claims.values():
        published = claim["published"]
        if filter.since and (published is None or published < filter.since):
            continue
        if filter.until and (published is None or published > filter.until):
            continue
        if claim["kind"] == "deployment":
            deployer, location = claim["deployer"], claim["location"]
            if deployer is None or location is None or not _matches(filter.location, labels_of(location)):
                continue
            touches = [deployer, *claim["claimants"]]
            if filter.actor and not any(_matches(filter.actor, labels_of(a)) for a in touches):
                continue
            edge(deployer, location, "deployment", claim)
            for claimant in claim["claimants"]:
                edge(
                    claimant,
                    deployer,
                    "claim",
                    claim,
                    location=index.get(location, {}).get("label") or entity_id(location),
                    location_id=entity_id(location),
                )
        else:
            speaker, place = claim["speaker"], claim["place"]
            if speaker is None:
                continue
            if filter.location and (place is None or not _matches(filter.location, labels_of(place))):
                continue
            touches = [speaker, *claim["claimants"]]
            if filter.actor and not any(_matches(filter.actor, labels_of(a)) for a in touches):
                continue
            if place is not None:
                edge(speaker, place, "statement", claim)
            for claimant in claim["claimants"]:
                if claimant != speaker:
                    edge(claimant, speaker, "claim", claim)

    node_dates: dict[str, list[dt.date]] = {}
    for (source, target, key), data in edges.items():
        dates = sorted(data.pop("dates"))
        claimants = sorted(data.pop("claimant_set"))
        attrs = {**data, "claimants": "; ".join(claimants), "weight": data["claims"], "id": key}
        attrs["label"] = f"{data['kind']} ({data['certainty']})"
        if dates:
            attrs.update(
                first=dates[0].isoformat(),
                last=dates[-1].isoformat(),
                start=dates[0].isoformat(),
                end=dates[-1].isoformat(),
            )
            node_dates.setdefault(source, []).extend((dates[0], dates[-1]))
            node_dates.setdefault(target, []).extend((dates[0], dates[-1]))
        graph.add_edge(source, target, key=key, **attrs)
    for key, dates in node_dates.items():
        graph.nodes[key]["start"] = min(dates).isoformat()
        graph.nodes[key]["end"] = max(dates).isoformat()
    isolated = [n for n in graph if graph.degree(n) == 0]
    graph.remove_nodes_from(isolated)
    log.info("export: %d nodes, %d edges from %d claims", graph.number_of_nodes(), graph.number_of_edges(), len(claims))
    return graph


def _claim(row: Row, canon: Canon) -> dict[str, Any]:
    """One claim's row as the export reads it, every entity as the canonical one of its merged cluster."""
    published = row.get("published")
    date: dt.date | None = None
    if published is not None:
        try:
            date = dt.date.fromisoformat(str(published)[:10])
        except ValueError:
            date = None

    def integer(name: str) -> int | None:
        value = row.get(name)
        try:
            return int(str(value)) if value is not None else None
        except ValueError:
            return None

    def iri(name: str) -> str | None:
        value = row.get(name)
        return canon.of(str(value)) if value is not None else None

    return {
        "kind": "deployment" if str(row["subjectType"]).endswith("#Deployment") else "statement",
        "deployer": iri("deployerIri"),
        "location": iri("locationIri"),
        "speaker": iri("speakerIri"),
        "place": iri("placeIri"),
        "certainty": str(row["certaintyIri"]).rsplit("#", 1)[-1],
        "troops_min": integer("troopsMin"),
        "troops_max": integer("troopsMax"),
        "published": date,
        "claimants": set(),
    }


def graph_lines(graph: nx.MultiDiGraph, format: str) -> Iterator[bytes]:
    """``graph`` as GEXF 1.2 (dynamic when dated) or GraphML, a piece at a time (networkx's
    ``generate_gexf``/``generate_graphml``), so the document is never held whole in memory.

    :raises QueryError: another format (before anything is generated).
    """
    if format not in FORMATS:
        raise QueryError(f"export format must be one of {', '.join(FORMATS)}, not {format!r}")
    return _lines(graph, format)


def _lines(graph: nx.MultiDiGraph, format: str) -> Iterator[bytes]:
    if format == "gexf":
        dynamic = any("start" in d for _, _, d in graph.edges(data=True))
        mode = graph.graph.get("mode")
        graph.graph["mode"] = "dynamic" if dynamic else "static"
        try:
            yield b'<?xml version="1.0" encoding="utf-8"?>\n'
            for line in nx.generate_gexf(graph, version="1.2draft"):
                yield (line + "\n").encode("utf-8")
        finally:
            if mode is None:
                graph.graph.pop("mode", None)
            else:
                graph.graph["mode"] = mode
    else:
        view = nx.MultiDiGraph()  # the same nodes and edges without the GEXF-only time attributes
        view.graph.update(graph.graph)
        view.add_nodes_from((n, {k: v for k, v in d.items() if k not in _TIME}) for n, d in graph.nodes(data=True))
        edges = graph.edges(keys=True, data=True)
        view.add_edges_from((s, t, k, {a: v for a, v in d.items() if a not in _TIME}) for s, t, k, d in edges)
        yield b'<?xml version="1.0" encoding="utf-8"?>\n'
        for line in nx.generate_graphml(view, named_key_ids=True):
            yield (line + "\n").encode("utf-8")


_TIME = ("start", "end")


def graph_bytes(graph: nx.MultiDiGraph, format: str) -> bytes:
    """``graph`` as GEXF 1.2 (dynamic when dated) or GraphML, whole (see ``graph_lines``).

    :raises QueryError: another format.
    """
    return b"".join(graph_lines(graph, format))


def write_graph(graph: nx.MultiDiGraph, path: Path | str, format: str) -> None:
    """Write ``graph`` to ``path`` as ``gexf`` or ``graphml``, a piece at a time."""
    pieces = graph_lines(graph, format)
    with Path(path).open("wb") as sink:
        for piece in pieces:
            sink.write(piece)
