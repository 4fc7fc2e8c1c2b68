"""Entity mentions: gazetteer phrase matches first, then spaCy's named entities resolved through the
gazetteer (exact alias, then fuzzy), else minted with a stable key (``kg.text.slug`` of the name).

The spaCy model is loaded once per process (:func:`get_nlp`); a ``newline_sentences`` component makes every
line break a sentence boundary, so that headlines and section titles do not merge with the next sentence.
"""

from __future__ import annotations

import logging
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy
import spacy
from rapidfuzz import fuzz, process
from spacy.attrs import IS_TITLE, LOWER
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from kg.extract.gazetteer import Gazetteer, load_gazetteer
from kg.extract.lexicon import words
from kg.extract.places import find_place
from kg.model import Entity, EntityType
from kg.paths import spacy_model
from kg.text import FUZZY_MIN_LEN, FUZZY_THRESHOLD, normalise, slug

log = logging.getLogger(__name__)

MODEL = spacy_model()

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

#: head nouns that make an unknown name a place, whatever NER typed it ("Al-Shifa Hospital", "al-Hawl camp")
PLACE_HEADS = {"camp", "camps", "hospital", "village", "town", "city", "region", "oblast", "province",
               "district", "governorate", "county", "base", "airbase", "airport", "airfield", "port", "harbour",
               "harbor", "border", "crossing", "valley", "river", "strait", "sea", "gulf", "bay", "island",
               "islands", "peninsula", "mountains", "heights", "plateau", "desert", "neighbourhood",
               "neighborhood", "square", "bridge", "checkpoint", "prison", "settlement", "raion", "krai",
               "complex", "compound", "enclave", "corridor", "refinery", "plant",
               # the sea, the frontier and the field: shoals and reefs (South China Sea), gaps and passes,
               # garrisons and outposts ("Sabina Shoal", "Suwalki Gap", "Tessalit Garrison", "Abbey Gate")
               "shoal", "shoals", "reef", "reefs", "atoll", "islet", "cay", "gap", "pass", "lake", "hills", "forest",
               "delta", "basin", "oasis", "dam", "barracks", "garrison", "outpost", "fort", "gate", "airstrip",
               "oilfield", "mine"}
#: place heads of institutions that also speak ("the Salah Ghandour Hospital said"): an organisation NER
#: calls one stays an organisation, that the deployment rules still take as a place (:func:`is_place`)
INSTITUTION_HEADS = {"hospital", "prison", "airport", "port", "complex", "plant", "refinery"}
#: modifiers that may stand between a name and its place head ("Nur Shams refugee camp")
_PLACE_MODIFIERS = {"refugee", "military", "air", "naval", "medical", "border", "detention", "displacement",
                    "displaced", "nuclear", "power", "old", "new", "river", "mountain"}
#: head nouns that make an unknown organisation an armed group ("Russian Imperial Movement", "Sibir
#: Battalion", "Rapid Support Forces")
GROUP_HEADS = {"battalion", "batalion", "brigade", "brigades", "regiment", "legion", "corps", "militia",
               "militias", "movement", "forces", "army", "guard", "guards", "unit", "detachment", "front",
               "group"}
#: places that NER types as people or organisations are still places after these prepositions
_PLACE_PREPS = {"in", "into", "inside", "near", "outside"}


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
    # set all at once: each ``token.is_sent_start = True`` scans the whole document (quadratic in a long one)
    flags = doc.to_array("SENT_START")
    changed = False
    # real line breaks, and the literal "\n" that badly exported datasets leave in the text
    for match in _LINE_BREAK.finditer(text):
        k = bisect_right(starts, match.start())  # the first token that starts after the break
        if 0 < k < len(doc):
            flags[k] = 1
            changed = True
    if changed:
        doc.from_array(["SENT_START"], flags)  # type: ignore[arg-type]  # a 1-d array of one attribute
    return doc


#: Held while a per-process cache below is built.  ``lru_cache`` does not stop two threads (the API's
#: thread pool on a cold server) from each building a pipeline at once, and the matchers of one pipeline
#: used on the documents of the other fail with spaCy's E018 (a string hash its vocabulary never saw).
_BUILD_LOCK = threading.RLock()


def get_nlp() -> Language:
    """The spaCy pipeline, loaded once per process (the lemmatizer is kept: speech verbs match on lemmas);
    thread-safe: concurrent first calls wait for the one load."""
    with _BUILD_LOCK:
        return _load_nlp()


