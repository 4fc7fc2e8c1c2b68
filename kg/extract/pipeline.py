"""From a parsed article to claims: the per-article context shared by the statement, deployment and claim
rules (mentions, sentences, the speakers seen so far, the article's own outlet)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from spacy.tokens import Doc, Span, Token

from kg.extract.entities import Mention, find_mentions
from kg.extract.gazetteer import Gazetteer, load_gazetteer
from kg.extract.lexicon import words
from kg.extract.places import find_place, locate
from kg.model import Article, Entity, EntityType
from kg.text import normalise, slug

log = logging.getLogger(__name__)

ACTOR_TYPES = {EntityType.STATE, EntityType.ARMED_FORCE, EntityType.ARMED_GROUP, EntityType.PERSON,
               EntityType.ORGANISATION, EntityType.OUTLET}
FORCE_TYPES = {EntityType.STATE, EntityType.ARMED_FORCE, EntityType.ARMED_GROUP}
PLACE_TYPES = {EntityType.LOCATION, EntityType.STATE}

#: a transcript turn: "Q ", "Q:", "MR. KIRBY:", "MS. JEAN-PIERRE:" at the start of a line
_TURN = re.compile(r"(?m)^(?:(Q)[:.]?\s|([A-Z][A-Z.'\- ]{1,40}[A-Z.]):\s)")


@dataclass
class Context:
    """Everything the rules need about one article."""

    article: Article
    doc: Doc
    gaz: Gazetteer
    mentions: list[Mention]
    outlet: Entity | None
    english: bool = True
    by_token: dict[int, Mention] = field(default_factory=dict)
    #: (token index, entity) of each statement's speaker, in text order, filled by the statement rules
    speakers: list[tuple[int, Entity]] = field(default_factory=list)
    #: (token index, place) of each deployment found so far, for "the region", "there"
    deployment_places: list[tuple[int, Entity]] = field(default_factory=list)
    #: what a rule computes once per article and reads often (``kg.extract.coref``: the named warships)
    cache: dict[str, object] = field(default_factory=dict)

    text: str = ""
    _turns: list[tuple[int, str]] | None = None
    _turn_starts: list[int] = field(default_factory=list)
    _ents: tuple[Span, ...] | None = None
    _ent_starts: list[int] = field(default_factory=list)
    _turn_speakers: dict[str, Entity | None] = field(default_factory=dict)
    _paragraphs: list[tuple[int, int, Entity]] | None = None
    #: (token index, participants) of the last statement made by a group ("the two officials said")
    last_group: tuple[int, list[Entity]] | None = None
    #: start chars of the turn paragraphs already emitted as statements
    emitted_paragraphs: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        # Doc.text joins every token on each access: keep the article text once
        self.text = self.article.text
        self.mentions.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.mentions]
        for m in self.mentions:
            for i in range(m.start, m.end):
                self.by_token[i] = m

    def turn_at(self, char: int) -> str | None:
        """The speaker label of the transcript turn holding ``char`` ("Q", "MR. KIRBY"), if the article is a
        transcript with "LABEL:" lines."""
        if self._turns is None:
            self._turns = [(m.start(), (m.group(1) or m.group(2)).strip()) for m in _TURN.finditer(self.text)]
            self._turn_starts = [start for start, _ in self._turns]
        k = bisect_left(self._turn_starts, char + 1) - 1
        return self._turns[k][1] if k >= 0 else None

    def turn_speaker_at(self, char: int) -> Entity | None:
        """The speaker of the named transcript turn holding ``char`` ("MR. KIRBY:" is Kirby), or None outside
        a named turn (a reporter's question, the moderator, an article that is no transcript)."""
        label = self.turn_at(char)
        if label is None or label in words("en", "turn_silent"):
            return None
        return self.resolve_turn_label(label)

    def resolve_turn_label(self, label: str) -> Entity | None:
        """The person a transcript label names: "MR. KIRBY" through the gazetteer or a person named in the
        article; "THE PRESIDENT" as the person the title or text calls "President X"."""
        if label in self._turn_speakers:
            return self._turn_speakers[label]
        found = _resolve_label(self, label)
        self._turn_speakers[label] = found
        return found

    def turn_paragraphs(self) -> list[tuple[int, int, Entity]]:
        """(start, end, speaker) of every paragraph of a named speaker's turn, the label itself excluded:
        in a transcript each is one statement by that speaker."""
        if self._paragraphs is not None:
            return self._paragraphs
        self._paragraphs = []
        self.turn_at(0)
        assert self._turns is not None
        if sum(1 for _, label in self._turns if label not in words("en", "turn_silent")) < 1:
            return self._paragraphs
        for k, (start, label) in enumerate(self._turns):
            end = self._turns[k + 1][0] if k + 1 < len(self._turns) else len(self.text)
            speaker = None if label in words("en", "turn_silent") else self.resolve_turn_label(label)
            if speaker is None:
                continue
            body = self.text.index(":", start) + 1
            for line in re.finditer(r"[^\n]+", self.text[body:end]):
                a, b = body + line.start(), body + line.end()
                while a < b and self.text[a].isspace():
                    a += 1
                while b > a and self.text[b - 1].isspace():
                    b -= 1
                para = self.text[a:b]
                if not para or para in words("en", "turn_nonparagraph") or _CLOCK.fullmatch(para):
                    continue
                self._paragraphs.append((a, b, speaker))
        return self._paragraphs

    def sent_ents(self, sent: Span) -> list[Span]:
        """``sent.ents`` (the named entities wholly inside the sentence), without spaCy rebuilding every
        entity span of the document on each call."""
        if self._ents is None:
            self._ents = tuple(self.doc.ents)
            self._ent_starts = [ent.start for ent in self._ents]
        out = []
        for k in range(bisect_left(self._ent_starts, sent.start), len(self._ents)):
            ent = self._ents[k]
            if ent.end > sent.end:
                break
            out.append(ent)
        return out

    def mention_at(self, i: int) -> Mention | None:
        return self.by_token.get(i)

    def mentions_in(self, start: int, end: int) -> list[Mention]:
        """Mentions wholly inside tokens ``[start, end)``."""
        out = []
        for k in range(bisect_left(self._starts, start), len(self.mentions)):
            m = self.mentions[k]
            if m.start >= end:
                break
            if m.end <= end:
                out.append(m)
        return out

    def mentions_before(self, before: int, within: int) -> Iterator[Mention]:
        """Mentions ending at or before token ``before``, nearest first, at most ``within`` tokens back."""
        for k in range(bisect_left(self._starts, before) - 1, -1, -1):
            m = self.mentions[k]
            if before - m.end > within:
                return
            if m.end <= before:
                yield m

    def last_mention(self, before: int, types: set[EntityType], *, within: int = 10_000) -> Mention | None:
        for m in self.mentions_before(before, within):
            if m.entity.type in types:
                return m
        return None

    def last_speaker(self, before: int, types: set[EntityType] | None = None, *,
                     within: int = 10_000) -> Entity | None:
        for i, entity in reversed(self.speakers):
            if i < before and (types is None or entity.type in types) and before - i <= within:
                return entity
        return None


_CLOCK = re.compile(r"\d{1,2}:\d{2}\s*[AP]\.?M\.?(?:\s+[A-Z]{2,4})?", re.I)


def _resolve_label(ctx: Context, label: str) -> Entity | None:
    parts = [p for p in re.split(r"[\s.]+", label.lower()) if p]
    while parts and parts[0] in words("en", "turn_honorifics"):
        parts = parts[1:]
    if not parts:
        return None
    rest = " ".join(parts)
    honorific = len(parts) < len([p for p in re.split(r"[\s.]+", label.lower()) if p])
    if rest not in words("en", "turn_offices") and len(parts) >= 2 and parts[0] in words("en", "turn_titles"):
        # "SECRETARY AUSTIN", "GEN. RYDER", "SPOKESPERSON DUJARRIC": a title before a name works as an honorific
        while len(parts) >= 2 and parts[0] in words("en", "turn_titles"):
            parts = parts[1:]
        rest, honorific = " ".join(parts), True
    if rest in words("en", "turn_offices"):
        # "THE PRESIDENT": the person the title or the text calls "President X"
        office = re.compile(r"\b(?i:" + re.escape(rest) + r")\s+((?:[A-Z][\w'\-]+\s?){1,3})")
        for source in (ctx.article.title or "", ctx.text):
            for m in office.finditer(source):
                names = m.group(1).split()
                for n in range(len(names), 0, -1):  # "Biden Announcing Cessation": the longest known name
                    found = ctx.gaz.lookup(" ".join(names[:n]), fuzzy=False)
                    if found is not None and found.type is EntityType.PERSON:
                        return found
        return None
    name = " ".join(p.capitalize() for p in parts)
    found = ctx.gaz.lookup(name, fuzzy=False)
    if found is not None and found.type is EntityType.PERSON:
        return found
    last = parts[-1]
    for mention in ctx.mentions:
        if mention.entity.type is EntityType.PERSON and normalise(mention.entity.label).split()[-1:] == [last]:
            return mention.entity
    if honorific:
        return Entity(key=slug(name), label=name, type=EntityType.PERSON, labels=(name,))
    return None


def outlet_entity(article: Article, gaz: Gazetteer) -> Entity | None:
    """The article's own outlet: through the gazetteer, else minted from its name."""
    if not article.outlet:
        return None
    name = article.outlet.strip()
    # "pen0 / agorahub (republished think-tank commentary)", "CNN - International"
    bare = re.sub(r"\s*[(\[].*?[)\]]\s*", " ", name).strip()
    for candidate in (name, bare, *re.split(r"\s+[/|\u2013-]\s+|\s*/\s*", bare)):
        found = gaz.lookup(candidate, fuzzy=False) if candidate.strip() else None
        if found is not None:
            return found
    name = bare or name
    return Entity(key=slug(name), label=name, type=EntityType.OUTLET, labels=(name,))


def make_context(article: Article, doc: Doc, *, english: bool = True) -> Context:
    gaz = load_gazetteer()
    mentions = find_mentions(doc, gaz, mint=english)
    if english:
        mentions = resolve_short_names(regions_of_states(doc, gaz, _outside_turn_labels(article.text, mentions)))
        mentions = type_places(doc, mentions)
    return Context(article=article, doc=doc, gaz=gaz, mentions=mentions,
                   outlet=outlet_entity(article, gaz), english=english)


def _outside_turn_labels(text: str, mentions: list[Mention]) -> list[Mention]:
    """Mentions outside transcript speaker labels ("MR. KIRBY:" names a speaker, "MR" is no place)."""
    labels = [(m.start(), m.end()) for m in _TURN.finditer(text)]
    if not labels:
        return mentions
    return [m for m in mentions if not any(a <= m.start_char < b for a, b in labels)]


def regions_of_states(doc: Doc, gaz: Gazetteer, mentions: list[Mention]) -> list[Mention]:
    """"southern Lebanon", "eastern Ukraine", "northern Israel": a compass word before a state is a region of
    it, the most specific place the text gives (a gazetteer row when there is one, else a location minted from
    the name, the same key in every article)."""
    directions = words("en", "compass_adjectives")
    out = []
    for m in mentions:
        if m.entity.type is EntityType.STATE and m.start > 0 and doc[m.start - 1].lower_ in directions and (
                m.text.split()[0].lower() not in directions):
            first = doc[m.start - 1]
            name = f"{first.text} {m.text}"
            found = gaz.lookup(name, fuzzy=False)
            if found is None or found.type is EntityType.STATE:
                label = f"{first.text.capitalize()} {m.entity.label}"
                found = Entity(key=slug(label), label=label, type=EntityType.LOCATION, labels=(name,))
            m = replace(m, start=first.i, start_char=first.idx, text=name, entity=found)
        out.append(m)
    return out


_LOCATIVE_PREPS = {"in", "at", "near", "into", "to", "across", "outside", "around", "toward", "towards", "inside"}


def type_places(doc: Doc, mentions: list[Mention]) -> list[Mention]:
    """Offline place knowledge for names: a place keeps the coordinates GeoNames gives it, and a name NER
    called a person or organisation is a place when the text puts it where places go ("fighting in Pokrovsk")
    and offline data knows a place of exactly that name."""
    out = []
    for m in mentions:
        entity = m.entity
        if entity.type is EntityType.LOCATION and entity.latitude is None:
            info = locate((entity.label, *entity.labels))
            if info is not None:
                entity = replace(entity, latitude=info.latitude, longitude=info.longitude)
        elif m.source != "gazetteer" and entity.type in (EntityType.PERSON, EntityType.ORGANISATION):
            root = doc[m.start:m.end].root
            info = find_place(m.text)
            placed = (root.dep_ == "pobj" and root.head.lower_ in _LOCATIVE_PREPS) or (
                root.dep_ == "dobj" and root.head.lemma_.lower() in words("en", "place_object_verbs"))
            if info is not None and normalise(info.name) == normalise(m.text) and placed:
                entity = replace(entity, type=EntityType.LOCATION, latitude=info.latitude,
                                 longitude=info.longitude)
        out.append(m if entity is m.entity else replace(m, entity=entity))
    return out


def resolve_short_names(mentions: list[Mention]) -> list[Mention]:
    """A name the gazetteer does not know that repeats part of a person named earlier in the article is that
    person ("Shin" after "Shin Wonsik", "Akiba" after "Akiba Takeo", "Sariel" after "Yossi Sariel"), whatever
    type NER guessed for the short form: coreference of names within one article."""
    people: dict[str, Entity] = {}
    out = []
    for m in sorted(mentions, key=lambda x: x.start):
        if m.entity.type is EntityType.PERSON and (m.source != "minted" or len(m.text.split()) > 1):
            for part in normalise(m.entity.label).split():
                if len(part) > 2:
                    people.setdefault(part, m.entity)
        elif m.source == "minted" and len(m.text.split()) == 1:
            person = people.get(normalise(m.text))
            if person is not None and person.key != m.entity.key:
                m = replace(m, entity=person)
        out.append(m)
    return out


def sentence_text_span(sent: Span, text: str) -> tuple[int, int]:
    """Character range of a sentence without surrounding whitespace (``text`` is the document's text)."""
    start, end = sent.start_char, sent.end_char
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_END_PUNCT = tuple(".!?:;\"”’'»)")


def is_heading(ctx: Context, sent: Span) -> bool:
    """A headline or section title: the article's title, or a whole line without closing punctuation."""
    text = sent.text.strip()
    if not text:
        return True
    title = (ctx.article.title or "").strip()
    if title and text == title:
        return True
    start, end = sentence_text_span(sent, ctx.text)
    line_start = start == 0 or ctx.text[start - 1] == "\n"
    line_end = end == len(ctx.text) or ctx.text[end:end + 1] == "\n"
    return line_start and line_end and not text.endswith(_END_PUNCT) and len(text.split()) <= 16


def in_open_quote(text: str, char: int) -> bool:
    """Whether ``char`` sits inside a quotation opened earlier in its paragraph."""
    para_start = text.rfind("\n", 0, char) + 1
    before = text[para_start:char].replace('">', "")  # residue of an HTML tag, not a quotation mark
    straight = before.count('"')
    opening = sum(before.count(q) for q in "“„«")
    closing = sum(before.count(q) for q in "”»")
    return straight % 2 == 1 or opening > closing


RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tonight": 0, "heute": 0, "gestern": -1}
WEEKDAYS = {name: i for i, name in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
WEEKDAYS.update({name: i for i, name in enumerate(
    ["montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"])})
MONTHS = {name: i + 1 for i, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")\b", re.I)
_MONTH_DAY = re.compile(r"\b(" + "|".join(MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I)


def resolve_date(text: str, published: dt.date | None) -> dt.date | None:
    """A date named in ``text`` ("on Thursday", "yesterday", "5 April"), resolved against the publication
    date: a weekday is the latest such day on or before it.

    >>> resolve_date("on Thursday", dt.date(2024, 11, 7))
    datetime.date(2024, 11, 7)
    >>> resolve_date("said on Monday", dt.date(2024, 11, 7))
    datetime.date(2024, 11, 4)
    """
    if published is None:
        return None
    lower = text.lower()
    for word in re.findall(r"[a-zäöü]+", lower):
        if word in WEEKDAYS:
            delta = (published.weekday() - WEEKDAYS[word]) % 7
            return published - dt.timedelta(days=delta)
        if word in RELATIVE_DAYS:
            return published + dt.timedelta(days=RELATIVE_DAYS[word])
    m = _DAY_MONTH.search(text)
    day_month = (int(m.group(1)), MONTHS[m.group(2).lower()]) if m else None
    if day_month is None:
        m = _MONTH_DAY.search(text)
        day_month = (int(m.group(2)), MONTHS[m.group(1).lower()]) if m else None
    if day_month is not None:
        day, month = day_month
        try:
            date = dt.date(published.year, month, day)
        except ValueError:
            return None
        if date > published + dt.timedelta(days=1):
            try:
                date = dt.date(published.year - 1, month, day)
            except ValueError:
                return None
        return date
    return None


def subtree_range(token: Token) -> tuple[int, int]:
    left = token.left_edge.i
    right = token.right_edge.i + 1
    return left, right
