"""Deployments: an actor's armed forces present, fighting, sent or expected somewhere.

A sentence is a deployment candidate when it has a force word ("troops", "soldiers", "forces", "Soldaten")
or a ground-presence verb or noun ("deployed", "incursion", "ground operation").  The deployer is the state or
armed group that modifies the force word ("North Korean troops", "Israel's forces", "the Russian Army") or is
the subject of the presence verb ("Israel launched its ground escalation"); the location is the most specific
place after "in", "into", "to", "inside", "near" (a region before its country), else the place the text just
spoke of when the sentence says "the region", "the area" or "there".  Strikes from a distance, weapons
deliveries and financial aid are not deployments.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spacy.tokens import Span, Token

from kg.extract.coref import (
    BROAD,
    armed,
    armed_name,
    described_group,
    place_kind,
    resolve_actor,
    resolve_place,
    salient_place,
    vessel_owner,
)
from kg.extract.entities import Mention, is_place
from kg.extract.lexicon import words
from kg.extract.numbers import parse_troops
from kg.extract.pipeline import ACTOR_TYPES, FORCE_TYPES, Context, is_heading
from kg.model import Certainty, Entity, EntityType
from kg.text import normalise, slug

FORCE_NOUNS = {
    "troops", "troop", "soldiers", "soldier", "forces", "force", "military", "army", "armies", "units",
    "unit", "mercenaries", "mercenary", "fighters", "militants", "personnel", "servicemen", "marines",
    "brigade", "brigades", "battalion", "battalions", "warships", "warship", "navy", "contingent",
    "paratroopers", "infantry", "commandos", "special forces", "militia", "militias", "boots",
    "instructors", "advisers", "advisors", "gunmen", "rebels", "insurgents", "division",
    "divisions", "regiment", "regiments", "detachment", "squad", "peacekeepers", "peacekeeping", "command",
    "garrison", "destroyers", "destroyer", "frigate", "frigates", "men", "police", "policemen", "gendarmes",
    "battlegroup", "battlegroups", "militiamen",
    # German
    "soldaten", "truppen", "armee", "streitkräfte", "einheiten", "söldner", "kämpfer", "militär",
}
#: military assets that put their owner somewhere when they are based, stationed or deployed there
ASSET_NOUNS = words("en", "asset_nouns")
STATIONING_VERBS = words("en", "stationing_verbs")
#: what forces do on the spot: a force doing it is where the article is, when the sentence names no place
ACTION_VERBS = words("en", "action_verbs")
NAVAL_ASSETS = words("en", "naval_assets")
NAVAL_ACTION_VERBS = words("en", "naval_action_verbs")
#: raids by armed groups and ground forces on a town put the raiders there; a state's strikes do not
RAID_VERBS = words("en", "raid_verbs")
NAVAL_TARGETS = {"shipping", "tankers", "tanker", "freighters", "merchant", "targets"}
WATERS = {"sea", "gulf", "strait", "ocean", "channel", "bay", "straits", "waters"}
GROUND_RAIDERS = words("en", "ground_raiders")
LOSING_VERBS = words("en", "losing_verbs")
#: organisations whose forces deploy under their own name ("NATO has deployed battlegroups in Poland")
ORG_SENDING_VERBS = {"deploy", "station", "send", "dispatch", "lead", "rotate", "base"}
#: verbs whose subject owns the forces or presence that is their object: "Wagner has 1,500 men in Mali",
#: "Russia maintains a military presence in Transnistria"
HAVING_VERBS = {"have", "maintain", "keep", "establish", "expand", "build", "retain", "operate", "comprise",
                "number", "total", "field"}
#: heads of a unit's name whose owner modifies them: "the Russian Operational Group of Forces", "the Iranian
#: Quds Force"
UNIT_HEADS = {"group", "command", "corps", "fleet", "contingent", "grouping", "force", "forces", "army", "brigade",
              "division", "battalion", "regiment", "flotilla", "squadron", "task", "province", "branch", "wing",
              "police", "guard", "gendarmerie"}
#: verbs that put their object somewhere: an armed group as the object is there ("keeping Wagner in Mali")
SENDING_VERBS = {"keep", "send", "deploy", "station", "dispatch", "move", "transfer", "bring", "redeploy"}
#: verbs whose object is told to act: "directed the military to flow assets into the region"
ORDER_VERBS = {"order", "direct", "instruct", "authorize", "authorise", "command", "task"}
#: words that make forces the recipients of goods ("drones destined for the Ukrainian army")
RECIPIENT_HEADS = {"destined", "intended", "meant", "earmarked", "bound", "delivered", "supplied", "shipped",
                   "donated", "sold"}
#: verbs of showing up somewhere: presence for forces and armed groups only
APPEARING_VERBS = {"appear", "surface", "reappear", "show"}
#: verbs that ask for forces rather than place them
REQUEST_VERBS = {"call", "urge", "demand", "request", "ask", "appeal", "plead", "seek", "lobby"}
#: verbs of attack: the attacked are where the attack is, the attackers need not be
ATTACK_VERBS = {"attack", "strike", "target", "hit", "shell", "ambush", "bomb", "raid"}
#: what makes a presence military ("a military presence", not "a trade presence")
MILITARY_MODIFIERS = {"military", "naval", "troop", "army", "armed", "air", "security", "ground", "boots"}
#: force words only armed groups have: their unknown owner is an armed group
IRREGULAR_FORCES = {"fighters", "militants", "mercenaries", "gunmen", "rebels", "insurgents", "militiamen",
                    "militia", "militias", "jihadists"}
PRESENCE_NOUNS = {
    "incursion", "invasion", "offensive", "raid", "ground operation", "operation", "escalation",
    "deployment", "presence", "occupation", "advance", "assault", "counteroffensive", "counter-offensive",
    "involvement", "participation", "fighting", "clashes", "battle", "campaign", "base", "bases", "outpost",
    "coalition", "mission", "patrols",
    "vormarsch", "einmarsch", "einsatz",
}
PRESENCE_VERBS = {
    "deploy", "send", "station", "fight", "operate", "arrive", "enter", "advance", "invade", "clash",
    "capture", "seize", "occupy", "storm", "raid", "board", "patrol", "dispatch", "transfer", "move",
    "launch", "push", "battle", "engage", "gain", "hold", "land", "cross", "base",
    "position", "mass", "amass", "reinforce", "strengthen", "join", "participate", "serve", "bog", "kill",
    "conduct", "remain", "stay", "help", "assist", "train", "guard", "defend", "besiege", "add",
    "flow", "surge", "rotate", "keep", "lead",
}
#: presence verbs that need a ground object ("launched a ground operation", "sent troops")
OBJECT_VERBS = {"launch", "send", "push", "gain", "hold", "move", "transfer", "mass", "amass", "engage",
                "position", "reinforce", "strengthen", "dispatch", "add", "flow", "surge", "rotate", "keep", "lead"}
GROUND_OBJECTS = {"troops", "soldiers", "forces", "units", "incursion", "invasion", "offensive", "operation",
                  "operations", "raid", "raids", "escalation", "assault", "counteroffensive", "brigade",
                  "brigades", "battalion", "battalions", "mercenaries", "fighters", "personnel", "army",
                  "ground", "positions", "position", "contingent", "warships", "marines", "paratroopers",
                  "coalition", "mission", "presence", "men", "assets", "battlegroup", "battlegroups", "patrols",
                  "officers", "carrier", "carriers", "destroyer", "destroyers", "frigate", "frigates", "submarine",
                  "submarines", "warship", "corvettes", "squadron", "squadrons"}
#: shooting and fighting that put the forces it comes from where the article is ("gunfire from US troops")
FIRE_NOUNS = {"fire", "gunfire", "shots", "shooting", "burst", "bursts", "volley", "volleys", "fighting",
              "clashes", "firefight", "firefights", "battles", "skirmishes"}
#: what forces engaged in are engaged in fighting
COMBAT_WORDS = {"fighting", "combat", "battle", "battles", "clashes", "hostilities", "firefight", "firefights",
                "skirmishes", "war", "ground"}
#: "strike", "bomb", "shell" and the like are not deployments unless a ground word is also present
STRIKE_WORDS = {"strike", "strikes", "airstrike", "airstrikes", "missile", "missiles", "drone", "drones",
                "rocket", "rockets", "bombing", "shelling", "bombardment", "air", "weapons", "aid", "shells"}
GROUND_WORDS = {"ground", "troops", "soldiers", "incursion", "raid", "boots", "infantry", "mercenaries",
                "fighters", "militants", "units", "personnel", "forces", "army", "warship", "warships",
                "destroyer", "destroyers", "frigate", "frigates", "marines", "base", "bases", "peacekeepers",
                "carrier", "carriers", "assets"}
POSSIBLE_WORDS = {
    "could", "may", "might", "would", "expected", "expect", "planned", "plan", "plans", "planning",
    "preparing", "prepare", "prepares", "considering", "consider", "considers", "likely", "possible",
    "possibly", "allegedly", "reportedly", "potential", "potentially", "ready", "intends", "intend",
    "threatened", "threatens", "if", "whether", "suspected", "believed", "probably", "perhaps", "könnte",
    "könnten", "sollen", "soll", "möglicherweise", "offenbar", "angeblich",
}
HEDGES = {"could", "may", "might", "perhaps", "possibly", "likely", "probably", "allegedly", "reportedly"}
DENY_WORDS = {"deny", "denies", "denied", "denying", "dismissed", "rejected", "rejects", "refuted", "refusal",
              "refused", "refuses",
              "bestreitet", "bestritt", "dementiert"}
CASUALTY_WORDS = {"killed", "died", "dead", "wounded", "injured", "casualties", "losses", "captured",
                  "getötet", "gefallen", "verwundet", "tot"}
_NUMBER_WORDS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "hundred", "hundreds",
                 "thousand", "thousands", "million", "dozen", "dozens", "several", "some", "about",
                 "around", "approximately", "roughly", "nearly", "almost", "over", "up", "to", "more",
                 "than", "at", "least", "as", "many", "between", "and", "-", "–", "estimated", "an", "k",
                 "few", "tens", "of", "rund", "etwa", "mehr", "als", "bis", "zu", "tausend", "tausende"}


@dataclass(frozen=True)
class DeploymentFinding:
    deployer: Entity
    location: Entity
    troops_min: int | None
    troops_max: int | None
    approximate: bool
    certainty: Certainty
    start_char: int
    end_char: int
    trigger: Token


def _is_force_word(token: Token) -> bool:
    if token.lower_ in ("officers", "officer") and token.pos_ == "NOUN":
        return any(c.lower_ == "police" for c in token.children)  # "Kenyan police officers"
    return token.lower_ in FORCE_NOUNS and token.pos_ in ("NOUN", "PROPN")


def _residue(token: Token) -> bool:
    """Markup left in the text by a bad HTML export ('North Korean "> Soldiers'): neither word nor number."""
    return all(ch in "<>/=\"'" for ch in token.text)


def _we(ctx: Context, token: Token) -> Entity | None:
    """"we", "our" in a government's own transcript (a briefer's turn, the White House publishing it) is that
    government's state."""
    if token.lower_ not in ("we", "our", "us") or ctx.outlet is None or ctx.outlet.type is not EntityType.STATE:
        return None
    return ctx.outlet if ctx.turn_speaker_at(token.idx) is not None else None