@lru_cache(maxsize=1)
def _load_nlp() -> Language:
    nlp = spacy.load(MODEL)
    nlp.add_pipe("newline_sentences", before="parser")
    add_gazetteer(nlp)
    return nlp


#: the span groups the gazetteer's rulers fill: every match of an alias as written, and of an alias in any case
GAZETTEER_SPANS = "gazetteer"
GAZETTEER_LOWER_SPANS = "gazetteer_lower"
_RULERS = {"gazetteer_exact": ("ORTH", GAZETTEER_SPANS), "gazetteer_lower": ("LOWER", GAZETTEER_LOWER_SPANS)}


def add_gazetteer(nlp: Language) -> None:
    """The gazetteer as two spaCy ``span_ruler`` components at the head of the pipeline: one matching every
    alias as written, one in any case (not the aliases that are also common lowercase words, ``_LOWER_UNSAFE``).
    Each pattern's label is the entity's type and its id the entity's key, so ``doc.spans["gazetteer"]`` holds
    spans whose ``id_`` is the key.  First in the pipeline because they need only tokens (and ``add_patterns``
    runs the components before a ruler on each of its thousands of patterns)."""
    gaz = load_gazetteer()  # built here too, under the lock, so the rules share one gazetteer
    exact: list[dict[str, str]] = []
    lower: list[dict[str, str]] = []
    for name, key in gaz.surface_forms():
        entity = gaz.get(key)
        label = entity.type.value if entity is not None else ""
        for variant in dict.fromkeys((name, name.replace("'", "\u2019"))):
            pattern = {"label": label, "pattern": variant, "id": key}
            exact.append(pattern)
            if name.lower() not in _LOWER_UNSAFE:
                lower.append(pattern)
    for (name, (attr, key)), patterns in zip(_RULERS.items(), (exact, lower), strict=True):
        ruler = nlp.add_pipe("span_ruler", name=name, first=True,
                             config={"spans_key": key, "phrase_matcher_attr": attr, "validate": False})
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]


