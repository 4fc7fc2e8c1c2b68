"""``make eval``: extract every article that has gold, score it with the shared scorer, and print what cannot
flatter: the headline and its four parts over all gold and per genre, in-sample beside out-of-fold.

    python -m kg.evaluate --gold ../shared/gold --corpus ../shared/corpus --corpus seeds --out build/eval

**Genres** come from the article's metadata through the first matching rule of ``kg/genres.csv`` (its
language, then its outlet): German, transcript/statement (a government publisher such as the White House),
commentary (republished think-tank pieces), else news.

**Out-of-fold.** The gold articles are split into ``FOLDS`` folds by article: the ids sorted, shuffled with
``random.Random(SEED)``, and dealt round-robin, so a fold never changes while the gold keeps its ids. Every
fitted part (``FITTED_PARTS``: learned weights, thresholds, anything chosen from the gold) is fitted on four
folds and applied to the fifth; the five held-out predictions are scored together. Hand-written rules are
fitted to all folds by definition, so in-sample and out-of-fold differ only by what is learned, and the
difference says how much of the learned part's gain is memorised.

Written under ``--out``: ``pred.jsonl`` (in-sample, what ``kg ingest`` would produce), ``pred-oof.jsonl``
and ``pred-rules.jsonl`` (the rules alone), ``report.txt``/``report.json`` (the scorer's per-article report
of ``pred.jsonl``), ``summary.txt`` and ``summary.json`` (the tables printed here).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kg.extract.learned import Candidates
from kg.model import Article, Extraction

FOLDS = 5
SEED = 11  # the issue that asked for folds; changing it changes every out-of-fold figure
PARTS = ("deployments", "answers", "statements", "claimants")
GENRES_FILE = Path(__file__).with_name("genres.csv")


class FittedPart(Protocol):
    """A part of extraction whose parameters are chosen from the gold (a classifier, a threshold)."""

    name: str

    def fit(self, candidates: Sequence[Candidates], gold: Path) -> Any:
        """Parameters fitted on these articles' candidates (the rules' output and what they did not take)
        and their gold under ``gold``."""

    def apply(self, params: Any, candidates: Candidates) -> Extraction:
        """The extraction as the fitted part with ``params`` makes it from the candidates."""

    def shipped(self) -> Any:
        """The parameters shipped in the package (what ``kg ingest`` uses), or None when there are none."""


def _fitted_parts() -> list[FittedPart]:
    """The fitted parts, in the order extraction applies them."""
    from kg.extract import FITTED_PARTS

    return list(FITTED_PARTS)


@dataclass(frozen=True)
class GenreRule:
    field: str
    pattern: re.Pattern[str]
    genre: str


def genre_rules(path: Path = GENRES_FILE) -> list[GenreRule]:
    """The rules of ``genres.csv``: ``field`` (``language``, ``outlet``, ``id`` or ``*``), a regular expression
    searched in that field, and the genre; the first rule that matches wins."""
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(row for row in fh if not row.startswith("#"))]
    return [GenreRule(r["field"], re.compile(r["pattern"], re.I), r["genre"]) for r in rows]


def genre_of(article: Article, rules: Sequence[GenreRule]) -> str:
    """The article's genre by the first matching rule (``news`` when none matches)."""
    fields = {"language": article.language or "", "outlet": article.outlet or "", "id": article.id, "*": ""}
    for rule in rules:
        if rule.pattern.search(fields.get(rule.field, "")):
            return rule.genre
    return "news"


def fold_of(ids: Sequence[str], folds: int = FOLDS, seed: int = SEED) -> dict[str, int]:
    """Each article id's fold: sorted, shuffled with ``seed``, dealt round-robin."""
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    return {article_id: i % folds for i, article_id in enumerate(order)}


def _articles(corpora: list[Path], wanted: set[str]) -> Iterator[Article]:
    from kg.load import iter_paths, load_path

    seen: set[str] = set()
    for path in iter_paths(corpora):
        if path.suffix.lower() not in (".json", ".jsonl"):
            continue
        for item in load_path(path):
            if isinstance(item, Article) and item.id in wanted and item.id not in seen:
                seen.add(item.id)
                yield item


def _write(path: Path, extractions: Sequence[Extraction]) -> None:
    from kg.predict import to_prediction

    with path.open("w", encoding="utf-8") as fh:
        for extraction in extractions:
            fh.write(json.dumps(to_prediction(extraction), ensure_ascii=False) + "\n")


def _apply_all(parts: Sequence[FittedPart], params: Sequence[Any], candidates: Candidates) -> Extraction:
    extraction = candidates.extraction
    for part, p in zip(parts, params, strict=True):
        if p is not None:
            extraction = part.apply(p, Candidates(extraction, candidates.proposals, candidates.parse_features))
    return extraction


def out_of_fold(raw: Sequence[Candidates], gold: Path, parts: Sequence[FittedPart],
                folds: dict[str, int]) -> list[Extraction]:
    """Each article's extraction as the fitted parts make it when fitted on the other folds only."""
    out: dict[str, Extraction] = {}
    for k in sorted(set(folds.values())):
        train = [c for c in raw if folds[c.extraction.article.id] != k]
        params = [part.fit(train, gold) for part in parts]
        for c in raw:
            if folds[c.extraction.article.id] == k:
                out[c.extraction.article.id] = _apply_all(parts, params, c)
    return [out[c.extraction.article.id] for c in raw]


Scorer = Callable[[Path, Sequence[str]], dict[str, Any]]


