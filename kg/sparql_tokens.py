"""SPARQL text split into tokens (IRIs, string literals, comments, variables, prefixed names, bare words).

One tokeniser for every place kg reads SPARQL text as SPARQL rather than as a string: the public endpoint's
guard (a keyword inside a literal, an IRI or a comment is data, not a keyword) and ``bind_values`` (a
``WHERE {`` inside a comment or a literal is not where parameters go).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
             | '''(?:[^'\\]|\\.|'(?!''))*'''
             | "(?:[^"\\\n\r]|\\.)*"
             | '(?:[^'\\\n\r]|\\.)*')
  | (?P<var>[?$][^\W][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
  | (?P<bnode>_:\w(?:[\w\-.\u00B7]*[\w\-\u00B7])?)
  | (?P<pname>(?:[^\W\d_][\w.\-\u00B7]*)?:(?:[\w\-.:%]|\\.)*)
  | (?P<word>[^\W\d][\w]*)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def spans(sparql: str) -> Iterator[tuple[Token, int, int]]:
    """Each token of ``sparql`` with its start and end offsets, whitespace and comments dropped."""
    for match in _TOKEN.finditer(sparql):
        kind = match.lastgroup or "other"
        if kind not in ("ws", "comment"):
            yield Token(kind, match.group()), match.start(), match.end()


def tokens(sparql: str) -> list[Token]:
    """The SPARQL tokens of ``sparql``, whitespace and comments dropped.

    >>> [t.text for t in tokens('SELECT * WHERE { ?s ?p "SERVICE" } # LOAD')]
    ['SELECT', '*', 'WHERE', '{', '?s', '?p', '"SERVICE"', '}']
    """
    return [token for token, _, _ in spans(sparql)]