def _co_owners(ctx: Context, token: Token, owner: Entity) -> list[Entity]:
    """The owners coordinated with the one found: "American and British forces", "US and UK troops"."""
    out: list[Entity] = []
    for child in token.children:
        if child.dep_ not in ("amod", "compound", "nmod", "poss"):
            continue
        for conj in (child, *child.conjuncts):
            cm = ctx.mention_at(conj.i)
            if (cm is not None and cm.entity.type in FORCE_TYPES and cm.entity.key != owner.key
                    and all(cm.entity.key != e.key for e in out)):
                out.append(cm.entity)
    return out


def _called_for(trigger: Token) -> bool:
    """The forces are what someone asks for: "called for more troops", "urged ... troops", "demands forces"."""
    t = trigger
    for _ in range(4):
        if t.head == t:
            return False
        if t.dep_ == "pobj" and t.head.lower_ == "for" and t.head.head.lemma_.lower() in REQUEST_VERBS:
            return True
        t = t.head
        if t.lemma_.lower() in REQUEST_VERBS and trigger.dep_ != "nsubj":
            return True
    return False


def _attacks_forces(trigger: Token) -> bool:
    """The trigger is the subject of an attack on forces."""
    verb = trigger.head
    return trigger.dep_ == "nsubj" and verb.lemma_.lower() in ATTACK_VERBS and any(
        c.dep_ == "dobj" and (_is_force_word(c) or c.lower_ in ASSET_NOUNS) for c in verb.children)


def _victims(trigger: Token) -> set[int]:
    """Token indices of the object of an attack whose subject is the trigger: where the attacked are."""
    if trigger.dep_ != "nsubj" or trigger.head.lemma_.lower() not in ATTACK_VERBS:
        return set()
    out: set[int] = set()
    for obj in trigger.head.children:
        if obj.dep_ == "dobj":
            out.update(t.i for t in obj.subtree)
    return out


def _sent_group(ctx: Context, verb: Token) -> Entity | None:
    """An armed group that is the object of a sending or keeping verb."""
    for child in verb.children:
        if child.dep_ == "dobj":
            m = ctx.mention_at(child.i)
            if m is not None and m.entity.type is EntityType.ARMED_GROUP:
                return m.entity
    return None


def _unknown_name(m: Mention | None) -> bool:
    """No mention, or one NER guessed ("M23" a location) that is no state or group of the gazetteer."""
    return m is None or (m.source == "minted" and m.entity.type not in FORCE_TYPES)


def _leader(ctx: Context, noun: Token) -> Entity | None:
    """The state or group that leads a presence noun's forces: "the US-led invasion", "a Saudi-led coalition"
    ("X-backed" names a sponsor, not the forces' owner)."""
    doc = ctx.doc
    for child in noun.children:  # "the mission, led by Kenya,"
        if child.dep_ == "acl" and child.lower_ == "led":
            for by in child.children:
                if by.dep_ == "agent":
                    for obj in by.children:
                        m = ctx.mention_at(obj.i)
                        if m is not None and m.entity.type in FORCE_TYPES:
                            return m.entity
    for k in range(max(noun.i - 4, noun.sent.start), noun.i):
        if doc[k].lower_ in ("led", "-led") and k > 0:
            j = k - 1 if doc[k].lower_ == "-led" else (k - 2 if doc[k - 1].text in "-‐‑" else k - 1)
            m = ctx.mention_at(j) if j >= 0 else None
            if m is not None and m.entity.type in FORCE_TYPES:
                return m.entity
    return None


def _backing(ctx: Context, m_end: int) -> bool:
    """"US-backed Kurdish fighters": the mention names a backer, not the owner."""
    doc = ctx.doc
    if m_end + 1 < len(doc) and doc[m_end].text in ("-", "‐", "‑") and doc[m_end + 1].lower_ in _BACKED:
        return True
    return m_end < len(doc) and doc[m_end].lower_.lstrip("-") in _BACKED and doc[m_end].lower_.startswith("-")


SPEECH_VERBS = {"say", "tell", "announce", "warn", "add", "note", "report", "claim", "confirm", "state",
                "deny", "insist", "write", "accuse", "blame", "urge", "declare", "explain", "acknowledge",
                "admit"}


def _speaks(token: Token) -> bool:
    """The force word names a speaker: "the Israeli military said"."""
    t = token
    while t.dep_ in ("compound", "amod", "poss", "conj", "appos") and t.head != t:
        t = t.head
    return t.dep_ in ("nsubj", "nsubjpass") and t.head.lemma_.lower() in SPEECH_VERBS