def _scorer(script: Path, gold: Path, corpora: Sequence[Path]) -> Scorer:
    def score(pred: Path, ids: Sequence[str]) -> dict[str, Any]:
        cmd = [sys.executable, str(script), "--gold", str(gold), "--pred", str(pred), "--json",
               "--ids", ",".join(ids)]
        for corpus in corpora:
            cmd += ["--articles", str(corpus)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"score.py failed on {pred}: {done.stderr.strip()}")
        result: dict[str, Any] = json.loads(done.stdout)["micro"]
        return result

    return score


def _figures(micro: dict[str, Any]) -> dict[str, float]:
    out = {"headline": micro["headline"]}
    for part in PARTS:
        out[part] = micro[part]["f1"]
    out["deployment_precision"] = micro["deployments"]["precision"] or 0.0
    out["deployment_recall"] = micro["deployments"]["recall"] or 0.0
    return out


def summary_table(rows: dict[str, dict[str, dict[str, float]]], counts: dict[str, int],
                  columns: Sequence[str]) -> str:
    """One line per genre: the headline and its parts for each set of predictions, side by side."""
    head = f"{'genre':<22}{'n':>4}"
    for column in columns:
        head += f"  | {column:<12} head   dep   ans   stm   clm   depP  depR"
    lines = [head]
    for genre, by_column in rows.items():
        line = f"{genre:<22}{counts[genre]:>4}"
        for column in columns:
            f = by_column[column]
            line += (f"  | {'':<12}{f['headline']:.3f} {f['deployments']:.3f} {f['answers']:.3f} "
                     f"{f['statements']:.3f} {f['claimants']:.3f} {f['deployment_precision']:.3f} "
                     f"{f['deployment_recall']:.3f}")
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    parser.add_argument("--scorer", type=Path, default=None, help="score.py (default: GOLD/../eval/score.py)")
    args = parser.parse_args(argv)

    from kg.extract import extract_candidates
    from kg.train import use_scorer

    scorer_path = args.scorer or args.gold.parent / "eval" / "score.py"
    use_scorer(args.gold, scorer_path)

    wanted = {p.stem for p in args.gold.glob("*.json") if p.name != "entities.json"}
    corpora = args.corpus or [args.gold.parent / "corpus", args.gold.parent / "seeds"]
    args.out.mkdir(parents=True, exist_ok=True)
    articles = sorted(_articles(corpora, wanted), key=lambda a: a.id)
    started = time.perf_counter()
    raw = list(extract_candidates(articles))
    took = time.perf_counter() - started
    print(f"extracted {len(raw)} of {len(wanted)} gold articles in {took:.1f}s")

    parts = _fitted_parts()
    shipped = [part.shipped() for part in parts]
    rules = [c.extraction for c in raw]
    in_sample = [_apply_all(parts, shipped, c) for c in raw]
    folds = fold_of([a.id for a in articles])
    live = [part for part, params in zip(parts, shipped, strict=True) if params is not None]
    oof = out_of_fold(raw, args.gold, live, folds) if live else in_sample
    preds = {"in-sample": args.out / "pred.jsonl", "out-of-fold": args.out / "pred-oof.jsonl",
             "rules alone": args.out / "pred-rules.jsonl"}
    outputs = [in_sample, oof, rules]
    if len(live) < len(parts):  # what the parts not shipped would do, out-of-fold: why they are not
        preds["unshipped oof"] = args.out / "pred-unshipped-oof.jsonl"
        outputs.append(out_of_fold(raw, args.gold, parts, folds))
    for name, extractions in zip(preds, outputs, strict=True):
        _write(preds[name], extractions)
    # also at build/pred.jsonl, where the scorer's own instructions look for it
    shutil.copyfile(preds["in-sample"], args.out.parent / "pred.jsonl")

    base = [sys.executable, str(scorer_path), "--gold", str(args.gold), "--pred", str(preds["in-sample"])]
    for corpus in corpora:
        base += ["--articles", str(corpus)]
    table = subprocess.run([*base, "--per-article"], capture_output=True, text=True)
    sys.stdout.write(table.stdout)
    sys.stderr.write(table.stderr)
    (args.out / "report.txt").write_text(table.stdout, encoding="utf-8")
    report = subprocess.run([*base, "--per-article", "--json"], capture_output=True, text=True)
    if report.returncode == 0:
        (args.out / "report.json").write_text(report.stdout, encoding="utf-8")
    if table.returncode:
        return table.returncode

    by_genre: dict[str, list[str]] = {"all": [a.id for a in articles]}
    for a in articles:
        by_genre.setdefault(genre_of(a, genre_rules()), []).append(a.id)
    score = _scorer(scorer_path, args.gold, corpora)
    figures = {genre: {name: _figures(score(path, ids)) for name, path in preds.items()}
               for genre, ids in by_genre.items()}
    counts = {genre: len(ids) for genre, ids in by_genre.items()}
    text = summary_table(figures, counts, list(preds))
    names = ", ".join(f"{p.name} ({'shipped' if s is not None else 'not shipped: column unshipped oof'})"
                      for p, s in zip(parts, shipped, strict=True)) or "none (out-of-fold equals in-sample)"
    text += (f"\n\nfitted parts: {names}; {FOLDS} folds by article, seed {SEED}\n"
             + ", ".join(f"headline {column} {figures['all'][column]['headline']:.3f}" for column in preds)
             + "\n")
    print("\n" + text)
    (args.out / "summary.txt").write_text(text, encoding="utf-8")
    (args.out / "summary.json").write_text(json.dumps({
        "folds": FOLDS, "seed": SEED, "fitted_parts": [p.name for p in parts],
        "fold_of": folds, "genre_of": {i: g for g, ids in by_genre.items() if g != "all" for i in ids},
        "figures": figures}, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