def _gazetteer_spans(doc: Doc) -> tuple[list[Span], list[Span]]:
    """The gazetteer rulers' spans of ``doc`` (exact, any case), running the rulers on a document that did not
    go through ``get_nlp()``'s pipeline (the tokenizer-only documents of other languages)."""
    if GAZETTEER_SPANS not in doc.spans or GAZETTEER_LOWER_SPANS not in doc.spans:
        nlp = get_nlp()
        for name in _RULERS:
            doc = nlp.get_pipe(name)(doc)
    return list(doc.spans[GAZETTEER_SPANS]), list(doc.spans[GAZETTEER_LOWER_SPANS])


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
    exact, lower = _gazetteer_spans(doc)
    found: list[tuple[int, int, str, str]] = [(span.start, span.end, span.id_, "gazetteer") for span in exact]
    for span in lower:
        if span.text.islower() and len(span) == 1 and span[0].is_stop:
            continue
        found.append((span.start, span.end, span.id_, "gazetteer"))
    # longest first, then leftmost
    found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken = [False] * len(doc)
    chosen: list[Mention] = []
    # unknown names whose head says what they are win over a known word inside them ("Russian Imperial
    # Movement" is not Russia) and take their place head along ("al-Hawl camp")
    cued: dict[int, tuple[Span, str, EntityType]] = {}
    blocked = frozenset(i for s, e, _k, _src in found for i in range(s, e))
    for ent in doc.ents if mint else ():
        cue = _cue(ent, gaz, found, blocked)
        if cue is not None:
            cue_span, cue_name, cue_type = cue
            cued[ent.start] = cue
            for i in range(cue_span.start, cue_span.end):
                taken[i] = True
            cued_entity = _mint_cued(cue_name, cue_type)
            acronym = _acronym_after(doc, cue_span.end) if cue_type is not EntityType.LOCATION else None
            if acronym is not None and gaz.lookup(acronym, fuzzy=False) is None:
                cued_entity = replace(cued_entity, labels=(*cued_entity.labels, acronym))
            chosen.append(Mention(cue_span.start, cue_span.end, cue_span.start_char, cue_span.end_char,
                                  cue_span.text, cued_entity, "minted"))
    # a site inside a known place is a place of its own: "the Tulkarem refugee camp" is not Tulkarm
    for start, end, key, _source in found if mint else ():
        known = gaz.get(key)
        if known is None or known.type is not EntityType.LOCATION or any(taken[start:end]):
            continue  # (a state's site is its own: "a US base in Syria")
        if start > 0 and doc[start - 1].lower_ in ("a", "an", "another", "one"):
            continue  # "a Gaza hospital": some site, not a named one
        site = _site_after(doc, end)
        if site is None:
            continue
        span = doc[start:site]
        name = _clean_name(span.text)
        if gaz.lookup(name, fuzzy=False) is not None or any(taken[start:site]):
            continue
        for i in range(start, site):
            taken[i] = True
        # labels: the name, and without its modifiers ("Tulkarem camp"); not the bare town's name
        short = " ".join(w for w in name.split() if w.lower() not in _PLACE_MODIFIERS)
        site_entity = Entity(key=slug(name), label=name, type=EntityType.LOCATION,
                             labels=tuple(dict.fromkeys((name, short))))
        chosen.append(Mention(start, site, span.start_char, span.end_char, span.text, site_entity, "minted"))
    for start, end, key, source in found:
        if any(taken[start:end]):
            continue
        known = gaz.get(key)
        if known is None:
            continue
        span = doc[start:end]
        chosen.append(Mention(start, end, span.start_char, span.end_char, span.text, known, source))
        for i in range(start, end):
            taken[i] = True
    minted_people: dict[str, Entity] = {}
    minted_places: dict[str, Entity] = {}
    minted_groups: dict[str, Entity] = {}
    spellings = _Spellings()
    for m in chosen:
        if m.source == "minted":
            spellings.add(m.entity)
        if m.source == "minted" and m.entity.type is EntityType.ARMED_GROUP:
            for label in (m.entity.label, *m.entity.labels):  # "HTS" after "Hayat Tahrir al-Sham (HTS)"
                minted_groups.setdefault(normalise(label), m.entity)
        if m.source == "minted" and is_place(m.entity):
            minted_places.setdefault(normalise(_bare_place(m.entity.label)), m.entity)
    for ent in doc.ents:
        if ent.start in cued or ent.label_ not in _NER_TYPES or any(taken[ent.start:ent.end]):
            continue
        trimmed = _trim(ent, blocked, left=ent.label_ != "PERSON")
        if trimmed is None or any(taken[trimmed.start:trimmed.end]):
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
        if entity is None and normalise(name) in minted_places:
            entity = minted_places[normalise(name)]  # "Al-Shifa" after "Al-Shifa Hospital"
        if entity is None and normalise(name) in minted_groups:
            entity = minted_groups[normalise(name)]  # "Rusich" after "... groups ... is Rusich"
        if entity is None:
            etype = _NER_TYPES[ent.label_]
            if etype is None and mint and (info := find_place(name)) is not None and info.kind == "city" and (
                    normalise(info.name) == normalise(name)) and not (
                    span.end < len(doc) and doc[span.end].pos_ == "PROPN" and doc[span.end].is_title):
                etype = EntityType.LOCATION  # "RSF-occupied Omdurman": NER's nationality, a city by name
            if etype is None or not mint:
                continue
            if etype is EntityType.PERSON and _place_frame(span):
                etype = EntityType.LOCATION  # "a full-scale incursion into Rafah", NER's "person"
            if span.end > ent.end and (info := find_place(name)) is not None and info.kind == "city":
                etype = EntityType.LOCATION  # "Croix-des-Bouquets": NER's person "Croix", cut at a hyphen
            if etype in (EntityType.PERSON, EntityType.ORGANISATION) and _named_as_group(span):
                etype = EntityType.ARMED_GROUP
            entity = spellings.variant(name, etype) or _mint(name, etype, minted_people)
            spellings.add(entity)
            if etype is EntityType.ARMED_GROUP:
                minted_groups[normalise(name)] = entity
            source = "minted"
        chosen.append(Mention(span.start, span.end, span.start_char, span.end_char, span.text, entity,
                              source))
        for i in range(span.start, span.end):
            taken[i] = True
    if mint:
        chosen.extend(_unmarked_places(doc, gaz, taken))
    chosen.extend(_state_acronyms(doc, gaz, chosen, taken))
    chosen.sort(key=lambda m: m.start)
    return chosen


#: heads of a state's own bodies, whose bracketed acronym stands for the state ("the Malian Armed Forces
#: (FAMa)"; the gold folds armed forces, ministries and police into their state)
_STATE_BODY_HEADS = {"forces", "army", "military", "police", "ministry", "government", "guard", "navy", "gendarmerie",
                     "command", "service", "services", "agency", "office", "junta"}