def _force_owner(ctx: Context, token: Token, sent: Span) -> Entity | None:
    """The state or armed group whose forces a force word names."""
    if _speaks(token):
        return None
    if token.dep_ == "pobj" and token.head.lower_ in ("against", "versus"):
        return None  # "active against the Kyiv armed forces": the enemy, not the deployer
    if token.dep_ == "pobj" and token.head.lower_ in ("for", "to") and token.head.head.lower_ in RECIPIENT_HEADS:
        return None  # "drones destined for the Ukrainian Armed Forces": what is sent to forces, not the forces
    m = ctx.mention_at(token.i)
    if m is not None and m.entity.type in FORCE_TYPES:
        return m.entity  # "North Korean troops", "Israeli forces" are gazetteer aliases
    for child in token.children:
        if child.dep_ in ("amod", "compound", "poss", "nmod"):
            cm = ctx.mention_at(child.i)
            if cm is None:
                cm = next((x for x in ctx.mentions_in(child.left_edge.i, child.right_edge.i + 1)
                           if x.entity.type in FORCE_TYPES), None)
            if (cm is not None and cm.entity.type is EntityType.STATE and token.lower_ in IRREGULAR_FORCES
                    and (ctx.doc[cm.start].pos_ == "ADJ" or ctx.doc[cm.start].ent_type_ == "NORP")):
                continue  # "Pakistani Shia fighters", "Iraqi militias": nationals, not the state's forces
            if cm is not None and cm.entity.type in FORCE_TYPES and not _backing(ctx, cm.end):
                return cm.entity
            if (cm is not None and cm.entity.type is EntityType.ORGANISATION and child.dep_ == "compound"
                    and cm.end == token.i and not _backing(ctx, cm.end)
                    and not (cm.source == "minted" and token.lower_ in IRREGULAR_FORCES)):
                return cm.entity  # "NATO troops", "UN peacekeepers": the organisation's forces
            if (cm is not None and cm.source == "minted" and cm.entity.type is EntityType.ORGANISATION
                    and token.lower_ in IRREGULAR_FORCES and not _backing(ctx, cm.end)):
                # "Rusich fighters", "al-Shabab militants": an unknown organisation with fighters is armed
                return replace(cm.entity, type=EntityType.ARMED_GROUP)
    for child in token.children:
        if child.dep_ == "poss":
            ours = _we(ctx, child)
            if ours is not None:
                return ours  # "our troops" in the government's own transcript
    if token.lower_ in IRREGULAR_FORCES:
        names = [c for c in token.children if c.dep_ == "compound" and c.pos_ == "PROPN"
                 and c.ent_type_ != "NORP" and _unknown_name(ctx.mention_at(c.i))
                 and not _backing(ctx, c.i + 1) and c.right_edge.lower_ not in _BACKED]
        if names:
            # "M23 rebels", "Katiba Macina fighters": an unknown name with irregular forces is an armed group
            start = min(c.left_edge.i for c in names)
            name = ctx.doc[start:token.i].text
            return Entity(key=slug(name), label=name, type=EntityType.ARMED_GROUP, labels=(name,))
    # "its troops", "their forces": the actor the sentence is about, else the subject just before
    for child in token.children:
        if child.dep_ == "poss" and child.lower_ in ("its", "their"):
            before = [x for x in ctx.mentions_in(sent.start, token.i) if x.entity.type in FORCE_TYPES]
            if before:
                return before[0].entity
            return resolve_actor(ctx, child)
    if token.lower_ in IRREGULAR_FORCES and not any(c.dep_ in ("amod", "compound", "poss", "nmod")
                                                    for c in token.children):
        group = resolve_actor(ctx, token)  # "the rebels": the armed group named just before
        if group is not None:
            return group
    # "troops from North Korea", "forces of Russia" ("fighters from Pakistan" are its nationals, not its forces)
    for child in token.children:
        if child.dep_ == "prep" and (child.lower_ == "of" or (
                child.lower_ == "from" and token.lower_ not in IRREGULAR_FORCES)):
            for obj in child.children:
                cm = ctx.mention_at(obj.i)
                if cm is not None and cm.entity.type in FORCE_TYPES:
                    return cm.entity
    # "Russia has deployed 50,000 troops", "Russia has sent tens of thousands of troops"
    verb = _governing_verb(token)
    if verb.i != token.i and (verb.lemma_.lower() in PRESENCE_VERBS | HAVING_VERBS | LOSING_VERBS) and (
            token.i > verb.i):
        owner = _subject_owner(ctx, verb)
        if owner is not None:
            return owner
    # an adjacent mention just before: "North Korean "> Soldiers"
    j = token.i - 1
    while j >= sent.start and (ctx.doc[j].is_punct or _residue(ctx.doc[j]) or ctx.doc[j].pos_ in ("ADJ",)) and (
            token.i - j < 4):
        j -= 1
    if j >= sent.start:
        cm = ctx.mention_at(j)
        if cm is not None and cm.entity.type in FORCE_TYPES and cm.end >= j + 1:
            return cm.entity
    return None


def _possessor(ctx: Context, sent: Span, token: Token) -> Entity | None:
    """Whose "its involvement", "their presence": an armed group or state named in the sentence, else the
    last one named shortly before."""
    inside = [m for m in ctx.mentions_in(sent.start, sent.end) if m.entity.type in FORCE_TYPES
              and _loc_prep(ctx.doc[m.start:m.end].root) is None]
    if inside:
        before = [m for m in inside if m.end <= token.i]
        if before:
            return before[-1].entity  # the nearest actor named before "its"
        groups = [m for m in inside if m.entity.type is EntityType.ARMED_GROUP]
        return (groups or inside)[0].entity
    for m in ctx.mentions_before(sent.start, 200):
        if m.entity.type is EntityType.ARMED_GROUP and not _aside(ctx.text, m.start_char):
            return m.entity
    return None


def _aside(text: str, char: int) -> bool:
    """The position sits inside parentheses, an aside ("the Russian Imperial Movement (or specifically its
    military wing, the Imperial Legion)") that "its" does not refer back to."""
    opening = text.rfind("(", max(0, char - 300), char)
    return opening >= 0 and text.rfind(")", opening, char) < 0 and ")" in text[char:char + 300]


