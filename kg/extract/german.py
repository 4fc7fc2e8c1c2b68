"""Reduced coverage for German articles: the English parser cannot read German syntax, so these rules work on
sentences split by punctuation and on the gazetteer's German aliases ("russische Armee", "Moskau").

* Statements: a speech verb ("sagte", "teilte mit", "bekräftigte", "meldete") with the actor named right
  after it ("..., sagte Putin") or, failing that, the last actor named before it ("Makeiev sagte"; a pronoun
  is the last speaker); "nach eigenen/ukrainischen Angaben" and "X zufolge" / "laut X" attributions.
* Deployments: a force word with its owner ("die russische Armee", "russische Truppen") or "unter russischer
  Kontrolle", in the most specific place named after "in", "im", "nahe", "bei"; claimed by the source of
  "nach eigenen Angaben", by the last speaker when the sentence is reported speech (Konjunktiv I: "stehe",
  "seien"), else by the article's outlet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from kg.extract.entities import Mention
from kg.extract.lexicon import load, words
from kg.extract.numbers import parse_troops
from kg.extract.pipeline import ACTOR_TYPES, FORCE_TYPES, Context
from kg.model import Certainty, Claim, Deployment, Entity, EntityType, Span, Statement
from kg.text import normalise, slug

_SENT_END = re.compile(r"(?<=[.!?])[\"“”»]?\s+(?=[A-ZÄÖÜ\"„«])|\n+")
_SPEECH = re.compile(r"\b(" + "|".join(sorted(words("de", "speech_verbs"), key=len, reverse=True)) + r")\b")
_IMPERSONAL = re.compile(r"\b(" + "|".join(re.escape(w) for w in words("de", "impersonal_speech")) + r")\b")
_BODY = re.compile(r"(?<![\w-])(" + "|".join(sorted(words("de", "body_nouns"), key=len, reverse=True))
                   + r")(?![\w-])")
_OWN_SOURCE = re.compile(r"\b(?:[Nn]ach\s+(eigenen|[a-zäöü]+en)\s+Angaben\b|([A-ZÄÖÜ][a-zäöü]+en)\s+Angaben\s+"
                         r"(?:nach|zufolge)\b)")
_ZUFOLGE = re.compile(r"\b(zufolge)\b")
_LAUT = re.compile(r"\b(laut|Laut)\s+")
_FORCE = re.compile(r"\b(Armee|Truppen|Soldaten|Streitkräfte|Einheiten|Söldner|Kämpfer|Militär|Marine|"
                    r"Verbände|Bodentruppen)\b")
_CONTROL = re.compile(r"\bunter\s+(\w+)\s+Kontrolle\b")
_KONJUNKTIV = re.compile(r"\b(stehe|seien|sei|habe|hätten|werde|würden|könne|solle|befinde|befänden)\b")
_PLACE_PREP = re.compile(r"\b(in|im|in der|in den|nahe|nahe der|bei|an der|am|nach|um)\s+$")
_ARTICLE = re.compile(r"^\s*(der|die|das|ein|eine)\b", re.I)
_ANONYMOUS = re.compile(r"\b(Quellen|Kreise|Kreisen|Medien|Medienberichte|Beobachter|Insider)\b")
_AGAINST = re.compile(r"\bgegen\s+(\S+\s+){0,3}$")
_ACCORDING = re.compile(r"\b(?:[Nn]ach\s+Angaben\s+(?:der|des|von)|[Ll]aut)\s+")
_TROOPS = re.compile(
    r"\b(etwa\s+|rund\s+|ungefähr\s+|mehr\s+als\s+|über\s+|knapp\s+|bis\s+zu\s+|fast\s+|mindestens\s+)?"
    r"(\d{1,3}(?:\.\d{3})+|\d+)\s+(?:[\w-]+\s+){0,2}?(?:Soldaten|Truppen|Kämpfer|Söldner|Mann)\b"
)
_FROM = re.compile(r"^\s+aus\s+(dem\s+|der\s+)?")
_PRONOUN = re.compile(r"^\s*(er|sie)\b", re.I)
_STRIKE = re.compile(r"(rakete|marschflugkörper|drohne|luftangriff|angriff|beschuss|waffen)", re.I)


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Character ranges of sentences, split at sentence punctuation followed by a capital, and at lines."""
    start = 0
    for m in _SENT_END.finditer(text):
        if m.start() > start:
            yield start, m.start()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _mentions(ctx: Context, start: int, end: int) -> list[Mention]:
    return [m for m in ctx.mentions if m.start_char >= start and m.end_char <= end]


def _compound_owners(ctx: Context, sent: str, offset: int, mentions: list[Mention]) -> list[Mention]:
    """The owner inside a hyphenated force compound the tokenizer keeps whole ("US-Soldaten", "Nato-Truppen",
    "Wagner-Söldner"): the part before the hyphen, when the gazetteer knows it as a state or armed group."""
    out: list[Mention] = []
    taken = {(m.start_char, m.end_char) for m in mentions}
    for force in _force_nouns().finditer(sent):
        if force.start() == 0 or sent[force.start() - 1] != "-":
            continue
        head = re.search(r"([\wÄÖÜäöüß]+)-$", sent[:force.start()])
        if head is None:
            continue
        entity = ctx.gaz.lookup(head.group(1), fuzzy=False)
        a, b = offset + head.start(1), offset + head.end(1)
        if entity is not None and entity.type in FORCE_TYPES | {EntityType.ORGANISATION} and (a, b) not in taken:
            out.append(Mention(-1, -1, a, b, head.group(1), entity, "gazetteer"))
    return out


