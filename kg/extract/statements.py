"""Statements: reported speech with an identifiable speaker.

A statement is a speech verb with its own subject ("X said", "said the President", "X told reporters"), or an
"according to X" attribution to a named speaker.  The speaker is resolved from the subject: an entity mention
in it (the one covering its head first: "Iran's permanent mission" is Iran, "the Israeli military" is
Israel), a pronoun ("he said") or a definite description ("said the President", "the military said") to the
last fitting speaker or mention before it.  Anonymous sources are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span, Token

from kg.extract.pipeline import ACTOR_TYPES, Context, resolve_date, sentence_text_span, subtree_range
from kg.model import Entity, EntityType

SPEECH_LEMMAS = {
    "say", "tell", "announce", "warn", "add", "note", "report", "claim", "confirm", "state", "deny",
    "insist", "write", "accuse", "blame", "urge", "vow", "suggest", "estimate", "declare", "comment",
    "explain", "argue", "assert", "stress", "emphasize", "emphasise", "reiterate", "acknowledge", "admit",
    "describe", "allege", "threaten", "promise", "pledge", "predict", "decry", "condemn", "express",
    "highlight", "cite", "quote", "tweet", "post", "publish", "reply", "respond", "remark", "recall",
    "continue", "point", "mention", "observe", "notice", "call", "demand", "appeal", "ask", "fear",
    "believe", "conclude", "assess", "indicate", "underline", "stated", "testify", "inform", "announce",
    "disclose", "reveal", "caution", "concede", "counter", "contend", "maintain", "voice",
}
#: speech verbs that need a clause or quote to count ("called" alone is not speech)
WEAK_LEMMAS = {"call", "ask", "continue", "point", "express", "believe", "fear", "post", "publish",
               "highlight", "describe", "cite", "quote", "voice", "demand", "appeal", "observe", "recall",
               "condemn", "decry", "threaten", "promise", "pledge", "inform", "maintain", "notice"}

_PRONOUNS_PERSON = {"he", "she", "him", "her"}
_PRONOUNS_GROUP = {"it", "they", "we"}
_PERSON_NOUNS = {
    "president", "minister", "chancellor", "spokesman", "spokeswoman", "spokesperson", "chief", "leader",
    "commander", "secretary", "ambassador", "official", "general", "prime", "premier", "envoy", "head",
    "director", "officer", "adviser", "advisor", "governor", "mayor", "king", "emir", "ayatollah",
    "commissioner", "diplomat", "lawmaker", "senator", "analyst", "expert", "researcher", "author",
}
_BODY_NOUNS = {
    "military", "army", "ministry", "government", "administration", "forces", "force", "navy", "kremlin",
    "command", "office", "agency", "service", "embassy", "mission", "company", "firm", "group",
    "organization", "organisation", "movement", "militia", "rebels", "hospital", "authorities",
    "officials", "police", "department", "statement", "council", "court", "cabinet", "operator", "ministries",
}
_ANONYMOUS = {"source", "sources", "person", "people", "someone", "witness", "witnesses", "resident",
              "residents", "one", "many", "others", "some", "observers", "critics", "analysts", "experts",
              "reports", "report", "media", "estimates", "data", "figures", "study", "survey", "document",
              "documents", "footage", "video", "images", "who", "that", "which"}


@dataclass(frozen=True)
class Speech:
    """One speech act found in a sentence: the verb (or "according"), its speaker and evidence range."""

    verb: Token
    speaker: Entity
    start_char: int
    end_char: int
    according: bool = False
    place: Entity | None = None


def _subject(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            return child
    # "..., the military said" parsed with the subject attached to a conjunct's head
    if verb.dep_ == "conj":
        return None
    return None


def resolve_subject(ctx: Context, subj: Token, *, prefer_before: int) -> Entity | None:
    """The entity a subject phrase stands for, or None for anonymous or unresolved subjects."""
    left, right = subtree_range(subj)
    # a relative clause inside the subject ("Iran, which ...") does not name the speaker
    for child in subj.children:
        if child.dep_ in ("relcl", "acl") and child.i > subj.i:
            right = min(right, child.left_edge.i)
    head = ctx.mention_at(subj.i)
    if head is not None and head.entity.type in ACTOR_TYPES:
        return head.entity
    inside = [m for m in ctx.mentions_in(left, right) if m.entity.type in ACTOR_TYPES]
    word = subj.lower_
    if word in _ANONYMOUS and not any(c.dep_ == "poss" for c in subj.children):
        # "US, South Korean and Ukrainian sources": the states are the claimants, not a speaker
        return None
    if inside:
        # the possessor or modifier of a body noun: "Iran's permanent mission", "the Israeli military"
        people = [m for m in inside if m.entity.type is EntityType.PERSON]
        if word in _PERSON_NOUNS and people:
            return people[0].entity
        return inside[0].entity
    if subj.pos_ == "PRON" or word in _PRONOUNS_PERSON | _PRONOUNS_GROUP:
        if word in _PRONOUNS_PERSON:
            return _antecedent(ctx, prefer_before, {EntityType.PERSON})
        if word in _PRONOUNS_GROUP and word != "we":
            return _antecedent(ctx, prefer_before, ACTOR_TYPES - {EntityType.PERSON})
        return None
    determiners = {c.lower_ for c in subj.children if c.dep_ in ("det", "poss")}
    if word in _PERSON_NOUNS and (determiners & {"the", "his", "her", "its", "their"}):
        return _antecedent(ctx, prefer_before, {EntityType.PERSON})
    if word in _BODY_NOUNS and (determiners & {"the", "its", "their"}):
        if word in {"military", "army", "ministry", "government", "forces", "navy", "command",
                    "administration", "authorities", "officials", "cabinet", "embassy"}:
            return _antecedent(ctx, prefer_before, {EntityType.STATE, EntityType.ARMED_FORCE,
                                                      EntityType.ARMED_GROUP})
        return _antecedent(ctx, prefer_before, {EntityType.ORGANISATION, EntityType.ARMED_GROUP,
                                                 EntityType.OUTLET})
    return None


def _antecedent(ctx: Context, before: int, types: set[EntityType]) -> Entity | None:
    speaker = ctx.last_speaker(before, types)
    mention = ctx.last_mention(before, types)
    if mention is None:
        return speaker
    if speaker is None:
        return mention.entity
    # the more recent of the two
    for i, entity in reversed(ctx.speakers):
        if i < before and entity.type in types:
            return entity if i >= mention.start else mention.entity
    return mention.entity


def _has_content(verb: Token) -> bool:
    """A clause, quote or direct object of speech hangs off the verb."""
    for child in verb.children:
        if child.dep_ in ("ccomp", "xcomp", "dobj", "parataxis", "advcl", "prep", "dative", "attr"):
            return True
        if child.is_quote or child.text in "\"“”:":
            return True
    return verb.dep_ in ("parataxis", "ccomp")


def find_speech(ctx: Context, sent: Span) -> list[Speech]:
    """The speech acts of one sentence, in order; records their speakers in ``ctx.speakers``."""
    out: list[Speech] = []
    s_start, s_end = sentence_text_span(sent)
    for token in sent:
        if token.lower_ == "according" and token.i + 1 < len(ctx.doc) and ctx.doc[token.i + 1].lower_ == "to":
            speech = _according(ctx, sent, token)
            if speech is not None:
                out.append(speech)
            continue
        if token.pos_ not in ("VERB", "AUX") or token.lemma_.lower() not in SPEECH_LEMMAS:
            continue
        lemma = token.lemma_.lower()
        if token.tag_ == "VBG" and token.dep_ in ("advcl", "xcomp", "acl", "conj"):
            continue  # participle: "..., saying ..." stays with the main speech act
        if token.dep_ in ("amod", "acl") and token.tag_ == "VBN":
            continue
        if lemma in WEAK_LEMMAS and not _has_content(token):
            continue
        subj = _subject(token)
        if subj is None:
            continue
        speaker = resolve_subject(ctx, subj, prefer_before=subj.left_edge.i)
        if speaker is None:
            continue
        start, end = _evidence(sent, token, s_start, s_end)
        out.append(Speech(token, speaker, start, end, place=_place(ctx, token)))
        ctx.speakers.append((token.i, speaker))
    return out


def _evidence(sent: Span, verb: Token, s_start: int, s_end: int) -> tuple[int, int]:
    """The sentence when the verb heads it, else the verb's clause."""
    if verb.dep_ == "ROOT" or verb.head == verb:
        return s_start, s_end
    left, right = subtree_range(verb)
    doc = sent.doc
    start = max(doc[left].idx, s_start)
    end = min(doc[right - 1].idx + len(doc[right - 1].text), s_end)
    return start, end