def _subject_owner(ctx: Context, verb: Token, *, depth: int = 0, stationing: bool = False) -> Entity | None:
    """The state or armed group that is the subject of a presence verb: a name ("Wagner deployed to Syria"),
    forces ("Russian troops entered"), military assets ("Iranian jets were based in"), "we" in a government's
    transcript, "which" of a relative clause ("Redut, which operated in the country"), or the owner of the
    noun an infinitive completes ("the DPRK's decision to deploy troops")."""
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            if child.lower_ in ("which", "who", "that") and verb.dep_ == "relcl":
                child = verb.head
            m = ctx.mention_at(child.i)
            if m is not None and m.entity.type in FORCE_TYPES:
                return m.entity
            if m is not None and m.entity.type is EntityType.ORGANISATION and m.source == "gazetteer" and (
                    verb.lemma_.lower() in ORG_SENDING_VERBS) and any(
                    c.dep_ == "dobj" and c.lower_ in GROUND_OBJECTS for c in verb.children):
                return m.entity  # "NATO has deployed battlegroups in Poland"
            group = armed(ctx, m) or armed_name(ctx, child)
            if group is not None:
                return group  # a name the text calls armed ("CODECO, a militia, ... CODECO attacked")
            if m is None and child.lower_ in UNIT_HEADS and child.pos_ == "PROPN":
                # "the Russian Operational Group of Forces comprised 470,000 troops", "the Islamic State Sahel
                # Province operates in ..."
                for c in child.children:
                    cm = ctx.mention_at(c.i) if c.dep_ in ("compound", "amod") else None
                    if cm is not None and cm.entity.type in FORCE_TYPES:
                        return cm.entity
            if _is_force_word(child) or (child.lower_ in ASSET_NOUNS and (
                    stationing or verb.lemma_.lower() in STATIONING_VERBS)):
                owner = _force_owner(ctx, child, verb.sent)
                if owner is not None:
                    return owner
            ours = _we(ctx, child)
            if ours is not None:
                return ours
            # "it", "they", "the group": the actor named just before (kg.extract.coref); "USS Gravely"; "the
            # Kenyan-led mission", "the mission, led by Kenya,"
            referent = resolve_actor(ctx, child) or vessel_owner(ctx, child) or (
                _leader(ctx, child) if child.lemma_.lower() in PRESENCE_NOUNS | UNIT_HEADS else None)
            if referent is not None or child.pos_ == "PRON":
                return referent
    for child in verb.children:
        if child.dep_ == "csubj" and child.lemma_.lower() == "do" and depth < 2:
            # "What we're doing is operating in the Red Sea": the doer
            return _subject_owner(ctx, child, depth=depth + 1)
    if verb.dep_ in ("xcomp", "advcl", "ccomp") and verb.head.lemma_.lower() in ORDER_VERBS and not any(
            c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        # "directed the U.S. military to flow assets into the region": the forces ordered
        for obj in verb.head.children:
            if obj.dep_ == "dobj":
                m = ctx.mention_at(obj.i)
                if m is not None and m.entity.type in FORCE_TYPES:
                    return m.entity
                if _is_force_word(obj):
                    return _force_owner(ctx, obj, verb.sent)
    if verb.dep_ == "acl" and verb.tag_ in ("VBN", "VBG"):
        # "The Wagner Group, ..., deployed to Syria", "Russian troops stationed in Belarus", "a force in Ukraine
        # comprising 360,000 troops"
        head = verb.head
        m = ctx.mention_at(head.i)
        if m is not None and m.entity.type in FORCE_TYPES:
            return m.entity
        if _is_force_word(head) or head.lower_ in ASSET_NOUNS:
            return _force_owner(ctx, head, verb.sent)
    participle = verb.dep_ == "advcl" and verb.tag_ in ("VBG", "VBN") and not any(
        c.dep_ == "mark" and c.lower_ not in ("while", "after", "before", "when", "since") for c in verb.children)
    if (verb.dep_ in ("xcomp", "conj") or participle) and verb.head.pos_ in ("VERB", "AUX") and (
            verb.head.i != verb.i) and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children) and depth < 2:
        # "Iranian jets used to be based in Pakistan", "Russia is expected to send troops", "M23 lost men
        # while taking the town": the subject of the verb above
        return _subject_owner(ctx, verb.head, depth=depth + 1, stationing=True)
    if verb.dep_ in ("xcomp", "acl") and verb.head.pos_ == "NOUN" and not any(
            c.dep_ in ("nsubj", "nsubjpass") for c in verb.children):
        for child in verb.head.children:
            if child.dep_ == "poss":
                m = ctx.mention_at(child.i)
                if m is not None and m.entity.type in FORCE_TYPES:
                    return m.entity  # "the DPRK's decision to deploy troops"
    return None


def _subject_co_owners(ctx: Context, verb: Token, owner: Entity) -> list[Entity]:
    """Subjects coordinated with the owner: "the United States and Britain have led a coalition in ..."."""
    out: list[Entity] = []
    for child in verb.children:
        if child.dep_ in ("nsubj", "nsubjpass"):
            for conj in child.conjuncts:
                m = ctx.mention_at(conj.i)
                entity = m.entity if m is not None and m.entity.type in FORCE_TYPES else (
                    _leader(ctx, conj) if conj.lemma_.lower() in PRESENCE_NOUNS | UNIT_HEADS else None)
                if entity is not None and entity.key != owner.key and all(entity.key != e.key for e in out):
                    out.append(entity)
    return out


LOC_PREPS = {"in", "into", "inside", "to", "near", "at", "across", "within", "along", "toward", "towards",
             "around", "outside", "throughout", "off", "through", "from"}
_BACKED = {"backed", "led", "allied", "supported", "aligned", "sponsored", "funded", "trained", "run",
           "controlled", "affiliated", "linked"}

def _loc_prep(token: Token, *, modifier_ok: bool = True) -> Token | None:
    """The preposition that puts ``token`` (the head of a place name) somewhere, if any.  With
    ``modifier_ok`` False a place that only modifies the object ("in domestic Pakistani politics") is none."""
    t = token
    for _ in range(4):
        if t.dep_ == "pobj":
            return t.head if t.head.lower_ in LOC_PREPS else None
        if t.dep_ in ("conj", "appos") and t.head != t:
            t = t.head
            continue
        if modifier_ok and t.dep_ in ("compound", "amod", "nmod", "poss") and t.head != t:
            t = t.head
            continue
        return None
    return None


