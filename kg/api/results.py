"""Serialising query answers with a row limit: SPARQL results (JSON, XML, CSV, TSV) and RDF for graphs.

pyoxigraph serialises a whole result or nothing, so a limited answer is written here from the first
``max_rows`` solutions.  Used by the query worker processes (embedded store) and for remote stores (their
answer is parsed back and written again with the same limit), so both say the same thing when they truncate.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

RESULT_TYPES = (
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/trig": ox.RdfFormat.TRIG,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}
_QUAD_FORMATS = ("application/trig", "application/n-quads")
# what XML 1.0 cannot carry at all, not even as a character reference (its production 2, Char)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` with each character XML 1.0 forbids (most C0 controls, lone surrogates, U+FFFE/U+FFFF)
    replaced by U+FFFD, so an XML answer stays well-formed: Turtle and JSON can carry them (escaped), XML
    cannot, and a literal holding one (text pasted from a PDF) would otherwise make the whole answer
    unreadable to an XML parser.

    >>> xml_text("a\\x01b\\x0cc\\td") == "a\\ufffdb\\ufffdc\\td"
    True
    """
    return _NOT_XML.sub("\ufffd", value)


def _xml_safe(term: Term) -> Term:
    if isinstance(term, ox.Literal) and _NOT_XML.search(term.value):
        if term.language:
            return ox.Literal(xml_text(term.value), language=term.language)
        return ox.Literal(xml_text(term.value), datatype=term.datatype)
    if isinstance(term, ox.Triple):
        return ox.Triple(term.subject, term.predicate, _xml_safe(term.object))  # type: ignore[arg-type]
    return term


@dataclass(frozen=True)
class Answer:
    """A serialised answer; ``truncated`` when the row limit cut it short."""

    body: bytes
    media_type: str
    rows: int
    truncated: bool = False


def write_result(result: object, media_type: str, max_rows: int) -> Answer:
    """Serialise a pyoxigraph query result (solutions, boolean or triples) as ``media_type``, keeping at
    most ``max_rows`` solutions or triples."""
    if isinstance(result, ox.QueryBoolean):
        return Answer(write_boolean(bool(result), media_type), media_type, 1)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        rows = [[solution[n] for n in names] for solution in itertools.islice(result, max_rows + 1)]
        truncated = len(rows) > max_rows
        rows = rows[:max_rows]
        return Answer(write_solutions(names, rows, media_type), media_type, len(rows), truncated)
    triples = [_triple(t) for t in itertools.islice(result, max_rows + 1)]  # type: ignore[call-overload]
    truncated = len(triples) > max_rows
    triples = triples[:max_rows]
    return Answer(write_triples(triples, media_type), media_type, len(triples), truncated)


def _triple(item: ox.Triple | ox.Quad) -> ox.Triple:
    if isinstance(item, ox.Quad):
        return ox.Triple(item.subject, item.predicate, item.object)
    return item


def write_triples(triples: Sequence[ox.Triple], media_type: str) -> bytes:
    fmt = RDF_FORMATS[media_type]
    prefixes = {"kg": "https://w3id.org/kg/ontology#"}
    if media_type in _QUAD_FORMATS:
        quads = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
        if fmt == ox.RdfFormat.TRIG:
            return ox.serialize(quads, format=fmt, prefixes=prefixes) or b""
        return ox.serialize(quads, format=fmt) or b""
    if fmt == ox.RdfFormat.RDF_XML:
        triples = [ox.Triple(t.subject, t.predicate, _xml_safe(t.object)) for t in triples]  # type: ignore[arg-type]
    if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=fmt, prefixes=prefixes) or b""
    return ox.serialize(triples, format=fmt) or b""


def write_boolean(value: bool, media_type: str) -> bytes:
    text = "true" if value else "false"
    if media_type == "application/sparql-results+json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if media_type == "application/sparql-results+xml":
        return (
            '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head/><boolean>{text}</boolean></sparql>\n"
        ).encode()
    return f"_askResult\r\n{text}\r\n".encode()


Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None


def write_solutions(names: Sequence[str], rows: Sequence[Sequence[Term]], media_type: str) -> bytes:
    if media_type == "application/sparql-results+json":
        bindings = [{n: _json_term(t) for n, t in zip(names, row, strict=True) if t is not None} for row in rows]
        return json.dumps(
            {"head": {"vars": list(names)}, "results": {"bindings": bindings}}, ensure_ascii=False
        ).encode()
    if media_type == "application/sparql-results+xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head>']
        out += [f"<variable name={quoteattr(n)}/>" for n in names]
        out.append("</head><results>")
        for row in rows:
            out.append("<result>")
            for name, term in zip(names, row, strict=True):
                if term is not None:
                    out.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
            out.append("</result>")
        out.append("</results></sparql>\n")
        return "".join(out).encode()
    if media_type == "text/csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(names)
        writer.writerows([_csv_term(t) for t in row] for row in rows)
        return buffer.getvalue().encode()
    if media_type == "text/tab-separated-values":
        lines = ["\t".join(f"?{n}" for n in names)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"not a SPARQL results media type: {media_type}")


def _json_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    assert isinstance(term, ox.Triple)
    return {
        "type": "triple",
        "value": {
            "subject": _json_term(term.subject),
            "predicate": _json_term(term.predicate),
            "object": _json_term(term.object),
        },
    }


def _xml_escape(value: str) -> str:
    """Text for an XML element: forbidden characters replaced (``xml_text``), markup escaped, and a carriage
    return as a reference (an XML parser turns a literal one into a line feed)."""
    return escape(xml_text(value), {"\r": "&#13;"})


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{_xml_escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{_xml_escape(term.value)}</literal>"
        return f"<literal>{_xml_escape(term.value)}</literal>"
    return f"<literal>{_xml_escape(str(term))}</literal>"


def _csv_term(term: Term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)
