"""Named queries: ``queries/*.rq``, one query per file, documented by a header that feeds ``GET /queries``
and ``kg query --list``.

Header lines start with ``#+``::

    #+ title: Troops by location, according to whom
    #+ description: Every claim that some actor has forces at a place ... (continued on lines
    #+   indented by two spaces)
    #+ param: location | string | required | A place name, matched against labels and aliases.

A parameter is ``name | type | required-or-optional[=default] | description`` with type ``string``,
``iri``, ``integer`` or ``date``.  Values are converted to typed RDF terms and bound with a ``VALUES``
block (``kg.store.base.bind_values``): they never become SPARQL text.

Lists come in pages (``run_page``): the query gets ``LIMIT``/``OFFSET`` as its outermost solution modifiers
after its own ``ORDER BY``, so the engine never serialises, sends or converts more than one page, and the
answer says where the next page starts.  One mechanism for every REST list and named query.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any, TypeVar

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from kg.errors import NotFound, QueryError
from kg.ns import KG
from kg.paths import data_dir
from kg.sparql_tokens import spans
from kg.store.base import Binding, Row, Store, bind_rows

PARAM_TYPES = ("string", "iri", "integer", "date")
_Answer = TypeVar("_Answer")  # what a page through the days answers: rows or a graph
QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
#: Rows (or, for a list of claims, claims) in a page when the caller does not say.
DEFAULT_LIMIT = 100
#: The most a caller may ask for in one page.
MAX_LIMIT = 1000
#: For a page of groups (claims), rows fetched at first per group asked for (a claim has one row per
#: claimant; the replicated corpus averages 1.0), and at least ``GROUP_MIN_ROWS`` rows; a page left short for
#: want of rows fetches twice as many, up to ``GROUP_REFETCHES`` times.  Every row fetched is a claim whose
#: columns are looked up: at 4 rows a group, the first page of Russia's claims looked up 400 claims for 100.
GROUP_ROWS = 1.25
GROUP_MIN_ROWS = 64
GROUP_REFETCHES = 3
#: The most ``ORDER BY`` keys a paged query gets with its tie-breakers (Virtuoso 7 refuses a sort of over 20
#: keys: "SQ186: Over 20 keys in group by or hash join").
MAX_ORDER_KEYS = 12
#: As many articles as this share of the rows a page through its first days needs are taken at first: each
#: article a days list counts holds at least one of the entity's claims, one row at least each, so 1.0 is
#: enough with one query (Russia at 10,000 articles: two rows an article; fewer days took two queries, slower).
FIRST_GUESS = 1.0
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    required: bool
    default: str | None
    description: str


@dataclass(frozen=True)
class NamedQuery:
    name: str
    title: str
    description: str
    text: str
    params: tuple[Param, ...] = field(default_factory=tuple)
    #: ``#+ days: <day list> <page on days>``: the named queries of its day path (``DayPath``), if it has one
    days: tuple[str, str] | None = None

    @property
    def form(self) -> str:
        """``SELECT``, ``CONSTRUCT``, ``DESCRIBE`` or ``ASK``: the first query-form keyword, found by
        tokenising (a keyword in a comment or a literal is not one).

        :raises QueryError: the text has none.
        """
        for token, _, _ in spans(self.text):
            if token.kind == "word" and token.text.upper() in QUERY_FORMS:
                return token.text.upper()
        raise QueryError(f"query {self.name!r} has no query form (SELECT, CONSTRUCT, DESCRIBE or ASK)")

    def bind(self, values: dict[str, str]) -> dict[str, Identifier]:
        """Check ``values`` against the declared parameters and convert each to a typed RDF term.

        :raises QueryError: an undeclared parameter, a missing required one, or a value of the wrong type.
        """
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise QueryError(f"query {self.name!r} takes no parameter {', '.join(unknown)}")
        bound: dict[str, Identifier] = {}
        for param in self.params:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                if param.required:
                    raise QueryError(f"query {self.name!r} needs parameter {param.name!r}: {param.description}")
                continue
            bound[param.name] = _term(param, raw)
        return bound


def _term(param: Param, raw: str) -> Identifier:
    if param.type == "string":
        return Literal(raw)
    if param.type == "integer":
        try:
            return Literal(int(raw), datatype=XSD.integer)
        except ValueError:
            raise QueryError(f"parameter {param.name!r} must be an integer, got {raw!r}") from None
    if param.type == "date":
        try:
            return Literal(dt.date.fromisoformat(raw), datatype=XSD.date)
        except ValueError:
            raise QueryError(f"parameter {param.name!r} must be a date (YYYY-MM-DD), got {raw!r}") from None
    if not re.match(r"^[a-z][a-z0-9+.-]*:[^<>\"{}|^`\\\s]*$", raw, re.IGNORECASE):
        raise QueryError(f"parameter {param.name!r} must be an absolute IRI, got {raw!r}")
    return URIRef(raw)


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file and its header.

    :raises QueryError: the header is missing a title or declares a malformed parameter.
    """
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[Param] = []
    last: str | None = None
    for line in text.splitlines():
        if not line.startswith("#+"):
            continue
        body = line[2:]
        if body.startswith("   ") and last is not None:  # continuation of the previous field
            fields[last] += " " + body.strip()
            continue
        key, _, value = body.strip().partition(":")
        key, value = key.strip(), value.strip()
        if key == "param":
            params.append(_parse_param(path, value))
            last = None
        else:
            fields[key] = value
            last = key
    if "title" not in fields:
        raise QueryError(f"{path}: the header has no '#+ title:' line")
    days = tuple(fields.get("days", "").split())
    if days and len(days) != 2:
        raise QueryError(f"{path}: '#+ days:' names two queries, the day list and the page on days")
    return NamedQuery(path.stem, fields["title"], fields.get("description", ""), text, tuple(params),
                      (days[0], days[1]) if days else None)