def _clause(token: Token) -> tuple[int, int]:
    """Token range of the clause a trigger belongs to: the subtree of its nearest verb (the head verb of a
    subject noun), so that places in other clauses of the sentence are not taken."""
    t = token
    for _ in range(6):
        if (t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod", "acl")) or t.head == t:
            break
        t = t.head
    # a subject's place is often given by its verb's complement: "troops are present in X"
    return t.left_edge.i, t.right_edge.i + 1


def _allowed_heads(trigger: Token) -> set[int]:
    """Tokens a place may hang off to belong to the trigger: the trigger, its ancestors up to its verb, and
    the verb's complements ("are present in", "took up positions near")."""
    allowed = {trigger.i}
    t = trigger
    for _ in range(6):
        if t.head == t:
            break
        t = t.head
        allowed.add(t.i)
        if t.pos_ in ("VERB", "AUX"):
            break
    verb = t
    for child in verb.children:
        if child.dep_ in ("acomp", "attr", "dobj", "xcomp", "advmod", "oprd", "prep"):
            allowed.add(child.i)
            if child.dep_ == "xcomp":
                allowed.update(c.i for c in child.children if c.dep_ in ("dobj", "acomp", "prep"))
    if trigger.pos_ in ("VERB", "AUX"):
        allowed.update(c.i for c in trigger.children if c.dep_ in ("dobj", "acomp", "attr"))
    return allowed


#: verbs whose object is the place: "invaded Lebanon", "entered the camp", "captured Avdiivka"
PLACE_OBJECT_VERBS = words("en", "place_object_verbs")
#: a part of a place that a verb's object may name: "seized the Syrian side of Mount Hermon"
PART_NOUNS = {"side", "part", "parts", "outskirts", "edge", "edges", "centre", "center", "heart", "north", "south",
              "east", "west", "bank", "slopes", "suburbs", "rest", "half", "areas"}
#: presence nouns whose "of X" is the place ("the invasion of Ukraine"), not the actor ("the offensive of
#: Ukraine")
PLACE_OF_NOUNS = {"invasion", "occupation", "annexation", "incursion", "bombardment", "siege"}


def _object_places(ctx: Context, trigger: Token, deployer: Entity) -> list[tuple[Entity, int, int]]:
    """Places that are the trigger's object: "invaded Lebanon", "the invasion of Ukraine"."""
    out: list[tuple[Entity, int, int]] = []
    objs: list[Token] = []
    if trigger.pos_ == "VERB" and trigger.lemma_.lower() in PLACE_OBJECT_VERBS | RAID_VERBS:
        objs = [c for c in trigger.children if c.dep_ == "dobj"]
        for obj in list(objs):
            if obj.lower_ == "control":  # "took control of Avdiivka"
                objs.extend(o for p in obj.children if p.dep_ == "prep" and p.lower_ == "of"
                            for o in p.children if o.dep_ == "pobj")
    if trigger.pos_ == "VERB" and trigger.lemma_.lower() in SENDING_VERBS | {"deploy"}:
        # "sending troops to fight Ukraine": forces sent to fight a state are sent into it
        for purpose in trigger.children:
            if purpose.dep_ in ("advcl", "xcomp") and purpose.lemma_.lower() in ("fight", "battle", "attack"):
                objs.extend(c for c in purpose.children if c.dep_ == "dobj")
    if trigger.lower_ in PLACE_OF_NOUNS:
        for prep in trigger.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                objs.extend(c for c in prep.children if c.dep_ == "pobj")
    # "Kursk, where North Korean troops are fighting": the place the relative clause hangs off
    verb = _governing_verb(trigger)
    if verb.dep_ == "relcl" and any(c.lower_ == "where" for c in verb.children):
        objs.append(verb.head)
    for obj in list(objs):
        if ctx.mention_at(obj.i) is None and obj.lower_ in PART_NOUNS:
            # "seized the Syrian side of Mount Hermon", "entered the outskirts of Goma"
            objs.extend(o for p in obj.children if p.dep_ == "prep" and p.lower_ == "of"
                        for o in p.children if o.dep_ == "pobj")
    for obj in objs:
        if ctx.mention_at(obj.i) is None and place_kind(obj) is not None:
            named = _named_place(ctx, obj)  # "captured the village of Lastochkyne"
            if named is not None and named.key != deployer.key:
                out.append((named, obj.i, -4))
            continue
        for t in (obj, *obj.conjuncts):
            m = ctx.mention_at(t.i)
            if m is not None and m.entity.key != deployer.key and is_place(m.entity):
                place = _as_place(m.entity)
                out.append((place, m.start, -4 if place.type is EntityType.LOCATION else -2))
    return out


#: no deployer: asking which places a verb's object names, before its subject is known
_NOBODY = Entity(key="", label="", type=EntityType.STATE)


def _as_place(entity: Entity) -> Entity:
    """A place as a deployment's location: an institution named by a place head is its site."""
    return entity if entity.type in (EntityType.LOCATION, EntityType.STATE) else replace(
        entity, type=EntityType.LOCATION)


def _anchored(prep: Token, allowed: set[int]) -> bool:
    """The preposition hangs off an allowed token, directly or through a chain of places ("present in the
    field ... in the northwest ... in the Course region")."""
    t = prep.head
    for _ in range(6):
        if t.i in allowed:
            return True
        if t.dep_ == "pobj" and t.head.dep_ == "prep" and t.head.lower_ in LOC_PREPS | {"of"}:
            t = t.head.head
            continue
        if t.dep_ in ("conj", "appos", "compound") and t.head != t and t.pos_ not in ("VERB", "AUX"):
            t = t.head  # coordinated places, not coordinated clauses
            continue
        return False
    return False


_NOT_PLACE_HEADS = {"according", "due", "thanks", "prior", "addition", "close", "next", "compared"}
_OTHER_CLAUSE = {"relcl", "acl", "conj", "ccomp", "parataxis", "csubj"}


def _other_clause(place: Token, trigger: Token) -> bool:
    """The place sits in a clause of its own (a relative clause, a coordinated or reported clause) that does
    not hold the trigger."""
    above = {t.i for t in trigger.ancestors} | {trigger.i}
    # the subject of coordinated verbs shares their adjuncts: "soldiers were killed and 30 were injured in a
    # drone attack on a US outpost in Jordan"
    subject = trigger
    while subject.dep_ in ("compound", "amod", "nummod", "poss") and subject.head != subject:
        subject = subject.head
    shares = subject.dep_ in ("nsubj", "nsubjpass")
    t = place
    while t.i not in above and t.head != t:
        if t.pos_ in ("VERB", "AUX") and t.dep_ in _OTHER_CLAUSE and t.head.i != trigger.i:
            if not (shares and t.dep_ == "conj" and t.head.i == subject.head.i):
                return True  # (a relative clause on the trigger itself is the trigger's: "troops that in X")
        t = t.head
    return False


def _locations(ctx: Context, sent: Span, deployer: Entity, trigger: Token) -> list[tuple[Entity, int, int]]:
    """Places the trigger's clause puts forces in, best first: (entity, token index, rank); rank 0 is a named
    place anchored to the trigger, 2 a state, 3 a broad region; 4 more when elsewhere in the clause."""
    out: list[tuple[Entity, int, int]] = []
    left, right = _clause(trigger)
    allowed = _allowed_heads(trigger)
    for m in ctx.mentions_in(max(left, sent.start), min(right, sent.end)):
        if m.entity.key == deployer.key or not is_place(m.entity):
            continue
        m = replace(m, entity=_as_place(m.entity))
        root = ctx.doc[m.start:m.end].root
        prep = _loc_prep(root, modifier_ok=m.entity.type is EntityType.LOCATION)
        if prep is None:
            continue
        if prep.lower_ == "from" and m.entity.type is EntityType.STATE:
            continue  # "troops from North Korea": the origin, not the place
        if prep.head.lower_ in _NOT_PLACE_HEADS:
            continue  # "according to the Ukrainian sources"
        owner = ctx.mention_at(prep.head.i)
        if owner is not None and owner.entity.key != deployer.key and owner.entity.type in ACTOR_TYPES:
            continue  # "the Houthis in Yemen", "GCHQ in the UK": another actor's place
        anchored = _anchored(prep, allowed)
        if not anchored and _other_clause(root, trigger):
            continue  # "tunnel bombs, which were used in Iraq and Syria"
        # anchored to the trigger first, then a named region before a state
        # ranks: a named region 0, a state 2, a broad region ("the Middle East") 3; +4 when not anchored
        if m.entity.type is EntityType.STATE:
            rank = 2
        elif normalise(m.entity.label) in BROAD or normalise(m.text) in BROAD:
            rank = 3
        else:
            rank = 0
        out.append((m.entity, m.start, rank + (0 if anchored else 4)))
    out.sort(key=lambda x: x[2])
    return out


def _nearest_places(ctx: Context, places: list[tuple[Entity, int, int]], trigger: Token) -> list[Entity]:
    """The best-ranked place nearest the trigger, with the places coordinated with it ("in the Donbas and
    the Kursk Oblast")."""
    if not places:
        return []
    top = min(rank for _e, _i, rank in places)
    first, at, _rank = min((p for p in places if p[2] == top), key=lambda p: abs(p[1] - trigger.i))
    out = [first]
    head = _mention_root(ctx, at)  # "Burkina Faso, Mali and Niger": the conjuncts hang off "Faso"
    conjuncts = {t.i for t in head.conjuncts} | {head.i}
    for e, i, _r in places:
        if e.key == first.key or e.type is not first.type:
            continue
        tok = _mention_root(ctx, i)
        if any(t.i in conjuncts for t in (tok, *tok.ancestors) if abs(t.i - i) <= 3) or tok.i in conjuncts:
            out.append(e)
    for e in _listed_with(ctx, at, first):
        if all(e.key != x.key for x in out):
            out.append(e)
    return out


def _listed_with(ctx: Context, at: int, first: Entity) -> list[Entity]:
    """Places of the same kind written in one list with the place at token ``at`` ("in Burkina Faso, Mali,
    and Niger"), read from the surface, as the parser often breaks such lists: the list must end in "and" or
    "or" before its last member, and holds only names and commas."""
    doc = ctx.doc
    m = ctx.mention_at(at)
    if m is None:
        return []
    members: list[Entity] = []
    k = m.end
    while k < len(doc):
        j = k
        while j < len(doc) and doc[j].text == ",":
            j += 1
        closing = j < len(doc) and doc[j].lower_ in ("and", "or")
        if closing:
            j += 1
        nxt = ctx.mention_at(j) if j > k else None
        if nxt is None or nxt.start != j or not is_place(nxt.entity) or _as_place(nxt.entity).type is not first.type:
            return []  # not a list of places after all ("in Mali, Niger's junta said")
        members.append(_as_place(nxt.entity))
        if closing and len(members) == 1 and doc[j - 2].text == ",":
            return []  # "the U.N. force in Lebanon, and Israel": two clauses, not a list of two
        k = nxt.end
        if closing:
            return members
    return []


def _mention_root(ctx: Context, i: int) -> Token:
    """The syntactic head of the mention starting at token ``i`` (the token itself when none starts there)."""
    m = ctx.mention_at(i)
    return ctx.doc[m.start:m.end].root if m is not None else ctx.doc[i]


def _number(ctx: Context, force: Token, sent: Span) -> tuple[int | None, int | None, bool]:
    """The troop number before a force word: "about 11,000 North Korean soldiers"."""
    doc = ctx.doc
    j = force.i - 1
    plus = False
    # skip the owner's name and adjectives
    while j >= sent.start and force.i - j <= 6:
        t = doc[j]
        if t.like_num or t.lower_ in ("thousand", "thousands", "hundreds", "dozens", "several"):
            break
        if t.lower_ in ("plus", "+"):
            plus = True  # "the 10,000-plus North Korean troops"
            j -= 1
            continue
        if t.is_punct or _residue(t) or t.pos_ in ("ADJ", "PROPN", "DET", "NOUN") or ctx.mention_at(j) is not None:
            if t.lower_ in ("the", "these", "those", "its", "their", "his", "her"):
                return (None, None, False)
            j -= 1
            continue
        return (None, None, False)
    if j < sent.start or force.i - j > 6:
        return (None, None, False)
    end = j + 1
    start = j
    while start - 1 >= sent.start and (doc[start - 1].like_num or doc[start - 1].lower_ in _NUMBER_WORDS):
        start -= 1
    if any(doc[k].ent_type_ in ("DATE", "TIME", "MONEY", "PERCENT") for k in range(start, end)):
        return (None, None, False)  # "in 2006 Israeli forces": a year, not a count
    low, high, approx = None, None, False
    for k in range(start, end):  # "risen to 410,000 troops": drop leading words that are no part of the count
        try:
            low, high, approx = parse_troops(doc[k:end].text)
        except ValueError:
            return (None, None, False)
        if low is not None or doc[k].like_num:
            break
    if low is not None and low > 2_000_000:
        return (None, None, False)
    return (low, high, approx or plus)


def _governing_verb(token: Token) -> Token:
    t = token
    for _ in range(6):
        if t.pos_ in ("VERB", "AUX") or t.head == t:
            return t
        t = t.head
    return t


def _certainty(ctx: Context, sent: Span, trigger: Token) -> Certainty:
    """``denied`` for a denial or negation of the trigger's clause, ``possible`` for modality on it ("could be
    deployed", "expected to send", "allegedly operating", "planned deployment"), else ``asserted``."""
    if any(t.lower_ in DENY_WORDS for t in sent):
        return Certainty.DENIED
    if any(c.lower_ == "no" and c.dep_ == "det" for c in trigger.children):
        return Certainty.DENIED  # "no troops would be deployed"
    verb = _governing_verb(trigger)
    if any(t.lower_ == "neither" and t.dep_ == "preconj" for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")
           for t in c.subtree):
        return Certainty.DENIED  # "neither Redut nor Convoy had appeared in Africa"
    verb = _governing_verb(trigger)
    scope: list[Token] = [trigger, *trigger.children, verb, *verb.children]
    for child in trigger.children:
        if child.dep_ in ("acl", "relcl") and child.pos_ == "VERB":
            scope.extend(child.children)  # "militants allegedly operating inside"
    # "expected to deploy", "plans to send", "are preparing to enter": the verbs above an xcomp chain
    t = verb
    while t.dep_ in ("xcomp", "ccomp", "advcl") and t.head != t:
        t = t.head
        scope.extend([t, *t.children])
        if t.dep_ == "ccomp":
            break
    if any(t.dep_ == "neg" for t in (verb, *verb.children)) and verb.pos_ in ("VERB", "AUX"):
        # "would not be sending soldiers" is a denial; "may not have withdrawn" stays possible
        if not any(t.lower_ in HEDGES for t in scope):
            return Certainty.DENIED
    if any(t.lower_ in POSSIBLE_WORDS for t in scope):
        return Certainty.POSSIBLE
    return Certainty.ASSERTED


def _named_place(ctx: Context, noun: Token) -> Entity | None:
    """The place of "the village of Lastochkyne": a known mention, else a new location named by the proper
    noun (the same key in every article, ``kg.text.slug`` of the name)."""
    for prep in noun.children:
        if prep.dep_ != "prep" or prep.lower_ != "of":
            continue
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None)
        if obj is None or obj.pos_ != "PROPN":
            return None
        m = ctx.mention_at(obj.i)
        if m is not None:
            if is_place(m.entity):
                return _as_place(m.entity)
            if m.source != "minted":
                return None
            # the noun says it is a place, whatever NER guessed
            return replace(m.entity, type=EntityType.LOCATION)
        start = obj.i
        while start - 1 > prep.i and ctx.doc[start - 1].pos_ == "PROPN":
            start -= 1
        name = ctx.doc[start:obj.i + 1].text
        return Entity(key=slug(name), label=name, type=EntityType.LOCATION, labels=(name,))
    return None


