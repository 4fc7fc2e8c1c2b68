"""Claims: tie each deployment and statement to who makes it, the outlet, the certainty and the span.

Claimants of a deployment, in order of precedence:

1. the actors of an "according to ..." phrase in the sentence (each one a claimant);
2. the speaker of a speech verb in the sentence ("US officials had previously warned that ...");
3. the speaker of an open quotation the sentence continues;
4. the article's own outlet (a claim in the article's own voice).

Statements are claimed by their speaker.  A speech verb of denial ("X denies that ...") makes the deployment
``denied``.
"""

from __future__ import annotations

import datetime as dt
import re

from spacy.tokens import Span, Token

from kg.extract.deployments import find_deployments
from kg.extract.lexicon import words
from kg.extract.pipeline import Context, in_open_quote, resolve_date
from kg.extract.statements import Speech, according_claimants, find_speech
from kg.model import Certainty, Claim, Deployment, Entity, EntityType, Statement
from kg.model import Span as TextSpan

_DENIAL = {"deny", "dismiss", "reject", "refute"}


def _span(ctx: Context, start: int, end: int) -> TextSpan:
    return TextSpan(start, end, ctx.text[start:end])


def _date(ctx: Context, sent: Span, verb: Token | None = None) -> dt.date | None:
    """The date of a speech act: a date phrase hanging off its verb ("said on Thursday"), else the first
    date phrase of the sentence that is not inside the reported clause."""
    fallback: dt.date | None = None
    for ent in ctx.sent_ents(sent):
        if ent.label_ != "DATE":
            continue
        date = resolve_date(ent.text, ctx.article.published)
        if date is None:
            continue
        if verb is None:
            return date
        t = ent.root
        reported = False
        while t.i != verb.i and t.head != t:
            if t.dep_ in ("ccomp", "relcl", "xcomp", "advcl") and t.pos_ in ("VERB", "AUX"):
                reported = True
                break
            t = t.head
        if t.i == verb.i and not reported:
            return date
        if not reported and fallback is None:
            fallback = date
    return fallback


def sentence_claims(ctx: Context, sent: Span) -> list[Claim]:
    """Every claim of one sentence: its statements, then its deployments."""
    claims: list[Claim] = []
    if ctx.turn_at(sent.start_char) in words("en", "turn_silent"):
        # a reporter's question or the moderator claims nothing, but speech it reports is its speaker's
        # ("Q  President Zelenskyy said today that ...")
        return [Claim(subject=Statement(speaker=s.speaker, date=None, place=s.place), claimants=(s.speaker,),
                      certainty=Certainty.ASSERTED, span=_span(ctx, s.start_char, s.end_char),
                      outlet=_reporter(ctx.outlet))
                for s in find_speech(ctx, sent) if not s.according]
    claims.extend(_turn_statements(ctx, sent))
    turn_speaker = ctx.turn_speaker_at(sent.start_char)
    speeches = find_speech(ctx, sent)
    if turn_speaker is not None:
        # "as I said": the turn's own paragraph is already the speaker's statement
        speeches = [s for s in speeches if s.speaker.key != turn_speaker.key]
    for speech in speeches:
        date = None if speech.according else _date(ctx, sent, speech.verb)
        statement = Statement(speaker=speech.speaker, date=date, place=speech.place)
        claims.append(Claim(subject=statement, claimants=(speech.speaker,), certainty=Certainty.ASSERTED,
                            span=_span(ctx, speech.start_char, speech.end_char), outlet=_reporter(ctx.outlet)))
    for finding in find_deployments(ctx, sent):
        claimants = _claimants(ctx, sent, speeches, finding.trigger.i, turn_speaker)
        certainty = finding.certainty
        if any(s.verb.lemma_.lower() in _DENIAL for s in speeches):
            certainty = Certainty.DENIED
        deployment = Deployment(
            deployer=finding.deployer, location=finding.location, troops_min=finding.troops_min,
            troops_max=finding.troops_max, approximate=finding.approximate,
        )
        # who reported it: a cited outlet ("according to a report of the New York Times"), else the article's
        cited = next((c for c in claimants if c.type is EntityType.OUTLET), None)
        span = _span(ctx, finding.start_char, finding.end_char)
        claims.append(Claim(subject=deployment, claimants=tuple(claimants), certainty=certainty, span=span,
                            outlet=cited or _reporter(ctx.outlet)))
    return claims


