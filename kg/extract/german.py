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

from kg.extract.entities import Mention
from kg.extract.numbers import parse_troops
from kg.extract.pipeline import ACTOR_TYPES, FORCE_TYPES, Context
from kg.model import Certainty, Claim, Deployment, Entity, EntityType, Span, Statement
from kg.ns import normalise, slug

_SENT_END = re.compile(r"(?<=[.!?])[\"“”»]?\s+(?=[A-ZÄÖÜ\"„«])|\n+")
_SPEECH = re.compile(
    r"\b(sagte|sagt|sagten|erklärte|erklärt|erklärten|betonte|betont|betonten|warnte|warnt|bekräftigte|"
    r"bekräftigt|meldete|meldet|meldeten|berichtete|berichtet|teilte|teilt|teilten|kündigte|kündigt|"
    r"bestätigte|bestätigt|forderte|fordert|versicherte|unterstrich|schrieb|dementierte|bestritt|"
    r"kritisierte|verkündete|drohte|mahnte|betonte|räumte|hieß|antwortete|ergänzte|fügte|behauptete|"
    r"behauptet|mitteilte|erklärt)\b"
)
_OWN_SOURCE = re.compile(r"\b[Nn]ach\s+(eigenen|[a-zäöü]+en)\s+Angaben\b")
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


def german_claims(ctx: Context) -> list[Claim]:
    """The claims of a German article, sentence by sentence."""
    text = ctx.text
    claims: list[Claim] = []
    last_speaker: Entity | None = None
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
        actors = [m for m in mentions if m.entity.type in ACTOR_TYPES]
        unknown = _unknown_speakers(sent, start, mentions, people)
        if unknown:
            actors = sorted(actors + [m for m, _direct in unknown], key=lambda m: m.start_char)
        span = Span(start, end, sent)
        speakers = _speakers(ctx, sent, start, actors, last_speaker)
        for m, direct in unknown:
            if direct and m.entity not in speakers:
                speakers.append(m.entity)
        for speaker in speakers:
            if ctx.outlet is not None and speaker.key == ctx.outlet.key:
                continue
            claims.append(Claim(subject=Statement(speaker=speaker), claimants=(speaker,),
                                certainty=Certainty.ASSERTED, span=span, outlet=ctx.outlet))
        own = _OWN_SOURCE.search(sent)
        cited = _cited(sent, start, actors)
        troops = _troops(sent)
        for deployer, location in _deployments(sent, start, mentions):
            if own and own.group(1) == "eigenen":
                claimants: tuple[Entity, ...] = (deployer,)
            elif cited:
                claimants = tuple(cited)
            elif speakers:
                claimants = (speakers[0],)
            elif _KONJUNKTIV.search(sent) and last_speaker is not None and not _SPEECH.search(sent):
                claimants = (last_speaker,)
            elif ctx.outlet is not None:
                claimants = (ctx.outlet,)
            else:
                claimants = ()
            low, high, approx = troops
            deployment = Deployment(deployer=deployer, location=location, troops_min=low, troops_max=high,
                                    approximate=approx)
            claims.append(Claim(subject=deployment, claimants=claimants, certainty=Certainty.ASSERTED,
                                span=span, outlet=ctx.outlet))
        if speakers:
            last_speaker = speakers[-1]
    return claims


def _speakers(ctx: Context, sent: str, offset: int, actors: list[Mention],
              last_speaker: Entity | None) -> list[Entity]:
    out: list[Entity] = []
    # "Ukraine-Krieg: ..." names the war, not a speaker
    actors = [m for m in actors if not sent[m.end_char - offset:].startswith("-Krieg")]
    for verb in _SPEECH.finditer(sent):
        if _ANONYMOUS.search(sent[:verb.start()]):
            continue  # "nicht genannte Quellen", "Medien", "Kreise": no identifiable speaker
        after = [m for m in actors if 0 <= m.start_char - offset - verb.end() <= 3
                 or _title_gap(sent[verb.end():max(verb.end(), m.start_char - offset)])]
        before = [m for m in actors if m.end_char - offset <= verb.start()]
        speaker: Entity | None = None
        if after:
            speaker = after[0].entity
        elif _ARTICLE.match(sent[verb.end():]):
            speaker = None  # "sagte der Republikaner": a description the rules do not resolve
        elif _PRONOUN.match(sent[verb.end():]) and last_speaker is not None:
            speaker = last_speaker
        elif before:
            people = [m for m in before if m.entity.type is EntityType.PERSON]
            speaker = (people or before)[-1].entity
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
    # "X zufolge", "laut X": a relaying outlet is no speaker of its own
    for m in _ZUFOLGE.finditer(sent):
        near = [a for a in actors if 0 <= m.start() - (a.end_char - offset) <= 2]
        if near and near[-1].entity.type is not EntityType.OUTLET:
            out.append(near[-1].entity)
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
    re.compile(rf"(?:^|[,;:]\s*|[.!?\"“”»]\s+)(?P<name>{_NAME})\s*,?\s+{_SPEECH.pattern}"),
    re.compile(rf"[,:\"“”»]\s*{_SPEECH.pattern}\s+(?P<name>{_NAME})(?=\s*[.,;:!?\"“”»]|\s+(?:am|im|in|bei|gegenüber|auf|dem|der|den|zu)\b|$)"),
    re.compile(rf"(?:,\s*|^)so\s+(?P<name>{_NAME})\b"),
    re.compile(rf"\b[Nn]ach\s+Angaben\s+von\s+(?P<name>{_NAME})\b"),
)
#: capitalised words that are not names: function words, pronouns, titles, common nouns
_NOT_NAMES = {"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "eines", "er", "sie", "es", "wir",
              "ihr", "man", "dies", "diese", "dieser", "auch", "aber", "doch", "und", "oder", "nun", "dann", "so",
              "zudem", "außerdem", "damit", "dabei", "hier", "dort", "heute", "gestern", "am", "im", "in", "mit",
              "von", "zu", "nach", "bei", "wie", "was", "wer", "als", "weil", "dass", "ob", "seine", "ihre", "sein",
              "jetzt", "bereits", "noch", "erst", "zuvor", "später", "allerdings", "jedoch", "präsident",
              "kanzler", "minister", "ministerin", "sprecher", "sprecherin", "regierung", "botschafter",
              "außenminister", "verteidigungsminister", "kremlsprecher", "chef", "generalsekretär", "staatschef",
              "ministerium", "armee", "militär", "agentur", "behörden", "experten", "nachrichtenagentur",
              "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag"}
