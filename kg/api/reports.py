"""``GET /reports/conflicts``: conflicting troop estimates, each with both claims and their evidence.

The same rule as the ``sh:Warning`` shape of ``ontology/conflicts.ttl`` (which ``kg validate`` runs), answered by
the named query ``queries/conflicts.rq`` a page at a time (``kg.queries.run_page``), as ``GET /queries/conflicts``
and ``kg query conflicts`` answer it: one query, one mechanism.  The query finds first, in one grouped pass, the
deployers and places where two troop ranges do not overlap (``queries/conflict-groups.rq``'s rule), and pairs
the claims there only, so the pairing, quadratic in the claims at a place, is not done where every report
agrees (at 10,000 articles, p95 of the first page: 0.18 s embedded and 0.17 s on Virtuoso for Kursk, about
0.3 s on both for every place, where pairing every claim at Kursk took over 10 s on both).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from rdflib.term import Identifier

from kg.api.paging import DEFAULT_LIMIT, LimitQ, OffsetQ, link_headers, next_url
from kg.queries import run_named, run_page
from kg.store.base import Row, Store

router = APIRouter(
    prefix="/reports",
    tags=["reports"],
    responses={400: {"description": "Bad request: malformed parameter"}},
)


class ClaimSide(BaseModel):
    """One of the two claims of a conflict: its estimate, who makes it, and where it says so."""

    claim: str
    troops_min: int | None
    troops_max: int | None
    certainty: str | None
    claimants: list[str]
    outlet: str | None
    article: str | None
    published: str | None
    evidence: str | None


class Conflict(BaseModel):
    """Two claims whose troop numbers for the same deployer and location cannot both be right."""

    deployer: str
    deployer_label: str | None
    location: str
    location_label: str | None
    claims: list[ClaimSide]


class ConflictReport(BaseModel):
    """The conflicts of one page (``count`` of them), and where the next page is (``next``, None on the last)."""

    count: int
    conflicts: list[Conflict]
    limit: int | None = None
    offset: int = 0
    next: str | None = None


def _text(row: Row, key: str) -> str | None:
    value: Identifier | None = row.get(key)
    return str(value) if value is not None and str(value) != "" else None


def _int(row: Row, key: str) -> int | None:
    value = _text(row, key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _side(row: Row, prefix: str) -> ClaimSide:
    def key(name: str) -> str:
        return f"{prefix}{name[0].upper()}{name[1:]}" if prefix else name

    certainty = _text(row, key("certaintyIri"))
    claimants = _text(row, key("claimants"))
    return ClaimSide(
        claim=str(row["other" if prefix else "claim"]),
        troops_min=_int(row, key("troopsMin")),
        troops_max=_int(row, key("troopsMax")),
        certainty=certainty.rsplit("#", 1)[-1] if certainty else None,
        claimants=sorted(claimants.split("; ")) if claimants else [],
        outlet=_text(row, key("outlet")),
        article=_text(row, key("article")),
        published=_text(row, key("published")),
        evidence=_text(row, key("evidence")),
    )


def conflicts(store: Store, location: str | None = None) -> ConflictReport:
    """The conflicting estimates in ``store``, optionally only at places whose name contains ``location``."""
    report, _ = conflict_page(store, location)
    return report


def conflict_page(
    store: Store, location: str | None = None, limit: int | None = None, offset: int = 0
) -> tuple[ConflictReport, int | None]:
    """``limit`` conflicts from ``offset`` in the query's order (all of them when ``limit`` is None), and the
    offset of the next page (None: this is the last).

    :raises QueryError: a bad limit or offset.
    """
    values = {"location": location} if location else {}
    if limit is None:
        rows, next_offset = run_named(store, "conflicts", values), None
    else:
        page = run_page(store, "conflicts", values, limit=limit, offset=offset)
        rows, next_offset = page.rows, page.next_offset
    found = [
        Conflict(
            deployer=str(row["deployer"]),
            deployer_label=_text(row, "deployerLabel"),
            location=str(row["place"]),
            location_label=_text(row, "placeLabel"),
            claims=[_side(row, ""), _side(row, "other")],
        )
        for row in rows
    ]
    return ConflictReport(count=len(found), conflicts=found, limit=limit, offset=offset), next_offset


@router.get("/conflicts", response_model=ConflictReport, summary="Conflicting troop estimates")
def get_conflicts(
    request: Request,
    response: Response,
    location: Annotated[
        str | None, Query(max_length=200, description="Only places whose name or alias contains this.")
    ] = None,
    limit: LimitQ = DEFAULT_LIMIT,
    offset: OffsetQ = 0,
) -> ConflictReport:
    """Pairs of claims that put the same deployer's forces at the same location with troop numbers whose
    ranges do not overlap, made by different claimants or on different dates: both claims, each with its
    numbers, certainty, claimants, outlet, article and evidence text.  A page at a time (``limit``,
    ``offset``); the next page is ``next`` and the ``Link`` header, as on every REST list."""
    store: Store = request.app.state.store
    report, next_offset = conflict_page(store, location, limit, offset)
    report.next = next_url(request, next_offset)
    response.headers.update(link_headers(report.next))
    return report
