"""Statements: reported speech with an identifiable speaker.

A statement is a speech verb with its own subject ("X said", "said the President", "X told reporters"), or an
"according to X" attribution to a named speaker.  The speaker is resolved from the subject: an entity mention
in it (the one covering its head first: "Iran's permanent mission" is Iran, "the Israeli military" is
Israel), a pronoun ("he said") or a definite description ("said the President", "the military said") to the
last fitting speaker or mention before it.  Anonymous sources are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

from kg.extract.entities import Mention
from kg.extract.lexicon import words
from kg.extract.pipeline import (
    ACTOR_TYPES,
    Context,
    is_heading,
    sentence_text_span,
    subtree_range,
)
from kg.model import Entity, EntityType
from kg.text import normalise, slug

SPEECH_LEMMAS = words("en", "speech_lemmas")
#: speech verbs that count only with a clause or a quote ("called for talks" is not reported speech)
WEAK_LEMMAS = words("en", "speech_weak_lemmas")
#: the speech of "cited a statement from the Iranian Navy" is the cited source's
CITING_LEMMAS = {"cite", "quote"}
_LOCATIVE = {"in", "at", "near", "inside", "across", "from", "on", "outside"}
#: lines that credit the reporters, not speech ("X and Y reported for this article")
_BYLINE = re.compile(r"(reported|contributed|contributing)\s+(to|for)\s+this\s+(article|report|story)|"
                     r"contributed\s+reporting|reporting\s+by\b", re.I)

_PRONOUNS_PERSON = {"he", "she", "him", "her"}
_PRONOUNS_GROUP = {"it", "they", "we"}
_PERSON_NOUNS = {
    "president", "minister", "chancellor", "spokesman", "spokeswoman", "spokesperson", "chief", "leader",
    "commander", "secretary", "ambassador", "official", "general", "prime", "premier", "envoy", "head",
    "director", "officer", "adviser", "advisor", "governor", "mayor", "king", "emir", "ayatollah",
    "commissioner", "diplomat", "lawmaker", "senator", "politician", "mp", "deputy", "representative",
    "negotiator", "prosecutor", "judge", "chairman", "chairwoman", "vice", "colonel", "lieutenant", "major",
    "captain", "sergeant", "admiral", "marshal", "ruler", "monarch", "cleric", "founder", "boss",
}
#: bodies often named by a proper noun before them: "the BRIEF news outlet", "the RMT union"
_NAMED_BODIES = {"outlet", "agency", "newspaper", "broadcaster", "channel", "website", "union", "group",
                 "company", "firm", "organization", "organisation", "committee", "network"}
_BODY_NOUNS = {
    "military", "army", "ministry", "government", "administration", "forces", "force", "navy", "kremlin",
    "command", "office", "agency", "service", "embassy", "mission", "company", "firm", "group",
    "organization", "organisation", "movement", "militia", "rebels", "hospital", "authorities",
    "officials", "police", "department", "statement", "council", "court", "cabinet", "operator", "ministries",
    "outlet", "website", "broadcaster", "network", "newspaper", "channel", "spokesperson", "side",
    "services", "panel", "tribunal", "union", "committee",
}
#: "an umbrella group ... calling itself the Islamic Resistance in Iraq": the name is the speaker's
_NAMING = {"call", "know", "name", "dub", "style", "brand"}
#: bodies referred to by their kind: "the company" is the last company named, not the last speaker
_KIND_NOUNS = {"company": {EntityType.ORGANISATION}, "firm": {EntityType.ORGANISATION},
               "operator": {EntityType.ORGANISATION}, "hospital": {EntityType.ORGANISATION},
               "agency": {EntityType.ORGANISATION, EntityType.OUTLET},
               "outlet": {EntityType.OUTLET}, "broadcaster": {EntityType.OUTLET},
               "newspaper": {EntityType.OUTLET}, "website": {EntityType.OUTLET, EntityType.ORGANISATION},
               "group": {EntityType.ARMED_GROUP, EntityType.ORGANISATION},
               "militia": {EntityType.ARMED_GROUP},
               "movement": {EntityType.ARMED_GROUP, EntityType.ORGANISATION},
               "rebels": {EntityType.ARMED_GROUP}}
_TOPICAL = {"analyst", "analysts", "expert", "experts", "researcher", "researchers", "observer", "observers",
            "scholar", "historian", "commentator", "critic", "critics", "journalist", "journalists",
            "correspondent", "reporter", "reporters"}
_OFFICES = {"official", "president", "chancellor", "minister", "secretary", "advisor", "adviser",
            "ambassador", "spokesman", "spokeswoman", "spokesperson", "commissioner", "general", "commander",
            "chief", "premier", "king", "governor", "mayor", "envoy", "director", "prosecutor", "judge",
            "chairman"}
_SPOKES = {"spokesperson", "spokesman", "spokeswoman", "spokespeople"}
_GROUP_NOUNS = {"aides", "aide", "staff", "advisers", "advisors", "allies", "associates", "supporters",
                "lawyers", "lawyer", "team", "entourage", "relatives", "family"}
_REPORT_NOUNS = {"report", "reports", "statement", "statements", "reporting", "article", "post", "posts",
                 "video", "footage", "data", "figures", "estimate", "estimates", "assessment", "analysis"}
FORCE_WORDS = {"troops", "soldiers", "forces", "units", "fighters", "militants", "mercenaries", "personnel"}
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
    """The speaker's phrase: the active subject, or the agent of a passive ("was told by X"); the passive
    subject ("the Houthis were warned") is the addressee."""
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if subjects and subjects[0].lower_ in ("which", "who", "that") and verb.dep_ == "relcl":
        return verb.head  # "Europol, which noted that ...": the noun the clause hangs off
    if subjects:
        # "Reports last week from Israeli news outlet Globes suggested": the named one of two subjects
        named = [c for c in subjects if c.pos_ == "PROPN"]
        return (named or subjects)[0]
    for child in verb.children:
        if child.dep_ == "agent":
            obj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if obj is not None:
                return obj
        if child.dep_ == "nsubjpass" and verb.lemma_.lower() == "quote":
            return child  # "X was quoted as saying": X speaks
    return None


def resolve_subject(ctx: Context, subj: Token, *, prefer_before: int) -> Entity | None:
    """The entity a subject phrase stands for, or None for anonymous or unresolved subjects."""
    left, right = subtree_range(subj)
    # a relative clause inside the subject ("Iran, which ...") does not name the speaker
    for child in subj.children:
        if child.dep_ in ("relcl", "acl") and child.i > subj.i and child.lemma_.lower() not in _NAMING:
            right = min(right, child.left_edge.i)
    head = ctx.mention_at(subj.i)
    for child in subj.children:
        # "The head of the committee, Mohammed Ali, said", "Another media outlet, Baza, reported"
        if child.dep_ == "appos":
            named = ctx.mention_at(child.i)
            if named is not None and named.entity.type in ACTOR_TYPES and (head is None or (
                    named.entity.type is EntityType.PERSON and head.entity.type is not EntityType.PERSON)):
                # (a person beside a person is the next of a list: "Advisors Sullivan, Shin, and Akiba")
                return _person_span(ctx, child, named) or named.entity
            unknown = named is None or (named.source != "gazetteer" and named.entity.type not in ACTOR_TYPES)
            if unknown and child.pos_ == "PROPN" and head is None and subj.pos_ != "PROPN":
                minted = _unknown_name(ctx, child)  # "The head of the committee, Mohammed Ali al-Houthi,"
                if minted is not None and minted.type is EntityType.PERSON:
                    return minted
                if subj.lower_ in _NAMED_BODIES | _BODY_NOUNS and ((child.is_upper and len(child.text) >= 3) or (
                        child.is_title and subj.lower_ in _OUTLET_NOUNS | {"agency"})):
                    # "the UN agency for Palestinians, UNRWA, said": the body's own short name
                    kind = EntityType.OUTLET if subj.lower_ in _OUTLET_NOUNS else EntityType.ORGANISATION
                    return Entity(key=slug(child.text), label=child.text, type=kind, labels=(child.text,))
    if head is None and subj.lower_ in _NAMED_BODIES | _BODY_NOUNS:
        # "the UN agency for Palestinians, UNRWA, said" (the parser hangs the name on the last noun)
        last = max((t.i for t in subj.subtree if not t.is_punct), default=subj.i)
        for t in subj.subtree:
            named = ctx.mention_at(t.i)
            if t.dep_ == "appos" and t.head.i != subj.i and t.i == last and named is not None and (
                    named.entity.type in (EntityType.ORGANISATION, EntityType.OUTLET, EntityType.ARMED_GROUP)):
                return named.entity
    if subj.lower_ in words("en", "anonymous_members") and (head is None or head.source != "gazetteer"):
        return None  # "the Marine said", "another Soldier told": one of many, a capitalised common noun
    if head is not None and head.entity.type in ACTOR_TYPES:
        return _person_span(ctx, subj, head) or _body_owner(ctx, subj, head) or head.entity
    word = subj.lower_
    if subj.dep_ == "pobj" and subj.head.dep_ == "agent" and head is None and subj.pos_ in ("NOUN", "PROPN") and (
            word not in _BODY_NOUNS | _PERSON_NOUNS | _REPORT_NOUNS | _SPOKES | _NAMED_BODIES | _GROUP_NOUNS):
        return None  # "highlighted by the Battle of Khasham": an event, not a speaker
    if subj.pos_ == "PROPN" and head is None:
        # a name the gazetteer does not know, with descriptions beside it: "Major General Sahibzada Pataudi,
        # a former Director General of the ISI, told", "the Ukrainian Conflict Intelligence Team stated"
        minted = _unknown_name(ctx, subj)
        if minted is not None:
            return minted
    if word in _OWNED_CHANNELS and head is None:
        # "the group's Telegram channel said": the owner speaks, not the platform
        owner = next((c for c in subj.children if c.dep_ == "poss"), None)
        if owner is not None and owner.pos_ != "PRON":
            return resolve_subject(ctx, owner, prefer_before=prefer_before)
    if word in _NAMED_BODIES:
        # "Russia's Baza news outlet", "Russian state news agency TASS": the body's own name, not its country
        for child in subj.children:
            if child.dep_ == "compound" and child.pos_ == "PROPN":
                named = ctx.mention_at(child.i)
                if named is not None and named.entity.type in ACTOR_TYPES and (
                        named.entity.type is not EntityType.STATE):
                    return named.entity
                if named is None or (named.source != "gazetteer" and named.entity.type not in ACTOR_TYPES):
                    # a name the gazetteer does not know ("Russia's Baza news outlet": NER took it for a place)
                    start = child.i
                    while start - 1 >= subj.left_edge.i and ctx.doc[start - 1].pos_ == "PROPN" and (
                            ctx.mention_at(start - 1) is None):
                        start -= 1
                    name = ctx.doc[start:child.i + 1].text
                    kind = EntityType.OUTLET if word in ("outlet", "agency", "newspaper", "broadcaster",
                                                         "channel", "website") else EntityType.ORGANISATION
                    return Entity(key=slug(name), label=name, type=kind, labels=(name,))
    if word in FORCE_WORDS and head is None:
        if subj.pos_ == "PROPN" and subj.is_title:
            # "the Swedish Armed Forces": a state's forces named as a body speak for the state
            for child in subj.children:
                named = ctx.mention_at(child.i)
                if child.dep_ in ("amod", "compound") and named is not None and (
                        named.entity.type is EntityType.STATE):
                    return named.entity
        return None  # "North Korean soldiers could be ..." is not speech
    # "reports last week from Israeli news outlet Globes", "a statement by the ministry"
    if word in _REPORT_NOUNS:
        # (not a demonym on some other noun: "video ... from the Ukrainian border" is no Ukrainian report)
        inner = [m for m in ctx.mentions_in(subj.i + 1, right) if m.entity.type in ACTOR_TYPES
                 and not _modifies_other(ctx, m) and _attached(ctx, m, subj)]
        if inner:
            return inner[-1].entity
    if word in words("en", "seated_government_nouns"):
        # "the junta in Niamey", "the government in Kabul": a seat of government stands for its state
        for m in ctx.mentions_in(subj.i + 1, right):
            root = ctx.doc[m.start:m.end].root
            if m.entity.type is EntityType.STATE and _locative(ctx, m) and root.head.head.i == subj.i:
                return m.entity
    # "a hospital in southern Lebanon" is not Lebanon; "Iranian-backed militias" are not Iran
    inside = [m for m in ctx.mentions_in(left, right) if m.entity.type in ACTOR_TYPES
              and not _locative(ctx, m) and not _backed(ctx, m)]
    named_like = _named_examples(subj)
    if named_like:
        # "experts like Joshua Craze, Kholood Khair and Raga Makawi make clear": the experts named
        return resolve_subject(ctx, named_like[0], prefer_before=prefer_before)
    if word in _ANONYMOUS and not any(c.dep_ == "poss" for c in subj.children):
        # "US, South Korean and Ukrainian sources": the states are the claimants, not a speaker
        return None
    if word in _TOPICAL:
        return None  # "a long-time Wagner analyst" studies Wagner, does not speak for it
    speaking_nouns = _BODY_NOUNS | _PERSON_NOUNS | _REPORT_NOUNS | _SPOKES
    if inside and subj.pos_ == "NOUN" and word not in speaking_nouns and all(
        ctx.doc[m.start:m.end].root.dep_ in ("amod", "compound") for m in inside
    ):
        return None  # "Russian neo-Nazis have expressed support": Russians, not Russia
    if inside:
        # the possessor or modifier of a body noun: "Iran's permanent mission", "the Israeli military"
        people = [m for m in inside if m.entity.type is EntityType.PERSON]
        if word in _PERSON_NOUNS:
            if people:
                return people[0].entity
            # "the OHCHR spokesperson continued": the person of that body who just spoke
            recent = ctx.last_speaker(prefer_before, {EntityType.PERSON}, within=80)
            definite = any(c.dep_ == "det" and c.lower_ == "the" for c in subj.children)
            if recent is not None and word in _SPOKES and definite:
                return recent
        return inside[0].entity
    if subj.pos_ == "PRON" or word in _PRONOUNS_PERSON | _PRONOUNS_GROUP:
        if subj.dep_ == "expl" or (word == "it" and subj.dep_ == "nsubjpass"):
            return None  # "it is believed", "it must be noted"
        if word in _PRONOUNS_PERSON:
            return _antecedent(ctx, prefer_before, {EntityType.PERSON})
        if word in ("it", "they"):
            return _antecedent(ctx, prefer_before, ACTOR_TYPES - {EntityType.PERSON})
        return None
    # "a spokeswoman for the ministry", "the head of the agency"
    if word in _PERSON_NOUNS:
        for child in subj.children:
            if child.dep_ == "prep" and child.lower_ in ("for", "of"):
                obj = next((c for c in child.children if c.dep_ == "pobj"), None)
                if obj is not None and obj.lower_ in _BODY_NOUNS:
                    return resolve_subject(ctx, obj, prefer_before=prefer_before)
    determiners = {c.lower_ for c in subj.children if c.dep_ in ("det", "poss")}
    modifiers = {c.lower_ for c in subj.children if c.dep_ in ("amod", "compound")}
    if word in ("officials", "official", "services", "spokesman", "spokeswoman", "spokesperson", "sources") and (
        modifiers & {"military", "defense", "defence", "army", "security", "government"}
    ):
        # "military officials said": the state the text speaks of
        return _antecedent(ctx, prefer_before, {EntityType.STATE, EntityType.ARMED_GROUP})
    if word in ("official", "officials") and "the" in determiners:
        # "said the official" after "a U.S. official said": the state the official was introduced with
        for t in reversed(ctx.doc[max(0, prefer_before - 150):prefer_before]):
            if t.lower_ in ("official", "officials") and t.i != subj.i:
                introduced = [ctx.mention_at(c.i) for c in t.children if c.dep_ in ("compound", "amod", "nmod")]
                states = [x.entity for x in introduced if x is not None and x.entity.type is EntityType.STATE]
                if states:
                    return states[0]
    if word in _PERSON_NOUNS and "the" in determiners:
        # "said the President": the person last named with that title; "the politician": the last person
        titled = _titled(ctx, prefer_before, subj)
        if titled is not None or word in _OFFICES:
            return titled
        return _antecedent(ctx, prefer_before, {EntityType.PERSON})
    if word in _GROUP_NOUNS:
        # "according to the US president's aides": whose aides
        owner = next((c for c in subj.children if c.dep_ == "poss"), None)
        if owner is not None and owner.pos_ != "PRON":
            return resolve_subject(ctx, owner, prefer_before=prefer_before)
        return None
    if any(c.dep_ in ("compound", "amod") and c.pos_ == "PROPN" and ctx.mention_at(c.i) is None
           for c in subj.children):
        return None  # a named body the gazetteer does not know ("The BRIEF news outlet")
    if subj.pos_ == "PROPN" and subj.is_title and (head is None or head.source != "gazetteer"):
        # "Sariel argued" after "Yossi Sariel": the person named before whose name holds the word (or a name
        # of two words or more that NER typed otherwise: "Akiba" after "Akiba Takeo")
        for m in ctx.mentions_before(subj.i, 5000):
            label = normalise(m.entity.label).split()
            if normalise(subj.text) in label and (m.entity.type is EntityType.PERSON or (
                    m.source != "gazetteer" and len(label) >= 2 and m.entity.type in ACTOR_TYPES)):
                return m.entity
    if subj.pos_ == "PROPN" and subj.ent_type_ in ("PERSON", "ORG", "") and subj.is_title and not any(
            c.dep_ == "det" for c in subj.children) and (subj.i > subj.sent.start or subj.ent_type_):
        # a name NER did not mark, subject of a speech verb ("... Sternenko declared"): a named speaker
        start = subj.i
        while start - 1 >= left and ctx.doc[start - 1].pos_ == "PROPN" and ctx.doc[start - 1].is_title:
            start -= 1
        name = ctx.doc[start:subj.i + 1].text
        kind = EntityType.ORGANISATION if subj.ent_type_ == "ORG" else EntityType.PERSON
        return Entity(key=slug(name), label=name, type=kind, labels=(name,))
    if word in _KIND_NOUNS and (determiners & {"the", "its", "their"}):
        kinds = _KIND_NOUNS[word]
        speaker = ctx.last_speaker(prefer_before, kinds, within=60)
        if speaker is not None:
            return speaker
        for m in ctx.mentions_before(prefer_before, 200):
            if m.entity.type in kinds and not _locative(ctx, m):
                return m.entity
        return None
    if word in _BODY_NOUNS and (determiners & {"the", "its", "their"}):
        for m in ctx.mentions_before(prefer_before, 400):
            # "the court" is the International Court of Justice named before, "the ministry" the ministry
            if m.entity.type in (EntityType.ORGANISATION, EntityType.ARMED_GROUP) and (
                    word in normalise(m.entity.label).split() or word in m.text.lower().split()):
                return m.entity
        if word in {"military", "army", "ministry", "government", "forces", "navy", "command",
                    "administration", "authorities", "officials", "cabinet", "embassy", "side"}:
            return _antecedent(ctx, prefer_before, {EntityType.STATE, EntityType.ARMED_FORCE,
                                                      EntityType.ARMED_GROUP})
        return _antecedent(ctx, prefer_before, ACTOR_TYPES - {EntityType.PERSON})
    return None


def _titled(ctx: Context, before: int, subj: Token) -> Entity | None:
    """The person a title stands for ("the President", "the national security advisor"): the most recent
    speaker or sentence subject whose names or preceding words carry the title, else the most recent such
    mention; None when no one named so far carries it."""
    title = subj.lower_
    words = {title, title.rstrip("s")} | {c.lower_ for c in subj.children if c.dep_ in ("compound", "amod")}

    def carries(m: Mention | None, entity: Entity) -> bool:
        labels = " ".join(normalise(x) for x in (entity.label, *entity.labels)).split()
        if title in labels:
            return True
        if m is not None and m.start > 0:
            return ctx.doc[m.start - 1].lower_ == title  # "President Wolodymyr Selenskyj"
        return False

    window = 250
    for i, entity in reversed(ctx.speakers):
        if i < before and before - i <= window and entity.type is EntityType.PERSON:
            if carries(None, entity) or any(
                carries(m, m.entity) for m in ctx.mentions_before(i + 1, 3) if m.entity.key == entity.key
            ):
                return entity
            break
    fallback: Entity | None = None
    for m in ctx.mentions_before(before, window):
        if m.entity.type is not EntityType.PERSON or not carries(m, m.entity):
            continue
        root = ctx.doc[m.start:m.end].root
        if root.dep_ in ("nsubj", "nsubjpass"):
            return m.entity
        fallback = fallback or m.entity
    del words
    return fallback


_OUTLET_NOUNS = {"outlet", "newspaper", "broadcaster", "channel", "website"}
_OWNED_CHANNELS = {"channel", "account", "page", "feed", "website", "site"}


def _name_chain(ctx: Context, token: Token) -> tuple[int, int]:
    """The token range of the proper name that ends at ``token``: its run of capitalised compounds."""
    start = token.i
    while start - 1 >= token.left_edge.i and ctx.doc[start - 1].pos_ == "PROPN" and (
            ctx.doc[start - 1].dep_ == "compound" and ctx.doc[start - 1].head.i <= token.i):
        start -= 1
    return start, token.i + 1


def _unknown_name(ctx: Context, token: Token) -> Entity | None:
    """A person or an organisation named by a run of capitalised words nobody typed: leading titles dropped
    ("Major General"), a leading demonym dropped ("Ukrainian Conflict Intelligence Team"); an organisation
    when its last word is an organisation's head ("Team", "Committee"), else a person (at least two words,
    or NER's PERSON).  None when part of the run is a known name or it is no name at all."""
    start, end = _name_chain(ctx, token)
    doc = ctx.doc
    state: Entity | None = None
    while start < end and (m := ctx.mention_at(start)) is not None and m.entity.type is EntityType.STATE and (
            m.end <= end):
        state, start = m.entity, m.end
    while start < end and doc[start].lower_ in _PERSON_NOUNS | words("en", "speaker_titles"):
        start += 1
    org_head = doc[end - 1].lower_ in words("en", "speaker_org_heads")
    if start >= end or any((m := ctx.mention_at(i)) is not None and not (
            org_head and m.entity.type in (EntityType.LOCATION, EntityType.STATE)) for i in range(start, end)):
        return None  # (a place may be part of an organisation's name: "Africa Corps")
    if doc[end - 1].lower_ in _PERSON_NOUNS:
        return None  # "the ship's Company Security Officer": a title, not a name
    if state is None and any(c.dep_ == "poss" and c.lower_ == "country" for c in token.children):
        # "the country's Investigative Committee": the state the text calls the country
        last = ctx.last_mention(start, {EntityType.STATE}, within=300)
        if last is not None and doc[end - 1].lower_ in words("en", "speaker_org_heads") | words(
                "en", "state_body_words"):
            return last.entity
    if state is not None and doc[end - 1].lower_ in words("en", "state_body_words"):
        return state  # "the Russian Culture Ministry": a government body speaks for its state
    names = doc[start:end]
    if not all(t.is_title or t.is_upper for t in names) or any(t.is_stop for t in names):
        return None
    name = names.text
    if doc[end - 1].lower_ in words("en", "speaker_org_heads"):
        if end - start < 2:
            return None
        return Entity(key=slug(name), label=name, type=EntityType.ORGANISATION, labels=(name,))
    if end - start < 2 and token.ent_type_ != "PERSON":
        return None
    if token.ent_type_ not in ("PERSON", ""):
        return None
    return Entity(key=slug(name), label=name, type=EntityType.PERSON, labels=(name,))