def german_claims(ctx: Context) -> list[Claim]:
    """The claims of a German article, sentence by sentence."""
    text = ctx.text
    claims: list[Claim] = []
    # the publisher reports as kg:outlet only when it is a news outlet; a government publishing its own text
    # ("White House", "Kremlin") is the claimant of what it says, and SHACL rejects it as an outlet
    reporter = ctx.outlet if ctx.outlet is not None and ctx.outlet.type is EntityType.OUTLET else None
    last_speaker: Entity | None = None
    places_state = _DeState()
    memory = _SpeechMemory()
    seen_sentences: set[str] = set()
    people: dict[str, Entity] = {}
    for raw_start, raw_end in sentences(text):
        start, end = _trim(text, raw_start, raw_end)
        if end - start < 3:
            continue
        sent = text[start:end]
        if sent in seen_sentences or sent == (ctx.article.title or "").strip():
            continue  # a headline, or a line repeated (teaser and body)
        seen_sentences.add(sent)
        mentions = _mentions(ctx, start, end)
        mentions += _compound_owners(ctx, sent, start, mentions)
        actors = [m for m in mentions if m.entity.type in ACTOR_TYPES]
        unknown = _unknown_speakers(sent, start, mentions, people)
        if unknown:
            actors = sorted(actors + [m for m, _direct in unknown], key=lambda m: m.start_char)
        span = Span(start, end, sent)
        memory.learn_titles(sent, start, actors)
        speakers = _speakers(ctx, sent, start, actors, last_speaker, memory)
        for m, direct in unknown:
            if direct and m.entity not in speakers:
                speakers.append(m.entity)
        for speaker in speakers:
            if ctx.outlet is not None and speaker.key == ctx.outlet.key:
                continue
            claims.append(Claim(subject=Statement(speaker=speaker), claimants=(speaker,),
                                certainty=Certainty.ASSERTED, span=span, outlet=reporter))
        own = _OWN_SOURCE.search(sent)
        cited = _cited(sent, start, actors)
        anonymous = _anonymous_source(sent, start, actors)
        troops = _troops(sent)
        for deployer, location, certainty in _deployments(sent, start, mentions, places_state):
            if own and own.group(1) == "eigenen":
                claimants: tuple[Entity, ...] = (deployer,)
            elif cited:
                claimants = tuple(cited)
            elif speakers:
                claimants = (speakers[0],)
            elif anonymous is not None:
                claimants = (anonymous,)
            elif _KONJUNKTIV.search(sent) and last_speaker is not None and not _SPEECH.search(sent):
                claimants = (last_speaker,)
            elif ctx.outlet is not None:
                claimants = (ctx.outlet,)
            else:
                claimants = ()
            low, high, approx = troops
            deployment = Deployment(deployer=deployer, location=location, troops_min=low, troops_max=high,
                                    approximate=approx)
            claims.append(Claim(subject=deployment, claimants=claimants, certainty=certainty,
                                span=span, outlet=reporter))
        if speakers:
            last_speaker = speakers[-1]
    return claims


@dataclass
class _SpeechMemory:
    """What the German speaker rules remember across sentences: the state of the last government body that
    spoke ("das Ministerium" is that ministry), and the persons introduced by a state and a title ("Russlands
    Präsident Putin": "der russische Präsident" later is Putin)."""

    body_state: Entity | None = None
    titles: dict[tuple[str, str], Entity] = field(default_factory=dict)
    #: the last person named, and how many sentences ago
    last_person: Entity | None = None
    person_age: int = 0

    def recent_leader(self, phrase: str) -> Entity | None:
        """The person named in this or the last two sentences, for a leader's title alone ("der Staatschef")."""
        title = re.fullmatch(r"\s*(?:der|die)\s+([A-ZÄÖÜ][\wäöüß-]+)\s*", phrase)
        if title is None or title.group(1) not in words("de", "leader_titles") or self.person_age > 2:
            return None
        return self.last_person

    def learn_titles(self, sent: str, offset: int, actors: list[Mention]) -> None:
        states = [m for m in actors if m.entity.type is EntityType.STATE]
        people = [m for m in actors if m.entity.type is EntityType.PERSON]
        self.person_age += 1
        if people:
            self.last_person, self.person_age = people[-1].entity, 0
        for st in states:
            for person in people:
                gap = sent[st.end_char - offset:person.start_char - offset]
                title = re.fullmatch(r"\w*\s+([A-ZÄÖÜ][\wäöüß-]+)\s+", gap)
                if title:
                    self.titles[(st.entity.key, title.group(1).lower())] = person.entity
        for person in people:
            title = re.search(r"([A-ZÄÖÜ][\wäöüß-]+)\s+$", sent[:person.start_char - offset])
            if title and _not_name(title.group(1)):
                self.titles[("", title.group(1).lower())] = person.entity

    def by_title(self, phrase: str) -> Entity | None:
        """The person last introduced with the title of "der Präsident" (a title alone, no state)."""
        title = re.fullmatch(r"\s*(?:der|die)\s+([A-ZÄÖÜ][\wäöüß-]+)\s*", phrase)
        return self.titles.get(("", title.group(1).lower())) if title else None

    def titled(self, sent: str, offset: int, m: Mention) -> Entity | None:
        """The person a state adjective and a title stand for ("der russische Präsident"), if introduced."""
        if m.entity.type is not EntityType.STATE or not sent[m.start_char - offset:][:1].islower():
            return None
        title = re.match(r"\s+([A-ZÄÖÜ][\wäöüß-]+)", sent[m.end_char - offset:])
        return self.titles.get((m.entity.key, title.group(1).lower())) if title else None