def _vague_place(ctx: Context, sent: Span, deployer: Entity, trigger: Token) -> Entity | None:
    """The place a description in the trigger's clause ("the region", "the camp", "the peninsula", "there")
    refers to, resolved by ``kg.extract.coref``; "the village of Lastochkyne" is named, not described."""
    left, right = _clause(trigger)
    verb = _governing_verb(trigger)
    if verb.dep_ == "relcl" and verb.head.i < left:
        left = verb.head.i  # "in the region, where the offensive has been stalling"
    nouns = []
    for t in sent[max(left, sent.start) - sent.start:min(right, sent.end) - sent.start]:
        if place_kind(t) is None:
            continue
        if t.lower_ in ("there", "inside"):
            if t.dep_ != "expl":  # "there was gunfire" places nothing
                nouns.append(t)
        elif any(c.dep_ == "prep" and c.lower_ == "of" for c in t.children):
            named = _named_place(ctx, t)  # "the village of Lastochkyne" is named, not vague
            if named is not None:
                return named
        elif any(c.lower_ in ("the", "this", "that") for c in t.children):
            # "in the area", "stormed the camp"
            if _loc_prep(t, modifier_ok=False) is not None or t.dep_ == "dobj" or verb.dep_ == "relcl":
                nouns.append(t)
    if not nouns:
        return None
    return resolve_place(ctx, nouns[0], deployer, before=sent.start)


#: verbs of a force's size changing or stated: "this had risen to 410,000 troops"
UPDATE_VERBS = {"rise", "grow", "increase", "swell", "reach", "climb", "fall", "drop", "shrink", "number", "total",
                "stand", "comprise"}
#: subjects that point back to the force of the deployment just stated
UPDATE_SUBJECTS = {"this", "that", "it", "number", "figure", "total", "force", "contingent", "presence",
                   "deployment", "strength", "size"}
#: how far back (tokens) the deployment a size update points back to may be
UPDATE_WINDOW = 120


def _updated(ctx: Context, token: Token, sent: Span) -> tuple[Entity | None, Entity | None]:
    """(deployer, place) of the deployment stated just before, when forces with no owner are its new size:
    "By June this had risen to 410,000 troops", "The contingent now numbers 2,500 soldiers"."""
    verb = _governing_verb(token)
    if verb.lemma_.lower() not in UPDATE_VERBS or not any(t.like_num and t.dep_ == "nummod" for t in verb.subtree):
        return None, None
    subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None or subj.lower_ not in UPDATE_SUBJECTS or ctx.mention_at(subj.i) is not None:
        return None, None
    last = ctx.cache.get("last_deployment")
    if not isinstance(last, tuple) or token.i - last[0] > UPDATE_WINDOW:
        return None, None
    return last[1], last[2]


#: verbs whose subject is the place their object (forces) is in
HOSTING_VERBS = {"host", "house", "welcome", "receive", "accommodate", "accept"}


def _host(ctx: Context, force: Token, deployer: Entity) -> Entity | None:
    """The place that hosts the forces: the subject of "host" whose object they are ("Poland hosts 10,000
    American troops", "Lithuania will host a German brigade of 4,800 soldiers")."""
    t = force
    for _ in range(4):  # up from "soldiers" through "a brigade of" to the verb
        if t.dep_ == "dobj" and t.head.lemma_.lower() in HOSTING_VERBS:
            for subj in t.head.children:
                m = ctx.mention_at(subj.i) if subj.dep_ == "nsubj" else None
                if m is not None and is_place(m.entity) and m.entity.key != deployer.key:
                    return _as_place(m.entity)
            return None
        if t.head == t:
            return None
        t = t.head
    return None


