"""Pages for every REST list: ``limit`` and ``offset`` query parameters with a bounded default and maximum,
and the way to the next page twice over, as a ``next`` field in the JSON and as a ``Link: <...>;
rel="next"`` header (RFC 8288), both absent on the last page.

The rows of a page come from ``kg.queries.run_page`` (the store computes only that page); this module only
says how a page is asked for and how the next one is found, the same way on every endpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import Query, Request
from fastapi.responses import JSONResponse

from kg.queries import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")

LimitQ = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"At most this many results in this page (1-{MAX_LIMIT}).")
]
OffsetQ = Annotated[
    int,
    Query(ge=0, description="Where this page starts: 0, or the offset in the previous page's `next` link."),
]
AfterQ = Annotated[
    str | None,
    Query(description="Start just after this claim (its IRI), as the previous page's `next` link says: a deep "
                      "page then costs what the first does. `offset` only numbers the page's rows."),
]
BeforeQ = Annotated[
    str | None,
    Query(description="The claims just newer than this claim (its IRI), as a page's \"newer claims\" link says."),
]
#: The orders of a list of claims, by their article's date.
Order = Literal["oldest", "newest"]
ORDERS: tuple[str, ...] = get_args(Order)
OrderQ = Annotated[
    Order,
    Query(description="The claims' order: by their article's date, `oldest` first (undated before the rest) or "
                      "`newest` first (undated last); ties by claim IRI, so every page is well defined."),
]
PAGE_PARAMS = ("limit", "offset")

__all__ = [
    "DEFAULT_LIMIT", "ORDERS", "PAGE_PARAMS", "AfterQ", "BeforeQ", "LimitQ", "OffsetQ", "OrderQ", "next_url",
    "paged_json", "slice_page",
]


def next_url(request: Request, next_offset: int | None, after: object = None) -> str | None:
    """The request's own path and query with ``offset`` moved to ``next_offset`` (and ``after`` to the page's
    last claim, where the page has a keyset cursor); None on the last page."""
    if next_offset is None:
        return None
    moved: dict[str, str | int] = {"offset": next_offset}
    if after is not None:
        moved["after"] = str(after)
    url = request.url.include_query_params(**moved)
    return f"{url.path}?{url.query}"


def link_headers(url: str | None) -> dict[str, str]:
    """``Link: <url>; rel="next"`` when there is a next page."""
    return {"Link": f'<{url}>; rel="next"'} if url else {}


def paged_json(
    request: Request, body: dict[str, Any], limit: int, offset: int, next_offset: int | None, after: object = None
) -> JSONResponse:
    """``body`` with ``limit``, ``offset`` and ``next`` added (``next`` carrying ``after``, the page's last claim,
    where the page has a keyset cursor), and the ``Link`` header."""
    url = next_url(request, next_offset, after)
    return JSONResponse({**body, "limit": limit, "offset": offset, "next": url}, headers=link_headers(url))


def slice_page(items: Sequence[T], limit: int, offset: int) -> tuple[list[T], int | None]:
    """One page of a list already in memory, and where the next starts (None: this is the last)."""
    end = offset + limit
    return list(items[offset:end]), end if end < len(items) else None