def _body_speaker(sent: str, offset: int, actors: list[Mention], start: int, end: int,
                  memory: _SpeechMemory) -> Entity | None:
    """The state a government body in ``sent[start:end]`` speaks for ("das Verteidigungsministerium in
    Moskau", "die russische Behörde"), else the state of the last body that spoke ("das Ministerium")."""
    if not _BODY.search(sent[start:end]):
        return None
    inside = [m for m in actors if start <= m.start_char - offset < end and m.entity.type is EntityType.STATE]
    if inside:
        memory.body_state = inside[0].entity
    return memory.body_state


def _speakers(ctx: Context, sent: str, offset: int, actors: list[Mention],
              last_speaker: Entity | None, memory: _SpeechMemory | None = None) -> list[Entity]:
    memory = memory or _SpeechMemory()
    out: list[Entity] = []
    # "Ukraine-Krieg: ..." names the war, not a speaker
    actors = [m for m in actors if not sent[m.end_char - offset:].startswith("-Krieg")]
    for verb in _SPEECH.finditer(sent):
        if _ANONYMOUS.search(sent[:verb.start()]):
            continue  # "nicht genannte Quellen", "Medien", "Kreise": no identifiable speaker
        if _negated(sent[:verb.start()]):
            continue  # "wurde bisher nicht offiziell bestätigt": no one said it
        subject_start = max(sent.rfind(c, 0, verb.start()) for c in ",;:\"“”»") + 1
        # the finite verb: the auxiliary of a perfect ("Putin hat ... angeboten"), else the speech verb
        aux = None
        if verb.group() in words("de", "speech_participles"):
            aux = _words_re("perfect_auxiliaries").search(sent, subject_start, verb.start())
        fin_start, fin_end = (aux.start(), aux.end()) if aux else (verb.start(), verb.end())
        # the subject right before the finite verb ("Putin kritisierte die Konferenz") or right after it
        # ("..., sagte Putin", "äußerte sich NATO-Generalsekretär Stoltenberg"; not "erklärte, Putin sei")
        right_before = [m for m in actors if m.end_char - offset <= fin_start
                        and not sent[m.end_char - offset:fin_start].strip()
                        and sent[m.start_char - offset:][:1].isupper()
                        and not _governed(sent[subject_start:m.start_char - offset])]
        after = [m for m in actors if m.start_char - offset >= fin_end
                 and _adjacent(sent[fin_end:m.start_char - offset])]
        if after:
            # "hat Russlands Präsident Putin": the person a state's title introduces
            after = [_titled_person(sent, offset, actors, after[0])]
        before = [m for m in actors if m.end_char - offset <= verb.start()]
        speaker: Entity | None = None
        phrase_end = verb.end() + (re.search(r"[,.;:!?\"“”»]|\smit\b|$", sent[verb.end():])
                                   or re.search("$", "")).start()  # type: ignore[union-attr]
        vorfeld = sent[subject_start:fin_start]
        if right_before:
            speaker = memory.titled(sent, offset, right_before[-1]) or right_before[-1].entity
            # "Russland und China lehnten ... ab": each of the coordinated subjects
            for other in actors:
                gap = sent[other.end_char - offset:right_before[-1].start_char - offset]
                if other.end_char <= right_before[-1].start_char and re.fullmatch(r"\s+(?:und|sowie)\s+", gap) and (
                        sent[other.start_char - offset:][:1].isupper() and other.entity not in out):
                    out.append(other.entity)
        elif after:
            speaker = memory.titled(sent, offset, after[0]) or after[0].entity
        elif vorfeld.strip() and _BODY.search(vorfeld) and not _governed(vorfeld.split()[0]):
            # "Das russische Verteidigungsministerium meldete die Einnahme": the body before the verb
            speaker = _body_speaker(sent, offset, actors, subject_start, fin_start, memory)
        elif _ARTICLE.match(sent[verb.end():]):
            # "teilte das Verteidigungsministerium in Moskau mit": a body speaks for its state; "sagte der
            # Präsident": the person introduced with that title, else the person just named if the title is a
            # leader's ("Selenskyj besuchte die Front. ... sagte der Staatschef"); another description ("sagte
            # der Republikaner") the rules do not resolve
            speaker = (_body_speaker(sent, offset, actors, verb.end(), phrase_end, memory)
                       or memory.by_title(sent[verb.end():phrase_end])
                       or memory.recent_leader(sent[verb.end():phrase_end]))
        elif (_PRONOUN.match(sent[verb.end():]) and last_speaker is not None
              and not [m for m in before if m.entity.type is EntityType.PERSON
                       and m.start_char - offset >= subject_start]):
            speaker = last_speaker  # "sagte er"; not "Selenskyj wies sie zurück"
        elif _IMPERSONAL.match(sent[verb.start():]) and last_speaker is not None:
            speaker = last_speaker  # '"...", hieß es': the last speaker again
        elif before:
            people = [m for m in before if m.entity.type is EntityType.PERSON]
            closest = (people or before)[-1]
            speaker = memory.titled(sent, offset, closest) or closest.entity
            if not people:
                speaker = _body_speaker(sent, offset, actors, subject_start, verb.start(), memory) or speaker
        else:
            speaker = _body_speaker(sent, offset, actors, subject_start, verb.start(), memory)
        if speaker is not None and speaker not in out:
            out.append(speaker)
    own = _OWN_SOURCE.search(sent)
    if own:
        if own.group(1) == "eigenen":
            others = [m for m in actors if m.entity.type in FORCE_TYPES | {EntityType.ORGANISATION}]
            if others:
                out.append(others[0].entity)
        else:
            inside = [m for m in actors if own.start() <= m.start_char - offset < own.end()]
            if inside:
                out.append(inside[0].entity)
    # "nach Angaben des ukrainischen Generalstabs": the body's state, or the actor named
    for angaben in re.finditer(r"\b[Nn]ach\s+Angaben\s+(?:des|der|von)\s+", sent):
        tail = sent[angaben.end():]
        stop = re.search(r"[,;:]|\s(?:sind|ist|hat|haben|seien|sei|wurde|wurden|wird|werden)\b", tail)
        end = angaben.end() + (stop.start() if stop else len(tail))
        inside = [a for a in actors if angaben.end() <= a.start_char - offset < end
                  and a.entity.type is not EntityType.OUTLET and sent[a.start_char - offset:][:1].isupper()]
        found = inside[0].entity if inside else _body_speaker(sent, offset, actors, angaben.end(), end, memory)
        if found is not None:
            out.append(found)
    # "X zufolge", "laut X": a relaying outlet is no speaker of its own
    for m in _ZUFOLGE.finditer(sent):
        near = [a for a in actors if 0 <= m.start() - (a.end_char - offset) <= 2]
        if near and near[-1].entity.type is not EntityType.OUTLET:
            out.append(near[-1].entity)
        elif not near:  # "Angaben des russischen Gesundheitsministeriums zufolge": the body's state
            phrase = re.search(r"\bAngaben\s+(?:des|der)\s+[^,.;:]{1,60}$", sent[:m.start()])
            body = phrase and _body_speaker(sent, offset, actors, phrase.start(), m.start(), memory)
            if body:
                out.append(body)
    for m in _LAUT.finditer(sent):
        near = [a for a in actors if 0 <= a.start_char - offset - m.end() <= 4]
        if near and near[0].entity.type is not EntityType.OUTLET:
            out.append(near[0].entity)
    return list({e.key: e for e in out}.values())