_NOUN_SUFFIX = re.compile(r"(ung|heit|keit|schaft|ium|tion|ität|ismus|tum|nis|chen|ministerium|sprecher|"
                          r"sprecherin|minister|ministerin|präsident|präsidentin|kanzler|kanzlerin|agentur|"
                          r"behörde|behörden|führung|chef|chefin|dienst|amt|rat|berater|beraterin|experte|"
                          r"expertin|gouverneur|gouverneurin|botschafter|botschafterin|vorsitzende|vorsitzender|"
                          r"leiter|leiterin|kommandeur|general|analyst|analystin|fernsehen|sender|zeitung|"
                          r"korrespondent|korrespondentin|bürgermeister|bürgermeisterin)$")
_ARTICLES = {"der", "die", "das", "dem", "den", "des", "ein", "eine", "einer", "eines", "einem"}


def _unknown_speakers(sent: str, offset: int, mentions: list[Mention],
                      people: dict[str, Entity]) -> list[tuple[Mention, bool]]:
    """Capitalised person names the gazetteer does not know, in a speech frame ("Makeiev sagte", "sagte X",
    "so X", "nach Angaben von X"): persons with the key ``kg.ns.slug`` of the name; a surname alone is the
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


def _title_gap(gap: str) -> bool:
    """Only a title stands between a speech verb and a name: "sagte Botschafter Makeiev"."""
    words = gap.split()
    return (0 < len(words) <= 2 and gap[:1].isspace() and gap[-1:].isspace()
            and all(w[:1].isupper() and _not_name(w) for w in words))


def _not_name(word: str) -> bool:
    lower = word.lower()
    return lower in _NOT_NAMES or bool(_NOUN_SUFFIX.search(lower))


def _cited(sent: str, offset: int, actors: list[Mention]) -> list[Entity]:
    """The sources of "nach Angaben der USA und Südkoreas" and "laut X und Y": every actor up to the next
    comma or verb-like break."""
    out: list[Entity] = []
    for m in _ACCORDING.finditer(sent):
        end = m.end() + (re.search(r"[,;:]|\s(?:sind|ist|hat|haben|seien|sei|wurde|wurden)\b", sent[m.end():])
                         or re.search(r"$", sent[m.end():])).start()  # type: ignore[union-attr]
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


def _deployments(sent: str, offset: int, mentions: list[Mention]) -> list[tuple[Entity, Entity]]:
    owners: list[Entity] = []
    for force in _FORCE.finditer(sent):
        if _AGAINST.search(sent[:force.start()]):
            continue  # "gegen ukrainische Soldaten": the enemy
        for m in mentions:
            if m.entity.type in FORCE_TYPES and (
                (m.start_char - offset <= force.start() and force.end() <= m.end_char - offset)
                or 0 <= force.start() - (m.end_char - offset) <= 2
            ):
                owners.append(m.entity)
        # "Soldaten aus Nordkorea"
        origin = _FROM.match(sent[force.end():])
        if origin:
            for m in mentions:
                if m.entity.type in FORCE_TYPES and m.start_char - offset == force.end() + origin.end():
                    owners.append(m.entity)
    for control in _CONTROL.finditer(sent):
        for m in mentions:
            if m.entity.type in FORCE_TYPES and control.start() <= m.start_char - offset < control.end():
                owners.append(m.entity)
    if not owners or (_STRIKE.search(sent) and not _FORCE.search(sent)):
        return []
    out: list[tuple[Entity, Entity]] = []
    for deployer in dict.fromkeys(owners):
        places = [m for m in mentions if m.entity.key != deployer.key
                  and m.entity.type in (EntityType.LOCATION, EntityType.STATE)]
        places.sort(key=lambda m: 0 if m.entity.type is EntityType.LOCATION else 1)
        for m in places:
            if m.entity.type is EntityType.LOCATION or _PLACE_PREP.search(sent[: m.start_char - offset]):
                out.append((deployer, m.entity))
                break
    return out