def _person_span(ctx: Context, token: Token, mention: Mention) -> Entity | None:
    """A person NER names with more words than the mention found inside the name ("Mohammed Ali al-Houthi",
    where the gazetteer matched only "Houthi", a group): the whole name is a person nobody typed."""
    if mention.entity.type is EntityType.PERSON:
        return None
    for ent in ctx.sent_ents(token.sent):
        if ent.label_ == "PERSON" and ent.start <= token.i < ent.end and ent.start < mention.start and (
                ent.end >= mention.end) and all(t.is_title or t.is_punct or t.lower_ in ("al", "bin", "ibn", "el")
                                                 for t in ent):
            name = ent.text
            return Entity(key=slug(name), label=name, type=EntityType.PERSON, labels=(name,))
    return None


def _body_owner(ctx: Context, subj: Token, head: Mention) -> Entity | None:
    """The state a government body NER named speaks for ("Lebanon's Ministry of Health"): its possessor, when
    the body is not in the gazetteer and its name is a ministry's or an office's."""
    if head.source == "gazetteer" or head.entity.type is not EntityType.ORGANISATION:
        return None
    head_words = set(normalise(head.text).split())
    if any(c.dep_ == "poss" and c.lower_ == "country" for c in subj.children) and head_words & (
            words("en", "state_body_words") | words("en", "speaker_org_heads")):
        # "the country's Investigative Committee": a body of the state the text calls the country
        last = ctx.last_mention(head.start, {EntityType.STATE}, within=300)
        return last.entity if last is not None else None
    if not head_words & words("en", "state_body_words"):
        return None
    for child in subj.children:
        if child.dep_ == "poss":
            owner = ctx.mention_at(child.i)
            if owner is not None and owner.entity.type is EntityType.STATE:
                return owner.entity
    return None