_NAME_WORD = r"[A-ZÄÖÜ][a-zäöüßéèáíóúč]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
#: speech frames that name a person: "Makeiev sagte", "..., sagte Makeiev" (the inverted order after the
#: reported clause), "so Makeiev", "nach Angaben von X"
_NAME_FRAMES = (
    re.compile(rf"(?:^|[,;:]\s*|[.!?\"“”»]\s+)(?:(?:Der|Die|der|die)\s+(?:[a-zäöüß-]+\s+){{0,2}})?"
               rf"(?P<name>{_NAME})\s*,?\s+{_SPEECH.pattern}"),
    re.compile(rf"[,:\"“”»]\s*{_SPEECH.pattern}\s+(?P<name>{_NAME})(?=\s*[.,;:!?\"“”»]|\s+(?:am|im|in|bei|gegenüber|auf|dem|der|den|zu|"
               + "|".join(sorted(words("de", "speech_adverbs"))) + r")\b|$)"),
    re.compile(rf"(?:,\s*|^)so\s+(?P<name>{_NAME})\b"),
    re.compile(rf"\b[Nn]ach\s+Angaben\s+von\s+(?P<name>{_NAME})\b"),
    # "sagte der Kommandeur des Heeres, Olexander Pawljuk, ...": a description, then the name in apposition
    re.compile(rf"{_SPEECH.pattern}\s+(?:der|die)\s+[^,.;:\"“”»]{{1,60}},\s+(?P<name>{_NAME})\s*(?=[,.;]|$)"),
)
#: capitalised words that are not names: function words, pronouns, titles, common nouns
_NOT_NAMES = words("de", "not_names")
_NOUN_SUFFIX = re.compile("(" + "|".join(sorted(words("de", "noun_suffixes"), key=len, reverse=True)) + ")$")
_ARTICLES = {"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "eines", "einem"}


def _unknown_speakers(sent: str, offset: int, mentions: list[Mention],
                      people: dict[str, Entity]) -> list[tuple[Mention, bool]]:
    """Capitalised person names the gazetteer does not know, in a speech frame ("Makeiev sagte", "sagte X",
    "so X", "nach Angaben von X"): persons with the key ``kg.text.slug`` of the name; a surname alone is the
    full name seen before in the article.  The flag is True for a frame that itself makes the speaker ("so X",
    "nach Angaben von X"), False for a name the speech-verb rules pick."""
    out: list[tuple[Mention, bool]] = []
    taken = [(m.start_char - offset, m.end_char - offset) for m in mentions]
    for k, frame in enumerate(_NAME_FRAMES):
        for match in frame.finditer(sent):
            # titles lead a name ("Botschafter Makeiev"): keep the words after them
            words = [(w.start() + match.start("name"), w.end() + match.start("name"), w.group())
                     for w in re.finditer(r"\S+", match.group("name"))]
            if words and words[0][2].lower() in _ARTICLES:
                continue  # "Das Staatsfernsehen meldete": an article leads a common noun, not a name
            while words and _not_name(words[0][2]):
                words = words[1:]
            if not words or any(_not_name(w) for _a, _b, w in words):
                continue
            a, b = words[0][0], words[-1][1]
            if any(s < b and a < e for s, e in taken):
                continue  # a known name (or part of one) is the gazetteer's
            name = " ".join(w for _a, _b, w in words)
            entity = people.get(normalise(name))
            if entity is None:
                entity = Entity(key=slug(name), label=name, type=EntityType.PERSON,
                                labels=tuple(dict.fromkeys((name, words[-1][2]))))
                people[normalise(name)] = entity
                people.setdefault(normalise(words[-1][2]), entity)
            out.append((Mention(-1, -1, offset + a, offset + b, name, entity, "minted"), k >= 2))
            taken.append((a, b))
    return out


def _anonymous_source(sent: str, offset: int, actors: list[Mention]) -> Entity | None:
    """The body unnamed sources belong to ("Quellen im ukrainischen Militär sagten ..."): no speaker of a
    statement, but the claimant of what they say."""
    for verb in _SPEECH.finditer(sent):
        anonymous = _ANONYMOUS.search(sent[:verb.start()])
        if anonymous is None:
            continue
        inside = [m for m in actors if anonymous.end() <= m.start_char - offset < verb.start()]
        if inside:
            return inside[0].entity
    return None


def _negated(before: str) -> bool:
    """A negation right before the verb, at most one adverb between ("nicht offiziell bestätigt")."""
    last = before.split()[-2:]
    negations = words("de", "speech_negations")
    return bool(last) and (last[-1] in negations or (
        len(last) == 2 and last[0] in negations and last[1].isalpha() and last[1].islower()))


def _governed(before: str) -> bool:
    """A preposition governs the name after ``before`` ("für die Ukraine hat"): no subject."""
    prep = _words_re("place_prepositions", flags=re.I)
    last = before.split()[-3:]
    return any(prep.fullmatch(w) or w.lower() in ("für", "von", "vom", "mit", "gegen", "über", "durch", "zwischen")
               for w in last)


def _titled_person(sent: str, offset: int, actors: list[Mention], first: Mention) -> Mention:
    """The person a state's title introduces ("Russlands Präsident Putin"), else ``first`` itself."""
    for m in actors:
        if m.entity.type is EntityType.PERSON and m.start_char >= first.end_char and _title_gap(
                sent[first.end_char - offset:m.start_char - offset]):
            return m
    return first


def _adjacent(gap: str) -> bool:
    """Only space, a reflexive "sich" or a title stands between a finite verb and a name after it."""
    gap = re.sub(r"^\s+sich(?=\s)", "", gap)
    return (not gap.strip() and len(gap) <= 3) or _title_gap(gap)


def _title_gap(gap: str) -> bool:
    """Only a title stands between a speech verb and a name: "sagte Botschafter Makeiev"."""
    words = gap.split()
    return (0 < len(words) <= 2 and gap[:1].isspace() and gap[-1:].isspace()
            and all(w[:1].isupper() and _not_name(w) for w in words))


def _not_name(word: str) -> bool:
    lower = word.lower()
    return lower in _NOT_NAMES or bool(_NOUN_SUFFIX.search(lower)) or word in words("de", "body_nouns")


def _cited(sent: str, offset: int, actors: list[Mention]) -> list[Entity]:
    """The sources of "nach Angaben der USA und Südkoreas" and "laut X und Y": every actor up to the next
    comma or verb-like break."""
    out: list[Entity] = []
    for m in _ACCORDING.finditer(sent):
        end = m.end() + (re.search(r"[,;:]|\s(?:sind|ist|hat|haben|seien|sei|wurde|wurden)\b", sent[m.end():])
                         or re.search(r"$", sent[m.end():])).start()  # type: ignore[union-attr]
        # the noun phrase ends at a lowercase word that no capitalised noun follows ("der Nato befinden sich"),
        # not at an adjective ("der ukrainischen Armee") or a conjunction
        for word in re.finditer(r"\S+", sent[m.end():end]):
            w = word.group()
            rest = sent[m.end() + word.end():].lstrip()
            if w[:1].islower() and w not in ("und", "sowie", "der", "des", "den", "dem", "die", "von") and (
                    not rest[:1].isupper()):
                end = m.end() + word.start()
                break
        for a in actors:
            if m.end() <= a.start_char - offset < end and a.entity not in out:
                out.append(a.entity)
    return out


def _troops(sent: str) -> tuple[int | None, int | None, bool]:
    """The troop number of a German sentence: "etwa 10.000 Soldaten", "über 10.000 nordkoreanische
    Kämpfer"."""
    m = _TROOPS.search(sent)
    if m is None:
        return (None, None, False)
    hedge = m.group(1) or ""
    phrase = m.group(2)
    try:
        low, high, approx = parse_troops(phrase)
    except ValueError:
        return (None, None, False)
    return (low, high, approx or bool(hedge.strip()))


@cache
def _words_re(key: str, *, flags: int = 0) -> re.Pattern[str]:
    """A regular expression for any whole word or phrase of the list ``key`` of ``patterns/de.json``."""
    alternatives = sorted(words("de", key), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in alternatives) + r")(?![\w-])", flags)


