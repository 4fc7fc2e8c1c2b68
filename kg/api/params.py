"""Query-string rules for every endpoint, in one place: each parameter is given once, and no value is longer
than ``KG_MAX_PARAM_CHARS`` characters (default 2,000).

Why: a framework keeps the last of repeated parameters silently, so ``?location=Kursk&location=Gaza`` would
answer for Gaza while the client believes it asked for Kursk; ``/sparql`` and ``/queries`` refused repeats
on their own, the other endpoints did not.  And every REST parameter is a name to match or a filter, never a
document: a 100 kB ``/entities?q=`` cost 5 s of CPU.  Exceptions: the SPARQL 1.1 Protocol's
``default-graph-uri`` and ``named-graph-uri`` repeat by design (one per graph), and ``/sparql``'s
``query`` (and ``update``, which it refuses) are SPARQL texts, bounded by the request size limits instead.
Refusals are 400 with the JSON error body of every other error.
"""

from __future__ import annotations

from collections import Counter

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from kg.api.security import send_error

MAX_PARAM_CHARS = 2_000  # the default of KG_MAX_PARAM_CHARS (kg.settings.Settings.max_param_chars)
#: parameters that may be given more than once (SPARQL 1.1 Protocol: one per graph)
REPEATABLE = frozenset({"default-graph-uri", "named-graph-uri"})
#: parameters of a path that hold a whole SPARQL text, not a name: exempt from the length limit
TEXTS = {"/sparql": frozenset({"query", "update"})}


def problem(path: str, query_string: bytes, limit: int = MAX_PARAM_CHARS) -> str | None:
    """What is wrong with a request's query string, or None.

    >>> problem("/entities", b"q=Kursk&q=Gaza")
    "give parameter 'q' once, not 2 times"
    >>> problem("/sparql", b"default-graph-uri=a&default-graph-uri=b&format=json&format=json") is None
    True
    >>> problem("/sparql", b"query=ASK{}&query=ASK{}")
    "give parameter 'query' once, not 2 times"
    """
    items = QueryParams(query_string).multi_items()
    counts = Counter(key for key, _ in items)
    sparql = (path.rstrip("/") or "/") in TEXTS  # only its texts count there: SPARQLWrapper repeats 'format'
    for key, count in counts.items():
        if count > 1 and key not in REPEATABLE and (not sparql or key in TEXTS["/sparql"]):
            return f"give parameter {key!r} once, not {count} times"
    texts = TEXTS.get(path.rstrip("/") or "/", frozenset())
    for key, value in items:
        if len(value) > limit and key not in texts:
            return f"parameter {key!r} is {len(value):,} characters, over the limit of {limit:,} (KG_MAX_PARAM_CHARS)"
    return None


class QueryStringRules:
    """ASGI middleware answering 400 to a request whose query string breaks :func:`problem`'s rules,
    before any endpoint runs."""

    def __init__(self, app: ASGIApp, limit: int = MAX_PARAM_CHARS) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            message = problem(scope.get("path", ""), scope["query_string"], self.limit)
            if message is not None:
                await send_error(send, 400, "BadRequest", message)
                return
        await self.app(scope, receive, send)