def _attached(ctx: Context, m: Mention, noun: Token) -> bool:
    """The mention names whose report ``noun`` is: "a statement by the ministry", "reports from outlet Globes",
    not a name deep inside what the report is about ("video of the response to the attack on X")."""
    t = ctx.doc[m.start:m.end].root
    for _ in range(4):
        if t.head.i == noun.i:
            return True
        if t.dep_ == "pobj" and t.head.lower_ in ("by", "from", "of") and t.head.head.i == noun.i:
            return True
        if t.dep_ not in ("compound", "amod", "appos", "conj", "poss") or t.head.i == t.i:
            return False
        t = t.head
    return False


def _modifies_other(ctx: Context, m: Mention) -> bool:
    """The mention only modifies a noun that is no speaking body: "the Ukrainian border"."""
    root = ctx.doc[m.start:m.end].root
    speaking = _BODY_NOUNS | _PERSON_NOUNS | _REPORT_NOUNS | _SPOKES | _NAMED_BODIES | _GROUP_NOUNS
    return root.dep_ in ("amod", "compound") and root.head.lower_ not in speaking and (
        ctx.mention_at(root.head.i) is None)


def _locative(ctx: Context, m: Mention) -> bool:
    """The mention only places its head noun: "a hospital in southern Lebanon"."""
    root = ctx.doc[m.start:m.end].root
    return root.dep_ == "pobj" and root.head.lower_ in _LOCATIVE


