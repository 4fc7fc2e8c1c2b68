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
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import islice

import numpy
import spacy
from langdetect import DetectorFactory, LangDetectException, detect_langs
from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import ExtractionError
from kg.extract.claims import sentence_claims
from kg.extract.consistency import one_type_per_entity
from kg.extract.entities import get_nlp
from kg.extract.german import german_claims
from kg.extract.learned import Candidates, DeploymentFilter, propose
from kg.extract.pipeline import make_context
from kg.model import Article, Extraction

__all__ = ["FITTED_PARTS", "detect_language", "extract", "extract_candidates", "extract_one"]

log = logging.getLogger(__name__)

DetectorFactory.seed = 0  # langdetect is random without a seed

#: longer texts are parsed in pieces of at most this many characters (see ``_parse``)
CHUNK_CHARS = 100_000

# The parts of extraction whose parameters are fitted on the gold (``kg.evaluate.FittedPart``), applied in
# this order after the rules; ``make eval`` fits them out-of-fold.
FITTED_PARTS: list[DeploymentFilter] = [DeploymentFilter()]


#: langdetect's probability below which an article is read as English: only English gets the full parse, so
#: a doubtful guess (a short text, a list of names) must not send an English article down a reduced route
MIN_LANGUAGE_PROBABILITY = 0.9
#: fewer words than this and the article is read as English (see ``detect_language``)
MIN_LANGUAGE_WORDS = 10


def detect_language(article: Article) -> str:
    """The article's language: its ``language`` field when given, else langdetect's guess (seeded) when the
    text has at least ``MIN_LANGUAGE_WORDS`` words and the guess is at least ``MIN_LANGUAGE_PROBABILITY``
    sure, else English."""
    if article.language:
        return article.language.lower()[:2]
    if len(article.text.split()) < MIN_LANGUAGE_WORDS:
        return "en"  # too short to tell: langdetect is sure of "Kursk, Sumy, Belgorod." being Polish
    try:
        best = detect_langs(article.text[:5000])[0]
    except (LangDetectException, IndexError):
        return "en"
    return str(best.lang)[:2] if best.prob >= MIN_LANGUAGE_PROBABILITY else "en"


def extract(articles: Iterable[Article], *, batch_size: int = 16, n_process: int = 1,
            fitted: bool = True) -> Iterator[Extraction]:
    """Extract claims from articles: one ``Extraction`` per article, in order.

    :param batch_size: articles per ``nlp.pipe`` pass.
    :param n_process: spaCy worker processes.
    :param fitted: apply the fitted parts with their shipped parameters (False: the rules alone).
    :raises ExtractionError: when the rules fail on one article (the message names it).
    """
    shipped = [(part, params) for part in FITTED_PARTS if (params := part.shipped()) is not None] if fitted else []
    for candidates in extract_candidates(articles, batch_size=batch_size, n_process=n_process,
                                         proposals=bool(shipped)):
        extraction = candidates.extraction
        for part, params in shipped:
            extraction = part.apply(params, candidates)
        yield extraction


def extract_candidates(articles: Iterable[Article], *, batch_size: int = 16, n_process: int = 1,
                       proposals: bool = True) -> Iterator[Candidates]:
    """The rules' extraction of each article with the learned layer's candidates (``kg.extract.learned``),
    which ``make eval`` and ``make train`` fit the fitted parts on.

    :param proposals: also propose the deployments the rules did not take (False: the rules' only).
    """
    nlp = get_nlp()
    it = iter(articles)
    while True:
        batch = list(islice(it, batch_size))
        if not batch:
            return
        languages = [detect_language(a) for a in batch]
        docs = _route(batch, languages,
                      lambda texts: _parse(nlp, texts, batch_size=batch_size, n_process=n_process))
        for article, language, doc in zip(batch, languages, docs, strict=True):
            yield _extract_doc(article, language, doc, proposals=proposals)


