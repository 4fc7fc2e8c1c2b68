"""Extraction: articles in, claims out.

``extract`` runs ONE ``nlp.pipe`` pass per batch of articles; every rule then works on the parsed documents.
Articles not in English are processed with reduced coverage: the gazetteer's aliases still find entities and
simple speech and deployment rules run, and ``Extraction.reduced_coverage`` says so.

>>> from kg.model import Article
>>> text = "Russian troops are in the Kursk region, Zelensky said."
>>> ex = extract_one(Article(id="t", text=text, outlet="CNN"))
>>> [(c.subject.deployer.key, c.subject.location.key) for c in ex.deployments]
[('russia', 'kursk-oblast')]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from itertools import islice

from langdetect import DetectorFactory, LangDetectException, detect
from spacy.tokens import Doc

from kg.errors import ExtractionError
from kg.extract.claims import sentence_claims
from kg.extract.entities import get_nlp
from kg.extract.german import german_claims
from kg.extract.pipeline import make_context
from kg.model import Article, Extraction

__all__ = ["FITTED_PARTS", "detect_language", "extract", "extract_one"]

log = logging.getLogger(__name__)

DetectorFactory.seed = 0  # langdetect is random without a seed

# The parts of extraction whose parameters are fitted on the gold (``kg.evaluate.FittedPart``), applied in
# this order after the rules; ``make eval`` fits them out-of-fold.
FITTED_PARTS: list = []


def detect_language(article: Article) -> str:
    """The article's language: its ``language`` field when given, else langdetect (seeded)."""
    if article.language:
        return article.language.lower()[:2]
    try:
        return detect(article.text[:5000])
    except LangDetectException:
        return "en"


def extract(articles: Iterable[Article], *, batch_size: int = 16, n_process: int = 1,
            fitted: bool = True) -> Iterator[Extraction]:
    """Extract claims from articles: one ``Extraction`` per article, in order.

    :param batch_size: articles per ``nlp.pipe`` pass.
    :param n_process: spaCy worker processes.
    :param fitted: apply the fitted parts with their shipped parameters (False: the rules' raw output, which
        ``make eval`` and ``make train`` fit them on).
    :raises ExtractionError: when the rules fail on one article (the message names it).
    """
    nlp = get_nlp()
    it = iter(articles)
    while True:
        batch = list(islice(it, batch_size))
        if not batch:
            return
        docs = nlp.pipe((a.text for a in batch), batch_size=batch_size, n_process=n_process)
        for article, doc in zip(batch, docs, strict=True):
            extraction = _extract_doc(article, doc)
            if fitted:
                for part in FITTED_PARTS:
                    if (params := part.shipped()) is not None:
                        extraction = part.apply(params, extraction)
            yield extraction


def extract_one(article: Article) -> Extraction:
    """Extract one article (a batch of one)."""
    return next(extract([article], batch_size=1))


def _extract_doc(article: Article, doc: Doc) -> Extraction:
    started = time.perf_counter()
    language = detect_language(article)
    english = language == "en"
    extraction = Extraction(article=article)
    if not english:
        extraction.reduced_coverage = True
        extraction.notes.append(
            f"language {language!r}: reduced coverage; entities come from the gazetteer's aliases only"
            + ("; statements and deployments from simple German patterns" if language == "de" else
               "; no statements or deployments are extracted")
        )
    try:
        ctx = make_context(article, doc, english=english)
        if english:
            for sent in doc.sents:
                extraction.claims.extend(sentence_claims(ctx, sent))
        elif language == "de":
            extraction.claims.extend(german_claims(ctx))
    except ExtractionError:
        raise
    except Exception as exc:  # a rule failing on one article must name it
        raise ExtractionError(article.id, f"{type(exc).__name__}: {exc}") from exc
    log.info("extracted %s: %d claims in %.2fs", article.id, len(extraction.claims),
             time.perf_counter() - started)
    return extraction