@cache
def _force_nouns() -> re.Pattern[str]:
    """The force nouns, also as the last part of a hyphenated compound ("M23-Miliz", "Hamas-Kämpfer")."""
    alternatives = sorted(words("de", "force_nouns"), key=len, reverse=True)
    return re.compile(r"(?:(?<=-)|(?<![\w-]))(?:" + "|".join(re.escape(w) for w in alternatives) + r")(?![\w-])")


@cache
def _separable() -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """The separable verbs of deployment: a finite stem and its particle at the clause end ("setzte ... ein")."""
    pairs = load("de")["deploy_separable"]
    return [(re.compile(rf"(?<![\w-]){re.escape(stem)}(?![\w-])"),
             re.compile(rf"(?<![\w-]){re.escape(particle)}(?=\s*(?:[,.;:!?\"“”»]|$|und\b|oder\b))"))
            for stem, particle in pairs]


_NAME_RE = r"[A-ZÄÖÜ][\wäöüß]*(?:-[A-ZÄÖÜ]?[\wäöüß]+)*"


@dataclass
class _Place:
    start: int  # in the sentence
    end: int
    entity: Entity
    anchored: bool  # after a place preposition or a place noun
    group: int  # places listed together ("die Gebiete A und B") share a group; -1 alone


@dataclass
class _DeState:
    """What the German deployment rules remember across the sentences of one article."""

    last_place: Entity | None = None
    minted: dict[str, Entity] = field(default_factory=dict)
    #: the place of each deployer's last deployment, forgotten after ``RECENT_SENTENCES`` sentences without one
    recent: dict[str, Entity] = field(default_factory=dict)
    quiet: int = 0


