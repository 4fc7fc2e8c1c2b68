"""A learned decision layer over deployment candidates: a logistic regression that keeps or drops each
(deployer, place, sentence) candidate, from features of the claim (who, where, how sure, which cue words its
sentence holds) and of the parse (is the deployer a subject, is the place governed by "in"/"into").

Candidates are the rules' deployments, and proposals: every other pair of a forces-owning actor and a place
named in one sentence (``propose``), which the rules did not take.  The rules' decisions stay features
("proposed" is 0 for theirs), so the layer can only add what the gold teaches and drop what it disbelieves.

Why learned and why so small: which rule firings are real deployments is a question of many weak cues
("attack on", a strike word, the deployer's own country, a number of troops) whose weights nobody can set
by hand without tuning to the articles in view.  Fitted by ``make train`` on the gold (scikit-learn,
CPU, deterministic), shipped as plain JSON weights (``models/deployments.json``: feature names, weights,
bias, threshold), applied with a dot product: no pickle, no scikit-learn at ingest time.  ``make eval``
fits it out-of-fold (four folds, scores the fifth) beside the shipped in-sample model, and the model file
says whether it is enabled: it is shipped only where out-of-fold it beats the rules alone.

>>> from kg.model import Article, Extraction
>>> DeploymentFilter().apply({"features": [], "weights": [], "bias": 0.0, "threshold": 0.5},
...                          Candidates(Extraction(article=Article(id="a", text="x")))).claims
[]
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kg.extract.entities import Mention
from kg.extract.lexicon import words
from kg.extract.pipeline import FORCE_TYPES, PLACE_TYPES, Context, is_heading, sentence_text_span
from kg.model import Certainty, Claim, Deployment, EntityType, Extraction, Span, Statement

MODEL_FILE = Path(__file__).resolve().parent / "models" / "deployments.json"

_WORD = re.compile(r"[a-zäöüß]+")


def _cues() -> dict[str, frozenset[str]]:
    """The cue-word groups of ``patterns/learned.json``: each group is one feature (the sentence holds one
    of its words)."""
    from kg.extract.lexicon import load

    return {name: words("learned", name) for name in load("learned")}


@cache
def _cue_groups() -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple(sorted(_cues().items()))


@dataclass
class Candidates:
    """One article's deployment candidates: the rules' extraction, the proposals the rules did not take, and
    the parse features of each deployment candidate (the rules' first, in claim order, then the proposals)."""

    extraction: Extraction
    proposals: list[Claim] = field(default_factory=list)
    parse_features: list[dict[str, float]] = field(default_factory=list)

    def deployments(self) -> list[Claim]:
        return [c for c in self.extraction.claims if isinstance(c.subject, Deployment)] + self.proposals


def propose(ctx: Context, extraction: Extraction) -> Candidates:
    """The candidates of an English article: the rules' claims and, per sentence, every pair of an actor
    that owns forces and a place named in it that no rule claim of that sentence already pairs."""
    claims = extraction.claims
    taken = {(c.subject.deployer.key, c.subject.location.key, c.span.start) for c in claims
             if isinstance(c.subject, Deployment)}
    speakers = [(c.span.start, c.span.end, c.subject.speaker) for c in claims if isinstance(c.subject, Statement)]
    reporter = ctx.outlet if ctx.outlet is not None and ctx.outlet.type is EntityType.OUTLET else None
    proposals: list[Claim] = []
    starts = [m.start_char for m in ctx.mentions]  # in text order (Context sorts them)
    for sent in ctx.doc.sents:
        start, end = sentence_text_span(sent, ctx.text)
        if end - start < 20 or is_heading(ctx, sent):
            continue
        inside = _within(ctx.mentions, starts, start, end)
        actors = [m for m in inside if m.entity.type in FORCE_TYPES]
        places = [m for m in inside if m.entity.type in PLACE_TYPES]
        if not actors or not places or len(actors) * len(places) > 12:
            continue
        said = [e for a, b, e in speakers if a < end and start < b]
        claimants = (said[0],) if said else ((ctx.outlet,) if ctx.outlet is not None else ())
        words_ = set(_WORD.findall(ctx.text[start:end].lower()))
        certainty = Certainty.POSSIBLE if words_ & words("learned", "possible") else Certainty.ASSERTED
        span = Span(start, end, ctx.text[start:end])
        for actor in {m.entity.key: m for m in actors}.values():
            for place in {m.entity.key: m for m in places}.values():
                key = (actor.entity.key, place.entity.key, start)
                if actor.entity.key == place.entity.key or key in taken:
                    continue
                taken.add(key)
                proposals.append(Claim(subject=Deployment(deployer=actor.entity, location=place.entity),
                                       claimants=claimants, certainty=certainty, span=span, outlet=reporter))
    out = Candidates(extraction, proposals)
    out.parse_features = [_parse_features(ctx, starts, c) for c in out.deployments()]
    return out


def _within(mentions: list[Mention], starts: list[int], start: int, end: int) -> list[Mention]:
    """The mentions starting in ``[start, end)``; ``starts`` are their start characters, in text order."""
    return mentions[bisect_left(starts, start):bisect_left(starts, end)]


def _parse_features(ctx: Context, starts: list[int], claim: Claim) -> dict[str, float]:
    """What the parse says about the deployer's and the place's mentions in the claim's sentence."""
    d = claim.subject
    assert isinstance(d, Deployment)
    inside = _within(ctx.mentions, starts, claim.span.start, claim.span.end)
    actor = next((m for m in inside if m.entity.key == d.deployer.key), None)
    place = next((m for m in inside if m.entity.key == d.location.key), None)
    f: dict[str, float] = {}
    if actor is not None:
        head = ctx.doc[actor.end - 1]
        f[f"actor_dep={_dep_group(head.dep_)}"] = 1.0
        f["actor_owns_force"] = float(head.head.lower_ in _force_words() or head.lower_ in _force_words())
        f["actor_after_against"] = float(any(t.lower_ in ("against", "on", "gegen") for t in
                                             ctx.doc[max(actor.start - 4, 0):actor.start]))
    if place is not None:
        prep = ctx.doc[place.start - 1].lower_ if place.start > 0 else ""
        f[f"place_prep={prep if prep in _PLACE_PREPS else 'other'}"] = 1.0
        f["place_is_possessor"] = float(ctx.doc[place.end - 1].dep_ == "poss")
    if actor is not None and place is not None:
        f["token_gap"] = min(abs(place.start - actor.start), 40) / 40
    return f


_PLACE_PREPS = {"in", "into", "to", "near", "at", "across", "from", "inside", "within", "around", "toward",
                "towards", "on", "out", "of", "over"}


def _dep_group(dep: str) -> str:
    return {"nsubj": "subject", "nsubjpass": "subject", "amod": "modifier", "compound": "modifier",
            "poss": "modifier", "pobj": "object", "dobj": "object"}.get(dep, "other")


@cache
def _force_words() -> frozenset[str]:
    return words("learned", "presence")


def features(candidates: Candidates) -> list[dict[str, float]]:
    """The features of each deployment candidate, in ``Candidates.deployments()`` order."""
    extraction = candidates.extraction
    claims = candidates.deployments()
    n_rules = len(claims) - len(candidates.proposals)
    per_sentence = Counter(c.span.start for c in claims[:n_rules])
    seen: Counter[tuple[str, str]] = Counter()
    text_len = max(len(extraction.article.text), 1)
    out: list[dict[str, float]] = []
    for k, claim in enumerate(claims):
        d = claim.subject
        assert isinstance(d, Deployment)
        f: dict[str, float] = {}
        f["proposed"] = float(k >= n_rules)
        f[f"deployer={d.deployer.type.value}"] = 1.0
        f[f"location={d.location.type.value}"] = 1.0
        f[f"certainty={claim.certainty.value}"] = 1.0
        f["troops"] = float(d.troops_min is not None)
        f["home"] = float(d.deployer.key == d.location.key)
        f["reduced_coverage"] = float(extraction.reduced_coverage)
        claimant_types = {c.type for c in claim.claimants}
        f["claimant=outlet"] = float(EntityType.OUTLET in claimant_types)
        f["claimant=deployer"] = float(any(c.key == d.deployer.key for c in claim.claimants))
        f["claimant=person"] = float(EntityType.PERSON in claimant_types)
        f["claimant=none"] = float(not claim.claimants)
        f["rule_in_sentence"] = float(per_sentence[claim.span.start] > (0 if k >= n_rules else 1))
        pair = (d.deployer.key, d.location.key)
        f["repeat"] = float(seen[pair] > 0)
        seen[pair] += 1
        f["position"] = claim.span.start / text_len
        sentence = set(_WORD.findall(claim.span.text.lower()))
        f["length"] = min(len(claim.span.text.split()), 80) / 80
        for name, cue in _cue_groups():
            f[f"cue={name}"] = float(bool(sentence & cue))
        f.update(_order(claim))
        if k < len(candidates.parse_features):
            f.update(candidates.parse_features[k])
        out.append(f)
    return out


def _order(claim: Claim) -> dict[str, float]:
    """Where the deployer and the place are named in the sentence: the deployer first, and how far apart."""
    d = claim.subject
    assert isinstance(d, Deployment)
    text = claim.span.text.casefold()

    def first(labels: Sequence[str]) -> int:
        hits = [text.find(label.casefold()) for label in labels if label and label.casefold() in text]
        return min(hits) if hits else -1

    a = first((d.deployer.label, *d.deployer.labels))
    b = first((d.location.label, *d.location.labels))
    if a < 0 or b < 0:
        return {"named_both": 0.0}
    gap = len(text[min(a, b):max(a, b)].split())
    return {"named_both": 1.0, "deployer_first": float(a < b), "gap": min(gap, 30) / 30}


def _probability(params: dict[str, Any], f: dict[str, float]) -> float:
    z = float(params["bias"]) + sum(w * f.get(name, 0.0) for name, w in zip(params["features"],
                                                                            params["weights"], strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


class DeploymentFilter:
    """The fitted part (``kg.evaluate.FittedPart``) that keeps the deployment candidates the model believes."""

    name = "deployment-filter"

    def fit(self, candidates: Sequence[Candidates], gold: Path) -> dict[str, Any]:
        """Weights fitted on these articles' candidates against the gold under ``gold``."""
        from kg.train import fit_deployment_filter

        return fit_deployment_filter(candidates, gold)

    def apply(self, params: dict[str, Any], candidates: Candidates) -> Extraction:
        """The extraction with the deployment candidates the model scores at or over its threshold: the
        rules' that it keeps, then the proposals it takes."""
        extraction = candidates.extraction
        scores = [_probability(params, f) >= params["threshold"] for f in features(candidates)]
        n_rules = len(scores) - len(candidates.proposals)
        rule_scores = iter(scores[:n_rules])
        kept = [c for c in extraction.claims
                if not isinstance(c.subject, Deployment) or next(rule_scores)]
        taken = [c for c, keep in zip(candidates.proposals, scores[n_rules:], strict=True) if keep]
        return Extraction(article=extraction.article, claims=kept + taken,
                          reduced_coverage=extraction.reduced_coverage, notes=extraction.notes)

    def shipped(self) -> dict[str, Any] | None:
        """The shipped model, or None when there is none or it is not enabled (it did not pay out-of-fold)."""
        return _shipped()


@cache
def _shipped() -> dict[str, Any] | None:
    if not MODEL_FILE.is_file():
        return None
    params: dict[str, Any] = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    return params if params.get("enabled") else None


__all__ = ["MODEL_FILE", "Candidates", "DeploymentFilter", "features", "propose"]
