"""Ingest throughput and memory: ``kg ingest`` against spaCy's ``nlp.pipe`` alone, both as fresh subprocesses
(interpreter and model start-up included on both sides) over the same texts with the same process count.

Then the same texts through ``kg ingest --cluster local:N`` (a Dask ``LocalCluster`` of N worker processes,
each writing to a private Virtuoso) against the same ``nlp.pipe`` pass, and the same command run a second
time over the unchanged folder (every article skipped) against the first run."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import KG, Figure, cost, run_measured, stream_large, throughput

PER_FILE = 50  # articles per JSON Lines file: kg reads one file at a time, so memory does not grow with the corpus

BASELINE = """
import json, sys
from pathlib import Path
import spacy
from kg.extract.entities import MODEL, newline_sentences  # the same model and sentence rule kg uses
nlp = spacy.load(MODEL)
nlp.add_pipe("newline_sentences", before="parser")
def texts():
    for path in sorted(Path(sys.argv[1]).glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield json.loads(line)["text"]
n = sum(1 for _ in nlp.pipe(texts(), batch_size=16, n_process=int(sys.argv[2])))
print(n)
"""


def write_corpus(folder: Path, n: int) -> tuple[int, int]:
    """Write ``n`` streamed articles as JSON Lines files; the number written and their word count."""
    folder.mkdir(parents=True, exist_ok=True)
    written = words = 0
    sink = None
    for obj in stream_large(n):
        if written % PER_FILE == 0:
            if sink:
                sink.close()
            sink = (folder / f"part-{written // PER_FILE:05d}.jsonl").open("w", encoding="utf-8")
        assert sink is not None
        sink.write(json.dumps(obj, ensure_ascii=False) + "\n")
        written += 1
        words += len(obj["text"].split())
    if sink:
        sink.close()
    return written, words


def cluster_figures(corpus: Path, count: int, words: int, workers: int, base_time: float, log: object = print
                    ) -> list[Figure]:
    """``kg ingest --cluster local:<workers>`` into a private Virtuoso against the bare ``nlp.pipe`` pass over
    the same texts (``base_time``, measured in this run), and a second run over the unchanged folder."""
    if not shutil.which("virtuoso-t"):
        log("  cluster ingest not measured: virtuoso-t is not installed (a cluster writes to a SPARQL server)")
        return []
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.virtuoso_server import VirtuosoServer

    server = VirtuosoServer.start()
    try:
        env = {**os.environ, **server.env()}
        command = [str(KG), "ingest", str(corpus), "--cluster", f"local:{workers}"]
        first, _, out = run_measured(command, env=env)
        again, _, rerun_out = run_measured(command, env=env)
    finally:
        server.stop()
    summary, rerun_summary = (o.strip().splitlines()[-1] if o.strip() else "" for o in (out, rerun_out))
    log(f"  cluster ingest of {count} articles on local:{workers}: {first:.1f}s ({summary}); nlp.pipe "
        f"{base_time:.1f}s; second run {again:.2f}s ({rerun_summary})")
    baseline = f"spaCy nlp.pipe alone, same texts, n_process={workers}"
    return [
        throughput(f"cluster ingest articles/s ({count} articles, LocalCluster of {workers})", count / first,
                   "articles/s", baseline, count / base_time),
        throughput(f"cluster ingest words/s ({count} articles, LocalCluster of {workers})", words / first,
                   "words/s", baseline, words / base_time),
        cost(f"cluster ingest second run over the unchanged {count} articles (all skipped)", again, "s",
             "the first run", first),
    ]


def run(sizes: tuple[int, int], workers: int, log: object = print) -> list[Figure]:
    """Figures for ingest throughput (at the larger size) and peak RSS at both sizes."""
    figures: list[Figure] = []
    peaks: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="kg-bench-ingest-") as tmp:
        for n in sizes:
            corpus = Path(tmp) / f"corpus-{n}"
            count, words = write_corpus(corpus, n)
            store = Path(tmp) / f"store-{n}"
            kg_time, kg_peak, out = run_measured(
                [str(KG), "ingest", str(corpus), "--store", str(store), "--workers", str(workers)]
            )
            base_time, base_peak, _ = run_measured(
                [sys.executable, "-c", BASELINE, str(corpus), str(workers)]
            )
            log(f"  ingest {count} articles ({words} words): kg {kg_time:.1f}s, nlp.pipe {base_time:.1f}s; "
                f"{out.strip().splitlines()[-1] if out.strip() else ''}")
            peaks[count] = (kg_peak / 2**20, base_peak / 2**20)
            if n == sizes[-1]:
                figures += cluster_figures(corpus, count, words, workers, base_time, log)
                baseline = f"spaCy nlp.pipe alone, same texts, n_process={workers}"
                figures.append(throughput(f"ingest articles/s ({count} articles, {workers} workers)",
                                          count / kg_time, "articles/s", baseline, count / base_time))
                figures.append(throughput(f"ingest words/s ({count} articles, {workers} workers)",
                                          words / kg_time, "words/s", baseline, words / base_time))
    (small, (small_kg, small_base)), (large, (large_kg, large_base)) = sorted(peaks.items())
    log(f"  peak RSS: kg {small_kg:.0f} MiB at {small} articles, {large_kg:.0f} MiB at {large}; nlp.pipe alone "
        f"{small_base:.0f} MiB and {large_base:.0f} MiB")
    figures.append(cost(f"ingest peak RSS at {large} articles vs {small}", large_kg, "MiB",
                        f"kg ingest peak RSS at {small} articles", small_kg))
    # spaCy's own memory grows with the texts it has parsed (its string store, its workers' batches): what
    # kg adds to that growth is this figure's ratio, 1.0 when kg's memory grows only as spaCy's does
    figures.append(cost(f"ingest peak RSS growth {small}->{large} articles", large_kg / small_kg, "x",
                        f"spaCy nlp.pipe alone's growth over the same sizes, n_process={workers}",
                        large_base / small_base))
    figures.append(cost(f"ingest peak RSS at {large} articles", large_kg, "MiB",
                        f"spaCy nlp.pipe alone at {large} articles, n_process={workers}", large_base))
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.ingest``: the ingest figures alone (the part of ``make bench`` this module measures),
    printed as ``python -m bench`` prints them; nothing is written to build/bench.json."""
    import argparse

    from bench.__main__ import log, table

    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=main.__doc__)
    parser.add_argument("--workers", type=int, default=2, help="ingest worker processes (and nlp.pipe n_process)")
    parser.add_argument("--ingest-sizes", default="16,64", help="the two corpus sizes for ingest and memory")
    args = parser.parse_args(argv)
    small, large = (int(x) for x in args.ingest_sizes.split(","))
    print(table(run((small, large), args.workers, log)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