def _places(sent: str, offset: int, mentions: list[Mention], state: _DeState) -> list[_Place]:
    """The named places of a sentence: the gazetteer's (written as a noun, not the adjective "russischen"),
    and capitalised names after a place noun ("die Stadt Wowtschansk", "vier Grenzdörfer A, B und C"), minted
    where the gazetteer does not know them; a city noun before a name the gazetteer knows only as a region
    makes it the city."""
    places: list[_Place] = []
    known = [m for m in mentions if m.entity.type in (EntityType.LOCATION, EntityType.STATE)
             and sent[m.start_char - offset:m.start_char - offset + 1].isupper()]
    prep = _words_re("place_prepositions", flags=re.I)
    fillers = words("de", "place_fillers") | words("de", "place_nouns") | words("de", "city_nouns")

    def anchored(at: int) -> bool:
        before = sent[:at].split()
        k = len(before) - 1
        # up to three words of article, adjective or place noun between ("ins russische Gebiet"); an agent
        # ("in der teilweise von der Ukraine kontrollierten ...") is no place
        while k >= 0 and k > len(before) - 4 and (before[k] in fillers or (
                before[k][:1].islower() and before[k] not in words("de", "place_prepositions")
                and before[k] not in words("de", "place_blockers"))):
            k -= 1
        if k >= 1 and before[k] in ("von", "vom") and before[k - 1] in words("de", "compass_prepositions"):
            return True  # "nördlich von Charkiw"
        return k >= 0 and bool(prep.fullmatch(before[k]))

    by_start = {m.start_char - offset: m for m in known}
    taken: set[int] = set()
    group = 0
    heads = "|".join(re.escape(w) for w in sorted(words("de", "place_nouns") | words("de", "city_nouns"),
                                                  key=len, reverse=True))
    for head in re.finditer(rf"(?<![\w-])({heads})\s+(?:der\s+|des\s+)?({_NAME_RE}(?:\s*,\s*{_NAME_RE})*"
                            rf"(?:\s+(?:und|oder|sowie)\s+{_NAME_RE})?)", sent):
        noun = head.group(1)
        city = noun in words("de", "city_nouns")
        group += 1
        for name in re.finditer(_NAME_RE, head.group(2)):
            a = head.start(2) + name.start()
            b = head.start(2) + name.end()
            m = next((k for k in known if k.start_char - offset <= a < k.end_char - offset), None)
            if m is not None and not (city and m.entity.key.endswith(tuple(words("de", "region_key_suffixes")))):
                entity = m.entity
            elif m is not None or not _not_name(name.group()):
                entity = _mint_place(state, name.group(), noun)
            else:
                continue
            places.append(_Place(a, b, entity, True, group))
            taken.add(a)
            if m is not None:
                taken.add(m.start_char - offset)
    for at, m in sorted(by_start.items()):
        if at not in taken:
            # a name the article called a city earlier ("die Millionenstadt Charkiw") stays that city
            entity = state.minted.get(sent[at:m.end_char - offset], m.entity)
            places.append(_Place(at, m.end_char - offset, entity, anchored(at), -1))
    places.sort(key=lambda p: p.start)
    return places


