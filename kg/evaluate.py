"""``make eval``: extract every article that has gold, score it with the shared scorer, print the table and
write the predictions and the per-article report under ``--out``.

    python -m kg.evaluate --gold ../shared/gold --corpus ../shared/corpus --corpus seeds --out build/eval
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from kg.model import Article


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("build/eval"))
    parser.add_argument("--scorer", type=Path, default=None, help="score.py (default: GOLD/../eval/score.py)")
    args = parser.parse_args(argv)

    from kg.extract import extract
    from kg.predict import to_prediction

    wanted = {p.stem for p in args.gold.glob("*.json") if p.name != "entities.json"}
    corpora = args.corpus or [args.gold.parent / "corpus", args.gold.parent / "seeds"]
    args.out.mkdir(parents=True, exist_ok=True)
    pred_path = args.out / "pred.jsonl"
    started = time.perf_counter()
    n = 0
    with pred_path.open("w", encoding="utf-8") as fh:
        for extraction in extract(_articles(corpora, wanted)):
            fh.write(json.dumps(to_prediction(extraction), ensure_ascii=False) + "\n")
            n += 1
    took = time.perf_counter() - started
    # also at build/pred.jsonl, where the scorer's own instructions look for it
    shutil.copyfile(pred_path, args.out.parent / "pred.jsonl")
    print(f"extracted {n} of {len(wanted)} gold articles in {took:.1f}s -> {pred_path}")
    scorer = args.scorer or args.gold.parent / "eval" / "score.py"
    base = [sys.executable, str(scorer), "--gold", str(args.gold), "--pred", str(pred_path)]
    for corpus in corpora:
        base += ["--articles", str(corpus)]
    table = subprocess.run([*base, "--per-article"], capture_output=True, text=True)
    sys.stdout.write(table.stdout)
    sys.stderr.write(table.stderr)
    (args.out / "report.txt").write_text(table.stdout, encoding="utf-8")
    report = subprocess.run([*base, "--per-article", "--json"], capture_output=True, text=True)
    if report.returncode == 0:
        (args.out / "report.json").write_text(report.stdout, encoding="utf-8")
    return table.returncode


if __name__ == "__main__":
    raise SystemExit(main())