def _state_acronyms(doc: Doc, gaz: Gazetteer, chosen: list[Mention], taken: list[bool]) -> list[Mention]:
    """Acronyms an article defines for a state's body ("the Malian Armed Forces (FAMa)", "the Armed Forces
    of the Democratic Republic of the Congo (FARDC)") name that state wherever the article uses them again
    ("FAMa soldiers"), where NER rarely marks them; an acronym the gazetteer knows keeps its own entity.
    Found in the text by a regular expression, not by a walk over every token."""
    text = doc.text
    found = [(m.start(1), m.group(1)) for m in _ACRONYM_DEFINED.finditer(text)]
    if not found:
        return []
    states = {i: m.entity for m in chosen if m.entity.type is EntityType.STATE for i in range(m.start, m.end)}
    defined: dict[str, Entity] = {}
    for char, acronym in found:
        if sum(c.isupper() for c in acronym) < 2 or acronym in defined or gaz.lookup(acronym, fuzzy=False):
            continue
        span = doc.char_span(char, char + len(acronym))
        if span is None or len(span) != 1 or span.start < 2 or doc[span.start - 1].text != "(":
            continue
        before = doc[span.start - 2]
        state = states.get(before.i)
        if state is None and before.lower_ in _STATE_BODY_HEADS:
            # the state named in the body's own phrase: "the Malian Armed Forces", "the Army of Mali"
            phrase = range(before.left_edge.i, before.right_edge.i + 1)
            state = next((states[j] for j in phrase if j in states), None)
            if state is None and before.ent_iob_ in ("B", "I"):
                ent = next((e for e in doc.ents if e.start <= before.i < e.end), None)
                state = next((states[j] for j in range(ent.start, ent.end) if j in states), None) if ent else None
        if state is not None:
            defined[acronym] = state
    out = []
    for acronym, state in defined.items():
        labels = tuple(dict.fromkeys((*state.labels, acronym)))
        for m in re.finditer(rf"\b{re.escape(acronym)}\b", text):
            span = doc.char_span(m.start(), m.end())
            if span is None or len(span) != 1 or taken[span.start]:
                continue
            out.append(Mention(span.start, span.end, span.start_char, span.end_char, acronym,
                               replace(state, labels=labels), "gazetteer"))
            taken[span.start] = True
    return out


#: "(FAMa)": a bracketed acronym of two to eight letters, capitalised
_ACRONYM_DEFINED = re.compile(r"\(([A-Z][A-Za-z]{1,7})\)")


#: words after which a capitalised name is where something happens ("in Kidal", "to Djibo", "the town of
#: Gao" through its "of")
_FRAME_PREPS = {"in", "into", "near", "to", "toward", "towards", "outside", "around", "across", "inside", "at"}
#: what NER said of a name this rule may take: nothing, or a nationality no gazetteer row knows ("the town of
#: Kidal" is a NORP to the small model, and an unknown NORP is dropped)
_UNPLACED = {"", "NORP"}
_SETTLEMENTS = {"town", "city", "village", "villages", "towns", "cities", "commune", "locality", "outskirts"}


