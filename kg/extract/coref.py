"""Coreference of places and actors within one article, by salience.

No offline coreference model reaches us (coreferee's models stop at spaCy 3.5 and are downloaded from
elsewhere), and the deployments that matter most are often stated with a reference rather than a name: "the
country", "the base", "the peninsula", "there" for a place named sentences earlier; "the group", "they", "USS
Gravely" for the force of a state or group named before.  This module resolves those references with a few
rules over the article's mentions:

* a description's *kind* (``patterns/coref.json``: "the country" is a state, "the base" a site, "the
  peninsula" a place whose name says so, "the region" a known region nearby or the broad region of the
  states the text speaks of);
* *salience*: the nearest fitting antecedent within a window, the place forces were last put in, the place
  the article names most often (the title's places count twice);
* *agreement*: "it" and "they" point back to an actor that was a subject, "the group" to an armed group.

Everything here reads the parse and the mentions; it knows nothing of deployments beyond the places the
deployment rules record on the context (``Context.deployment_places``).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from spacy.tokens import Token

from kg.extract.entities import Mention, is_place
from kg.extract.lexicon import load
from kg.extract.pipeline import FORCE_TYPES, Context
from kg.extract.places import find_place
from kg.model import Entity, EntityType
from kg.text import normalise, slug

#: how far back (tokens) a description looks for a place whose name says what it is ("the camp")
NAME_WINDOW = 300
#: how far back "the peninsula", "the island" look for their name: such names are the article's setting
NAMED_WINDOW = 1000
#: how far back "the region" looks for a known region: a paragraph or two, not the last topic of a briefing
REGION_WINDOW = 150
#: how far back a place forces were put in stays "there"
DEPLOYED_WINDOW = 250
#: how far back "the country" looks for its state
STATE_WINDOW = 400
#: how far back the states that make "the region" a broad region are counted
STATES_WINDOW = 600
#: how far back "the group" looks for its armed group
GROUP_WINDOW = 300
#: regions broader than any place a deployment names: never the salient place of an article
BROAD = {"middle east", "europe", "africa", "asia", "indo pacific", "latin america", "balkans", "caucasus",
         "west", "east", "north africa", "west africa", "east africa", "central asia", "levant", "region", "world"}
_SUBJECTS = ("nsubj", "nsubjpass")


@cache
def _data() -> dict[str, object]:
    return load("coref")


@cache
def place_nouns() -> dict[str, str]:
    """Description noun -> the kind of place it means (``patterns/coref.json``, ``place_nouns``)."""
    value = _data()["place_nouns"]
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def place_kind(token: Token) -> str | None:
    """The kind of place ``token`` describes ("the base": ``site``), or None when it is no place description."""
    return place_nouns().get(token.lower_)


@cache
def group_nouns() -> frozenset[str]:
    value = _data()["group_nouns"]
    assert isinstance(value, list)
    return frozenset(str(v) for v in value)


def resolve_place(ctx: Context, noun: Token, deployer: Entity, *, before: int | None = None) -> Entity | None:
    """The place a description ("the country", "the base", "the peninsula", "there") points back to, looking
    back from token ``before`` (default: the start of the noun's sentence); never the deployer itself."""
    kind = place_kind(noun)
    if kind is None:
        return None
    word = noun.lower_
    start = noun.sent.start if before is None else before
    if kind == "state":
        return _state_before(ctx, noun, deployer, start)
    window = NAMED_WINDOW if kind == "named" else NAME_WINDOW
    candidates = [replace(m, entity=_as_place(m.entity)) for m in ctx.mentions_before(start, window)
                  if is_place(m.entity) and m.entity.type is not EntityType.STATE and m.entity.key != deployer.key]
    for m in candidates:
        if word in m.text.lower().split() or word in m.entity.label.lower().split():
            return m.entity  # "the camp": the last place whose name says it is a camp
    if _specified(ctx, noun):
        return None
    if kind == "named":
        kinds = _data()["named_kinds"]
        assert isinstance(kinds, list)
        alike = next((set(group) for group in kinds if word in group), {word})
        for m in candidates:
            if alike & set(m.text.lower().split()) or alike & set(m.entity.label.lower().split()):
                return m.entity  # "the reef": the last shoal named
        return broad_region(ctx, start, deployer, word=word)  # "the peninsula" of the two Koreas
    if kind == "subdivision":
        for m in candidates:
            info = find_place(m.text)
            if info is not None and info.kind.lower() == word:
                return m.entity  # "the oblast": the last place offline data knows as an oblast
    if kind == "town":
        for m in candidates:
            info = find_place(m.text)
            if info is not None and info.kind == "city" and start - m.end <= NAME_WINDOW:
                return m.entity
    for i, place in reversed(ctx.deployment_places):
        if place.key != deployer.key and start - i <= DEPLOYED_WINDOW:
            return place  # the place forces were last put in
    near = [m for m in candidates if start - m.end <= NAME_WINDOW]
    if kind == "region":
        # a region is a place the gazetteer knows, not a name NER guessed at; else the broad region
        known = [m for m in near if m.source == "gazetteer" and start - m.end <= REGION_WINDOW]
        if known:
            return known[0].entity
        if word in ("territory", "territories"):
            return _state_before(ctx, noun, deployer, start)  # "the occupied territories": the state occupied
        return broad_region(ctx, start, deployer) if word == "region" else None
    return near[0].entity if near else None


def _state_before(ctx: Context, noun: Token, deployer: Entity, start: int) -> Entity | None:
    """The state last named before ``noun`` (not the deployer's own): "Wagner has 1,500 men in the country"."""
    for m in ctx.mentions_before(noun.i, STATE_WINDOW):
        first = ctx.doc[m.start]
        root = ctx.doc[m.start:m.end].root
        if m.start >= start and not (root.dep_ == "pobj" and root.head.head.pos_ in ("NOUN", "PROPN")):
            continue  # in its own sentence only the place of an actor ("the Front in Iraq, ... in the country"),
            # not an aside ("As in Mali, ... in the country")
        if m.entity.type is EntityType.STATE and m.entity.key != deployer.key and (
                root.pos_ != "ADJ" and first.pos_ != "ADJ" and first.ent_type_ != "NORP"):
            return m.entity  # ("Russian envoys", "the Russian government" name people, not a country)
    return None


def _specified(ctx: Context, noun: Token) -> bool:
    """The description says which place it is, so it points back to none: a noun before it ("the buffer
    zone", "the combat area") or places after it ("the zone between the Blue Line and the Litani")."""
    if any(c.dep_ == "compound" and c.pos_ == "NOUN" for c in noun.children):
        return True
    return any(c.dep_ == "prep" and c.lower_ != "of" and ctx.mentions_in(c.i, c.right_edge.i + 1)
               for c in noun.children)


def broad_region(ctx: Context, before: int, deployer: Entity, *, word: str | None = None) -> Entity | None:
    """The broad region ("the Middle East", "the Sahel") whose states the text spoke of most before token
    ``before`` (at least two mentions of its states, the deployer's own not counted); with ``word`` only a
    region whose name has it ("the peninsula")."""
    regions = _data()["broad_regions"]
    assert isinstance(regions, dict)
    counts: dict[str, int] = {}
    for m in ctx.mentions_before(before, STATES_WINDOW):
        if m.entity.type is EntityType.STATE and m.entity.key != deployer.key:
            counts[m.entity.key] = counts.get(m.entity.key, 0) + 1
    best: tuple[int, str] | None = None
    for name, members in regions.items():
        if word is not None and word not in name.lower().split():
            continue
        n = sum(counts.get(k, 0) for k in members)
        if n >= 2 and (best is None or n > best[0]):
            best = (n, name)
    if best is None:
        return None
    region = ctx.gaz.lookup(best[1], fuzzy=False)
    return region if region is not None and region.key != deployer.key else None


def title_places(ctx: Context) -> list[Entity]:
    """Places the article's title names (not states): the article's setting ("Securing the Red Sea")."""
    cached = ctx.cache.get("title_places")
    if isinstance(cached, list):
        return cached
    title = ctx.article.title or ""
    words = [w.strip(".,:;!?\"'()“”‘’") for w in title.split()]
    out: list[Entity] = []
    k = 0
    while k < len(words):
        for n in (4, 3, 2, 1):
            phrase = " ".join(words[k:k + n])
            if len(words[k:k + n]) < n or not phrase or not phrase[0].isupper():
                continue
            found = ctx.gaz.lookup(phrase, fuzzy=False)
            if found is not None and found.type is EntityType.LOCATION and normalise(found.label) not in BROAD:
                if all(found.key != e.key for e in out):
                    out.append(found)
                k += n - 1
                break
        k += 1
    ctx.cache["title_places"] = out
    return out


def salient_place(ctx: Context, before: int, deployer: Entity, *, min_mentions: int = 2,
                  recent: bool = False) -> Entity | None:
    """The place an article is about at token ``before``: the specific location (not a state) named most often
    so far, at least ``min_mentions`` times, the most recent on a tie (with ``recent``, else the latest one if it
    was named shortly before); a place the title names counts twice from the start."""
    counts: dict[str, int] = {}
    last: dict[str, int] = {}
    entities: dict[str, Entity] = {}
    for e in title_places(ctx):
        if e.key != deployer.key:
            counts[e.key] = 2
            last[e.key] = -1
            entities[e.key] = e
    for m in ctx.mentions:
        if m.start >= before:
            break
        if m.entity.key == deployer.key or normalise(m.entity.label) in BROAD:
            continue
        # a name NER typed a person once and a place once ("Abbey Gate") counts for the place
        counts[m.entity.key] = counts.get(m.entity.key, 0) + 1
        last[m.entity.key] = m.start
        if m.entity.type is EntityType.LOCATION:
            entities[m.entity.key] = m.entity
    counts = {k: n for k, n in counts.items() if k in entities}
    if not counts:
        return None
    key = max(counts, key=lambda k: (counts[k], last[k]))
    if counts[key] >= min_mentions:
        return entities[key]
    # else a place named shortly before, the latest ("... at Abbey Gate. ... gunfire from American and British
    # forces")
    return entities[key] if recent and before - last[key] <= NAME_WINDOW else None


@cache
def _vessel_prefixes() -> dict[str, str]:
    value = _data()["vessel_prefixes"]
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def vessels(ctx: Context) -> dict[str, Entity]:
    """Named warships of the article ("USS Gravely", "HMS Diamond"): each word of the name after the prefix ->
    the state the prefix says owns it, so that "Gravely" alone later is the same ship."""
    cached = ctx.cache.get("vessels")
    if isinstance(cached, dict):
        return cached
    out: dict[str, Entity] = {}
    prefixes = _vessel_prefixes()
    doc = ctx.doc
    for t in doc:
        if t.text in prefixes and t.i + 1 < len(doc) and doc[t.i + 1].text[:1].isupper() and doc[t.i + 1].is_alpha:
            state = ctx.gaz.lookup(prefixes[t.text], fuzzy=False)
            if state is not None:
                out.setdefault(doc[t.i + 1].text, state)
    ctx.cache["vessels"] = out
    return out


def vessel_owner(ctx: Context, token: Token) -> Entity | None:
    """The state whose warship ``token`` names: "USS Gravely" (prefix and name), or "Gravely" after it."""
    if not token.text[:1].isupper():
        return None
    ships = vessels(ctx)
    if not ships:
        return None
    if token.text in _vessel_prefixes() and token.i + 1 < len(ctx.doc):
        return ships.get(ctx.doc[token.i + 1].text)
    return ships.get(token.text)


@cache
def _words(key: str) -> frozenset[str]:
    value = _data()[key]
    assert isinstance(value, list)
    return frozenset(str(v) for v in value)


def armed_groups(ctx: Context) -> dict[str, Entity]:
    """Key -> armed group, for every armed group the article names: the gazetteer's, and names no list knows
    that the text calls armed next to them once ("M23 rebels", "JNIM, an al-Qaeda affiliate", "CODECO, a
    militia", "the jihadist group JNIM", "Russian PMC Redut"), wherever else they appear; computed once per
    article."""
    cached = ctx.cache.get("armed")
    if isinstance(cached, dict):
        return cached
    doc = ctx.doc
    heads = _words("armed_heads") | _words("armed_heads_modified")
    names: set[str] = set()
    k = 0
    while k < len(doc):  # runs of proper nouns: "PMC Redut", "Jama'at Nusrat al-Islam wal-Muslimin"
        if doc[k].pos_ != "PROPN":
            k += 1
            continue
        end = k
        while end < len(doc) and doc[end].pos_ == "PROPN":
            end += 1
        start = k
        while start < end - 1 and doc[start].lower_ in heads:
            start += 1  # "PMC Redut": the name after the description
        if _said_armed(ctx, start, end) and not _sponsor(doc[start:end].text):
            names.add(normalise(doc[start:end].text))
        k = end
    out: dict[str, Entity] = {}
    for m in ctx.mentions:
        if _sponsor(m.text):
            continue  # "Iran-backed" names the sponsor of a group, whatever typed it
        if m.entity.type is EntityType.ARMED_GROUP:
            out.setdefault(m.entity.key, m.entity)
        elif m.source == "minted" and m.entity.type is not EntityType.STATE and m.entity.key not in out and (
                normalise(m.text) in names or _said_armed(ctx, m.start, m.end)) and not _sponsor(m.text):
            out[m.entity.key] = replace(m.entity, type=EntityType.ARMED_GROUP)
    ctx.cache["armed"] = out
    ctx.cache["armed_names"] = names
    return out


def _sponsor(name: str) -> bool:
    """"Iran-backed", "US-led": a sponsor's word, not a group's name."""
    return bool(re.search(r"-(?:backed|led|allied|aligned|supported|sponsored|funded|trained|linked)$", name.strip(),
                          re.I))


def _armed_phrase(tokens: list[Token]) -> bool:
    """The words describe an armed group: an armed head ("a militia", "an al-Qaeda affiliate") or a group head
    with an armed modifier ("a jihadist group", "an armed movement")."""
    heads, modified, modifiers = _words("armed_heads"), _words("armed_heads_modified"), _words("armed_modifiers")
    for k, t in enumerate(tokens):
        if t.lower_ in heads and t.pos_ in ("NOUN", "PROPN"):
            return True
        if t.lower_ in modified and any(x.lower_ in modifiers for x in tokens[:k]):
            return True
    return False


def _said_armed(ctx: Context, start: int, end: int) -> bool:
    """The name at tokens ``[start, end)`` is called armed next to it: followed by forces only armed groups
    have, described in apposition after it, or introduced by an armed description before it."""
    doc = ctx.doc
    after = doc[end] if end < len(doc) else None
    if after is not None and after.lower_ in _words("armed_heads") and after.pos_ == "NOUN":
        return True  # "M23 rebels", "Wagner mercenaries"
    if after is not None and after.text == "(":  # "Jama'at Nusrat al-Islam wal-Muslimin (JNIM), a ..."
        close = next((t.i for t in doc[end:min(end + 8, len(doc))] if t.text == ")"), None)
        after = doc[close + 1] if close is not None and close + 1 < len(doc) else None
    if after is not None and after.text == "," and after.i + 1 < len(doc) and doc[after.i + 1].lower_ in (
            "a", "an", "the"):
        phrase = []
        for t in doc[after.i + 2:min(after.i + 8, len(doc))]:
            if t.is_punct and t.text not in ("-", "'"):
                break
            phrase.append(t)
        if _armed_phrase(phrase):
            return True  # "CODECO, a militia", "JNIM, an al-Qaeda affiliate"
    before = list(doc[max(start - 4, 0):start])
    k = len(before)
    while k > 0 and not before[k - 1].is_punct and before[k - 1].lower_ not in ("the", "a", "an"):
        k -= 1
    return bool(before) and k < len(before) and before[-1].lower_ in (
        _words("armed_heads") | _words("armed_heads_modified")) and _armed_phrase(before[k:])


def armed(ctx: Context, m: Mention | None) -> Entity | None:
    """The armed group a mention names, if the article shows it is one."""
    return None if m is None else armed_groups(ctx).get(m.entity.key)


def described_group(ctx: Context, noun: Token) -> Entity | None:
    """The armed group a noun phrase names and describes at once: "the Viv Ansanm gang coalition", "Katiba
    Macina fighters", "Viv Ansanm gang members" (a name before an armed description)."""
    before = [t for t in ctx.doc[noun.left_edge.i:noun.i] if t.dep_ in ("compound", "amod", "nmod")]
    names = [t for t in before if t.pos_ == "PROPN"]
    words = [t for t in before if t.pos_ in ("NOUN", "ADJ")]
    if not names or not _armed_phrase([*words, noun]) or any(
            names[k + 1].i != names[k].i + 1 for k in range(len(names) - 1)):
        return None
    start, end = names[0].i, names[-1].i + 1
    m = ctx.mention_at(start)
    if m is not None and m.entity.type in FORCE_TYPES:
        return m.entity
    if (m is not None and m.entity.type is EntityType.STATE) or _sponsor(ctx.doc[start:end].text):
        return None
    name = ctx.doc[start:end].text
    return Entity(key=slug(name), label=name, type=EntityType.ARMED_GROUP, labels=(name,))


def armed_name(ctx: Context, token: Token) -> Entity | None:
    """The armed group a proper noun no mention covers names, if the article calls that name armed ("The
    ADF, an Islamist militia, killed ...")."""
    if token.pos_ != "PROPN" or ctx.mention_at(token.i) is not None:
        return None
    armed_groups(ctx)
    names = ctx.cache.get("armed_names")
    doc = ctx.doc
    start, end = token.i, token.i + 1
    while start > 0 and doc[start - 1].pos_ == "PROPN":
        start -= 1
    while end < len(doc) and doc[end].pos_ == "PROPN":
        end += 1
    name = doc[start:end].text
    if not isinstance(names, set) or normalise(name) not in names:
        return None
    return Entity(key=slug(name), label=name, type=EntityType.ARMED_GROUP, labels=(name,))


def acronyms(ctx: Context) -> dict[str, Entity]:
    """Acronyms the article defines for forces: "the Israeli Security Forces (ISF)" makes "ISF" Israel's
    forces, "the Rapid Support Forces (RSF)" the RSF; computed once per article."""
    cached = ctx.cache.get("acronyms")
    if isinstance(cached, dict):
        return cached
    out: dict[str, Entity] = {}
    doc = ctx.doc
    groups = armed_groups(ctx)
    for t in doc:
        if not (t.text == "(" and t.i + 2 < len(doc) and doc[t.i + 2].text == ")" and doc[t.i + 1].is_upper
                and len(doc[t.i + 1].text) >= 2 and doc[t.i + 1].text not in out):
            continue
        head = doc[t.i - 1] if t.i > 0 else None
        if head is None:
            continue
        m = ctx.mention_at(head.i)
        if m is not None and (m.entity.type in FORCE_TYPES or m.entity.key in groups):
            out[doc[t.i + 1].text] = groups.get(m.entity.key, m.entity)
            continue
        if head.lower_ not in ("forces", "force", "army", "military", "guard", "corps"):
            continue
        for k in range(head.i - 1, max(head.i - 6, -1), -1):
            owner = ctx.mention_at(k)
            if owner is not None and owner.entity.type in FORCE_TYPES:
                out[doc[t.i + 1].text] = owner.entity  # "Israeli Security Forces (ISF)"
                break
            if doc[k].is_punct:
                break
    ctx.cache["acronyms"] = out
    return out


def resolve_actor(ctx: Context, token: Token) -> Entity | None:
    """The state or armed group a reference points back to: "the group", "the militia" (the armed group last
    named), "it" and "they" as a subject, "its" and "their" (the actor that was the subject just before)."""
    word = token.lower_
    if word in group_nouns() and token.pos_ == "NOUN" and any(
            c.dep_ == "det" and c.lower_ in ("the", "this") for c in token.children) and not any(
            c.dep_ in ("compound", "amod", "poss", "nmod") and (ctx.mention_at(c.i) is not None or c.pos_ == "PROPN")
            for c in token.children):
        groups = armed_groups(ctx)
        named = [m for m in ctx.mentions_before(token.i, GROUP_WINDOW) if m.entity.key in groups]
        # the group the text was about: the nearest one named as a subject ("JNIM, an al-Qaeda affiliate, is
        # active ..."), else the nearest one
        subjects = [m for m in named if _role(ctx, m) in _SUBJECTS]
        best = subjects[0] if subjects else (named[0] if named else None)
        return groups[best.entity.key] if best is not None else None
    if token.is_upper and token.text in acronyms(ctx) and ctx.doc[token.i - 1].text != "(":
        return acronyms(ctx)[token.text]  # "the ISF deployed ground troops"
    if word in ("it", "they") and token.dep_ in _SUBJECTS:
        return _subject_antecedent(ctx, token, plural=word == "they")
    if word in ("its", "their") and token.dep_ == "poss":
        return _subject_antecedent(ctx, token, plural=word == "their")
    return None


def _role(ctx: Context, m: Mention) -> str:
    """The dependency of the noun phrase a mention names or modifies ("M23 rebels took": ``nsubj``)."""
    t = ctx.doc[m.start:m.end].root
    while t.dep_ in ("compound", "amod", "poss", "nmod") and t.head != t:
        t = t.head
    return str(t.dep_)


#: heads of noun phrases that name a state's or group's forces: "they" may point back to them
FORCE_HEADS = {"troops", "soldiers", "forces", "military", "army", "militants", "fighters", "rebels", "units",
               "mercenaries", "personnel", "marines", "navy", "police", "militia", "militias"}


def _subject_antecedent(ctx: Context, pronoun: Token, *, plural: bool) -> Entity | None:
    """The actor "it", "they", "its" or "their" points back to: earlier in its own sentence the nearest one
    that agrees ("... attack Israeli forces should they enter"), else the subject of the sentence before,
    a main clause's subject before a subordinate one's ("The Lebanese military will ... ensure that
    Hezbollah is moving north. They will also be patrolling the area"); a named state or group ("Wagner ...
    It"), or the owner named in forces ("North Korean troops ... They")."""
    sent = pronoun.sent
    groups = armed_groups(ctx)

    def agrees(m: Mention) -> tuple[Entity, Token] | None:
        entity = m.entity if m.entity.type in FORCE_TYPES else groups.get(m.entity.key)
        if entity is None:
            return None
        root = ctx.doc[m.start:m.end].root
        t = root
        while t.dep_ in ("compound", "amod", "poss", "nmod") and t.head != t:
            t = t.head  # "North Korean troops": the mention modifies the noun phrase
        many = t.tag_ in ("NNS", "NNPS") or t.lower_ in FORCE_HEADS or entity.type is EntityType.ARMED_GROUP
        one = t.i == root.i and t.tag_ not in ("NNS", "NNPS")
        return (entity, t) if (many if plural else one) else None

    # in its own sentence: a subject, or forces in any role ("attack Israeli forces should they enter")
    here = [x for m in ctx.mentions_in(sent.start, pronoun.i) if (x := agrees(m)) is not None
            and x[1].head.i != pronoun.head.i and (
                x[1].dep_ in _SUBJECTS or (x[1].dep_ in ("dobj", "pobj") and x[1].lower_ in FORCE_HEADS))]
    if here:
        return here[-1][0]
    if sent.start == 0:
        return None
    before = ctx.doc[sent.start - 1].sent
    subjects = [x for m in ctx.mentions_in(before.start, before.end) if (x := agrees(m)) is not None
                and x[1].dep_ in _SUBJECTS]
    main = [x for x in subjects if x[1].head.dep_ in ("ROOT", "conj") and (
        x[1].head.dep_ == "ROOT" or x[1].head.head.dep_ == "ROOT")]
    pick = main or subjects
    if pick:
        return pick[-1][0]
    # "The US has about 900 troops in Syria. They are based ...": the forces of the deployment just stated
    last = ctx.cache.get("last_deployment")  # (token, deployer, place), recorded by kg.extract.deployments
    named_here = any(m.entity.type in FORCE_TYPES for m in ctx.mentions_in(sent.start, pronoun.i))
    if plural and not named_here and isinstance(last, tuple) and before.start <= last[0] < sent.start and (
            isinstance(last[1], Entity)):
        return last[1]
    return None


def _as_place(entity: Entity) -> Entity:
    """A place as a deployment's location: an institution named by a place head is its site."""
    return entity if entity.type in (EntityType.LOCATION, EntityType.STATE) else replace(
        entity, type=EntityType.LOCATION)