def _reporter(publisher: Entity | None) -> Entity | None:
    """The outlet that reported a claim, if the publisher is a news outlet.  A government publishing its own
    transcripts (the White House) is the claimant of what it says, not a news outlet reporting it: the
    ontology's kg:outlet is a kg:NewsOutlet, and SHACL rejects anything else."""
    return publisher if publisher is not None and publisher.type is EntityType.OUTLET else None


def _aside(ctx: Context, trigger: int, speech: Speech) -> bool:
    """A non-restrictive relative clause (", where the offensive of Ukraine has been stalling") outside any
    quotation, in indirect speech: background the outlet adds, not what the speaker said."""
    token = ctx.doc[trigger]
    if in_open_quote(ctx.text, token.idx):
        return False
    for t in (token, *token.ancestors):
        if t.i == speech.verb.i:
            return False
        if t.dep_ == "relcl" and t.left_edge.i > 0 and ctx.doc[t.left_edge.i - 1].text == ",":
            return True
    return False


def _turn_statements(ctx: Context, sent: Span) -> list[Claim]:
    """One statement per paragraph of a named speaker's turn in a transcript ("MR. KIRBY: ..."), emitted with
    the sentence the paragraph starts in."""
    out = []
    for start, end, speaker in ctx.turn_paragraphs():
        if start in ctx.emitted_paragraphs or not sent.start_char <= start < max(sent.end_char, start + 1):
            continue
        if start >= sent.end_char:
            continue
        ctx.emitted_paragraphs.add(start)
        ctx.speakers.append((sent.start, speaker))
        out.append(Claim(subject=Statement(speaker=speaker, date=ctx.article.published), claimants=(speaker,),
                         certainty=Certainty.ASSERTED, span=_span(ctx, start, end),
                         outlet=_reporter(ctx.outlet)))
    return out


def _claimants(ctx: Context, sent: Span, speeches: list[Speech], trigger: int,
               turn_speaker: Entity | None = None) -> list[Entity]:
    cited = according_claimants(ctx, sent)
    if cited:
        return cited
    for speech in speeches:
        if not speech.according:
            if _aside(ctx, trigger, speech):
                break  # the reporter's aside inside reported speech is the outlet's
            # a group's speech act ("the two officials condemned ...") is claimed by each participant
            return [s.speaker for s in speeches if s.verb.i == speech.verb.i and not s.according]
    if in_open_quote(ctx.text, ctx.doc[trigger].idx):
        speaker = ctx.last_speaker(sent.start)
        if speaker is not None:
            return [speaker]
    if turn_speaker is not None:
        return [turn_speaker]  # what a briefer says in his own turn is his claim
    signatories = _signatories(ctx)
    if signatories:
        return signatories
    return [ctx.outlet] if ctx.outlet is not None else []


def _signatories(ctx: Context) -> list[Entity]:
    """The states that sign a government's joint statement ("Joint Statement of Japan, the Republic of Korea,
    and the United States"): its own voice is each of theirs."""
    title = ctx.article.title or ""
    if ctx.outlet is None or ctx.outlet.type is not EntityType.STATE or "joint statement" not in title.lower():
        return []
    named = re.split(r"\b(?:of|by|between|from)\s+", title, maxsplit=1)
    if len(named) < 2:
        return []
    out: list[Entity] = []
    for part in re.split(r",\s*(?:and\s+)?|\s+and\s+|\s+on\s+", named[1]):
        found = ctx.gaz.lookup(part.strip(), fuzzy=False)
        if found is not None and found.type is EntityType.STATE and all(found.key != e.key for e in out):
            out.append(found)
    return out if len(out) >= 2 else []