def _backed(ctx: Context, m: Mention) -> bool:
    doc = ctx.doc
    nxt = " ".join(t.lower_ for t in doc[m.end:min(m.end + 2, len(doc))])
    return bool(re.match(
        r"^-?\s*-?\s*(backed|led|allied|sponsored|funded|aligned|supported|run|controlled|affiliated|linked|"
        r"owned|trained|armed|installed)\b", nxt
    ))


def _antecedent(ctx: Context, before: int, types: set[EntityType]) -> Entity | None:
    """What a pronoun or a definite description refers to: the most recent speaker or sentence subject of a
    fitting type in the last few sentences (reporting keeps to its subject: in "Selenskyj fears ... pressure
    on Putin. '...,' said the President." the President is Selenskyj), else the last fitting mention."""
    window = 120
    best_i = -1
    best: Entity | None = None
    for i, entity in reversed(ctx.speakers):
        if i < before and entity.type in types and before - i <= window:
            best_i, best = i, entity
            break
    for m in ctx.mentions_before(before, window):
        if m.entity.type not in types or EntityType.PERSON not in types:
            continue  # a body ("it", "the statement") keeps to its last speaker
        if m.start <= best_i:
            break
        root = ctx.doc[m.start:m.end].root
        if root.dep_ in ("nsubj", "nsubjpass") or (root.dep_ == "appos" and root.head.dep_ == "nsubj"):
            if m.source != "gazetteer" and root.lower_ in words("en", "anonymous_members"):
                return None  # "Another Marine told CNN ... he said": the unnamed Marine
            best_i, best = m.start, m.entity
            break
    found = best
    if found is None:
        mention = ctx.last_mention(before, types, within=window)
        found, best_i = (mention.entity, mention.start) if mention is not None else (None, -1)
    if found is not None and EntityType.PERSON in types and _anonymous_speaker_between(ctx, best_i, before):
        return None  # "A resident said ... '...,' he added": the unnamed resident, not the colonel before
    return found


