"""A remote SPARQL 1.1 server as kg's store (tested against Virtuoso 7.2), over HTTP with httpx.

Queries go as GET, or as a form-encoded POST when long, never as a POST of ``application/sparql-query``
(Virtuoso 7 never answers that: upstream issue #842), always with an explicit ``Accept`` (with none, or
``*/*``, Virtuoso answers ASK in HTML).  Updates are form POSTs to the update endpoint with HTTP digest or
basic authentication (``auth="auto"`` follows the server's challenge).  Transport errors become
``StoreUnavailable``, a query the server rejects becomes ``QueryError`` and any other failure ``StoreError``,
each carrying the server's own message.

What was measured on Virtuoso 07.20.3229 (Debian), and what this module does about it:

* **One request, one transaction.**  All the operations of one update request run in one transaction that is
  committed when the request ends: a second client does not see the first operation's triples while a later
  operation of the same request is still running (18 s), and a server killed (SIGKILL) in the middle of a
  request comes back without any of it (measured below).  The request is compiled whole before anything
  runs, so a syntax error, an over-long request or an invalid literal (``"abc"^^xsd:integer``) leaves the
  store untouched.
* **But not all-or-nothing on runtime errors.**  When an operation fails *while running* (``LOAD`` of an
  unreachable URL, ``DROP GRAPH`` of an absent graph, ``CREATE GRAPH`` of an existing one), the endpoint
  reports the error and still commits the operations before it: ``DROP SILENT GRAPH <g> ; LOAD <bad>``
  leaves ``<g>`` dropped.  The same holds for the Graph Store Protocol: a ``PUT`` whose body has a syntax
  error after 3,000 good triples leaves the old graph deleted and those 3,000 triples stored.
* Hence ``replace_graph`` sends exactly one request made only of operations that cannot fail at run time once
  compiled: ``CLEAR SILENT GRAPH`` and ``INSERT DATA`` of ground triples (no ``LOAD``, no GSP ``PUT``).
  ``CLEAR`` rather than ``DROP``: kg never creates a graph explicitly, so on Virtuoso a graph is its triples and
  both leave nothing of it, but ``CLEAR`` costs the server less (``_replace_ops``); measured the same way as
  ``DROP`` was: a replacement acknowledged and then SIGKILL before any checkpoint came back whole (the old,
  checkpointed triples gone), and one of 12,000 triples killed in flight left the old graph whole.  Two
  requests writing the same new graph at once merged in 18 of 150 races with ``DROP`` (under repeatable read
  both found the graph absent), in none of 150 with ``CLEAR`` (why was not traced; the xfail test
  ``test_two_writers_of_one_new_article_never_merge`` keeps watching).  A deadlock between concurrent
  writers (``40001``) rolls the whole transaction back; the write is then retried, which is safe because it
  is idempotent.
* **Writes as the request body.**  An update is POSTed as ``application/sparql-update`` (SPARQL 1.1
  Protocol, "update via POST directly"), which Virtuoso 7.2 accepts: form-encoding an article's 100 KB in
  Python's ``urlencode`` took longer than Virtuoso took to store it.
* **Size limits.**  By default the endpoint compiles ``INSERT DATA`` constants into SQL text and fails above
  about 1,000 triples ("generated SQL text has exceeded 10000 lines of code"); with
  ``DEFINE sql:big-data-const 1`` the constants are passed as data (30 times faster, too), and the parser
  then takes up to about 4,990 triples in one block.  An article is therefore written as several
  ``INSERT DATA`` operations of ``CHUNK`` triples each (each subject written once in an operation, its
  triples as a property list: ``by_subject``), still in one request and so in one transaction.  A
  request over 10 MB is refused ("string session is longer than 10Mb"): an article whose write is larger
  than ``MAX_UPDATE_BYTES`` is refused with ``StoreError`` before anything is sent, rather than split into
  non-atomic steps.  Long literals (2 MB) are accepted.  ``replace_graphs`` puts several articles' writes in
  one request (one transaction) up to the same size, for parallel ingest; each article stays whole.
* **Refused as too costly.**  Before running a query Virtuoso estimates its cost and refuses it above
  ``MaxQueryCostEstimationTime`` ("The estimated execution time 1542 (sec) exceeds the limit of 400 (sec)");
  that, and a query stopped at ``MaxQueryExecutionTime``, become ``QueryTimeout``.
* **The time limit travels with each query.**  ``query_timeout`` (``KG_QUERY_TIMEOUT``) goes to the server as
  the ``timeout`` parameter (milliseconds, at least 1,000: Virtuoso's "anytime query"), so the server stops
  the work itself instead of running on after kg stopped waiting.  Virtuoso 7.2 then answers **200 with a
  partial result** and ``X-SQL-State: S1TAT`` ("Returning incomplete results, query interrupted by result
  timeout"), measured here about twice the limit after the request; newer releases answer 206.  A partial
  answer is never passed off as complete: any ``X-SQL-State`` on an answer, or a 206, is ``QueryTimeout``.
  kg waits the limit plus ``TIMEOUT_MARGIN`` for the answer before ``StoreUnavailable``.
* **Durability.**  Updates through ``/sparql-auth`` are written to the transaction log (the default
  ``log_enable(1)``; only the bulk loader and explicit ``log_enable(2)`` bypass it): triples written and then
  the server killed with SIGKILL before any checkpoint are there after the restart (the log is replayed).
  A write of 12,000 triples (7.7 MB) interrupted by SIGKILL two seconds into its four seconds left the graph
  exactly as before it.  kg never uses the non-logged paths, so it needs no checkpoint after a write; run
  ``checkpoint;`` through ``isql-vt`` after loading with the server's bulk loader.
* **Isolation.**  Under Virtuoso's default ``DefaultIsolation = 2`` (read committed) a query running while an
  article graph is replaced can count old and new rows together (4,001 of 4,000 triples, in 3 of 4 trials
  of 8-15 replacements); with ``DefaultIsolation = 4`` (repeatable read) in ``virtuoso.ini`` it never did.
  kg cannot set it per request, so the README asks operators for it and the tests' server sets it
  (``tests/test_virtuoso_isolation.py``).  **No isolation level hides a commit in progress**, though: Virtuoso
  7.2 has no snapshot reads, and a commit releases its new rows one by one, so a query that runs while a *new*
  graph is committed can count part of it.  60 new graphs of 300-890 triples written under three readers
  counting every graph: 15-29 were seen partly (a quarter, a half, three quarters) under repeatable read,
  2 under read committed; under serializable (``8``) 22 of the 60 writes failed as deadlocks and reads still
  tore.  The write itself stays all or nothing; the load test (``tests/test_loadtest.py``) records such a
  sighting on Virtuoso as an expected failure.
* **Writes reported failed that were done.**  Under the same readers Virtuoso answered a few writes with
  ``SR172: Transaction deadlocked`` in a 200, or with ``SP031: ... can be compiled and executed but not
  translated to an accurate SQL text``, and the graph afterwards held the whole write.  Both are sent again
  (the write is idempotent) rather than reported as refused.
* **Union default graph.**  With no ``default-graph-uri``, Virtuoso's default graph is the union of all
  graphs, as kg's contract wants; it also includes Virtuoso's own system graphs (``virtrdf#``, ``owl#``,
  ``ldp#``, the server's ``/DAV/`` and ``/sparql`` description), which ``graphs()``, ``quad_count()`` and
  ``dump()`` leave out.
* **Terms.**  Literals come back as in the embedded store (integers canonical, language tags lower-case),
  except that Virtuoso keeps no ``xsd:int``/``xsd:long`` (stored as ``xsd:integer``), and writes
  ``xsd:dateTime`` with ``+00:00`` for ``Z`` and ``xsd:double`` in its own canonical form.  A plain literal is
  returned as ``xsd:string`` as pyoxigraph does.  Its JSON results use the old ``typed-literal`` type.
* **Plans chosen from samples kept since the store was small.**  Virtuoso 7.2 estimates a pattern's rows at
  compile time by sampling the index, and keeps each sample in memory, by index and constants, for the life of
  the server process (``sqlo_inx_sample`` in its ``sqlcost.c``; no time limit, evicted only past 10,000 samples;
  the per-predicate statistics are refreshed from those same samples).  A server that grows keeps planning
  with the counts it saw first: grown from 1,000 to 10,000 articles, it still estimated the claims with a troop
  number at 300 (there were 3,000), paired every claim of a place with every other before finding the places
  whose numbers differ, and ``conflicting-estimates`` took 8.5-10.8 s, ``conflicts`` 7.2-8.0 s, with any text
  change (so it is not the compiled query that is kept); the same server restarted on the same files answered
  both in 0.05 s, as does a store built straight to 10,000 articles.  A named query whose header says
  ``#+ join-order: written`` (written so that each step is linear in the store, whatever the counts) is
  therefore sent with ``DEFINE sql:select-option "order"``, Virtuoso's documented switch ("Erroneous Cost
  Estimates and Explicit Join Order") that joins in the order written.  Bench, grown from 1,000 to 10,000
  articles, through kg: 0.07-0.21 s (the same text without the pragma, sent bare: 7.8-9.7 s); on the kept
  10,000-article store, freshly started: 0.075 and 0.089 s, where the optimizer's own plan from fresh samples
  takes 0.03-0.04 s, the price of a plan that does not depend on them.  Other servers get the query unchanged.
  The other conflict queries and ``claim-details`` kept their speed on the grown server (0.02-0.28 s).
* **Dialect.**  ``GROUP_CONCAT`` needs an explicit ``separator`` (without one: "Required argument delim not
  supplied to DB.DBA.GROUP_CONCAT_ACC"); kg's queries always give one.
* ``ResultSetMaxRows`` (10,000 in Debian's ini) silently truncates results: set it high in the server's ini
  (``tests/virtuoso_server.py`` sets 10,000,000).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar
from urllib.parse import urlencode

import httpx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from kg.errors import KgError, QueryError, QueryTimeout, StoreError, StoreUnavailable
from kg.ns import ENTITY_GRAPH
from kg.store.base import Binding, RawResult, Row, bind_values
from kg.store.ntriples import ntriples

if TYPE_CHECKING:
    from kg.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TIMEOUT = 60.0
#: Seconds kg waits past a query's time limit for the server's answer (Virtuoso 7.2 stops a query up to
#: about one limit late, and then still sends what it has).
TIMEOUT_MARGIN = 10.0
#: Virtuoso's anytime-query timeout is in milliseconds and ignored below one second.
MIN_SERVER_TIMEOUT_MS = 1000
#: A query longer than this (in bytes, URL-encoded) goes as a form POST rather than a GET.
MAX_GET = 4000
SELECT_TYPE = "application/sparql-results+json"
GRAPH_TYPE = "application/n-triples"
#: Triples per ``INSERT DATA`` operation of one write (Virtuoso's parser takes about 4,990 in one block).
CHUNK = 2000
#: The largest update request kg sends (Virtuoso refuses requests over 10 MB).
MAX_UPDATE_BYTES = 9_000_000
#: How often a write that lost a deadlock (and was rolled back whole) is tried again.
DEADLOCK_RETRIES = 5
#: The header line of a named query written to be joined in the order written (see "Plans chosen from samples
#: kept since the store was small" above), and the pragma that asks Virtuoso for that order.
WRITTEN_ORDER = "#+ join-order: written"
VIRTUOSO_WRITTEN_ORDER = 'DEFINE sql:select-option "order"\n'
#: Virtuoso's own graphs, present in every instance; not kg's data.
SYSTEM_GRAPHS = frozenset({
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/2002/07/owl#",
    "http://www.w3.org/ns/ldp#",
})


class _AnyAuth(httpx.Auth):
    """HTTP digest or basic authentication, whichever the server's challenge asks for (``scheme="auto"``),
    or the one named; the choice is remembered, so later requests authenticate without a second round trip
    for basic (digest reuses its last challenge)."""

    requires_request_body = True

    def __init__(self, user: str, password: str, scheme: str = "auto") -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self.scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        if self.scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "").lower()
        self.scheme = "basic" if challenge.startswith("basic") else "digest"
        yield from (self._basic if self.scheme == "basic" else self._digest).auth_flow(request)


class SparqlStore:
    """A SPARQL 1.1 server: Query at ``query_url``, Update at ``update_url`` (default: the query URL), with
    ``user``/``password`` for HTTP digest or basic auth.

    kg writes through SPARQL Update only, never the Graph Store Protocol: a GSP ``PUT`` is not all-or-nothing
    on Virtuoso (see above), and two graphs (the article's and the entities') must change in one transaction.

    :param timeout: seconds to wait for any one HTTP answer (``StoreUnavailable`` after that).
    :param query_timeout: seconds a query may run on the server, sent with each query; a query stopped there
        is ``QueryTimeout``.  None: no limit is sent, the server's own applies.
    :param auth: ``"auto"`` (follow the server's challenge), ``"digest"`` or ``"basic"``.

    >>> SparqlStore("http://127.0.0.1:8890/sparql", update_url="http://127.0.0.1:8890/sparql-auth", user="dba")
    SparqlStore('http://127.0.0.1:8890/sparql')
    """

    reads_claims_one_by_one = False  # Virtuoso sorts dates from its column-wise indexes (kg.store.base.Store)

    def __init__(
        self,
        query_url: str,
        *,
        update_url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        auth: str = "auto",
        timeout: float = DEFAULT_TIMEOUT,
        query_timeout: float | None = None,
    ) -> None:
        if auth not in ("auto", "digest", "basic"):
            raise StoreError(f"authentication must be auto, digest or basic, not {auth!r}")
        self.query_url = query_url
        self.update_url = update_url or query_url
        self._auth = _AnyAuth(user, password or "", auth) if user else None
        self.query_timeout = query_timeout
        # httpx loads the CA bundle for every client (0.12 s, a quarter of a re-run that skips everything);
        # a store reached over plain http never uses it, and redirects are not followed
        tls = any(u.lower().startswith("https:") for u in (self.query_url, self.update_url))
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), verify=tls)
        self._virtuoso: bool | None = None
        url = httpx.URL(query_url)
        self._origin = f"{url.scheme}://{url.netloc.decode()}/"

    @classmethod
    def from_env(cls, query_url: str, env: Mapping[str, str] | None = None) -> SparqlStore:
        """The store at ``query_url`` configured from the ``KG_STORE_*`` variables and ``KG_QUERY_TIMEOUT`` of
        ``env`` (default: this process's environment; a cluster worker gets the client's settings).

        :raises StoreError: a setting of the wrong kind, naming its variable.
        """
        from kg.settings import Settings

        try:
            settings = Settings.from_env(env)
        except KgError as exc:
            raise StoreError(str(exc)) from None
        return cls.from_settings(query_url, settings)

    @classmethod
    def from_settings(cls, query_url: str, settings: Settings) -> SparqlStore:
        """The store at ``query_url`` with the update URL, credentials and time limits of ``settings``."""
        return cls(
            query_url,
            update_url=settings.store_update_url,
            user=settings.store_user,
            password=settings.store_password,
            auth=settings.store_auth,
            timeout=settings.store_timeout,
            query_timeout=settings.query_timeout,  # the limit the service gives every query, sent to the server
        )

    def __repr__(self) -> str:
        return f"SparqlStore({self.query_url!r})"

    # HTTP ------------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, what: str, auth: bool = False, **kwargs: Any) -> httpx.Response:
        """One HTTP exchange, with transport errors and error statuses translated to kg's errors."""
        try:
            response = self._client.request(method, url, auth=self._auth if auth and self._auth else None, **kwargs)
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(f"{what}: {url} did not answer in time ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"{what}: cannot reach {url}: {exc}") from exc
        if response.is_success:
            state = (response.headers.get("x-sql-state") or "").strip()
            detail = (response.headers.get("x-sql-message") or "").strip()
            if what == "query" and (state == "S1TAT" or response.status_code == 206):
                # Virtuoso's anytime query: the server stopped at the time limit and sent what it had
                raise QueryTimeout(
                    f"{what}: the query ran past its time limit (KG_QUERY_TIMEOUT) and the server stopped it; "
                    f"its partial answer was dropped ({state or response.status_code}: {detail[:300]})"
                )
            if "SR172" in detail or "deadlock" in detail.lower():
                # seen under load: an update answered 200 with "X-SQL-State: 00000" and "X-SQL-Message: SR172:
                # Transaction deadlocked"; kg's writes are idempotent, so it is retried as a deadlock (40001)
                raise _Transient(f"{what}: 40001 the server reported a deadlock in a 200 answer: {detail[:300]}")
            return response
        message = _server_message(response)
        if response.status_code in (401, 403):
            raise StoreError(f"{what}: {url} refused the credentials ({response.status_code}): {message}")
        if _is_timeout(message):
            raise QueryTimeout(f"{what}: the server stopped the query: {message}")
        if "SR353" in message:
            raise QueryError(
                f"{what}: this page ends past the rows Virtuoso sorts for one answer (MaxSortedTopRows, 10,000 by "
                f"default; an operator raises it in the [Parameters] section of virtuoso.ini): {message[:300]}"
            )
        if what == "update" and "SP031" in message:
            # seen under concurrent readers (2 of 60 new graphs): Virtuoso 7.2 answers a write with "SP031: ...
            # can be compiled and executed but not translated to an accurate SQL text" although the whole write
            # was committed (the graph held every triple afterwards); the write is idempotent, so it is sent again
            # rather than reported as refused
            raise _Transient(f"{what}: the server failed the write after running it, sending it again: {message[:300]}")
        if response.status_code == 400 or _is_syntax_error(message):
            raise QueryError(f"{what}: the server rejected the query: {message}")
        if "40001" in message:  # a deadlock victim, rolled back whole (see _after_deadlocks)
            raise _Transient(f"{what}: {url} answered {response.status_code}: {message}")
        if response.status_code in (502, 503, 504):
            raise StoreUnavailable(f"{what}: {url} answered {response.status_code}: {message}")
        raise StoreError(f"{what}: {url} answered {response.status_code}: {message}")

    def as_sent(self, sparql: str) -> str:
        """The text of a query as this store sends it to the server: with Virtuoso's join-order pragma when the
        query's header asks for it (see "Plans chosen from samples kept since the store was small" above), so
        that a comparison against a bare request to the same server (``bench``) sends the same query."""
        if _asks_written_order(sparql) and self.is_virtuoso():
            return VIRTUOSO_WRITTEN_ORDER + sparql
        return sparql

    def _query(
        self,
        sparql: str,
        accept: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> httpx.Response:
        params: list[tuple[str, str]] = [("query", self.as_sent(sparql))]
        params += [("default-graph-uri", u) for u in default_graph_uris]
        params += [("named-graph-uri", u) for u in named_graph_uris]
        limit = timeout if timeout is not None else self.query_timeout
        extra: dict[str, Any] = {}
        if limit is not None:
            params.append(("timeout", str(max(MIN_SERVER_TIMEOUT_MS, round(limit * 1000)))))
            wait = limit + TIMEOUT_MARGIN
            extra["timeout"] = httpx.Timeout(wait, connect=min(wait, 10.0))
        headers = {"Accept": accept}
        auth = self.query_url == self.update_url

        def send() -> httpx.Response:
            started = time.monotonic()
            if len(urlencode(params)) <= MAX_GET:
                response = self._send("GET", self.query_url, what="query", auth=auth, params=params,
                                      headers=headers, **extra)
            else:
                # Never application/sparql-query in a POST: Virtuoso 7 never answers it (upstream issue #842).
                response = self._send("POST", self.query_url, what="query", auth=auth, data=dict_multi(params),
                                      headers=headers, **extra)
            if limit is not None and time.monotonic() - started >= max(limit, MIN_SERVER_TIMEOUT_MS / 1000):
                # Virtuoso 7.2 does not always mark a stopped query: seen here, an answer cut at the limit came
                # back as a 200 with no X-SQL-State and no rows.  An answer that arrives after the limit cannot
                # be trusted to be whole, so it is refused like a marked one.
                raise QueryTimeout(
                    "query: the answer came after the query's time limit (KG_QUERY_TIMEOUT), when the server may "
                    "have stopped it without saying so; it was dropped rather than passed off as whole"
                )
            return response

        # Under repeatable read (see Isolation above) a reader can be the victim of a deadlock with a writer.
        return _after_deadlocks(send, "query")

    # writes ----------------------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        # the body as it is, not form-encoded (see "Writes as the request body" above); the answer is a short
        # report, asked for uncompressed: Virtuoso 7.2 sends a gzipped answer chunked and then closes the
        # connection, so every write paid a new connection, while a plain one comes with a length and the
        # connection is kept (50 small updates: 96 -> 78 ms)
        self._send("POST", self.update_url, what="update", auth=True, content=sparql.encode("utf-8"),
                   headers={"Content-Type": "application/sparql-update; charset=utf-8",
                            "Accept": "text/plain, */*;q=0.1", "Accept-Encoding": "identity"})

    def replace_graph(self, graph: URIRef, triples: Graph, entities: Graph | None = None) -> None:
        """One update request (one transaction on Virtuoso): ``CLEAR SILENT GRAPH`` then ``INSERT DATA``
        operations of at most ``CHUNK`` triples each, for the article graph and the entity graph.

        :raises StoreError: the server refused the write, or it is over ``MAX_UPDATE_BYTES``; nothing written.
        """
        request = self.replace_request(graph, triples, entities)
        size = len(request.encode("utf-8"))
        if size > MAX_UPDATE_BYTES:
            raise StoreError(
                f"writing {graph} failed, nothing was written: {size} bytes of N-Triples is over the "
                f"{MAX_UPDATE_BYTES} bytes one atomic update may carry"
            )
        try:
            self._write(request, str(graph))
        except QueryError as exc:
            raise StoreError(f"writing {graph} failed, nothing was written: {exc}") from exc

    def replace_graphs(self, items: Sequence[tuple[URIRef, Graph, Graph | None]]) -> list[StoreError | None]:
        """``replace_graph`` for several articles in as few requests as ``MAX_UPDATE_BYTES`` allows.

        Each request is one transaction, and an article is never split between requests, so each article is
        still all or nothing.  A request the server refuses is tried again article by article (rewriting is
        idempotent), so one bad article does not fail the others.

        :returns: for each item, None when it was written, else the error of its write.
        """
        results: list[StoreError | None] = [None] * len(items)
        groups: list[list[tuple[int, list[str]]]] = [[]]
        size = 0
        for index, (graph, triples, entities) in enumerate(items):
            ops = self._replace_ops(graph, triples, entities)
            op_size = sum(len(op.encode("utf-8")) + 3 for op in ops)
            if groups[-1] and size + op_size > MAX_UPDATE_BYTES:
                groups.append([])
                size = 0
            groups[-1].append((index, ops))
            size += op_size
        for group in groups:
            if len(group) > 1:
                try:
                    self._write(self._request([op for _, ops in group for op in ops]), f"{len(group)} graphs")
                    continue
                except (StoreError, QueryError) as exc:
                    log.info("a batch of %d writes was refused (%s): writing them one by one", len(group), exc)
            for index, _ops in group:
                graph, triples, entities = items[index]
                try:
                    self.replace_graph(graph, triples, entities)
                except StoreError as exc:
                    results[index] = exc
        return results

    def _write(self, request: str, what: str) -> None:
        """Send one update, again after a deadlock (which Virtuoso rolls back whole)."""
        _after_deadlocks(lambda: self.update(request), f"writing {what}")

    def replace_request(self, graph: URIRef, triples: Graph, entities: Graph | None = None) -> str:
        """The text of ``replace_graph``'s one update request."""
        return self._request(self._replace_ops(graph, triples, entities))

    def _replace_ops(self, graph: URIRef, triples: Graph, entities: Graph | None) -> list[str]:
        # CLEAR, not DROP: the same triples removed in the same transaction (kg never creates a graph
        # explicitly, so a graph is its triples and nothing is left of it), but on Virtuoso 7.2 a DROP's cost
        # grows with the store and a CLEAR's hardly does.  Server CPU of a new article's write, the two
        # interleaved on one server grown by kg's writes: at 0 articles DROP 19 / CLEAR 23 ms (the same within
        # the noise: 24.1 / 23.8 over 300 writes), 2,000: 48 / 26 ms, 5,000: 82 / 28 ms, 10,000: 260 / 66 ms
        # (an INSERT DATA alone, 300 articles: 20.7 ms); a replaced article, 300 articles: 23.0 / 19.1 ms
        ops = [f"CLEAR SILENT GRAPH <{graph}>"]
        ops += _insert_ops(graph, triples)
        if entities is not None and len(entities):
            ops += _insert_ops(ENTITY_GRAPH, entities)
        return ops

    def _request(self, ops: list[str]) -> str:
        pragma = "DEFINE sql:big-data-const 1\n" if self.is_virtuoso() else ""
        return pragma + " ;\n".join(ops)

    def is_virtuoso(self) -> bool:
        """Whether the server is Virtuoso (by its ``Server`` header), for its dialect's pragmas."""
        if self._virtuoso is None:
            response = self._query("ASK { }", SELECT_TYPE)
            self._virtuoso = "virtuoso" in response.headers.get("server", "").lower()
        return self._virtuoso

    def drop_graph(self, graph: URIRef) -> bool:
        existed = self.ask(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        if existed:
            self._write(f"CLEAR SILENT GRAPH <{graph}>", str(graph))  # as replace_graph: DROP grows with the store
        return existed

    # reads -----------------------------------------------------------------------------------------
    def graphs(self) -> list[URIRef]:
        rows = self._select_json("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return [g for row in rows if isinstance(g := row.get("g"), URIRef) and not self._is_system(g)]

    def _is_system(self, graph: str) -> bool:
        return str(graph) in SYSTEM_GRAPHS or graph.startswith(self._origin)

    def _select_json(self, sparql: str) -> list[Row]:
        response = self._query(sparql, SELECT_TYPE)
        try:
            data = response.json()
        except json.JSONDecodeError as exc:
            raise StoreError(f"query: the server's answer is not SPARQL JSON: {response.text[:300]}") from exc
        if "boolean" in data:
            raise QueryError("expected a SELECT query, got an ASK answer")
        try:
            bindings = data["results"]["bindings"]
        except (KeyError, TypeError) as exc:
            raise QueryError(f"expected a SELECT query; the server answered {response.text[:300]}") from exc
        return [{name: _term(value) for name, value in b.items()} for b in bindings]

    def select(self, sparql: str, bindings: Binding | None = None) -> list[Row]:
        return self._select_json(bind_values(sparql, bindings))

    def ask(self, sparql: str, bindings: Binding | None = None) -> bool:
        response = self._query(bind_values(sparql, bindings), SELECT_TYPE)
        try:
            data = response.json()
        except json.JSONDecodeError as exc:
            raise StoreError(f"ask: the server's answer is not SPARQL JSON: {response.text[:300]}") from exc
        if not isinstance(data, dict) or "boolean" not in data:
            raise QueryError("expected an ASK query")
        return bool(data["boolean"])

    def construct(self, sparql: str, bindings: Binding | None = None) -> Graph:
        response = self._query(bind_values(sparql, bindings), GRAPH_TYPE)
        graph = Graph()
        try:
            graph.parse(data=response.content, format="nt")
        except Exception as exc:  # rdflib raises several parser error types
            raise QueryError(f"expected a CONSTRUCT or DESCRIBE query; the answer did not parse: {exc}") from exc
        return graph

    def query_raw(
        self,
        sparql: str,
        media_type: str,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout: float | None = None,
    ) -> RawResult:
        """A researcher's query; ``timeout``: seconds the server may run it (default: ``query_timeout``)."""
        response = self._query(sparql, media_type, default_graph_uris, named_graph_uris, timeout)
        return RawResult(response.content, response.headers.get("content-type", media_type).split(";")[0])

    def quad_count(self, graph: URIRef | None = None) -> int:
        if graph is None:
            rows = self._select_json("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
            return sum(int(row["n"]) for row in rows if not self._is_system(str(row["g"])))  # type: ignore[call-overload]
        else:
            sparql = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        rows = self._select_json(sparql)
        return int(rows[0]["n"]) if rows else 0  # type: ignore[call-overload]

    def dump(self, media_type: str, output: BinaryIO | None = None) -> bytes:
        """One graph at a time: each fetched as N-Triples and written out as N-Quads lines, or as one TriG
        block of N-Triples lines (valid TriG), so the dataset is never held whole in memory."""
        if media_type not in ("application/trig", "application/n-quads"):
            raise StoreError(f"a dataset dump is TriG or N-Quads, not {media_type}")
        buffer = io.BytesIO() if output is None else None
        sink: BinaryIO = output or buffer  # type: ignore[assignment]
        trig = media_type == "application/trig"
        for graph in self.graphs():
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
            body = self._query(query, GRAPH_TYPE).content
            # each N-Triples line ends in " .\n" and a literal never holds a raw line feed
            lines = [line for line in body.split(b"\n") if line.strip() and not line.startswith(b"#")]
            if trig:
                sink.write(b"<%s> {\n%s\n}\n" % (str(graph).encode(), b"\n".join(lines)))
            else:
                name = b" <%s> .\n" % str(graph).encode()
                sink.write(b"".join(line.rstrip()[:-1].rstrip() + name for line in lines))
        return buffer.getvalue() if buffer is not None else b""

    # read views (kg.store.base.Store.snapshot): a server answers each query itself -----------------
    def version(self) -> None:
        return None

    def snapshot(self, target: Path) -> bool:
        return False

    def close(self) -> None:
        self._client.close()


class _Transient(StoreError):
    """A failure the server reports for a request that is safe to send again: a deadlock victim (``40001``, or
    ``SR172`` in a 200), or a write it ran and then failed (``SP031``); see ``_after_deadlocks``."""


def _after_deadlocks(call: Callable[[], T], what: str) -> T:
    """``call()``, run again when the server chose it as a deadlock victim (``40001``): Virtuoso rolls the
    victim's transaction back whole, so a read or one of kg's idempotent writes is safe to repeat."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return call()
        except _Transient as exc:
            log.debug("%s: deadlock or transient failure, retrying (%d): %s", what, attempt + 1, exc)
            time.sleep(0.05 * 2**attempt)
    return call()


def _asks_written_order(sparql: str) -> bool:
    """Whether the query's header (the comment lines it starts with) holds ``WRITTEN_ORDER``.

    Only the leading comments are read: a bound value lands after the first ``WHERE``, so no parameter's value
    can turn the pragma on.

    >>> _asks_written_order("#+ title: Pairs\\n#+ join-order: written\\nSELECT * { ?s ?p ?o }")
    True
    >>> _asks_written_order("SELECT * { ?s ?p ?o\\n#+ join-order: written\\n}")
    False
    """
    for line in sparql.splitlines():
        line = line.strip()
        if line == WRITTEN_ORDER:
            return True
        if line and not line.startswith("#"):
            return False
    return False


def dict_multi(params: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form fields with repeated names, as httpx's ``data=`` takes them."""
    out: dict[str, list[str]] = {}
    for key, value in params:
        out.setdefault(key, []).append(value)
    return out


def _insert_ops(graph: URIRef, triples: Graph) -> list[str]:
    # split on "\n" only: N-Triples ends a line there, and str.splitlines() would also cut a literal holding
    # U+2028, U+0085 or a form feed (which rdflib writes unescaped) into two broken lines
    lines = [line for line in ntriples(triples).split("\n") if line.strip()]
    return [
        f"INSERT DATA {{ GRAPH <{graph}> {{\n" + by_subject(lines[i : i + CHUNK]) + "\n} }"
        for i in range(0, len(lines), CHUNK)
    ]


def by_subject(lines: Sequence[str]) -> str:
    """N-Triples ``lines`` as the same triples grouped by subject (``s p1 o1 ; p2 o2 .``), each subject
    written once.

    Why: Virtuoso 7.2 spent 18% less CPU on an article's ``INSERT DATA`` (22.9 against 28.1 ms for 860
    triples, same server, interleaved) when each subject was written once rather than on each of its lines;
    an article has about four triples per subject.  The text stays SPARQL 1.1 (a ``TriplesTemplate`` takes
    property lists).  Only the subject is cut off a line: an IRI or a blank node label never holds a space,
    and the rest of the line (predicate and object, whatever the literal holds) is kept as it is, less its
    closing `` .``.

    >>> print(by_subject(['<a> <p> "x ; y ." .', '<b> <p> <c> .', '<a> <q> "z" .']))
    <a> <p> "x ; y ." ;
      <q> "z" .
    <b> <p> <c> .
    """
    groups: dict[str, list[str]] = {}
    for line in lines:
        subject, _, rest = line.strip().partition(" ")
        if rest.endswith(" ."):  # as kg.store.ntriples writes every line
            rest = rest[:-2]
        elif rest.rstrip().endswith("."):
            rest = rest.rstrip()[:-1].rstrip()
        else:
            raise StoreError(f"not an N-Triples line: {line[:200]!r}")
        held = groups.get(subject)
        if held is None:
            groups[subject] = [rest]
        else:
            held.append(rest)
    return "\n".join(f"{subject} " + " ;\n  ".join(rests) + " ." for subject, rests in groups.items())


def _term(value: dict[str, str]) -> Identifier:
    kind = value.get("type")
    text = value.get("value", "")
    if kind == "uri":
        return URIRef(text)
    if kind == "bnode":
        return BNode(text)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in value:
            return Literal(text, lang=value["xml:lang"])
        # a plain literal is an xsd:string, as the embedded store returns it
        return Literal(text, datatype=URIRef(value.get("datatype") or XSD.string))
    raise StoreError(f"unsupported term in a result: {value!r}")


def _server_message(response: httpx.Response) -> str:
    text = response.text.strip()
    return text[:2000] if text else response.reason_phrase


def _is_timeout(message: str) -> bool:
    # Virtuoso: "The estimated execution time 1542 (sec) exceeds the limit of 400 (sec)" (refused before it
    # runs, MaxQueryCostEstimationTime) and "SR171: Transaction timed out" / "Query execution time exceeded",
    # and "S1TAT Error Query did not complete due to ANYTIME timeout" (newer releases: no partial answer).
    lowered = message.lower()
    return any(sign in lowered for sign in ("estimated execution time", "sr171", "execution time exceeded", "s1tat"))


def _is_syntax_error(message: str) -> bool:
    # Virtuoso answers a malformed query with 500 and "SP030: SPARQL compiler ... syntax error".
    return "SP030" in message or "syntax error" in message.lower()

