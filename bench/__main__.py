"""``python -m bench --out build/bench.json``: run every benchmark, print the table, write the figures."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import ingest as ingest_bench
from bench import store as store_bench
from bench.common import ROOT, Figure, machine


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def table(figures: list[Figure]) -> str:
    rows = [("figure", "kg", "baseline", "ratio")]
    for f in figures:
        rows.append((f.name, f"{f.value:,.4g} {f.unit}", f"{f.baseline_value:,.4g} ({f.baseline})", f"{f.ratio:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--workers", type=int, default=2, help="ingest worker processes (and nlp.pipe n_process)")
    parser.add_argument("--ingest-sizes", default="16,64", help="the two corpus sizes for ingest and memory")
    parser.add_argument("--templates", type=int, default=20, help="real articles extracted to replicate")
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="store sizes (articles) for query latency; a size whose store cannot be built "
                        "within --budget is noted, not measured")
    parser.add_argument("--virtuoso-size", type=int, default=1000, help="articles written to Virtuoso (0: skip)")
    parser.add_argument("--writes", type=int, default=300, help="articles written through kg for the load figure")
    parser.add_argument("--budget", type=float, default=500.0, help="seconds after which no new query is started")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop Virtuoso
    started = time.perf_counter()
    figures: list[Figure] = []
    notes: list[str] = []

    small, large = (int(x) for x in args.ingest_sizes.split(","))
    log(f"ingest: kg ingest vs nlp.pipe at {small} and {large} articles, {args.workers} processes")
    figures += ingest_bench.run((small, large), args.workers, log)

    log(f"extracting {args.templates} real conflict articles in one process")
    ex = store_bench.extract_corpus(args.templates, log)
    figures += store_bench.validation_figures(ex)
    log(f"  {ex.quads_per_article:.0f} quads per article graph on average")

    server = sparql = None
    if args.virtuoso_size and shutil.which("virtuoso-t"):
        sys.path.insert(0, str(ROOT))
        from tests.virtuoso_server import VirtuosoServer

        server = VirtuosoServer.start()
        sparql = server.store(timeout=300)
    elif args.virtuoso_size:
        notes.append("virtuoso-t is not installed: no Virtuoso figures")
    try:
        (ROOT / "build").mkdir(exist_ok=True)  # on the project's disk, not a tmpfs
        with tempfile.TemporaryDirectory(prefix="kg-bench-store-", dir=ROOT / "build") as tmp_name:
            tmp = Path(tmp_name)
            n = min(args.writes, args.virtuoso_size) if args.virtuoso_size else args.writes
            log(f"store load: {n} replicated articles through kg's writes vs bulk_load")
            figures += store_bench.store_load_figures(ex, n, tmp, sparql)
            skip: set[str] = set()
            deadline = time.monotonic() + args.budget - (time.perf_counter() - started)
            if sparql is not None and server is not None:
                seconds = store_bench.virtuoso_build(server, ex, n, args.virtuoso_size)
                log(f"queries on Virtuoso at {args.virtuoso_size} articles ({n} written by kg, the rest "
                    f"bulk-loaded in {seconds:.1f}s)")
                figures += store_bench.query_figures(
                    "Virtuoso", args.virtuoso_size, ("sparql", server.query_url), "HTTP GET to Virtuoso /sparql",
                    ex, log, set(), deadline,
                )
            rate = 0.0  # quads/s of bulk_load, measured on the first size
            for size in (int(x) for x in args.sizes.split(",")):
                need = size * ex.quads_per_article / rate if rate else 0.0
                if rate and time.monotonic() + need * 1.5 > deadline:
                    notes.append(f"queries at {size} articles not measured: building the store would take about "
                                 f"{need:.0f}s ({size * ex.quads_per_article:.0f} quads at {rate:.0f} quads/s), "
                                 "past the time budget")
                    log(f"  {notes[-1]}")
                    continue
                began = time.perf_counter()
                raw, quads, seconds = store_bench.bulk_build(tmp / f"q{size}", ex, size)
                del raw
                rate = quads / (time.perf_counter() - began)
                log(f"queries at {size} articles ({quads} quads, bulk-loaded in {seconds:.1f}s, "
                    f"built in {time.perf_counter() - began:.1f}s)")
                p50s = [f for f in figures if f.name.startswith("query ") and " p50," in f.name]
                seen = {f.name.split()[1]: f.value for f in p50s}
                figures += store_bench.query_figures(
                    "embedded", size, ("oxigraph", str(tmp / f"q{size}")), "pyoxigraph Store.query", ex, log,
                    skip, deadline, order=seen,
                )
                shutil.rmtree(tmp / f"q{size}", ignore_errors=True)
            notes += store_bench.MESSAGES
    finally:
        if sparql is not None:
            sparql.close()
        if server is not None:
            server.stop()

    elapsed = time.perf_counter() - started
    print(table(figures))
    print(f"\n{len(figures)} figures in {elapsed:.0f}s; ratio = kg's cost over the baseline's (lower is better)")
    for note in notes:
        print(f"note: {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    info["bench_seconds"] = round(elapsed, 1)
    if notes:
        info["notes"] = notes
    args.out.write_text(json.dumps({"figures": [f.as_dict() for f in figures], "machine": info}, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