def _anonymous_speaker_between(ctx: Context, after: int, before: int) -> bool:
    """An unnamed person ("a resident", "the Marine", "one witness") is the subject of a speech verb between
    the antecedent found and the pronoun."""
    for t in ctx.doc[max(after + 1, 0):before]:
        named = ctx.mention_at(t.i)
        if t.dep_ == "nsubj" and t.head.lemma_.lower() in SPEECH_LEMMAS and (
                named is None or named.source != "gazetteer") and (
                t.lower_ in words("en", "anonymous_members") | words("en", "anonymous_people")):
            return True
    return False


def _has_content(verb: Token) -> bool:
    """A clause or a quote of speech hangs off the verb ("continue to fire" and "responded by launching" do
    not count)."""
    if verb.lemma_.lower() == "call" and any(c.dep_ == "prep" and c.lower_ == "on" for c in verb.children):
        return True  # "called on Russia to withdraw"
    lemma = verb.lemma_.lower()
    objects = [c for c in verb.children if c.dep_ == "dobj"]
    if any(t.is_quote for c in verb.children if c.dep_ not in ("nsubj", "nsubjpass") for t in c.subtree) and (
            objects or any(c.dep_ in ("oprd", "prep") for c in verb.children)):
        return True  # "described it as “a very serious matter”", "called the plan “a trap”"
    if lemma in words("en", "speech_directive_lemmas") and objects and any(
            c.dep_ in ("xcomp", "ccomp") for c in verb.children):
        return True  # "urged the international community to act"
    if any(o.lemma_.lower() in words("en", "speech_content_nouns") and any(
            (c.dep_ in ("acl", "ccomp", "relcl") and any(m.lower_ == "that" for m in c.children)) or c.is_quote
            for c in o.children) for o in objects):
        return True  # "repeated its position that Israel must ..."
    if any(c.dep_ in ("xcomp", "dobj") or (c.dep_ == "prep" and c.lower_ in ("to", "by", "with"))
           for c in verb.children):
        return False  # "will maintain a strong posture", "continue to fire"
    for child in verb.children:
        if child.dep_ in ("ccomp", "parataxis"):
            return True
        if child.is_quote or child.text in "\"“”:":
            return True
    return verb.dep_ in ("parataxis", "ccomp")


