"""What the public SPARQL endpoint will run: a query form found by tokenising the query, never by substring.

The query is split into SPARQL tokens (IRIs, string literals, comments, variables, prefixed names, bare
words), so a keyword inside a literal (``"SERVICE"``), an IRI (``<http://x/LOAD>``), a comment or a prefixed
name (``ex:DROP``) is data, not a keyword.  SPARQL keywords are reserved words: a bare ``SERVICE`` token
outside those can only be the ``SERVICE`` clause, and a bare ``INSERT``/``DELETE``/``LOAD``... token can only
belong to an update.  Syntax itself is checked by the engine that runs the query (pyoxigraph or the remote
server), whose parser message is returned with a 400.

Why not a full parser: rdflib's parser rejects some valid queries (``PREFIX`` followed by a ``SERVICE``
clause, rdflib 7.6) and pyoxigraph exposes no query algebra; a tokeniser is small, exact about what it
refuses, and agrees with both engines.
"""

from __future__ import annotations

from kg.errors import QueryError, QueryRefused
from kg.sparql_tokens import Token, tokens

__all__ = ["QUERY_FORMS", "Token", "query_form", "tokens"]

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)


def query_form(sparql: str) -> str:
    """Check that ``sparql`` is a read-only query the endpoint may run and return its form (``SELECT``,
    ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``).

    :raises QueryRefused: an update (``INSERT``, ``DELETE``, ``LOAD``, ``DROP``...), a ``SERVICE`` clause
        (the server would fetch from another endpoint on the caller's behalf) or a codepoint escape outside
        a literal (which could spell a keyword).
    :raises QueryError: no query form at all (empty, or not SPARQL).

    >>> query_form('PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:SERVICE "LOAD <x>" }')
    'SELECT'
    >>> query_form('LOAD <http://example.org/data.ttl>')
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: LOAD is refused: this endpoint is read-only and does not fetch remote data
    """
    words = []
    for token in tokens(sparql):
        if token.kind == "other" and token.text == "\\":
            raise QueryRefused("codepoint escapes (\\u...) are accepted only inside literals and IRIs")
        if token.kind == "word":
            words.append(token.text.upper())
    if "LOAD" in words:
        raise QueryRefused("LOAD is refused: this endpoint is read-only and does not fetch remote data")
    if "SERVICE" in words:
        raise QueryRefused("SERVICE is refused: this endpoint does not query other endpoints (federation)")
    update = sorted(UPDATE_KEYWORDS.intersection(words))
    if update:
        raise QueryRefused(f"SPARQL Update is refused ({', '.join(update)}): this endpoint is read-only")
    form = next((w for w in words if w in QUERY_FORMS), None)
    if form is None:
        raise QueryError("not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    return form