def _according(ctx: Context, sent: Span, according: Token) -> Speech | None:
    """An "according to X" attribution to a named speaker (not to "sources" or "a report")."""
    to = ctx.doc[according.i + 1]
    objs = [c for c in to.children if c.dep_ == "pobj"]
    if not objs:
        return None
    obj = objs[0]
    if obj.lower_ in _ANONYMOUS:
        return None
    speaker = resolve_subject(ctx, obj, prefer_before=according.i)
    if speaker is None:
        return None
    s_start, s_end = sentence_text_span(sent)
    ctx.speakers.append((according.i, speaker))
    return Speech(according, speaker, s_start, s_end, according=True)


def according_claimants(ctx: Context, sent: Span) -> list[Entity]:
    """Every actor an "according to ..." phrase in the sentence names: "according to the US, South Korean
    and Ukrainian sources" is three; "according to a report of the New York Times" is the NYT."""
    out: list[Entity] = []
    for token in sent:
        if token.lower_ != "according" or token.i + 1 >= len(ctx.doc) or ctx.doc[token.i + 1].lower_ != "to":
            continue
        to = ctx.doc[token.i + 1]
        left, right = subtree_range(to)
        # only up to the end of the noun phrase: stop at a clause of its own
        for m in ctx.mentions_in(to.i + 1, right):
            if m.entity.type in ACTOR_TYPES and m.entity not in out:
                out.append(m.entity)
        if not out:
            obj = next((c for c in to.children if c.dep_ == "pobj"), None)
            if obj is not None:
                found = resolve_subject(ctx, obj, prefer_before=token.i)
                if found is not None:
                    out.append(found)
    return _dedupe(out)


def _dedupe(entities: list[Entity]) -> list[Entity]:
    seen: dict[str, Entity] = {}
    for e in entities:
        seen.setdefault(e.key, e)
    return list(seen.values())


def _place(ctx: Context, verb: Token) -> Entity | None:
    """Where a statement was made: "in Budapest", "from Budapest", "during a visit to Rome"."""
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in ("in", "from", "at"):
            for obj in child.children:
                m = ctx.mention_at(obj.i)
                if m is not None and m.entity.type in (EntityType.LOCATION, EntityType.STATE):
                    return m.entity
    return None


def statement_date(ctx: Context, sent: Span, verb: Token) -> object:
    """The date of the statement from a date phrase in its sentence."""
    for ent in sent.ents:
        if ent.label_ == "DATE":
            return resolve_date(ent.text, ctx.article.published)
    return None