def _raider(ctx: Context, verb: Token) -> Entity | None:
    """The armed group, or the owner of ground forces, that raids a place: the subject of an attack or killing
    whose object is no force ("gunmen attacked the village", not "attacked US troops": the attacked are placed
    then, not the attackers); a state or an air force that attacks raids nothing (a strike from a distance)."""
    if any(c.dep_ == "dobj" and (_is_force_word(c) or c.lower_ in ASSET_NOUNS | NAVAL_ASSETS | NAVAL_TARGETS)
           for c in verb.children):
        return None  # the attacked forces are placed, not the attackers; an attack on shipping is from afar
    subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subj is None:
        return None
    m = ctx.mention_at(subj.i)
    if m is not None and m.entity.type is EntityType.ARMED_GROUP:
        return m.entity
    group = armed(ctx, m) if m is not None else (
        resolve_actor(ctx, subj) or armed_name(ctx, subj) or described_group(ctx, subj))
    if group is not None and group.type is EntityType.ARMED_GROUP:
        return group
    if subj.lower_ in GROUND_RAIDERS and _is_force_word(subj):
        owner = _force_owner(ctx, subj, verb.sent)
        return owner
    return None


def _unit_state(ctx: Context, owner: Entity) -> Entity:
    """A unit named after its state that no list knows ("the Russian Operational Group", "the Iranian Quds
    Force") is that state's forces: the state, as the gold folds armed forces into their state."""
    if owner.type is EntityType.STATE or ctx.gaz.get(owner.key) is not None:
        return owner  # a state, or a force the gazetteer knows by name ("Syrian Democratic Forces")
    words = owner.label.split()
    if len(words) < 2 or words[-1].lower() not in UNIT_HEADS:
        return owner
    state = ctx.gaz.lookup(words[0], fuzzy=False)
    return state if state is not None and state.type is EntityType.STATE else owner


def _names_forces(ctx: Context, m: Mention) -> bool:
    """The mention names the owner of forces, not a place: "US troops", "UK troops", "American and British
    forces"."""
    t = ctx.doc[m.start:m.end].root
    if _is_force_word(ctx.doc[m.end - 1]):
        return True
    while t.dep_ == "conj" and t.head != t:
        t = t.head
    return t.dep_ in ("amod", "compound", "poss", "nmod") and _is_force_word(t.head)


def _ship_subject(token: Token) -> bool:
    """The token is the subject of its verb, or a ship's name the parser took for an adverb of the verb right
    after it ("that Gravely shot down": a name is no adverb)."""
    return token.dep_ in ("nsubj", "nsubjpass") or (
        token.dep_ == "advmod" and token.pos_ == "PROPN" and token.head.i == token.i + 1 and token.head.pos_ == "VERB")


def _acts(force: Token, *, named: bool = False) -> str | None:
    """How the force word (or, ``named``, a named warship) acts on the spot, though the sentence names no place:
    ``"subject"`` of an action ("Marines were standing", "its troops fired", "Gravely shot down"), not negated;
    ``"fire"`` coming from it ("gunfire from American and British forces"); ``"ordered"`` into position or to
    act ("ordered US troops into position"); else None."""
    if not (named or _is_force_word(force)):
        return None
    if force.dep_ == "pobj" and force.head.head.lower_ in FIRE_NOUNS and force.head.lower_ in ("from", "between"):
        return "fire"  # "gunfire from American and British forces", "fighting between Israeli forces and ..."
    if force.dep_ == "dobj" and force.head.lemma_.lower() in ORDER_VERBS and any(
            (c.dep_ == "prep" and c.lower_ == "into" and any(o.lower_ in ("position", "positions") for o in c.children))
            or (c.dep_ in ("xcomp", "advcl") and c.lemma_.lower() in ACTION_VERBS) for c in force.head.children):
        return "ordered"  # "ordered US troops into position", "ordered the troops to open fire"
    if not _ship_subject(force):
        return None
    verb = force.head
    if any(c.dep_ == "neg" for c in verb.children):
        return None
    return "subject" if verb.lemma_.lower() in ACTION_VERBS else None