def _origin(sent: str, at: int) -> bool:
    """The place at ``at`` is an origin: "vom Gebiet Sumy aus", "aus der Region Kursk" (the preposition before
    it, past articles, adjectives and a place noun)."""
    fillers = words("de", "place_fillers") | words("de", "place_nouns") | words("de", "city_nouns")
    before = sent[:at].split()
    k = len(before) - 1
    while k >= 0 and k > len(before) - 4 and (before[k] in fillers or (before[k][:1].islower()
                                                and before[k] not in words("de", "origin_prepositions"))):
        k -= 1
    if k < 0 or before[k] not in words("de", "origin_prepositions"):
        return False
    # "nördlich von Charkiw" places them; "von Russland kontrolliert" names an agent, no place
    return not (k > 0 and before[k - 1].lower() in words("de", "place_prepositions"))


def _mint_place(state: _DeState, name: str, noun: str) -> Entity:
    entity = state.minted.get(name)
    if entity is None:
        entity = Entity(key=slug(name), label=name, type=EntityType.LOCATION,
                        labels=tuple(dict.fromkeys((name, f"{noun} {name}"))))
        state.minted[name] = entity
    return entity


def _owner_at(sent: str, offset: int, actors: list[Mention], start: int, end: int) -> Entity | None:
    """The owner of the force or attack noun at ``[start, end)``: an actor inside it or right before it
    ("russische Truppen", "Russlands Armee"), right after it in the genitive ("Truppen Russlands"), or after
    "aus" ("Soldaten aus Nordkorea")."""
    for m in actors:
        a, b = m.start_char - offset, m.end_char - offset
        if (a <= start and end <= b) or 0 <= start - b <= 2:
            return m.entity
    after = sent[end:]
    origin = _FROM.match(after)
    skip = origin.end() if origin else len(after) - len(after.lstrip())
    for m in actors:
        a = m.start_char - offset
        if a == end + skip and (origin or sent[a:a + 1].isupper()) and m.entity.type is not EntityType.PERSON:
            word = sent[a:m.end_char - offset]
            if origin or word.endswith("s"):  # the genitive: "Truppen Russlands"
                return m.entity
    # the genitive with its article: "Kämpfer der Hamas", "Soldaten der russischen Armee"
    genitive = re.match(r"\s+(?:der|des)\s+(?:[a-zäöüß]+\s+){0,2}", after)
    if genitive:
        for m in actors:
            if m.start_char - offset == end + genitive.end() and m.entity.type in FORCE_TYPES:
                return m.entity
    return None


def _subject(sent: str, offset: int, actors: list[Mention], places: list[_Place]) -> Entity | None:
    """The subject of a deploying verb: the first actor written as a noun and governed by no preposition."""
    prep = _words_re("place_prepositions", flags=re.I)
    place_starts = {p.start for p in places if p.anchored}
    for m in actors:
        a = m.start_char - offset
        if not sent[a:a + 1].isupper() or a in place_starts or m.entity.type is EntityType.PERSON:
            continue
        before = sent[:a].split()[-2:]
        if any(prep.fullmatch(w) for w in before) or (before and before[-1] in ("von", "vom", "durch")):
            continue
        return m.entity
    return None


def _deploys(sent: str) -> bool:
    if _words_re("deploy_verbs").search(sent) or _words_re("deploy_participles").search(sent):
        return True
    for stem, particle in _separable():
        verb = stem.search(sent)
        if verb and particle.search(sent, verb.end()):
            return True
    return False


def _certainty(sent: str, force_starts: list[int]) -> Certainty:
    if _words_re("denial_words").search(sent):
        return Certainty.DENIED
    negative = _words_re("negative_determiners")
    for at in force_starts:
        if negative.search(" ".join(sent[:at].split()[-2:])):
            return Certainty.DENIED
    for verb in (*_words_re("control_participles").finditer(sent), *_words_re("control_verbs").finditer(sent),
                 *_words_re("deploy_participles").finditer(sent)):
        if _negated(sent[:verb.start()]):
            return Certainty.DENIED  # "wird von Russland nicht kontrolliert", "sind nicht stationiert"
    if _words_re("possible_words").search(sent):
        return Certainty.POSSIBLE
    return Certainty.ASSERTED


