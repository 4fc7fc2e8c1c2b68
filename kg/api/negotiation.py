"""Content negotiation, one way for the whole service (RFC 9110 12.5.1, by python-mimeparse): the SPARQL
endpoint's and the entity lookups' answer types (``negotiate``), and whether a browser gets a page
(``wants_html``)."""

from __future__ import annotations

import mimeparse

HTML_TYPES = ("text/html", "application/xhtml+xml")
#: what a script names when it wants data, not a page
DATA_TYPES = ("application/json", "text/turtle", "text/plain", "application/ld+json")


def named_types(accept: str) -> set[str] | None:
    """The media types an ``Accept`` header names outright (no wildcards), or None when it cannot be parsed.

    >>> sorted(named_types("text/html;q=0.9, */*;q=0.8, application/JSON"))
    ['application/json', 'text/html']
    """
    try:
        ranges = [mimeparse.parse_media_range(part) for part in accept.split(",") if part.strip()]
    except ValueError:  # mimeparse.MimeTypeParseException: a malformed Accept header
        return None
    return {f"{major}/{minor}".lower() for major, minor, _ in ranges if "*" not in (major, minor)}


def negotiate(accept: str | None, aliases: dict[str, str], default: str) -> str | None:
    """The media type to answer with for an ``Accept`` header, or None when nothing offered is acceptable.

    RFC 9110 content negotiation by python-mimeparse: each type offered takes the quality of the most
    specific range that matches it (so ``text/turtle;q=0, */*`` excludes Turtle), and on a tie the server's
    preference decides: ``default`` first, then the other types in the order of ``aliases``.  An alias
    (``application/json`` for SPARQL JSON results) counts only when the header names it outright: the answer
    carries the canonical type, so a wildcard must match that.  An ``Accept`` header that cannot be parsed
    is disregarded (RFC 9110 12.5.1).

    >>> results = {"text/csv": "text/csv", "application/sparql-results+xml": "application/sparql-results+xml"}
    >>> negotiate("text/csv;q=0.5, application/sparql-results+xml", results, "text/csv")
    'application/sparql-results+xml'
    >>> negotiate("image/png", results, "text/csv") is None
    True
    >>> negotiate("text/turtle;q=0, */*", {"application/n-triples": "application/n-triples"}, "text/turtle")
    'application/n-triples'
    """
    if not accept or not accept.strip():
        return default
    named = named_types(accept)
    if named is None:
        return default
    canonical = list(dict.fromkeys([*aliases.values(), default]))
    # best_match breaks ties in favour of the LAST type offered, so the least preferred come first
    offered = [a for a in reversed(aliases) if a in named and a not in canonical]
    offered += [c for c in reversed(canonical) if c != default] + [default]
    best = mimeparse.best_match(offered, accept)
    return aliases.get(best, best) if best else None


def wants_html(accept: str | None) -> bool:
    """Whether a client prefers HTML: it names ``text/html`` (or XHTML) itself, with a quality no lower than
    that of any JSON, Turtle or plain-text type it names.  A wildcard alone (``*/*``, curl's default) is not
    a wish for HTML, so scripts keep getting JSON; a malformed header is none either.

    >>> wants_html("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    True
    >>> wants_html("*/*"), wants_html("application/json, text/html;q=0.5"), wants_html("text/html;q=0")
    (False, False, False)
    >>> wants_html("text/html;q=0, */*"), wants_html("text/turtle;q=0, text/html;q=0.1")
    (False, True)
    """
    named = named_types(accept or "")
    if not named:
        return False
    assert accept is not None

    def best(types: tuple[str, ...]) -> float:
        return max((mimeparse.quality(t, accept) for t in types if t in named), default=0.0)

    html = best(HTML_TYPES)
    return html > 0 and html >= best(DATA_TYPES)