def _unmarked_places(doc: Doc, gaz: Gazetteer, taken: list[bool]) -> list[Mention]:
    """Names NER did not mark at all that offline data knows as a city, where the text puts a place ("fighting
    in Kidal", "the town of Djibo"): the small English model misses most towns of a war it was not trained
    on.  Only a GeoNames city of exactly that name (diacritics aside), so a person or a month is no place.
    Candidates come from one array of the tokens' lowercase forms, not from a walk over every token."""
    out: list[Mention] = []
    strings = doc.vocab.strings
    lower = doc.to_array(LOWER)
    title = doc.to_array(IS_TITLE)
    n = len(doc)

    def free_name(t: Token) -> bool:
        return not taken[t.i] and t.ent_type_ in _UNPLACED and t.pos_ == "PROPN" and t.is_title

    # "at the Al-Tanf garrison": capitalised words NER left alone, then a place head
    heads = numpy.flatnonzero(numpy.isin(lower, [strings[w] for w in PLACE_HEADS]))
    for h in heads.tolist():
        head = doc[h]
        if taken[h] or not head.is_lower or head.pos_ != "NOUN":
            continue
        k = h
        while k > 0 and h - k < 2 and doc[k - 1].lower_ in _PLACE_MODIFIERS and doc[k - 1].is_lower:
            k -= 1
        i = k
        while i > 0 and k - i < 4 and (free_name(doc[i - 1]) or (
                doc[i - 1].text == "-" and not doc[i - 1].whitespace_ and i - 1 > 0 and not doc[i - 2].whitespace_)):
            i -= 1
        while i < k and doc[i].text == "-":
            i += 1
        if i == k or not free_name(doc[i]) or any(taken[i:h + 1]):
            continue
        if i > 0 and ((doc[i - 1].lower_ not in _FRAME_PREPS and doc[i - 1].lower_ != "the")
                      or doc[i - 1].pos_ == "PROPN"):
            continue
        span = doc[i:h + 1]
        name = span.text
        if gaz.lookup(name, fuzzy=False) is not None or gaz.lookup(doc[i:k].text, fuzzy=False) is not None:
            continue
        out.append(Mention(span.start, span.end, span.start_char, span.end_char, name,
                           _mint_cued(name, EntityType.LOCATION), "minted"))
        for j in range(span.start, span.end):
            taken[j] = True
    # "in Kidal", "the town of Djibo": a place word, then a capitalised name
    frames = numpy.flatnonzero(numpy.isin(lower[:-1], [strings[w] for w in (*_FRAME_PREPS, "of")]) & (title[1:] == 1))
    for f in frames.tolist():
        tok = doc[f]
        if tok.lower_ == "of" and not (f > 0 and doc[f - 1].lower_ in _SETTLEMENTS):
            continue
        j = f + 1
        if taken[j] or doc[j].ent_type_ not in _UNPLACED:
            continue
        k = j
        while k < n and k - j < 5 and not taken[k] and doc[k].ent_type_ in _UNPLACED and (
                (doc[k].pos_ == "PROPN" and doc[k].is_title) or (doc[k].text == "-" and k > j)):
            k += 1
        while k > j and doc[k - 1].text == "-":
            k -= 1
        for end in range(k, j, -1):
            span = doc[j:end]
            name = span.text
            info = find_place(name)
            if info is None or info.kind != "city" or normalise(info.name) != normalise(name):
                continue
            entity = gaz.lookup(name, fuzzy=False) or Entity(
                key=slug(name), label=name, type=EntityType.LOCATION, labels=(name,),
                latitude=info.latitude, longitude=info.longitude)
            out.append(Mention(span.start, span.end, span.start_char, span.end_char, name, entity, "minted"))
            for i in range(span.start, span.end):
                taken[i] = True
            break
    return out


