"""``GET /entities?q=`` (search by name, alias-aware and fuzzy) and ``GET /entities/{id}`` (JSON, HTML or
Turtle), ``GET /deployments`` (filtered claims of deployments).

Every list comes in pages (``kg.api.paging``): the search's hits, an entity's claims and the deployments
each take ``limit`` and ``offset`` and say where the next page is (``next``, ``Link``).  A page of claims
holds whole claims (one claim is several rows, one per claimant: ``kg.queries.run_page``).  The Turtle form of
an entity is paged too: its own triples and a page of its claims' graph, in the JSON page's order
(``entity_turtle``); ``GET /queries/entity-graph`` answers the same pages of claims without the entity's own
triples."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from rapidfuzz import fuzz, process
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, SKOS, XSD
from rdflib.term import Node

from kg import ns
from kg.api.deps import StoreDep
from kg.api.negotiation import negotiate
from kg.api.paging import (
    DEFAULT_LIMIT,
    AfterQ,
    LimitQ,
    OffsetQ,
    OrderQ,
    link_headers,
    next_url,
    paged_json,
    slice_page,
)
from kg.api.security import ERROR_RESPONSES
from kg.errors import NotFound, QueryError
from kg.judgements import expand, find_qid, load_canon
from kg.ns import KG
from kg.queries import DayPath, claim_after, construct_page, get_query, last_claim, run_named, run_page
from kg.rdf import bind_prefixes
from kg.rows import claims_from_rows, entity_id, entity_index, entity_type
from kg.store.base import Store
from kg.text import normalise

router = APIRouter(tags=["entities"], responses=ERROR_RESPONSES)

CERTAINTIES = ("asserted", "possible", "denied")


def search(store: Store, q: str, limit: int | None, min_score: float) -> list[dict[str, Any]]:
    """Entities whose labels or aliases match ``q``: exact (after normalisation) 100, a whole-word part
    of a label 95, else rapidfuzz's weighted ratio (typos, transliterations, word order); best first, at
    most ``limit`` (None: every one).

    The labels are scored in C: rapidfuzz's ``process.extract`` for the ratio, one regular expression over
    all of them for the whole words; Python only visits the labels that scored."""
    needle = normalise(q)
    canon = load_canon(store)
    linked = {canon.of(iri) for iri in find_qid(store, q)}  # "Q423": the entity linked to that Wikidata item
    index = entity_index(store)
    owners: list[tuple[str, str]] = [(iri, label) for iri, item in index.items() for label in item["labels"]]
    folded = [_fold(label) for _, label in owners]
    scores = _label_scores(needle, folded, min_score)
    best: dict[str, tuple[float, str | None]] = {iri: (100.0, q.strip().upper()) for iri in linked if iri in index}
    for i in sorted(scores):  # label order, so a tie keeps an entity's first label, as listed
        iri, label = owners[i]
        if scores[i] > best.get(iri, (0.0, None))[0]:
            best[iri] = (scores[i], label)
    hits = []
    for iri, (score, matched) in best.items():
        if score >= min_score:
            item = index[iri]
            hits.append(
                {
                    "id": entity_id(iri),
                    "iri": iri,
                    "label": item["label"],
                    "type": entity_type(item["types"]),
                    "altLabels": [x for x in item["labels"] if x != item["label"]],
                    "matched": matched,
                    "score": round(score, 1),
                }
            )
    hits.sort(key=lambda h: (-h["score"], h["label"].casefold(), h["id"]))  # a total order: stable pages
    return hits if limit is None else hits[:limit]


@lru_cache(maxsize=200_000)
def _fold(label: str) -> str:
    """``normalise`` of a label, remembered: the same labels are searched on every request."""
    return normalise(label)


def _label_scores(needle: str, folded: list[str], min_score: float) -> dict[int, float]:
    """The score of each label (by position) that scores at all: 100 for the needle itself, 95 for a label
    holding it as whole words, else rapidfuzz's ``WRatio`` where it reaches ``min_score``.

    >>> scores = _label_scores("korea", ["north korea", "korea", "koreas", "chad"], 75)
    >>> sorted((i, round(s, 1)) for i, s in scores.items())
    [(0, 95.0), (1, 100.0), (2, 90.9)]
    >>> sorted(_label_scores("selenskyj", ["elena", "elen", "selensky", "zelensky"], 75))  # not a piece of a word
    [2, 3]
    >>> sorted(_label_scores("kursk region", ["kursk", "region of kursk", "kur"], 75))  # a word of the query is
    [0, 1]
    """
    if not needle:
        return dict.fromkeys(range(len(folded)), 100.0)
    scores = {
        i: float(score)
        for _, score, i in process.extract(needle, folded, scorer=fuzz.WRatio, limit=None, score_cutoff=min_score)
    }
    # WRatio scores a label found inside the query as a part of a longer name (90 for "elen" in "selenskyj"):
    # right for a word of the query ("kursk" in "kursk region"), wrong for a piece of one; such a one-word label
    # much shorter than the query's longest word is scored as the whole query against it instead
    words = needle.split()
    longest = max(map(len, words))
    for i in [i for i in scores if " " not in folded[i] and 3 * len(folded[i]) < 2 * longest
              and folded[i] not in words]:
        score = fuzz.ratio(needle, folded[i])
        if score >= min_score:
            scores[i] = float(score)
        else:
            del scores[i]
    joined = "\n".join(folded)
    starts = list(accumulate((len(f) + 1 for f in folded), initial=0))
    for match in re.finditer(rf"(?m)^(?:[^\n]* )?{re.escape(needle)}(?: [^\n]*)?$", joined):
        i = bisect_right(starts, match.start()) - 1
        scores[i] = 100.0 if folded[i] == needle else 95.0
    return scores


@router.get("/entities", summary="Search entities by name or alias; a page of hits, best first")
def list_entities(
    store: StoreDep,
    request: Request,
    q: Annotated[
        str, Query(max_length=200, description="A name, alias or misspelling ('Selenskyj', 'Kursk region').")
    ] = "",
    limit: LimitQ = 20,
    offset: OffsetQ = 0,
    min_score: Annotated[float, Query(ge=0, le=100, description="Lowest fuzzy score (0-100) to list.")] = 75,
) -> JSONResponse:
    hits, next_offset = slice_page(search(store, q, None, min_score), limit, offset)
    return paged_json(request, {"q": q, "results": hits}, limit, offset, next_offset)


def describe(store: Store, key: str, limit: int = DEFAULT_LIMIT, offset: int = 0,
             after: str | None = None, newest: bool = False) -> dict[str, Any]:
    """The JSON description of entity ``key``: labels, type, sameAs, and one page of the claims it takes
    part in (``limit`` claims from row ``offset``, or just after claim ``after``: ``kg.queries.run_page``),
    oldest first or ``newest`` first, split into deployments and statements; ``next_offset`` says where the
    next page starts (None: this is the last) and ``next_after`` which claim it follows.

    :raises NotFound: no such entity.
    """
    asked = str(ns.entity_iri(key))
    canon = load_canon(store)  # the identity judgements: a merged entity is described as its cluster
    iri = canon.of(asked)
    members = canon.members(asked)
    labels: list[str] = []
    alt: list[str] = []
    types: set[str] = set()
    same_as: list[str] = [m for m in members if m != iri]
    extra: dict[str, Any] = {}
    found = False
    for member in members:
        rows = run_named(store, "entity", {"entity": member})
        found = found or (member == asked and bool(rows))
        for row in rows:
            predicate, value = row["p"], row["o"]
            if predicate == SKOS.prefLabel:
                (labels if member == iri else alt).append(str(value))
            elif predicate == SKOS.altLabel:
                alt.append(str(value))
            elif predicate == RDF.type and (member == iri or not types):
                types.add(str(value))
            elif predicate == OWL.sameAs:
                same_as.append(str(value))
            elif predicate == KG.isoCode:
                extra.setdefault("isoCode", str(value))
    if not found:
        raise NotFound(f"no entity {key!r}")
    query = expand(get_query("claim-details"), "entity", members)
    values = {} if len(members) > 1 else {"entity": iri}
    # the first days of the cluster's claims, then only their claims (kg.queries.DayPath): a big entity's page
    # no longer reads every claim's date
    days = DayPath(expand(get_query("entity-days"), "entity", members),
                   expand(get_query("claim-details-on-days"), "entity", members))
    page = run_page(store, query, values, limit=limit, offset=offset, group="claim", days=days,
                    after=claim_after(after) if after else None, newest=newest)
    claims = claims_from_rows(page.rows, entity=iri, canon=canon)
    if asked != iri:
        extra["requested"] = key  # merged into the canonical entity this describes
    return {
        "id": entity_id(iri),
        "iri": iri,
        "label": sorted(labels)[0] if labels else key,
        "altLabels": sorted(set(alt + sorted(labels)[1:])),
        "type": entity_type(types),
        "sameAs": sorted(set(same_as)),
        **extra,
        "deployments": [c for c in claims if c["kind"] == "deployment"],
        "statements": [c for c in claims if c["kind"] == "statement"],
        "next_offset": page.next_offset,
        "next_after": page.last,
    }


def entity_turtle(store: Store, key: str, limit: int = DEFAULT_LIMIT, offset: int = 0,
                  after: str | None = None, newest: bool = False) -> tuple[str, int | None, URIRef | None]:
    """One page of entity ``key`` as Turtle: its own triples (``queries/entity.rq``, every member of its
    cluster, with the members' ``owl:sameAs``) and ``limit`` of the claims it takes part in from claim
    ``offset``, in the JSON page's order (``queries/entity-graph.rq``), each with its deployment or statement
    and evidence; and where the next page starts (None: this was the last).

    Why a page: the whole graph of a big entity is far too much to answer at once (Russia at 10,000
    articles: 123,000 triples, 7.4 s).  ``kg.queries.construct_page`` cuts the claims' sub-select at the page,
    so only the page's claims are looked up, and on the embedded store starts from the cluster's first days
    (``entity-graph-on-days``), as the JSON page does.  Unlike the JSON form, whose ``offset`` counts rows (one
    per claimant), ``offset`` here counts claims; the ``next`` link says which to ask for, and its ``after``
    (the page's last claim, returned third) starts the next page there however deep it is.

    :raises NotFound: no such entity.
    """
    canon = load_canon(store)
    members = canon.members(str(ns.entity_iri(key)))
    graph = bind_prefixes(Graph())
    for member in members[1:]:  # the cluster's other IRIs, as the canon graph says
        graph.add((URIRef(member), OWL.sameAs, URIRef(members[0])))
    for member in members:
        for row in run_named(store, "entity", {"entity": member}):
            graph.add((URIRef(member), row["p"], _plain(row["o"])))
    if not len(graph):
        raise NotFound(f"no entity {key!r}")
    query = expand(get_query("entity-graph"), "entity", members)
    days = DayPath(expand(get_query("entity-days"), "entity", members),
                   expand(get_query("entity-graph-on-days"), "entity", members))
    values = {} if len(members) > 1 else {"entity": members[0]}
    claims, next_offset = construct_page(store, query, values, limit=limit, offset=offset, days=days,
                                         after=claim_after(after) if after else None, newest=newest)
    for s, p, o in claims:
        graph.add((s, p, _plain(o)))
    last = last_claim(store, claims, newest) if next_offset is not None else None
    return graph.serialize(format="turtle"), next_offset, last


def _plain(term: Node) -> Node:
    """A literal typed xsd:string as the simple literal it is in RDF 1.1 (Turtle then shows it plainly), and a
    decimal with its point: a row may read a decimal as "127", which rdflib writes in Turtle as 127, an
    integer."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    if isinstance(term, Literal) and term.datatype == XSD.decimal and "." not in str(term):
        return Literal(f"{term}.0", datatype=XSD.decimal)
    return term


#: The data forms of an entity; its page (HTML) is ``kg.api.pages.entity_html`` (Jinja2, autoescaped), whose
#: route answers every request preferring HTML before this one is tried (``kg.api.negotiation.wants_html``).
_ENTITY_TYPES = {
    "application/json": "application/json",
    "text/turtle": "text/turtle",
}


@router.get(
    "/entities/{entity}",
    summary="One entity, with its deployments, statements and claims",
    responses={200: {"content": {"application/json": {}, "text/html": {}, "text/turtle": {}}}},
)
def get_entity(
    entity: str, store: StoreDep, request: Request, limit: LimitQ = DEFAULT_LIMIT, offset: OffsetQ = 0,
    after: AfterQ = None, order: OrderQ = "oldest",
) -> Response:
    media_type = negotiate(request.headers.get("accept"), _ENTITY_TYPES, "application/json")
    if media_type is None:
        raise HTTPException(406, "an entity is available as application/json, text/turtle or text/html")
    if media_type == "text/turtle":
        body, next_offset, last = entity_turtle(store, entity, limit, offset, after, newest=order == "newest")
        url = next_url(request, next_offset, last)
        return Response(body, media_type="text/turtle; charset=utf-8", headers=link_headers(url))
    data = describe(store, entity, limit, offset, after, newest=order == "newest")
    url = next_url(request, data.pop("next_offset"), data.pop("next_after"))
    return JSONResponse({**data, "order": order, "limit": limit, "offset": offset, "next": url},
                        headers=link_headers(url))


@router.get(
    "/deployments", summary="Deployments, filtered by location, deployer, claimant and certainty; a page of claims"
)
def deployments(
    store: StoreDep,
    request: Request,
    location: Annotated[str | None, Query(description="Part of a place name or alias ('Kursk').")] = None,
    deployer: Annotated[str | None, Query(description="Part of the deployer's name or alias.")] = None,
    claimant: Annotated[str | None, Query(description="Part of a claimant's name or alias.")] = None,
    certainty: Annotated[str | None, Query(description="asserted, possible or denied.")] = None,
    limit: LimitQ = DEFAULT_LIMIT,
    offset: OffsetQ = 0,
) -> JSONResponse:
    values: dict[str, str] = {}
    for name, value in (("location", location), ("deployer", deployer), ("claimant", claimant)):
        if value:
            values[name] = value
    if certainty:
        if certainty not in CERTAINTIES:
            raise QueryError(f"certainty must be one of {', '.join(CERTAINTIES)}, got {certainty!r}")
        values["certainty"] = str(KG[certainty])
    page = run_page(store, "deployments", values, limit=limit, offset=offset, group="claim")
    claims = claims_from_rows(page.rows, canon=load_canon(store))
    body = {
        "filters": {
            k: v
            for k, v in (
                ("location", location),
                ("deployer", deployer),
                ("claimant", claimant),
                ("certainty", certainty),
            )
            if v
        },
        "count": len(claims),
        "results": claims,
    }
    return paged_json(request, body, limit, offset, page.next_offset)