def _parse_param(path: Path, value: str) -> Param:
    parts = [p.strip() for p in value.split("|")]
    if len(parts) != 4 or not _NAME.match(parts[0]) or parts[1] not in PARAM_TYPES:
        raise QueryError(f"{path}: malformed parameter declaration {value!r} (name | type | required | description)")
    need, _, default = parts[2].partition("=")
    if need not in ("required", "optional"):
        raise QueryError(f"{path}: parameter {parts[0]!r} must be 'required' or 'optional', got {need!r}")
    return Param(parts[0], parts[1], need == "required", default or None, parts[3])


@cache
def load_queries(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query in ``folder`` (default: ``queries/``), by name."""
    folder = folder or data_dir("queries")
    return {q.name: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")))}


def get_query(name: str) -> NamedQuery:
    """:raises NotFound: no query of that name."""
    queries = load_queries()
    if name not in queries:
        raise NotFound(f"no named query {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


def run_named(store: Store, query: NamedQuery | Path | str, values: dict[str, str] | None = None) -> list[Row]:
    """Run a named query (by name, object, or ``.rq`` path) with checked, bound parameter values: every row
    (for bulk exports; lists a person reads go through ``run_page``)."""
    query = _resolve(query)
    return store.select(query.text, query.bind(values or {}))


@dataclass(frozen=True)
class Page:
    """One page of a query's answer: its rows, where it starts, and where the next page starts (None when
    this is the last)."""

    rows: list[Row]
    offset: int
    limit: int
    next_offset: int | None
    #: the group (claim) the page ends with, when it has a next page: a next page ``after`` it starts there
    #: without counting the rows before it (``run_page``)
    last: Identifier | None = None


def check_page(limit: int, offset: int) -> None:
    """:raises QueryError: a limit outside 1..``MAX_LIMIT`` or a negative offset."""
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise QueryError(f"offset must be 0 or more, got {offset}")


def paged_text(query: NamedQuery, limit: int, offset: int) -> str:
    """The query's text with ``LIMIT``/``OFFSET`` appended as its outermost solution modifiers.

    Appended, not wrapped in a sub-select, so the query's own ``ORDER BY`` orders the pages (a sub-select's
    order is not kept by the query around it) and each engine can plan a top-k sort.  A page is only
    well-defined when the order is total, so a paged SELECT must end in an ``ORDER BY``, and the variables
    it projects that its ``ORDER BY`` does not name are added to it as tie-breakers, in projection order, up
    to ``MAX_ORDER_KEYS`` keys in all: two rows the query's own order ties (two claimants of one claim) then
    come in the same order on every page and every engine.  A query whose rows differ only past those keys
    must order them itself.

    A CONSTRUCT of keys (a key sub-select: ``key_page_at``, entity-graph's claims) is paged by its keys
    instead: ``LIMIT``/``OFFSET`` cut the sub-select itself, so a page is ``limit`` claims with all their
    triples, never a count of solutions that ends in the middle of a claim (``construct_page``).

    :raises QueryError: the query already has an outermost ``LIMIT``, ``OFFSET`` or trailing ``VALUES``, or
        a SELECT without an outermost ``ORDER BY``.
    """
    if query.form in ("CONSTRUCT", "DESCRIBE") and (at := key_page_at(query.text)) is not None:
        return f"{query.text[:at]}LIMIT {int(limit)} OFFSET {int(offset)}\n{query.text[at:]}"
    depth = 0
    outer: list[str] = []  # keywords after the outermost group closed
    ordered: set[str] = set()  # the variables named after them (the ORDER BY's)
    for token, _, _ in spans(query.text):
        if token.text == "{":
            depth += 1
            outer, ordered = [], set()
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.kind == "word":
            outer.append(token.text.upper())
        elif depth == 0 and token.kind == "var" and "ORDER" in outer:
            ordered.add("?" + token.text[1:])
    clash = sorted({"LIMIT", "OFFSET", "VALUES"}.intersection(outer))
    if clash:
        raise QueryError(f"query {query.name!r} cannot be paged: it ends in its own {', '.join(clash)}")
    ties = ""
    if query.form == "SELECT":
        if "ORDER" not in outer:
            raise QueryError(f"query {query.name!r} cannot be paged: it has no outermost ORDER BY")
        extra = [v for v in projected(query.text) if v not in ordered]
        ties = " ".join(extra[: max(0, MAX_ORDER_KEYS - len(ordered))])
    text = query.text.rstrip()
    keys = key_page_at(text)
    if keys is not None:  # only the keys of the rows up to the page's end are looked up further
        text = f"{text[:keys]}LIMIT {int(offset) + int(limit)}\n{text[keys:]}"
    return f"{text} {ties}\nLIMIT {int(limit)}\nOFFSET {int(offset)}\n"


def key_page_at(sparql: str) -> int | None:
    """Where the page's keys are cut: the offset of the closing brace of the first sub-select that has its own
    ``ORDER BY`` and no ``LIMIT`` (None if there is none).

    Why: an engine looks up every column of every row before it sorts them, so a page of the first 100 of an
    entity's 5,000 claims cost the lookups of all 5,000 (3.8 s at 10,000 articles).  A query written as a
    sub-select that finds and orders only the keys (claim IRIs, by the cheap sort columns), around which the
    columns are looked up, gets ``LIMIT offset + limit`` in that sub-select from ``paged_text``: the columns are
    then looked up for those keys only.  (An ``ORDER BY`` in a sub-select means nothing without a ``LIMIT``,
    so the unpaged query, ``run_named``, answers the same rows as before.)  The query must see to it that
    each key gives at least one row and that its outermost ``ORDER BY`` starts with the sub-select's order
    keys, in the same order: then the first ``offset + limit`` rows all come from the first ``offset +
    limit`` keys, and the page is the same as without the cut.

    >>> text = "SELECT ?c ?x { { SELECT ?c WHERE { ?c a ?t } ORDER BY ?c } OPTIONAL { ?c ?p ?x } } ORDER BY ?c ?x"
    >>> text[key_page_at(text):][:25]
    '} OPTIONAL { ?c ?p ?x } }'
    """
    found = _key_subselect(sparql)
    return found[2] if found is not None else None


def key_group_at(sparql: str) -> int | None:
    """Where the pattern of the key sub-select (the one ``key_page_at`` cuts) begins: just after the ``{`` that
    opens its group (None if there is no key sub-select).

    >>> text = "SELECT ?c ?x { { SELECT ?c WHERE { ?c a ?t } ORDER BY ?c } OPTIONAL { ?c ?p ?x } } ORDER BY ?c ?x"
    >>> text[key_group_at(text):][:9]
    ' ?c a ?t '
    """
    found = _key_subselect(sparql)
    return found[0] if found is not None else None


def key_where_end(sparql: str) -> int | None:
    """Where the pattern of the key sub-select (the one ``key_page_at`` cuts) ends: the offset of the ``}``
    that closes its group, before its ``ORDER BY`` (None if there is no key sub-select).

    >>> text = "SELECT ?c ?x { { SELECT ?c WHERE { ?c a ?t } ORDER BY ?c } OPTIONAL { ?c ?p ?x } } ORDER BY ?c ?x"
    >>> text[key_where_end(text):][:12]
    '} ORDER BY ?'
    """
    found = _key_subselect(sparql)
    return found[1] if found is not None else None


def _key_subselect(sparql: str) -> tuple[int, int, int] | None:
    """The first sub-select with its own ``ORDER BY`` and no ``LIMIT``: where its pattern's group opens (just
    after that ``{``), where that group closes (its ``}``) and where the sub-select closes (its ``}``), for
    ``key_group_at``, ``key_where_end`` and ``key_page_at``."""
    # per open group: [a sub-select, ordered, limited, where its pattern opens, where its pattern closes]
    stack: list[list[Any]] = []
    opened = False
    for token, start, end in spans(sparql):
        word = token.text.upper() if token.kind == "word" else ""
        if token.text == "{":
            if stack and stack[-1][0] and stack[-1][3] is None:
                stack[-1][3] = end
            stack.append([False, False, False, None, None])
            opened = True
            continue
        if opened and word == "SELECT":
            stack[-1][0] = True
        opened = False
        if token.text == "}" and stack:
            sub, ordered, limited, pattern, closed = stack.pop()
            if sub and ordered and not limited:
                return int(pattern), int(closed), start
            if stack and stack[-1][0] and stack[-1][4] is None:
                stack[-1][4] = start  # the sub-select's own pattern group closes here
        elif stack and stack[-1][0] and word in ("ORDER", "LIMIT"):
            stack[-1][1 if word == "ORDER" else 2] = True
    return None


def bind_key_rows(sparql: str, name: str, terms: Sequence[Identifier]) -> str:
    """``sparql`` with ``?name`` bound to each of ``terms`` (one ``VALUES`` row each, as ``bind_rows`` writes
    them) first in its key sub-select's group (``key_group_at``), not in its first ``WHERE`` group: a page on
    days binds its days where the claims are found, after the parameters are resolved (the first ``WHERE`` of
    troops-by-location-on-days resolves a place name, which each day would repeat).

    :raises QueryError: the query has no key sub-select.
    """
    at = key_group_at(sparql)
    if at is None:
        raise QueryError("only a query with a key sub-select can be bound in it")
    bound = bind_rows("WHERE {" + sparql[at:], [name], [[term] for term in terms])
    return sparql[:at] + bound[len("WHERE {"):]


def projected(sparql: str) -> list[str]:
    """The variables the first ``SELECT`` of ``sparql`` projects (``?x`` and ``(... AS ?x)``), in order; none
    for ``SELECT *``.

    >>> projected("SELECT DISTINCT ?a (COUNT(?b) AS ?n) ?c WHERE { { SELECT ?z WHERE { ?z ?p ?o } } }")
    ['?a', '?n', '?c']
    """
    found: list[str] = []
    started, depth, after_as = False, 0, False
    for token, _, _ in spans(sparql):
        word = token.text.upper() if token.kind == "word" else ""
        if not started:
            started = word == "SELECT"
            continue
        if depth == 0 and (word in ("WHERE", "FROM") or token.text == "{"):
            break
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.text == "*" and depth == 0:
            return []
        elif token.kind == "var" and (depth == 0 or after_as):
            found.append("?" + token.text[1:])
        after_as = word == "AS"
    return found


def _resolve(query: NamedQuery | Path | str) -> NamedQuery:
    if isinstance(query, Path):
        return parse_query_file(query)
    if isinstance(query, str):
        return get_query(query)
    return query


@dataclass(frozen=True)
class DayPath:
    """How a page of a query's claims can start from their first days rather than from all of them.

    ``days`` lists the days of the claims the query answers, in the query's order (``?on``: the term its
    claims are found by; ``?articles``: at least how many claims hold it: the articles do, each holding at least
    one), and ``page`` answers the query's very rows for the claims of the days bound to ``?on`` (a ``VALUES``
    block first in its first ``WHERE`` group), or for every day when none is bound.  Both take the query's
    parameters.  Why: a query ordered by date must read every claim's date before its first row (Russia at
    100,000 articles: 10^5 random reads, 13 s on a store bigger than memory); the days are one index range,
    and a first page then reads only the claims of its first days (``select_by_days``)."""

    days: NamedQuery
    page: NamedQuery


def day_path(query: NamedQuery, values: dict[str, str]) -> DayPath | None:
    """The query's day path (its ``#+ days:`` header) when ``values`` are what that path takes: every one its
    page query requires and none it does not declare (claim-details has one for an entity's claims, not for an
    article's); else None."""
    if query.days is None:
        return None
    days, page = (get_query(name) for name in query.days)
    given = {name for name, value in values.items() if value not in (None, "")}
    declared = {p.name for p in page.params}
    if not given <= declared or any(p.required and p.name not in given for p in page.params):
        return None
    return DayPath(days, page)


def select_by_days(store: Store, query: NamedQuery, path: DayPath, values: dict[str, str],
                   fetch: int, start: int, since: str | None = None, newest: bool = False) -> list[Row]:
    """The rows ``paged_text(query, fetch, start)`` answers, read through the query's first days.

    The days come in page order; the page query over the first ``k`` of them answers the claims of those days,
    which are the first claims of the whole answer in its order, so its rows are the first rows of the whole
    answer: when it has a full page (``fetch`` rows from ``start``), that page is the whole answer's.  ``k``
    first covers as many articles as the page needs rows (``FIRST_GUESS``): enough when each article holds a
    claim (claim-details); else (troops-by-location's days count articles naming the place in any role), while
    the page is short, as many days as the rows per article seen so far say are needed (at least one more;
    twice as many articles when none was seen); when every day is needed, the query itself answers, as
    without a day path.  With ``since`` (a page after a claim of that day, ``past_claim``) the days before it
    are not read at all.  ``newest``: the query and its page are ``newest_first``, and the days are walked
    from the last."""
    return _through_days(store, query, path, values, fetch, start, store.select, len, since, newest)


def construct_by_days(store: Store, query: NamedQuery, path: DayPath, values: dict[str, str],
                      fetch: int, start: int, since: str | None = None, newest: bool = False) -> Graph:
    """``select_by_days`` for a CONSTRUCT of claims (entity-graph): the graph ``paged_text(query, fetch,
    start)`` answers, ``fetch`` claims from claim ``start``, read through the query's first days; a page is
    full when it holds ``fetch`` claims (``claims_in``)."""
    return _through_days(store, query, path, values, fetch, start, store.construct, claims_in, since, newest)


def _through_days(store: Store, query: NamedQuery, path: DayPath, values: dict[str, str], fetch: int,
                  start: int, run: Callable[[str, Binding], _Answer], count: Callable[[_Answer], int],
                  since: str | None = None, newest: bool = False) -> _Answer:
    """The walk over the days that ``select_by_days`` describes; ``run`` asks the store, ``count`` says how
    many of the page's units (rows, claims) an answer holds."""
    days = [row for row in run_named(store, path.days, values)
            if since is None or (str(row["day"]) <= since if newest else str(row["day"]) >= since)]
    if newest:
        days.reverse()
    articles = list(accumulate(int(row["articles"]) for row in days))  # type: ignore[call-overload]
    need = start + fetch
    taken = min(len(days), bisect_left(articles, need * FIRST_GUESS) + 1)
    bound = path.page.bind(values)
    while taken < len(days):
        on = bind_key_rows(path.page.text, "on", [_simple(row["on"]) for row in days[:taken]])
        answer = run(paged_text(replace(path.page, text=on), fetch, start), bound)
        got = count(answer)
        if got == fetch:
            return answer
        seen = start + got  # every row (claim) of the days taken
        wanted = need * articles[taken - 1] / seen * 1.25 if seen else 2 * articles[taken - 1]
        taken = min(len(days), max(taken + 1, bisect_left(articles, wanted) + 1))
    return run(paged_text(query, fetch, start), query.bind(values))


def claims_in(graph: Graph) -> int:
    """How many claims (subjects typed ``kg:Claim``) a page of a CONSTRUCT of claims holds."""
    return len(set(graph.subjects(RDF.type, KG.Claim)))


def claim_keys(store: Store, claims: Sequence[Identifier]) -> list[Row]:
    """The page keys of ``claims`` (``?onKey``, ``?claimKey``: queries/claim-keys.rq), in page order; a claim
    that is not in the store has no row."""
    if not claims:
        return []
    return store.select(bind_rows(get_query("claim-keys").text, ["claim"], [[claim] for claim in claims]), {})


def last_claim(store: Store, graph: Graph, newest: bool = False) -> URIRef | None:
    """The claim a page of a CONSTRUCT of claims (``construct_page``) ends with, in page order (``newest``: the
    page was newest first): a graph keeps no order, so its claims' keys are asked for (one lookup each)."""
    keys = claim_keys(store, sorted(c for c in graph.subjects(RDF.type, KG.Claim) if isinstance(c, URIRef)))
    return URIRef(str(keys[0 if newest else -1]["claim"])) if keys else None


#: The page keys of a query keyed by its claims' days (claim-details, entity-graph, troops-by-location): the
#: day (``""`` when undated) and the claim's IRI, in its key sub-select's ``ORDER BY`` and first in its outer one.
PAGE_KEYS = ("onKey", "claimKey")


def past_claim(query: NamedQuery, day: str, claim: Identifier, newest: bool = False) -> NamedQuery:
    """``query`` answering only the claims a page sorts after ``claim`` (whose day key is ``day``; before it in
    key order when the page is ``newest_first``): a
    ``FILTER`` on the keys of its key sub-select (``PAGE_KEYS``, the order of claim-details,
    entity-graph and troops-by-location), at the end of that sub-select's pattern; the values are written as
    literals by rdflib, as ``bind_rows`` writes its rows.

    Why: a page at ``offset`` makes the engine find, and on the day path read, every claim before it (Russia
    at 100,000 articles, embedded store: 4.3 s at offset 1,000, 49 s at 20,000, against 0.5 s for the first
    page); a page that starts after the previous page's last claim (a keyset cursor, the ``after`` of an
    entity page's next link) reads its own days only, however deep it is.

    :raises QueryError: the query has no key sub-select.
    """
    at = key_where_end(query.text)
    if at is None:
        raise QueryError(f"query {query.name!r} has no key sub-select: it cannot start after a claim")
    on, key = Literal(day).n3(), Literal(str(claim)).n3()
    # IF, not ``?onKey > on || (?onKey = on && ?claimKey > key)``: Virtuoso 7.2 dropped the claims of the
    # cursor's own day that way (and with the keys joined by CONCAT), not with IF (tests/test_claim_days.py)
    past = "<" if newest else ">"
    day_key, claim_key = (f"?{name}" for name in PAGE_KEYS)
    test = f"  FILTER(IF({day_key} = {on}, {claim_key} {past} {key}, {day_key} {past} {on}))\n"
    return replace(query, text=query.text[:at] + test + query.text[at:])


def newest_first(query: NamedQuery) -> NamedQuery:
    """``query`` with its claims in the opposite order, most recent day first (undated claims last): each page
    key (``PAGE_KEYS``) at the head of an ``ORDER BY`` becomes ``DESC(...)``; rows within a claim (its
    claimants) keep their order.

    Why: a person browsing an entity wants its latest claims first, and a big entity's first page by date is
    its oldest hundred, months or years old.  Reversing the keys keeps the order total, so the pages, the day path
    (walked from the last day, ``_through_days``) and the cursor (``past_claim``) work as they do oldest first.

    >>> q = NamedQuery("q", "t", "", "SELECT ?c { { SELECT ?c ?onKey ?claimKey { } ORDER BY ?onKey ?claimKey } }"
    ...                " ORDER BY ?onKey ?claimKey ?x")
    >>> newest_first(q).text.split("ORDER BY")[1:]
    [' DESC(?onKey) DESC(?claimKey) } } ', ' DESC(?onKey) DESC(?claimKey) ?x']

    :raises QueryError: the query has no key sub-select ordered by the page keys.
    """
    text = query.text
    pieces: list[str] = []
    done = 0
    heading = False  # inside the head of an ORDER BY: the keys that open it
    previous = ""
    turned = 0
    for token, start, end in spans(text):
        word = token.text.upper() if token.kind == "word" else ""
        if word == "BY" and previous == "ORDER":
            heading = True
        elif heading and token.kind == "var" and token.text[1:] in PAGE_KEYS:
            pieces.append(f"{text[done:start]}DESC({token.text})")
            done, turned = end, turned + 1
        else:
            heading = False
        previous = word
    if key_where_end(text) is None or turned < len(PAGE_KEYS):
        raise QueryError(f"query {query.name!r} is not ordered by its claims' days: it has no newest-first order")
    return replace(query, text="".join(pieces) + text[done:])


def pages_of_claims(query: NamedQuery) -> bool:
    """Whether ``query`` pages whole claims in date order: a CONSTRUCT of claims, or a SELECT that projects
    ``?claim``, whose key sub-select is ordered by the page keys (``PAGE_KEYS``).  Such a query takes a cursor
    (``after``: ``past_claim``) and the newest-first order (``newest_first``), and a page of it is ``limit``
    whole claims (``run_page``'s ``group``), never a claim's claimants cut across two pages.

    >>> pages_of_claims(get_query("claim-details")), pages_of_claims(get_query("location-timeline"))
    (True, False)
    """
    if key_where_end(query.text) is None:
        return False
    if query.form == "SELECT" and "?claim" not in projected(query.text):
        return False
    if query.form in ("CONSTRUCT", "DESCRIBE") and key_page_at(query.text) is None:
        return False
    try:
        newest_first(query)
    except QueryError:
        return False
    return True


def _ordered(query: NamedQuery, path: DayPath | None, newest: bool) -> tuple[NamedQuery, DayPath | None]:
    """``query`` and its day path's page, newest first when ``newest`` (``newest_first``), else as they are."""
    if not newest:
        return query, path
    return newest_first(query), DayPath(path.days, newest_first(path.page)) if path is not None else None


def claim_after(raw: str) -> URIRef:
    """The claim IRI of an ``after`` parameter (a page's next link), checked as an IRI parameter is.

    :raises QueryError: not an absolute IRI.
    """
    term = _term(Param("after", "iri", False, None, "the last claim of the previous page"), raw)
    assert isinstance(term, URIRef)
    return term


def _past(store: Store, query: NamedQuery, path: DayPath | None, after: Identifier,
          newest: bool = False) -> tuple[NamedQuery, DayPath | None, str]:
    """``query`` and its day path past claim ``after`` (``past_claim``), and that claim's day.

    :raises QueryError: no such claim in the store.
    """
    keys = claim_keys(store, [after])
    if not keys:
        raise QueryError(f"no claim {after} in the store: `after` takes the last claim of a page (its next link)")
    day = str(keys[0]["onKey"])
    if path is not None:
        path = DayPath(path.days, past_claim(path.page, day, after, newest))
    return past_claim(query, day, after, newest), path, day


def reads_claims_one_by_one(store: Store) -> bool:
    """Whether a page of ``store``'s claims in date order goes through the first days (``DayPath``): the
    store's own ``reads_claims_one_by_one`` (the embedded store: yes; Virtuoso: no, see ``kg.store.base``)."""
    return store.reads_claims_one_by_one


def _simple(term: Identifier) -> Identifier:
    """A literal typed xsd:string as the simple literal it is in RDF 1.1: Virtuoso 7 answers the day "" typed,
    and matches ``""^^xsd:string`` in a VALUES row to no stored ``""``."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


def run_page(
    store: Store,
    query: NamedQuery | Path | str,
    values: dict[str, str] | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    group: str | None = None,
    days: DayPath | None = None,
    after: Identifier | None = None,
    newest: bool = False,
) -> Page:
    """One page of a SELECT named query: ``limit`` rows from row ``offset`` in the query's order.

    With ``group`` (a variable, e.g. ``claim``), the query answers several consecutive rows per value of
    that variable (a claim and each of its claimants) and a page is ``limit`` whole groups: it never ends
    or starts in the middle of one.  ``offset`` still counts rows (take it from the previous page's
    ``next_offset``); an offset inside a group starts at the next group.  One row more than the page (or,
    for groups, ``GROUP_ROWS`` rows a group, at least ``GROUP_MIN_ROWS``, twice as many while the page is
    short for want of rows, ``GROUP_REFETCHES`` times at most) is fetched to know whether a next page exists;
    a single group with more rows than the last fetch is cut there.

    A query with a day path (``DayPath``: ``days``, else its ``#+ days:`` header when ``values`` suit it)
    reads its first days and then only their claims (``select_by_days``): the same rows, on a store
    that reads a claim's date by a lookup of its own (``reads_claims_one_by_one``).

    With ``after`` (a claim: the previous page's ``last``), a page of whole claims (``group``) of a query
    keyed by its claims' days (``past_claim``) starts just after that claim, without counting the rows
    before it: ``offset`` then only numbers the page's rows (the previous page's ``next_offset``).

    With ``newest``, such a query's claims come most recent first (``newest_first``), on its day path too.

    :raises QueryError: a bad limit or offset, a query that is not a pageable SELECT, bad values, an
        ``after`` that is no claim or is given without ``group``, or ``newest`` for a query not keyed by days.
    """
    query = _resolve(query)
    check_page(limit, offset)
    bound = query.bind(values or {})
    path = (days or day_path(query, values or {})) if reads_claims_one_by_one(store) else None
    query, path = _ordered(query, path, newest)
    since: str | None = None
    skip = offset  # the rows of the answer before the page
    if after is not None:
        if group is None:
            raise QueryError("a page can start after a claim only when it is a page of whole claims (group)")
        query, path, since = _past(store, query, path, after, newest)
        skip = 0

    def select(query: NamedQuery, path: DayPath | None, since: str | None, fetch: int, start: int) -> list[Row]:
        if path is None:
            return store.select(paged_text(query, fetch, start), bound)
        return select_by_days(store, query, path, values or {}, fetch, start, since, newest)

    if group is None:
        rows = select(query, path, since, limit + 1, offset)
        more = len(rows) > limit
        return Page(rows[:limit], offset, limit, offset + limit if more else None)
    start = max(0, skip - 1)  # one row back: is the row at ``skip`` the middle of a group?
    wanted = group_rows(limit)
    taken: list[Row] = []  # the whole groups of the fetches before this one
    needed = limit  # the groups this fetch is to find
    numbered = offset - skip + start  # the row number (as ``offset`` counts) of the fetch's first row
    keyed = group == "claim" and key_where_end(query.text) is not None  # can go on after a claim (past_claim)
    for attempt in range(GROUP_REFETCHES + 1):
        fetch = (skip - start) + wanted + 1
        rows = select(query, path, since, fetch, start)
        first = skip - start
        if first and len(rows) > first:
            previous = rows[0].get(group)
            while first < len(rows) and rows[first].get(group) == previous:
                first += 1
        end, groups = first, 0
        while end < len(rows) and groups < needed:
            key = rows[end].get(group)
            stop = end
            while stop < len(rows) and rows[stop].get(group) == key:
                stop += 1
            if stop == len(rows) == fetch and (groups or taken):  # this group may go on past what was fetched
                break
            end, groups = stop, groups + 1
        if groups >= needed or len(rows) < fetch or attempt == GROUP_REFETCHES:
            break
        if groups and keyed:
            # short because the fetch ended (groups of many rows: claimants, roles): go on just after the last
            # whole group for the groups still missing, at the rows per group seen, rather than fetch the
            # whole page again from its start (actor-statements for Russia, two rows a claim: three fetches
            # of 126, 251 and 1+ rows from the start became 126 and about 95 after it)
            taken += rows[first:end]
            numbered += end
            query, path, since = _past(store, query, path, rows[end - 1][group], newest)
            skip = start = 0
            wanted = max(GROUP_MIN_ROWS, math.ceil((needed - groups) * (end - first) / groups * GROUP_ROWS))
            needed -= groups
        else:
            wanted *= 2  # one group longer than the fetch, or no way to go on after a group: fetch more
    more = end < len(rows) or len(rows) == fetch
    page = taken + rows[first:end]
    last = page[-1].get(group) if more and page else None
    return Page(page, offset, limit, numbered + end if more else None, last)


def group_rows(limit: int) -> int:
    """The rows a page of ``limit`` groups fetches at first (``GROUP_ROWS`` a group, at least
    ``GROUP_MIN_ROWS``), besides the row that tells whether a next page exists: ``run_page``'s first fetch,
    which the bench's bare query repeats."""
    return max(math.ceil(limit * GROUP_ROWS), GROUP_MIN_ROWS)


def construct_page(
    store: Store,
    query: NamedQuery | Path | str,
    values: dict[str, str] | None = None,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    days: DayPath | None = None,
    after: Identifier | None = None,
    newest: bool = False,
) -> tuple[Graph, int | None]:
    """One page of a CONSTRUCT of claims (a query with a key sub-select, ``key_page_at``: entity-graph):
    ``limit`` claims from claim ``offset`` with all their triples, and where the next page starts (None: this
    was the last; a page of ``limit`` claims says there is a next one, which may be empty).

    Why pages: an entity's whole graph grows with the corpus (Russia at 100,000 articles: 1.2 million
    triples).  On a store that reads claims one by one the page goes through the query's days
    (``construct_by_days``), as ``run_page`` does for rows.  With ``after`` (a claim: the previous page's
    ``last_claim``) the page starts just after that claim, as ``run_page``'s does, and ``offset`` only
    numbers it.  ``newest``: most recent claims first, as ``run_page``'s.

    :raises QueryError: a bad limit or offset, a query that has no key sub-select to page, or an ``after``
        that is no claim.
    """
    query = _resolve(query)
    check_page(limit, offset)
    if query.form not in ("CONSTRUCT", "DESCRIBE") or key_page_at(query.text) is None:
        raise QueryError(f"query {query.name!r} answers no pages of claims (it has no key sub-select)")
    path = (days or day_path(query, values or {})) if reads_claims_one_by_one(store) else None
    query, path = _ordered(query, path, newest)
    since: str | None = None
    skip = offset
    if after is not None:
        query, path, since = _past(store, query, path, after, newest)
        skip = 0
    if path is None:
        graph = store.construct(paged_text(query, limit, skip), query.bind(values or {}))
    else:
        graph = construct_by_days(store, query, path, values or {}, limit, skip, since, newest)
    return graph, offset + limit if claims_in(graph) >= limit else None