class _Spellings:
    """The names minted so far in one article, by type: a new name that the gazetteer's fuzzy rule
    (``fuzz.ratio`` at least :data:`~kg.text.FUZZY_THRESHOLD` on names of at least
    :data:`~kg.text.FUZZY_MIN_LEN` letters) finds close to one of them is that entity, spelt
    another way ("Kasciunas" and "Kasciunnas", "Mohammed Hamdan" and "Mohamed Hamdan").  Across articles the
    same rule proposes merges (``kg judgements --suggest``), and :func:`kg.text.slug` folds i/y noise."""

    def __init__(self) -> None:
        self._names: dict[EntityType, dict[str, Entity]] = {}

    def add(self, entity: Entity) -> None:
        names = self._names.setdefault(entity.type, {})
        for label in (entity.label, *entity.labels):
            names.setdefault(normalise(label), entity)

    def variant(self, name: str, etype: EntityType) -> Entity | None:
        norm = normalise(name)
        names = self._names.get(etype)
        if not names or len(norm) < FUZZY_MIN_LEN:
            return None
        found = names.get(norm)
        if found is None:
            best = process.extractOne(norm, list(names), scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
            if best is None:
                return None
            found = names[best[0]]
        return replace(found, labels=tuple(dict.fromkeys((*found.labels, name))))


#: force heads that, after a state's name, are that state's forces ("the Syrian Army", "Russian Armed Forces")
_STATE_FORCE_HEADS = {"forces", "army", "guard", "guards", "corps", "unit", "brigade", "brigades", "regiment",
                      "battalion", "detachment"}


#: words that name a kind of force, not a group ("the Armed Forces", "Special Operations Forces")
_GENERIC_FORCE_WORDS = {"armed", "special", "security", "defence", "defense", "air", "naval", "ground", "land",
                        "territorial", "assault", "national", "mechanized", "mechanised", "airborne", "marine",
                        "volunteer", "operations", "task", "elite", "separate", "mountain", "motorized", "rifle",
                        "tank", "artillery", "infantry", "border", "coast", "allied", "coalition", "the", "of",
                        "and", "joint", "military", "regular", "reserve", "strategic", "missile", "rocket"}


def _cue(ent: Span, gaz: Gazetteer, found: list[tuple[int, int, str, str]],
         blocked: frozenset[int] = frozenset()) -> tuple[Span, str, EntityType] | None:
    """An unknown name whose head noun says it is a place or an armed group: (span, name, type), the span
    taking a place head that follows the name ("al-Hawl camp", "Nur Shams refugee camp")."""
    if ent.label_ not in ("PERSON", "ORG", "FAC", "GPE", "LOC"):
        return None
    trimmed = _trim(ent, blocked)
    if trimmed is None:
        return None
    doc = ent.doc
    name = _clean_name(trimmed.text)
    words = name.split()
    # a capital that stands for its state names, with a region head, the region around it ("the Moscow
    # Region", "Tehran province"), not the state
    seat_region = _seat_region(trimmed, gaz) if len(name) >= 2 else None
    if seat_region is not None:
        return seat_region, _clean_name(seat_region.text), EntityType.LOCATION
    if len(name) < 2 or _BAD_NAME.match(name) or not words or gaz.lookup(name, fuzzy=False) is not None:
        return None
    # a known name covering the whole bare name ("Kursk" of "Kursk region") stays the known entity
    if any(s <= trimmed.start and e >= trimmed.end for s, e, _k, _src in found):
        return None
    end = trimmed.end
    j = end
    while j < len(doc) and j - end < 2 and doc[j].lower_ in _PLACE_MODIFIERS and doc[j].is_lower:
        j += 1
    if j < len(doc) and doc[j].lower_ in PLACE_HEADS and doc[j].is_lower and doc[j].pos_ == "NOUN":
        span = doc[trimmed.start:j + 1]
        return span, _clean_name(span.text), EntityType.LOCATION
    head = words[-1].lower()
    if head in PLACE_HEADS and len(words) >= 2 and ent.label_ != "GPE":
        if head in INSTITUTION_HEADS and ent.label_ == "ORG":
            return trimmed, name, EntityType.ORGANISATION
        return trimmed, name, EntityType.LOCATION
    numbered = trimmed.start > 0 and (doc[trimmed.start - 1].like_num or doc[trimmed.start - 1].ent_type_
                                       == "ORDINAL")  # "the 92nd Assault Brigade": a state's unit
    specific = [w for w in words[:-1] if w.lower() not in _GENERIC_FORCE_WORDS]
    if (head in GROUP_HEADS and specific and ent.label_ == "ORG" and not words[0][0].isdigit()
            and not numbered and gaz.lookup(name) is None):
        inner = [gaz.get(k) for s, e, k, _src in found if s >= trimmed.start and e <= trimmed.end]
        if head in _STATE_FORCE_HEADS and any(x is not None and x.type is EntityType.STATE for x in inner):
            return None  # "the Syrian Army": the state's own forces
        if any(x is not None and x.type not in (EntityType.STATE, EntityType.LOCATION) for x in inner):
            return None
        return trimmed, name, EntityType.ARMED_GROUP
    # "M23 rebels", "JNIM militants": a name no gazetteer row or offline place data knows, whose men are
    # irregular forces, is an armed group, whatever NER typed it ("M23" a GPE), and no place
    after = end + 3 if _acronym_after(doc, end) else end  # "Hayat Tahrir al-Sham (HTS) fighters"
    if (after < len(doc) and doc[after].lower_ in _IRREGULAR_MEN and ent.label_ != "NORP"
            and gaz.lookup(name) is None and find_place(name) is None):
        return trimmed, name, EntityType.ARMED_GROUP
    # "the Syrian Observatory for Human Rights", "the Kenyan Institute of Strategy": a body named after
    # its country that is no body of its state is itself, not the state its demonym names
    if (ent.label_ == "ORG" and len(words) >= 3 and trimmed.root.lemma_.lower() in _NONSTATE_BODY_HEADS
            and any(s >= trimmed.start and e <= trimmed.end and (k := gaz.get(key)) is not None
                    and k.type is EntityType.STATE for s, e, key, _src in found)):
        return trimmed, name, EntityType.ORGANISATION
    return None


#: heads that make a capital's name the region around it
_REGION_HEADS = {"region", "oblast", "province", "governorate", "district", "krai", "raion", "county"}


def _seat_region(name: Span, gaz: Gazetteer) -> Span | None:
    """"Moscow Region", "the Kyiv region": a capital that the gazetteer reads as its state (a seat), with a
    region head inside or right after the name, is a region of its own; the span up to the head."""
    doc = name.doc
    words = [t for t in name if not t.is_punct]
    if len(words) >= 2 and words[-1].lower_ in _REGION_HEADS:
        bare, end = doc[name.start:words[-1].i], name.end
    elif name.end < len(doc) and doc[name.end].lower_ in _REGION_HEADS and doc[name.end].is_lower:
        bare, end = name, name.end + 1
    else:
        return None
    known = gaz.lookup(bare.text, fuzzy=False)
    if known is None or known.type is not EntityType.STATE or not gaz.is_seat(bare.text):
        return None
    return doc[name.start:end]


def _acronym_after(doc: Doc, end: int) -> str | None:
    """The acronym in brackets right after a name ("Hayat Tahrir al-Sham (HTS)"), if any."""
    if end + 2 < len(doc) and doc[end].text == "(" and doc[end + 2].text == ")" and (
            doc[end + 1].is_upper and doc[end + 1].is_alpha and len(doc[end + 1]) >= 2):
        return doc[end + 1].text
    return None


#: head nouns of bodies that are not a state's own ("Observatory", "Institute"): named after their
#: country, they are still themselves
_NONSTATE_BODY_HEADS = {"observatory", "institute", "network", "centre", "center", "foundation", "monitor",
                        "watch", "initiative", "project", "society", "association", "league", "company",
                        "corporation", "university", "federation", "union", "party", "chamber", "congress",
                        "alliance", "organisation", "organization", "coalition", "platform", "forum"}


#: the men of an irregular armed group, after its name
_IRREGULAR_MEN = {"rebels", "rebel", "militants", "fighters", "insurgents", "militiamen", "jihadists", "gunmen",
                  "guerrillas", "militia", "militias", "gang", "gangs", "gangsters"}


def is_place(entity: Entity) -> bool:
    """A state or location, or an institution named by a place head ("Al-Shifa Hospital")."""
    if entity.type in (EntityType.LOCATION, EntityType.STATE):
        return True
    words = entity.label.split()
    return entity.type is EntityType.ORGANISATION and len(words) >= 2 and words[-1].lower() in PLACE_HEADS


#: place heads of sites inside a town, not the town itself (unlike "region", "city", "province")
SITE_HEADS = {"camp", "camps", "hospital", "base", "airbase", "airport", "airfield", "port", "prison",
              "checkpoint", "crossing", "bridge", "refinery", "plant", "complex", "compound"}


def _site_after(doc: Doc, end: int) -> int | None:
    """The end of a site head right after a place name ("Tulkarem [refugee] camp"), if any."""
    j = end
    while j < len(doc) and j - end < 2 and doc[j].lower_ in _PLACE_MODIFIERS and doc[j].is_lower:
        j += 1
    if j < len(doc) and doc[j].lower_ in SITE_HEADS and doc[j].is_lower and doc[j].pos_ == "NOUN":
        return j + 1
    return None


def _bare_place(label: str) -> str:
    """A place name without its place head: "Al-Shifa Hospital" -> "Al-Shifa"."""
    words = label.split()
    while len(words) > 1 and (words[-1].lower() in PLACE_HEADS or words[-1].lower() in _PLACE_MODIFIERS):
        words.pop()
    return " ".join(words)


def _mint_cued(name: str, etype: EntityType) -> Entity:
    """A cued place or group: key ``slug(name)``; a place also answers to its bare name ("Al-Shifa")."""
    bare = _bare_place(name) if etype is EntityType.LOCATION else name
    labels = tuple(dict.fromkeys((name, bare)))
    return Entity(key=slug(name), label=name, type=etype, labels=labels)


#: nouns that, said of a name, make it an armed group ("One of the most notorious groups ... is Rusich")
_GROUP_NOUNS = {"group", "militia", "battalion", "brigade", "regiment", "legion", "unit", "formation",
                "faction", "paramilitary", "detachment"}


def _named_as_group(span: Span) -> bool:
    """The name is said to be a group: the complement of "is" with a group noun as subject, or in apposition
    to one ("the group, Rusich", "Rusich, a neo-Nazi unit")."""
    root = span.root

    def group_noun(t: Token) -> bool:
        return t.pos_ == "NOUN" and t.lemma_.lower() in _GROUP_NOUNS

    if root.dep_ == "attr" and root.head.lemma_ == "be":
        for subj in root.head.children:
            if subj.dep_ == "nsubj" and (group_noun(subj) or any(
                    c.dep_ == "prep" and c.lower_ == "of" and any(group_noun(o) for o in c.children)
                    for c in subj.children)):
                return True
    if root.dep_ == "appos" and group_noun(root.head):
        return True
    return any(c.dep_ == "appos" and group_noun(c) for c in root.children)


def _place_frame(span: Span) -> bool:
    """The name is the object of a place preposition: "into Rafah", "near Pokrovsk"."""
    root = span.root
    if span.text.isupper() or any(t.dep_ == "conj" for t in root.children):
        return False  # an acronym ("in AI") or one of a list ("in +972 and Local Call")
    if root.dep_ == "pobj" and root.head.lower_ == "of":  # "north of Goma", "the outskirts of Bakhmut"
        head = root.head.head
        return head.lower_ in _OF_PLACE_HEADS or head.lower_ in words("en", "compass_adjectives")
    return root.dep_ == "pobj" and root.head.lower_ in _PLACE_PREPS


#: nouns whose "of" names a place ("the outskirts of Bakhmut")
_OF_PLACE_HEADS = {"outskirts", "suburbs", "centre", "center", "edge", "north", "south", "east", "west",
                   "northeast", "northwest", "southeast", "southwest"}


def _trim(ent: Span, blocked: frozenset[int] = frozenset(), *, left: bool = True) -> Span | None:
    """The name in an entity span: without articles and punctuation at its edges, and whole where NER cut it
    short: the rest of a hyphenated word ("Croix" of "Croix-des-Bouquets") and, with ``left``, up to two
    capitalised proper nouns NER left out before it ("Hayat" of "Hayat Tahrir al-Sham"), none of them in
    ``blocked`` (tokens a gazetteer name holds).  A person's name is not grown to the left: the capitalised
    word before it is a title ("Judge", "Mayor")."""
    start, end = ent.start, ent.end
    doc = ent.doc
    while start < end and (doc[start].lower_ in {"the", "a", "an"} or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].text in {"'s", "’s"}):
        end -= 1
    if start >= end:
        return None
    # the hyphenated name goes on, written without a space: "-des-Bouquets", "-Bek"; not "-based", "-backed"
    k = end
    while (k + 1 < len(doc) and not doc[k - 1].whitespace_ and doc[k].text == "-" and not doc[k].whitespace_
           and doc[k + 1].is_alpha and k + 1 not in blocked and not doc[k + 1].ent_type_):
        part = doc[k + 1]
        if part.is_title:
            k += 2
        elif (part.lower_ in _NAME_PARTICLES and not part.whitespace_ and k + 3 < len(doc)
              and doc[k + 2].text == "-" and doc[k + 3].is_title):
            k += 2  # "-des-", then the capitalised part on the next round
        else:
            break
    end = k
    j = start
    while (left and j > 0 and start - j < 2 and doc[j - 1].pos_ == "PROPN" and doc[j - 1].is_title
           and not doc[j - 1].ent_type_ and j - 1 not in blocked and doc[j - 1].lower_ not in _NOT_NAME_WORDS
           and not (j >= 2 and doc[j - 2].text == "-" and not doc[j - 2].whitespace_)):  # not "sub-Saharan"
        j -= 1
    return doc[j:end]


#: lowercase particles inside hyphenated place names ("Croix-des-Bouquets", "Port-au-Prince", "Deir-ez-Zor")
_NAME_PARTICLES = {"des", "de", "du", "la", "le", "les", "au", "aux", "sur", "en", "al", "el", "ez", "ed", "ad",
                   "an", "ar", "as", "ash", "at", "az", "ul", "bin", "ibn", "am", "der"}


#: capitalised words before a name that are no part of it
_NOT_NAME_WORDS = {"president", "minister", "general", "commander", "spokesman", "spokeswoman", "prime", "mr",
                   "mrs", "ms", "dr", "sen", "rep", "gen", "col", "lt", "secretary", "chancellor", "king", "queen",
                   "prince", "sheikh", "ayatollah", "pope", "colonel", "admiral", "ambassador", "chief", "deputy"}


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
