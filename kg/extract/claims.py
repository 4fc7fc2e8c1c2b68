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

from spacy.tokens import Span

from kg.extract.deployments import find_deployments
from kg.extract.pipeline import Context, in_open_quote, resolve_date
from kg.extract.statements import Speech, according_claimants, find_speech
from kg.model import Certainty, Claim, Deployment, Entity, Statement
from kg.model import Span as TextSpan

_DENIAL = {"deny", "dismiss", "reject", "refute"}


def _span(ctx: Context, start: int, end: int) -> TextSpan:
    return TextSpan(start, end, ctx.text[start:end])


def _date(ctx: Context, sent: Span) -> object:
    for ent in sent.ents:
        if ent.label_ == "DATE":
            date = resolve_date(ent.text, ctx.article.published)
            if date is not None:
                return date
    return None


def sentence_claims(ctx: Context, sent: Span) -> list[Claim]:
    """Every claim of one sentence: its statements, then its deployments."""
    claims: list[Claim] = []
    speeches = find_speech(ctx, sent)
    date = _date(ctx, sent)
    for speech in speeches:
        statement = Statement(speaker=speech.speaker, date=date if not speech.according else None,  # type: ignore[arg-type]
                              place=speech.place)
        claims.append(Claim(subject=statement, claimants=(speech.speaker,), certainty=Certainty.ASSERTED,
                            span=_span(ctx, speech.start_char, speech.end_char), outlet=ctx.outlet))
    for finding in find_deployments(ctx, sent):
        claimants = _claimants(ctx, sent, speeches, finding.trigger.i)
        certainty = finding.certainty
        if any(s.verb.lemma_.lower() in _DENIAL for s in speeches):
            certainty = Certainty.DENIED
        deployment = Deployment(
            deployer=finding.deployer, location=finding.location, troops_min=finding.troops_min,
            troops_max=finding.troops_max, approximate=finding.approximate,
        )
        claims.append(Claim(subject=deployment, claimants=tuple(claimants), certainty=certainty,
                            span=_span(ctx, finding.start_char, finding.end_char), outlet=ctx.outlet))
    return claims


def _claimants(ctx: Context, sent: Span, speeches: list[Speech], trigger: int) -> list[Entity]:
    cited = according_claimants(ctx, sent)
    if cited:
        return cited
    for speech in speeches:
        if not speech.according:
            return [speech.speaker]
    if in_open_quote(ctx.text, ctx.doc[trigger].idx):
        speaker = ctx.last_speaker(sent.start)
        if speaker is not None:
            return [speaker]
    return [ctx.outlet] if ctx.outlet is not None else []