def _deployments(sent: str, offset: int, mentions: list[Mention],
                 state: _DeState | None = None) -> list[tuple[Entity, Entity, Certainty]]:
    """(deployer, place, certainty) of a German sentence.  Deployers: the owner of a force noun ("russische
    Truppen"), else the subject of a deploying verb in the clause ("Nordkorea setzte Soldaten ein"); the
    owner of a ground attack ("ein russischer Großangriff bei X"); the agent of a passive of control ("von
    russischen Truppen erobert", "teilweise von Russland kontrolliert"), or "unter russischer Kontrolle".
    Places: the named places after a place preposition or noun, all of a list ("in den Gebieten A und B"),
    the nearest after the trigger first; none named but "dort": the last place of a deployment."""
    state = state or _DeState()
    state.quiet += 1
    if state.quiet > 3:
        state.recent.clear()
    actors = [m for m in mentions if m.entity.type in FORCE_TYPES]
    places = _places(sent, offset, mentions, state)
    attribution = re.search(r"[“”\"»]\s*,\s*" + _SPEECH.pattern, sent)
    if attribution:
        # '„...“, schrieb der Gouverneur des Gebietes Charkiw': the speaker's title names no deployment's place
        places = [p for p in places if p.start < attribution.start()]
    owners: list[tuple[Entity, int]] = []
    force_starts: list[int] = []
    controlled: list[tuple[Entity, _Place]] = []
    speaking = _words_re("force_speech_verbs")
    institution = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(w) for w in words("de", "institution_prepositions"))
                             + r")\s+(?:[a-zäöüß][\w-]*\s+){0,2}$")
    for force in _force_nouns().finditer(sent):
        if _AGAINST.search(sent[:force.start()]):
            continue  # "gegen ukrainische Soldaten": the enemy
        if speaking.match(sent[force.end():].lstrip()):
            continue  # "Das ukrainische Militär erwartet ...": the speaker
        if institution.search(sent[:force.start()]):
            continue  # "Quellen im ukrainischen Militär": where the sources work
        owner = _owner_at(sent, offset, actors, force.start(), force.end())
        if owner is None and _deploys(sent):
            owner = _subject(sent, offset, actors, places)
        if owner is not None:
            owners.append((owner, force.start()))
            force_starts.append(force.start())
    for attack in _words_re("ground_attack_nouns").finditer(sent):
        owner = _owner_at(sent, offset, actors, attack.start(), attack.end())
        if owner is not None:
            owners.append((owner, attack.start()))
    for participle in _words_re("control_participles").finditer(sent):
        agent = re.search(r"\bvon\s+(?:(?:der|den|dem)\s+)?(\S+)(?:\s+\S+){0,2}\s+$",
                          sent[:participle.start()][-80:])
        if agent is None:
            continue
        at = participle.start() - len(sent[:participle.start()][-80:]) + agent.start(1)
        for m in actors:
            if m.start_char - offset == at:
                owners.append((m.entity, at))
    for verb in _words_re("control_verbs").finditer(sent):
        # "Die M23 kontrolliert die Stadt Goma", "Die Rebellen der HTS haben Aleppo eingenommen": the subject holds
        # the place (the agent of a passive, "von X kontrolliert", is read above)
        if re.search(r"\b(?:von|vom|durch)\s+(?:\S+\s+){0,3}$", sent[:verb.start()]):
            continue
        owner = next((e for e, _at in owners), None) or _subject(sent, offset, actors, places)
        if owner is None:
            continue
        after = [p for p in places if p.start >= verb.end() and p.entity.key != owner.key] or [
            p for p in places if p.entity.key != owner.key and p.start < verb.start()
            and not _governed(sent[max(0, p.start - 30):p.start])]
        if after:
            controlled.append((owner, after[0]))
    for control in _CONTROL.finditer(sent):
        for m in actors:
            if control.start() <= m.start_char - offset < control.end():
                owners.append((m.entity, control.start()))
    if not owners and not controlled:
        return []
    if _words_re("strike_words", flags=re.I).search(sent) and not force_starts:
        return []
    if _words_re("strike_verbs").search(sent) and not _deploys(sent):
        return []  # "Die Armee beschießt die Stadt": fire from a distance
    certainty = _certainty(sent, force_starts)
    out: list[tuple[Entity, Entity, Certainty]] = []
    for deployer, at in {e.key: (e, at) for e, at in owners}.values():
        candidates = [p for p in places if p.anchored and p.entity.key != deployer.key]
        # "vom Gebiet Sumy aus bei Sudscha": where they came from is not where they are
        candidates = [p for p in candidates if not _origin(sent, p.start)] or candidates
        chosen: list[_Place] = []
        if candidates:
            specific = [p for p in candidates if p.entity.type is EntityType.LOCATION] or candidates
            after = [p for p in specific if p.start >= at]
            first = (after or specific)[0]
            chosen = [p for p in specific if p.group == first.group] if first.group >= 0 else [first]
        for p in chosen:
            out.append((deployer, p.entity, certainty))
        if not chosen and state.last_place is not None and state.last_place.key != deployer.key \
                and _words_re("place_back_references").search(sent):
            out.append((deployer, state.last_place, certainty))
        elif not chosen and not places and deployer.key in state.recent:
            # no place named at all: the forces are where the article last put this deployer's, if that was
            # in the last few sentences ("Selenskyj bestätigte den russischen Angriff")
            out.append((deployer, state.recent[deployer.key], certainty))
    for deployer, held in controlled:
        if all(d.key != deployer.key for d, _p, _c in out):
            out.append((deployer, held.entity, certainty))
    if out:
        state.last_place = out[-1][1]
    for deployer, place, _c in out:
        state.recent[deployer.key] = place
        state.quiet = 0
    return out
