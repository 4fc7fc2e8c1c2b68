"""What the public SPARQL endpoint will run, decided on the **parsed** query.

Three checks, each of which alone refuses:

1. **Tokens** (fast, and the clearest messages): the query is split into SPARQL tokens (IRIs, string literals,
   comments, variables, prefixed names, bare words), so a keyword inside a literal (``"SERVICE"``), an IRI
   (``<http://x/LOAD>``), a comment or a prefixed name (``ex:DROP``) is data.  A bare ``SERVICE``,
   ``LOAD``, ``INSERT``, ``DROP``... is refused, and so is a word or prefixed name that *starts* with
   ``SERVICE`` (``SERVICEex:x``, ``SERVICE:``): pyoxigraph's parser reads those as a ``SERVICE`` clause
   glued to its IRI (issue 10).
2. **The parse**: rdflib's SPARQL 1.1 grammar must accept the text as one query (``SELECT``,
   ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``): an update, however it is glued or spelt, is not a query and
   fails here; and a ``ServiceGraphPattern`` anywhere in the parse tree (sub-selects, ``EXISTS``,
   ``OPTIONAL``, ``UNION``...) is refused.  Virtuoso extensions (``define``, ``sql:``) are not SPARQL 1.1
   and are refused too, which also keeps Virtuoso's ``define get:soft`` (fetch the ``FROM`` IRI) out.
3. **The engine cannot reach the network anyway** for the embedded store: its query workers run with no
   network (``kg.api.runner``), so a spelling nobody thought of still fetches nothing.  For Virtuoso the
   parse is the barrier, as Virtuoso's own ``SERVICE`` would fetch.

The public endpoint runs ``check_query`` in a query worker (``QueryRunner.check``): rdflib's parser is slow on
crafted texts (about 5 ms per item of an ``IN (...)`` list), so the check is killed at the time limit rather
than holding the server.  The parser recurses once per nested group and per triple pattern of a group: with
the worker's recursion limit of 5000, a query nested about a hundred groups deep, or with about 400 triple
patterns in one group, is refused with a 400 rather than checked (10,000 nested braces: a clean 400).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import pyoxigraph as ox
from pyparsing import ParseBaseException, ParseResults
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from kg.errors import QueryError, QueryRefused
from kg.sparql_tokens import Token, tokens

__all__ = ["QUERY_FORMS", "CheckedQuery", "Token", "check_graph_uris", "check_query", "query_form", "tokens"]

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH", "USING"}
)
_FORMS = {"SelectQuery": "SELECT", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE", "AskQuery": "ASK"}
_SERVICE = "SERVICE is refused: this endpoint does not query other endpoints (federation)"
# pyparsing is not thread-safe (its parse-action wrappers learn their arity on first calls): concurrent parses
# failed with TypeError under load, so one parse at a time (each takes milliseconds, and holds the GIL anyway).
_PARSE_LOCK = threading.Lock()
TOO_DEEP = (
    "the query is nested too deeply, or has too many triple patterns in one group, for this endpoint to check "
    "it (about 100 nested groups or 400 patterns in a group); split it"
)


@dataclass(frozen=True)
class CheckedQuery:
    """A query the endpoint may run: its form, and whether it names its own dataset (``FROM``/``FROM NAMED``),
    which then replaces the endpoint's default (the union of all graphs)."""

    form: str
    has_dataset: bool


def _refuse_by_tokens(sparql: str) -> None:
    words = []
    for token in tokens(sparql):
        if token.kind == "other" and token.text == "\\":
            raise QueryRefused("codepoint escapes (\\u...) are accepted only inside literals and IRIs")
        if token.kind in ("word", "pname") and token.text[:7].upper() == "SERVICE":
            raise QueryRefused(_SERVICE)
        if token.kind == "word":
            words.append(token.text.upper())
    if "LOAD" in words:
        raise QueryRefused("LOAD is refused: this endpoint is read-only and does not fetch remote data")
    update = sorted(UPDATE_KEYWORDS.intersection(words))
    if update:
        raise QueryRefused(f"SPARQL Update is refused ({', '.join(update)}): this endpoint is read-only")


def _names(node: object, found: set[str]) -> set[str]:
    """Every rule name in an rdflib parse tree, iteratively (a deep tree must not recurse here)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            found.add(item.name)
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(item)
    return found


@functools.lru_cache(maxsize=256)
def check_query(sparql: str) -> CheckedQuery:
    """Check that ``sparql`` is one read-only query the endpoint may run, by its tokens and by its parse.

    :raises QueryRefused: an update (``INSERT``, ``DELETE``, ``LOAD``, ``DROP``...), a ``SERVICE`` clause
        however spelt (the server would fetch from another endpoint on the caller's behalf) or a codepoint
        escape outside a literal (which could spell a keyword).
    :raises QueryError: not one SPARQL 1.1 query (the position of the syntax error), or too deep to check.

    >>> check_query('PREFIX ex: <http://ex/> SELECT * FROM <http://g> WHERE { ?s ex:SERVICE "LOAD <x>" }')
    CheckedQuery(form='SELECT', has_dataset=True)
    >>> check_query('PREFIX : <http://127.0.0.1:9/> ASK { SERVICE:{ ?s ?p ?o } }')
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: SERVICE is refused: this endpoint does not query other endpoints (federation)
    """
    _refuse_by_tokens(sparql)
    try:
        with _PARSE_LOCK:
            parsed = parseQuery(sparql)
    except ParseBaseException as exc:
        near = (exc.line or "")[max(0, exc.col - 1) :][:30].strip()
        raise QueryError(
            f"not a valid SPARQL 1.1 query: syntax error at {exc.lineno}:{exc.col}"
            + (f" near {near!r}" if near else " (end of the query)")
            + "; this endpoint runs SELECT, CONSTRUCT, DESCRIBE and ASK queries only"
        ) from None
    except RecursionError:
        raise QueryError(TOO_DEEP) from None
    names = _names(parsed, set())
    if "ServiceGraphPattern" in names:
        raise QueryRefused(_SERVICE)
    body = parsed[1]
    if not isinstance(body, CompValue) or body.name not in _FORMS:
        raise QueryError("not a SPARQL query: expected SELECT, CONSTRUCT, DESCRIBE or ASK")
    dataset = body["datasetClause"] if "datasetClause" in body else None  # CompValue.get answers the key
    return CheckedQuery(_FORMS[body.name], bool(dataset))


def query_form(sparql: str) -> str:
    """The form (``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``) of a query the endpoint may run; see
    ``check_query`` for what is refused.

    >>> query_form('PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:SERVICE "LOAD <x>" }')
    'SELECT'
    >>> query_form('LOAD <http://example.org/data.ttl>')
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: LOAD is refused: this endpoint is read-only and does not fetch remote data
    """
    return check_query(sparql).form


def check_graph_uris(name: str, uris: list[str]) -> None:
    """Check the protocol's ``default-graph-uri``/``named-graph-uri`` values are absolute IRIs.

    :raises QueryError: one is not, named in the message.
    """
    for uri in uris:
        try:
            ox.NamedNode(uri)
            valid = ":" in uri
        except ValueError:
            valid = False
        if not valid:
            raise QueryError(f"{name} {uri[:200]!r} is not a valid absolute IRI")
