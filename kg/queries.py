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
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Identifier

from kg.errors import NotFound, QueryError
from kg.paths import data_dir
from kg.store.base import Row, Store

PARAM_TYPES = ("string", "iri", "integer", "date")
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
    return NamedQuery(path.stem, fields["title"], fields.get("description", ""), text, tuple(params))


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
    """Run a named query (by name, object, or ``.rq`` path) with checked, bound parameter values."""
    if isinstance(query, Path):
        query = parse_query_file(query)
    elif isinstance(query, str):
        query = get_query(query)
    return store.select(query.text, query.bind(values or {}))