def find_speech(ctx: Context, sent: Span) -> list[Speech]:
    """The speech acts of one sentence, in order; records their speakers in ``ctx.speakers``."""
    out: list[Speech] = []
    s_start, s_end = sentence_text_span(sent, ctx.text)
    if _BYLINE.search(sent.text) or is_heading(ctx, sent):
        return out
    if sent.text.rstrip().rstrip("\"”’'").endswith("?"):
        return out  # a question reports no speech
    for token in sent:
        if token.lower_ == "according" and token.i + 1 < len(ctx.doc) and ctx.doc[token.i + 1].lower_ == "to":
            out.extend(_according(ctx, sent, token))
            continue
        if token.pos_ not in ("VERB", "AUX") or (token.lemma_.lower() not in SPEECH_LEMMAS
                                                  and not _light_speech(token)):
            continue
        lemma = token.lemma_.lower()
        participle = token.tag_ == "VBG" and token.dep_ in ("advcl", "xcomp", "acl", "conj")
        if participle and (token.dep_ == "acl" or _speech_head(token)):
            continue  # participle: "..., saying ..." stays with the main speech act
        misparsed = token.dep_ == "acl" and token.head.dep_ == "ROOT" and token.head.pos_ == "NOUN" and (
            token.head.i < token.i)  # "The two officials condemned ...": no main verb, the subject taken
        if token.dep_ in ("amod", "acl") and token.tag_ == "VBN" and not misparsed:
            continue
        if any(c.dep_ == "neg" for c in token.children):
            continue  # "did not say"
        if token.tag_ == "VB" and token.dep_ == "ROOT" and not any(
            c.dep_ in ("aux", "auxpass", "nsubj") for c in token.children
        ):
            continue  # an imperative: "Say that one more time." (not "Chile and Peru condemn", tagged VB)
        if lemma in CITING_LEMMAS:
            cited = _cited_source(ctx, token)
            if cited is not None:
                start, end = _evidence(sent, token, s_start, s_end)
                out.append(Speech(token, cited, start, end))
                ctx.speakers.append((token.i, cited))
                continue
        if lemma in WEAK_LEMMAS and not _has_content(token):
            continue
        if lemma == "claim" and token.dep_ in ("relcl", "advcl") and token.tag_ in ("VBP", "VBZ") and any(
                c.dep_ == "xcomp" for c in token.children):
            continue  # "groups who claim to resist", "as it claims to do": a description, not a speech act
        if lemma == "decline" and not any(c.lemma_ in ("comment", "say", "confirm", "elaborate")
                                          for x in token.children for c in (x, *x.children)):
            continue  # "declined to comment" is a speech act (optional in the guidelines); "declined 3%" not
        subj = token.head if misparsed else _subject(token)
        if subj is not None and lemma not in SPEECH_LEMMAS and ctx.mention_at(subj.i) is None and (
                subj.pos_ not in ("PRON", "PROPN") and not _named_examples(subj)
                and subj.lower_ not in _BODY_NOUNS | _PERSON_NOUNS | _SPOKES | _NAMED_BODIES | _GROUP_NOUNS):
            continue  # "the limited support for Ukraine makes clear that ...": no speaker made it
        if subj is None and token.dep_ == "conj" and token.head.lemma_.lower() not in SPEECH_LEMMAS:
            subj = _subject(token.head)  # "UN humanitarians assessed the site and confirmed that ..."
        up = token
        while subj is None and participle and up.dep_ in ("advcl", "xcomp", "conj", "ccomp") and up.head.i != up.i:
            up = up.head
            subj = _subject(up)  # "Sunak used the attack to justify strikes, describing them as ..."
        group: list[Entity] = []
        if subj is None:
            speaker = _unparsed_speaker(ctx, sent, token) if lemma in _PLAIN_SPEECH else None
        else:
            group = _group(ctx, subj)
            speaker = group[0] if group else resolve_subject(ctx, subj, prefer_before=subj.left_edge.i)
        speakers = group or ([speaker] if speaker is not None else [])
        if subj is not None and not group:
            # "Sunak and Starmer both insisted", "The Iranian government and Hamas say": one act each;
            # "Advisors Sullivan, Shin, and Akiba expressed", "Japan, the ROK, and the United States condemn"
            for conj in _listed(ctx, token, subj):
                other = resolve_subject(ctx, conj, prefer_before=subj.left_edge.i)
                if other is not None and all(other.key != x.key for x in speakers):
                    speakers.append(other)
        if len(speakers) < 2:
            # the article's own voice is no statement; a publisher named among other speakers ("Japan, the ROK,
            # and the United States condemn" in a White House joint statement) speaks like them
            speakers = [x for x in speakers if ctx.outlet is None or x.key != ctx.outlet.key]
        if not speakers:
            continue  # the article's own voice is not a statement
        start, end = _evidence(sent, token, s_start, s_end)
        # "TASS reported, citing the FSB": the cited source speaks too (the relaying agency is optional)
        speakers += [x for x in _cited_in(ctx, token) if all(x.key != y.key for y in speakers)]
        for speaker in speakers:
            out.append(Speech(token, speaker, start, end, place=_place(ctx, token)))
            ctx.speakers.append((token.i, speaker))
        if len(speakers) > 1:
            ctx.last_group = (token.i, speakers)
    return _nested(out)


def _listed(ctx: Context, verb: Token, subj: Token) -> list[Token]:
    """The other members of a list of named subjects, in order: conjuncts ("Sunak and Starmer"), and where the
    parser broke a list of names into several subjects, appositions or loose nouns ("Sullivan, Shin, and
    Akiba": nsubj, npadvmod, nsubj; "Japan, the ROK, and the United States": nsubj, appos, conj).  An
    apposition counts only in a list (an "and" in it) and only as a name of the same kind as the subject:
    "Mohammed Ali, the head of the committee," is one speaker."""
    own = ctx.mention_at(subj.i)
    subjects = [c for c in verb.children if c.dep_ == "nsubj" and c.i != subj.i and c.pos_ == "PROPN"]
    examples = _named_examples(subj)
    if examples:
        return examples[1:]  # (the first is the subject's own resolution)
    has_and = any(t.dep_ == "cc" for t in subj.subtree) or bool(subjects)
    out: list[Token] = []
    stack = [subj, *subjects]
    seen = {subj.i}
    while stack:
        t = stack.pop(0)
        if t.i not in seen:
            out.append(t)
            seen.add(t.i)
        for c in t.children:
            if c.i in seen or c.pos_ != "PROPN":
                continue
            if c.dep_ == "conj" or (has_and and c.dep_ in ("appos", "npadvmod") and _same_kind(ctx, own, c)):
                stack.append(c)
    return out


def _named_examples(subj: Token) -> list[Token]:
    """The names of "experts like X, Y and Z", "analysts such as X": the proper nouns the examples list."""
    if subj.lower_ not in _TOPICAL | _ANONYMOUS:
        return []
    for prep in subj.children:
        if prep.dep_ == "prep" and prep.lower_ in ("like", "including", "as"):
            obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
            if obj is not None and obj.pos_ == "PROPN":
                return [obj, *[c for c in obj.conjuncts if c.i > obj.i and c.pos_ == "PROPN"]]
    return []


def _same_kind(ctx: Context, own: Mention | None, token: Token) -> bool:
    other = ctx.mention_at(token.i)
    if other is None or other.entity.type not in ACTOR_TYPES:
        return False
    return own is None or (own.entity.type is other.entity.type and own.entity.key != other.entity.key)