def find_deployments(ctx: Context, sent: Span) -> list[DeploymentFinding]:
    """The deployments one sentence states (at most one per deployer and place)."""
    lowered = {t.lower_ for t in sent}
    has_ground = bool(lowered & GROUND_WORDS) or bool(lowered & {"incursion", "raid", "invasion", "offensive"}) or any(
        t.lemma_.lower() in ("operate", "patrol") and t.pos_ == "VERB" for t in sent)  # ships operating there
    if not has_ground and lowered & STRIKE_WORDS and not any(vessel_owner(ctx, t) for t in sent):
        return []  # (a named warship is there, whatever it fires)
    if is_heading(ctx, sent):
        return []  # a headline restates the body
    if sent.text.rstrip().rstrip("\"”’'").endswith("?"):
        return []  # a question (a reporter's, in a briefing) claims nothing
    found: list[DeploymentFinding] = []
    seen: dict[tuple[str, str], int] = {}
    s_start = sent.start_char
    s_end = sent.end_char
    text = ctx.text
    while s_start < s_end and text[s_start].isspace():
        s_start += 1
    while s_end > s_start and text[s_end - 1].isspace():
        s_end -= 1
    casualties = bool(lowered & CASUALTY_WORDS)
    for token in sent:
        deployer: Entity | None = None
        raid = False
        updated: Entity | None = None
        troops: tuple[int | None, int | None, bool] = (None, None, False)
        if _is_force_word(token):
            deployer = _force_owner(ctx, token, sent)
            if deployer is None:
                deployer, updated = _updated(ctx, token, sent)  # "By June this had risen to 410,000 troops"
            if deployer is not None:
                troops = _number(ctx, token, sent)
            if updated is not None and troops[0] is None:
                # "The contingent has since grown to 1,000 officers": the count the verb gives
                counted = next((t.head for t in _governing_verb(token).subtree if t.like_num and t.dep_ == "nummod"
                                and t.head.i != token.i), None)
                if counted is not None:
                    troops = _number(ctx, counted, sent)
        elif token.lower_ in NAVAL_ASSETS and token.dep_ in ("nsubj", "nsubjpass") and (
                token.head.lemma_.lower() in NAVAL_ACTION_VERBS | ACTION_VERBS | STATIONING_VERBS):
            deployer = _force_owner(ctx, token, sent)  # "Chinese coast guard vessels shadowed the convoy near X"
        elif token.pos_ == "VERB" and token.lemma_.lower() in RAID_VERBS and (
                token.lemma_.lower() not in PRESENCE_VERBS or token.lemma_.lower() == "kill"):
            deployer = _raider(ctx, token)  # "the ADF killed 40 villagers in Beni", "gunmen attacked the town of X"
            if deployer is None:
                continue
            raid = True
        elif _ship_subject(token) and vessel_owner(ctx, token) is not None:
            deployer = vessel_owner(ctx, token)  # "USS Gravely responded", "Gravely shot down two missiles"
        elif token.pos_ == "VERB" and token.lemma_.lower() == "claim" and any(
                c.dep_ == "dobj" and c.lemma_.lower() in ("attack", "responsibility", "raid", "ambush")
                for c in token.children):
            # an armed group claiming attacks somewhere is operating there ("JNIM claimed attacks in Mopti")
            subj = next((c for c in token.children if c.dep_ == "nsubj"), None)
            named = ctx.mention_at(subj.i) if subj is not None else None
            referent = resolve_actor(ctx, subj) if subj is not None and named is None else None
            if named is not None and named.entity.type is EntityType.ARMED_GROUP:
                deployer = named.entity
            elif referent is not None and referent.type is EntityType.ARMED_GROUP:
                deployer = referent  # "the group claimed attacks in ..."
            elif named is not None and named.source == "minted" and named.entity.type is EntityType.ORGANISATION:
                deployer = replace(named.entity, type=EntityType.ARMED_GROUP)  # who claims attacks is armed
        elif token.pos_ == "VERB" and token.lemma_.lower() in SENDING_VERBS and _sent_group(ctx, token) is not None:
            # "insisted on keeping Wagner in the country", "sent the Africa Corps to Niger": the group sent
            deployer = _sent_group(ctx, token)
        elif token.pos_ == "VERB" and token.lemma_.lower() in APPEARING_VERBS:
            # "The Wagner Group appeared in Mali", "Russian instructors surfaced in Niamey": forces or an armed
            # group, not a state ("Russia appeared in court")
            owner = _subject_owner(ctx, token)
            subj = next((c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if any(c.dep_ in ("xcomp", "ccomp", "acomp", "attr") for c in token.children):
                owner = None  # "Wagner appears to be unpopular": a look, not a presence
            if owner is not None and (owner.type is EntityType.ARMED_GROUP or (
                    subj is not None and _is_force_word(subj))):
                deployer = owner
        elif token.pos_ == "VERB" and token.lemma_.lower() in PLACE_OBJECT_VERBS and (
                token.lemma_.lower() not in PRESENCE_VERBS) and any(
                place.type is EntityType.LOCATION for place, _i, _r in _object_places(ctx, token, _NOBODY)):
            deployer = _subject_owner(ctx, token)  # "the rebels took Goma", "while taking the town of Rubaya"
        elif token.pos_ == "VERB" and token.lemma_.lower() in PRESENCE_VERBS:
            lemma = token.lemma_.lower()
            if lemma == "kill":
                continue
            if lemma == "engage" and not any(x.lower_ in GROUND_OBJECTS or x.lower_ in COMBAT_WORDS
                                             for x in token.subtree):
                continue  # "engaged in geopolitical competition" is no fighting
            if lemma in OBJECT_VERBS and not any(c.dep_ == "nsubjpass" for c in token.children) and not any(
                c.dep_ == "dobj" and any(x.lower_ in GROUND_OBJECTS for x in c.subtree)
                for c in token.children
            ) and not (lemma in ("push", "surge") and any(
                    c.dep_ == "prep" and c.lower_ in ("into", "toward", "towards", "across") for c in token.children)):
                continue  # "launched attacks", "holds talks": no ground presence
            deployer = _subject_owner(ctx, token)
        elif (token.lower_ in PRESENCE_NOUNS or token.lemma_.lower() in PRESENCE_NOUNS) and token.pos_ == "NOUN":
            for child in token.children:
                if child.dep_ == "poss" and child.lower_ in ("its", "their"):
                    deployer = _possessor(ctx, sent, token)
                elif child.dep_ in ("poss", "amod", "compound"):
                    cm = ctx.mention_at(child.i)
                    if cm is not None and cm.entity.type in FORCE_TYPES and not _backing(ctx, cm.end):
                        deployer = cm.entity
            if deployer is None:
                deployer = _leader(ctx, token)  # "the US-led invasion", "a Saudi-led coalition"
            if deployer is None and any(c.dep_ == "prep" and c.lower_ == "of" and any(
                    _is_force_word(o) and not any(x.dep_ in ("poss", "amod", "compound") for x in o.children)
                    for o in c.children) for c in token.children):
                # "the DPRK's ongoing support ..., including the deployment of troops to Russia"
                poss = [m for m in ctx.mentions_in(sent.start, token.i) if m.entity.type in FORCE_TYPES
                        and ctx.doc[m.start:m.end].root.dep_ == "poss"]
                after = {m.entity.key for m in ctx.mentions_in(token.i, sent.end)}
                poss = [m for m in poss if m.entity.key not in after]  # not the place ("Russia's war ... to Russia")
                if poss:
                    deployer = poss[-1].entity
            obj = token.head if token.dep_ == "conj" and token.head.dep_ == "dobj" and (
                token.head.lemma_.lower() in PRESENCE_NOUNS) else token  # "a base in X and a naval base in Y"
            owned = obj.dep_ == "dobj" and obj.head.lemma_.lower() in HAVING_VERBS | OBJECT_VERBS
            if deployer is None and owned and (token.lemma_.lower() != "presence" or any(
                    c.lower_ in MILITARY_MODIFIERS for c in token.children)):
                deployer = _subject_owner(ctx, obj.head)  # "Russia maintains a military presence in X"
            if deployer is None and token.i + 2 < sent.end and ctx.doc[token.i + 1].lower_ == "by":
                k = token.i + 2
                while k < sent.end - 1 and ctx.doc[k].lower_ in ("the", "a"):
                    k += 1
                cm = ctx.mention_at(k)
                if cm is not None and cm.entity.type in FORCE_TYPES:
                    deployer = cm.entity  # "troop deployments by the DPRK to Russia" (however "by" is attached)
            if deployer is None and token.lemma_.lower() not in PLACE_OF_NOUNS:
                for child in token.children:
                    if child.dep_ == "prep" and child.lower_ == "of":
                        for obj in child.children:
                            cm = ctx.mention_at(obj.i)
                            if cm is not None and cm.entity.type in FORCE_TYPES:
                                deployer = cm.entity
        if deployer is not None:
            deployer = _unit_state(ctx, deployer)
        if deployer is None or _called_for(token) or _attacks_forces(token):
            # "called for more NATO troops in Poland" asks for forces, it does not place them; "Houthi fighters
            # attacked US troops in Syria" places the troops attacked, not the attackers
            continue
        if _is_force_word(token):
            co = _co_owners(ctx, token, deployer)
        elif token.pos_ == "VERB":
            co = _subject_co_owners(ctx, token, deployer)
        else:
            co = []
        places = sorted(_object_places(ctx, token, deployer) + _locations(ctx, sent, deployer, token),
                        key=lambda p: p[2])
        victims = _victims(token)
        if victims:
            # "Houthi fighters attacked US troops in Syria": the place of the victims, not of the attackers
            places = [p for p in places if p[1] not in victims]
        if raid:  # a town raided, not a state or a sea
            places = [p for p in places if p[0].type is EntityType.LOCATION and not (
                set(normalise(p[0].label).split()) & WATERS)]
        locations = _nearest_places(ctx, places, token)
        if not locations and updated is not None:
            locations = [updated]
        if not locations and _is_force_word(token):
            host = _host(ctx, token, deployer)
            if host is not None:
                locations = [host]  # "Poland hosts about 10,000 American troops"
        if not locations:
            vague = _vague_place(ctx, sent, deployer, token)
            if vague is not None:
                locations = [vague]
        acting = None if locations else _acts(token, named=vessel_owner(ctx, token) is not None)
        if acting is not None and not any(
                is_place(m.entity) and m.entity.key != deployer.key and not _names_forces(ctx, m) and not (
                    m.source == "minted" and ctx.doc[m.start:m.end].root.dep_ in ("compound", "nmod"))
                for m in ctx.mentions_in(sent.start, sent.end)):  # ("an Arleigh-Burke-class destroyer": no place)
            # forces acting in a sentence that names no place act where the article is: its salient place
            # an action of the forces themselves needs a place the article keeps naming; fire coming from them
            # or an order to them takes the place named just before
            salient = salient_place(ctx, sent.start, deployer, recent=acting != "subject")
            if salient is not None:
                locations = [salient]
        if casualties:
            troops = (None, None, False)
        for owner, location in [(d, loc) for d in (deployer, *co) for loc in locations]:
            key = (owner.key, location.key)
            low, high, approx = troops
            if key in seen:
                k = seen[key]
                if found[k].troops_min is None and low is not None:
                    # "Russia has deployed 50,000 troops": the verb found it, the noun has the number
                    found[k] = replace(found[k], troops_min=low, troops_max=high, approximate=approx)
                continue
            seen[key] = len(found)
            found.append(DeploymentFinding(
                deployer=owner, location=location, troops_min=low, troops_max=high, approximate=approx,
                certainty=_certainty(ctx, sent, token), start_char=s_start, end_char=s_end, trigger=token,
            ))
            ctx.deployment_places.append((token.i, location))
            ctx.cache["last_deployment"] = (token.i, owner, location)
    return found