def _parse(nlp: Language, texts: list[str], *, batch_size: int, n_process: int) -> Iterator[Doc]:
    """One ``Doc`` per text, in order: texts up to ``CHUNK_CHARS`` in one ``nlp.pipe`` pass, each longer
    text on its own in pieces (:func:`split_text`) joined back into one ``Doc`` over the same text.

    Why: spaCy refuses a text over ``nlp.max_length`` (1,000,000 characters) and its memory grows with the
    length of the one text it parses (3.9 GB for 990,000 characters); parsed a piece at a time the memory
    is that of one piece, and the joined document's character offsets are the article's own, so evidence
    spans still point into the original text.
    """
    short = nlp.pipe((t for t in texts if len(t) <= CHUNK_CHARS), batch_size=batch_size, n_process=n_process)
    for text in texts:
        if len(text) <= CHUNK_CHARS:
            yield next(short)
            continue
        pieces = []
        for piece in nlp.pipe(split_text(text), batch_size=1):
            piece.tensor = numpy.zeros((len(piece), 0), dtype="float32")  # no rule reads it: memory back now
            pieces.append(piece)
        yield Doc.from_docs(pieces, ensure_whitespace=False, exclude=["tensor"])  # type: ignore[call-arg]


def split_text(text: str, size: int | None = None) -> list[str]:
    r"""``text`` cut into pieces of at most ``size`` characters (default ``CHUNK_CHARS``) whose
    concatenation is ``text``: each cut after a line break, else after a sentence's end, else after a space,
    in the second half of the piece; a hard cut only where half a piece holds no space at all.

    >>> split_text("One. Two.\nThree four.", 12)
    ['One. Two.\n', 'Three four.']
    """
    size = size or CHUNK_CHARS
    pieces = []
    start = 0
    while len(text) - start > size:
        end = start + size
        low = start + size // 2
        cut = text.rfind("\n", low, end)
        if cut < 0:
            sentence = max(text.rfind(". ", low, end - 1), text.rfind("? ", low, end - 1),
                           text.rfind("! ", low, end - 1))
            cut = sentence + 1 if sentence >= 0 else text.rfind(" ", low, end)
        if cut < 0:
            cut = end - 1
        pieces.append(text[start:cut + 1])
        start = cut + 1
    pieces.append(text[start:])
    return pieces


def _route(batch: list[Article], languages: list[str],
           english: Callable[[list[str]], Iterable[Doc]]) -> list[Doc]:
    """One ``Doc`` per article, in order: English texts through ``english`` (the full parse), every other
    language through its own tokenizer only (:func:`_tokenize`): the English tagger, parser and NER read German
    as noise, cost most of the time, and the German rules work on the text and the gazetteer's mentions."""
    out: list[Doc | None] = [None] * len(batch)
    english_at = [i for i, lang in enumerate(languages) if lang == "en"]
    for i, doc in zip(english_at, english([batch[i].text for i in english_at]), strict=True):
        out[i] = doc
    for i, lang in enumerate(languages):
        if lang != "en":
            out[i] = _tokenize(lang, batch[i].text)
    return [doc for doc in out if doc is not None]


def _tokenize(language: str, text: str) -> Doc:
    """``text`` split by the tokenizer of its language (spaCy's blank one; the multi-language one where spaCy
    has none), as a ``Doc`` over ``get_nlp()``'s vocabulary: the gazetteer's phrase matchers are built over
    that vocabulary, and spaCy ties a vocabulary to one language."""
    tokens = _tokenizer(language)(text)
    return Doc(get_nlp().vocab, words=[t.text for t in tokens], spaces=[bool(t.whitespace_) for t in tokens])


@lru_cache(maxsize=8)
def _tokenizer(language: str) -> Language:
    try:
        nlp = spacy.blank(language)
    except (ImportError, KeyError, ValueError):
        nlp = spacy.blank("xx")
    nlp.max_length = 10**8  # a tokenizer's memory is small: no text is too long for it
    return nlp


def extract_one(article: Article) -> Extraction:
    """Extract one article (a batch of one)."""
    return next(extract([article], batch_size=1))


def _extract_doc(article: Article, language: str, doc: Doc, *, proposals: bool = False) -> Candidates:
    started = time.perf_counter()
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
        candidates = Candidates(extraction)
        if english:
            for sent in doc.sents:
                extraction.claims.extend(sentence_claims(ctx, sent))
        elif language == "de":
            extraction.claims.extend(german_claims(ctx))
        extraction.claims = one_type_per_entity(extraction.claims, extraction.notes)
        if english and proposals:
            candidates = propose(ctx, extraction)
    except ExtractionError:
        raise
    except Exception as exc:  # a rule failing on one article must name it
        raise ExtractionError(article.id, f"{type(exc).__name__}: {exc}") from exc
    log.info("extracted %s: %d claims in %.2fs", article.id, len(extraction.claims),
             time.perf_counter() - started)
    return candidates