def _nested(out: list[Speech]) -> list[Speech]:
    """One statement per speech act: a speech verb without a subject of its own inside another of the same
    speaker in the sentence ("issued a statement warning ... and calling ...") is part of it; one with its own
    subject ("it says ..., though it has acknowledged ...") is an act of its own."""
    kept: list[Speech] = []
    for speech in out:
        own = speech.verb.dep_ not in ("ccomp", "parataxis", "xcomp") and any(
            c.dep_ in ("nsubj", "nsubjpass") and c.lower_ not in ("which", "who", "that")
            for c in speech.verb.children)  # (what a speech act reports, or a relative clause, is part of it)
        if speech.according or own or not any(
                other is not speech and not other.according and other.speaker.key == speech.speaker.key
                and other.verb.i != speech.verb.i and speech.verb.is_ancestor(other.verb) is False
                and other.verb.is_ancestor(speech.verb) for other in out):
            kept.append(speech)
    return kept


def _group(ctx: Context, subj: Token) -> list[Entity]:
    """The participants a plural subject stands for in a readout: "The two officials condemned ...", "the
    National Security Advisors reaffirmed ..." are the people named together before (one statement each);
    "they" right after such a statement is the same group."""
    word = subj.lower_
    if word == "they" and ctx.last_group is not None:
        at, group = ctx.last_group
        return group if subj.i - at <= 150 else []
    if word not in words("en", "group_nouns"):
        return []
    own = ctx.mention_at(subj.i)
    if (own is not None and own.source != "minted") or any(
            c.dep_ in ("poss", "prep") or (c.dep_ == "compound" and ctx.mention_at(c.i) not in (None, own))
            for c in subj.children):
        return []  # "Iran's officials", "officials of the ministry": resolved as a body
    marks = {c.lower_ for c in subj.children if c.dep_ in ("det", "nummod", "predet", "quantmod")}
    if not marks & words("en", "group_determiners"):
        return []
    size = {"two": 2, "both": 2, "three": 3, "four": 4, "five": 5}.get(next(iter(marks & set(_SIZES)), ""), 0)
    if ctx.last_group is not None and (not size or len(ctx.last_group[1]) == size):
        return ctx.last_group[1]  # a readout keeps to its participants
    title = word[:-1] if word.endswith("s") and word not in ("officials", "sides", "governments") else ""
    return _participants(ctx, subj.sent.start, size, title)


_SIZES = ("two", "both", "three", "four", "five")


def _carries_title(ctx: Context, m: Mention, title: str) -> bool:
    """The mention's words or the two words before it hold the title ("Gen. Mark Milley", "General X")."""
    forms = {title, title + "s", title[:3], title[:3] + "."}
    root = ctx.doc[m.start:m.end].root
    # "Generals Mark Milley and Frank McKenzie": the second shares the title of the first
    first = root if root.dep_ != "conj" else next((a for a in root.ancestors if a.dep_ != "conj"), root)
    starts = {m.start, ctx.doc[first.left_edge.i].i if first is not root else m.start}
    near = {t.lower_ for k in starts for t in ctx.doc[max(0, k - 2):k + 3]}
    return bool(near & forms)


def _participants(ctx: Context, before: int, size: int, title: str = "") -> list[Entity]:
    """The people named together in the latest sentence before ``before`` that names two or more (at most
    ``size`` when the text counts them), within a few paragraphs; for a group named by a title ("the
    generals"), only those the text gives that title ("Gen. Mark Milley") when two or more have it."""
    if title:
        titled = [m for m in ctx.mentions_before(before, 600) if m.entity.type is EntityType.PERSON
                  and _carries_title(ctx, m, title)]
        unique = list({m.entity.key: m.entity for m in titled}.values())
        if len(unique) >= 2:
            return unique[:size] if size else unique
    by_sentence: dict[int, list[Entity]] = {}
    for m in ctx.mentions_before(before, 600):
        if m.entity.type is not EntityType.PERSON:
            continue
        people = by_sentence.setdefault(ctx.doc[m.start].sent.start, [])
        if all(p.key != m.entity.key for p in people):
            people.insert(0, m.entity)
    for start in sorted(by_sentence, reverse=True):
        people = by_sentence[start]
        if len(people) >= 2 and (not size or len(people) >= size):
            return people[:size] if size else people
    return []


_PLAIN_SPEECH = {"say", "tell", "add", "note", "warn", "write", "claim", "announce", "insist"}


def _unparsed_speaker(ctx: Context, sent: Span, verb: Token) -> Entity | None:
    """The speaker when the parser found no subject: a name right after the verb ("..., says the Mayor of
    Kharkiv, Ihor Terekhov"), else an actor opening the sentence ("The Pentagon, in response to ...,
    said")."""
    after = [m for m in ctx.mentions_in(verb.i + 1, min(verb.i + 9, sent.end))
             if m.entity.type in ACTOR_TYPES and not _locative(ctx, m)]
    stop = next((t.i for t in ctx.doc[verb.i + 1:min(verb.i + 9, sent.end)]
                 if t.is_punct and t.text not in (",", "-")), sent.end)
    after = [m for m in after if m.start < stop]
    if after and verb.i > sent.start and ctx.doc[verb.i - 1].is_punct:
        people = [m for m in after if m.entity.type is EntityType.PERSON]
        return (people or after)[0].entity
    k = sent.start
    while k < verb.i and ctx.doc[k].lower_ in ("the", "\"", "“"):
        k += 1
    opening = ctx.mention_at(k)
    if opening is not None and opening.entity.type in ACTOR_TYPES and opening.end < verb.i and (
        ctx.doc[opening.end].is_punct
    ):
        return opening.entity
    return None


def _light_speech(verb: Token) -> bool:
    """A light verb with a noun of speech: "issued an ultimatum", "made a threatening warning", "delivered a
    speech"; "made (it) clear that ..."."""
    lemma = verb.lemma_.lower()
    doc = verb.doc
    right_after = [doc[k].lower_ for k in range(verb.i + 1, min(verb.i + 4, len(doc)))]
    if lemma == "make" and ("clear" in right_after[:1] or right_after[:2] == ["it", "clear"] or any(
            c.lower_ == "clear" and c.dep_ in ("oprd", "acomp", "ccomp", "advmod", "dobj")
            for c in verb.subtree)) and any(
            c.dep_ == "ccomp" or any(g.dep_ == "ccomp" for g in c.children) for c in verb.children):
        return True
    return lemma in words("en", "speech_light_verbs") and any(
        c.dep_ == "dobj" and c.lemma_.lower() in words("en", "speech_act_nouns") for c in verb.children)


def _speech_head(verb: Token) -> bool:
    """The participle hangs off a speech act ("said ..., adding"), whose item it belongs to."""
    if verb.head.i == verb.i or verb.lemma_.lower() not in SPEECH_LEMMAS:
        return True  # ("making such statements": a light verb's participle is never an act of its own)
    if any(c.dep_ == "advmod" and c.lower_ in ("thereby", "thus", "effectively") for c in verb.children):
        return True  # "thereby confirming a partnership": a consequence, not speech
    return any(a.lemma_.lower() in SPEECH_LEMMAS or _light_speech(a) for a in verb.ancestors)


def _cited_in(ctx: Context, verb: Token) -> list[Entity]:
    """The sources a speech verb's participle cites: "reported, citing information from Russia's FSB",
    "reported, citing Deputy Prime Minister Tatiana Golikova"."""
    out: list[Entity] = []
    for child in verb.children:
        if child.lemma_.lower() != "cite" or child.tag_ != "VBG":
            continue
        for obj in child.children:
            if obj.dep_ != "dobj":
                continue
            found = [m for m in ctx.mentions_in(obj.left_edge.i, obj.right_edge.i + 1)
                     if m.entity.type in ACTOR_TYPES and not _locative(ctx, m) and not _modifies_other(ctx, m)]
            people = [m for m in found if m.entity.type is EntityType.PERSON]
            if (people or found):
                out.append((people or found)[0].entity)
    return out


def _cited_source(ctx: Context, verb: Token) -> Entity | None:
    """The source of "cited a statement from the Iranian Navy"; the person quoted ("quoted a spokesperson for
    the ministry as saying", "quoted Minister X as saying")."""
    for obj in verb.children:
        if obj.dep_ == "dobj" and verb.lemma_.lower() == "quote" and obj.lower_ not in _REPORT_NOUNS and any(
                c.dep_ == "prep" and c.lower_ == "as" for c in verb.children):
            return resolve_subject(ctx, obj, prefer_before=obj.left_edge.i)
        if obj.dep_ != "dobj" or obj.lower_ not in _REPORT_NOUNS:
            continue
        found = [m for m in ctx.mentions_in(obj.i + 1, obj.right_edge.i + 1) if m.entity.type in ACTOR_TYPES]
        if found:
            return found[0].entity
    return None


def _evidence(sent: Span, verb: Token, s_start: int, s_end: int) -> tuple[int, int]:
    """The sentence when the verb heads it, else the verb's clause."""
    if verb.dep_ == "ROOT" or verb.head == verb:
        return s_start, s_end
    left, right = subtree_range(verb)
    doc = sent.doc
    start = max(doc[left].idx, s_start)
    end = min(doc[right - 1].idx + len(doc[right - 1].text), s_end)
    return start, end


def _according(ctx: Context, sent: Span, according: Token) -> list[Speech]:
    """"According to X" attributions to named speakers (not to "sources" or "a report"): one for each of
    "according to Hamas and Qatari state media"."""
    to = ctx.doc[according.i + 1]
    objs = [c for c in to.children if c.dep_ == "pobj"]
    if not objs:
        return []
    out: list[Speech] = []
    listed = [objs[0], *[c for c in objs[0].conjuncts if c.i > objs[0].i]]
    if objs[0].lower_ in _ANONYMOUS:
        # "according to Hamas and Qatari state media": the named one of the list
        listed = [c for c in objs[0].children if c.dep_ in ("nmod", "compound") and c.pos_ == "PROPN"
                  and any(x.dep_ == "cc" for x in c.children)]
    for obj in listed:
        speech = _according_one(ctx, sent, according, obj)
        if speech is not None and all(x.speaker.key != speech.speaker.key for x in out):
            out.append(speech)
    return out


def _according_one(ctx: Context, sent: Span, according: Token, obj: Token) -> Speech | None:
    if obj.lower_ in _ANONYMOUS or obj.lower_ in _REPORT_NOUNS:
        return None
    if ctx.mention_at(obj.i) is None and any(c.dep_ == "poss" and c.pos_ == "PRON" for c in obj.children):
        return None  # "according to its army chief": whose, the rules cannot tell
    if ctx.mention_at(obj.i) is None and obj.lower_ not in _PERSON_NOUNS | _BODY_NOUNS | _GROUP_NOUNS:
        return None  # "according to a Google translation", "according to the Constitution of Ukraine"
    speaker = resolve_subject(ctx, obj, prefer_before=according.i)
    if speaker is None:
        return None
    s_start, s_end = sentence_text_span(sent, ctx.text)
    ctx.speakers.append((according.i, speaker))
    return Speech(according, speaker, s_start, s_end, according=True)


_NP_DEPS = {"compound", "amod", "nmod", "conj", "cc", "poss", "appos", "det", "punct", "pobj", "prep", "case"}


def according_claimants(ctx: Context, sent: Span) -> list[Entity]:
    """Every actor an "according to ..." phrase in the sentence names: "according to the US, South Korean
    and Ukrainian sources" is three; "according to a report of the New York Times" is the NYT.  Only the noun
    phrase counts, not a clause inside it."""
    out: list[Entity] = []
    doc = ctx.doc
    for token in sent:
        if token.lower_ != "according" or token.i + 1 >= len(doc) or doc[token.i + 1].lower_ != "to":
            continue
        to = doc[token.i + 1]
        obj = next((c for c in to.children if c.dep_ == "pobj"), None)
        if obj is None:
            continue
        phrase = {obj.i}
        stack = [obj]
        while stack:
            t = stack.pop()
            for child in t.children:
                if child.dep_ in _NP_DEPS and (child.dep_ != "prep" or child.lower_ in ("of", "from", "by")):
                    phrase.add(child.i)
                    stack.append(child)
        for m in ctx.mentions_in(to.i + 1, obj.right_edge.i + 1):
            in_phrase = any(i in phrase for i in range(m.start, m.end))
            # ("the Hamas-run Gaza Health Ministry" is the ministry alone)
            if m.entity.type in ACTOR_TYPES and in_phrase and not _backed(ctx, m):
                out.append(m.entity)
        if not out:
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
    """Where a statement was made: "in Budapest", "from Budapest", "during a visit to Rome".  A capital is
    the city here (its own location), not the state it stands for as an actor."""
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in ("in", "from", "at"):
            for obj in child.children:
                m = ctx.mention_at(obj.i)
                if m is None or m.entity.type not in (EntityType.LOCATION, EntityType.STATE):
                    continue
                if m.entity.type is EntityType.STATE and ctx.gaz.is_seat(m.text):
                    return Entity(key=slug(m.text), label=m.text, type=EntityType.LOCATION, labels=(m.text,))
                return m.entity
    return None
