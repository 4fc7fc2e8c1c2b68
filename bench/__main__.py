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
    parser.add_argument("--sizes", default="1000,10000",
                        help="store sizes (articles) for query latency, on both backends; each is built by adding "
                        "replicas to the previous one")
    parser.add_argument("--no-virtuoso", action="store_true", help="embedded store only")
    parser.add_argument("--writes", type=int, default=300, help="articles written through kg for the load figure")
    parser.add_argument("--queries-only", action="store_true",
                        help="query latency only: no ingest, validation or store-load figures (make bench-scale)")
    # 570 s left the embedded store's last nine queries at 10,000 articles unmeasured in one of two whole runs
    # (the two bulk exports' first runs alone take about 130 s a backend there); 90 s more for the two extra
    # rounds of the embedded writes (store_bench.WRITE_ROUNDS) and a slower build: at 720 s, a run whose build
    # to 10,000 took 180 s, not 100-120, left nine embedded queries unmeasured
    parser.add_argument("--budget", type=float, default=780.0,
                        help="seconds after the start past which no new query run starts (noted, not silent)")
    parser.add_argument("--query-limit", type=float, default=store_bench.LIMIT,
                        help="seconds one run of one query may take; beyond it is stopped and noted")
    parser.add_argument("--keep", type=Path, default=None,
                        help="with --queries-only: keep the query stores in this folder (e.g. build/bench-keep) and "
                        "reuse them in the next run, growing them only past the size they hold (a 10,000-article "
                        "build takes minutes); they hold replicas of the articles extracted when first built")
    parser.add_argument("--queries", default="",
                        help="comma-separated named queries to time (default: all), e.g. to re-time the ones a "
                        "change touched against the kept stores")
    args = parser.parse_args(argv)
    only = {x.strip() for x in args.queries.split(",") if x.strip()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks: stop Virtuoso
    started = time.perf_counter()
    deadline = time.monotonic() + args.budget
    figures: list[Figure] = []
    notes: list[str] = []
    sizes = sorted(int(x) for x in args.sizes.split(",") if x.strip())

    if not args.queries_only:
        small, large = (int(x) for x in args.ingest_sizes.split(","))
        log(f"ingest: kg ingest vs nlp.pipe at {small} and {large} articles, {args.workers} processes")
        figures += ingest_bench.run((small, large), args.workers, log)

    log(f"extracting {args.templates} real conflict articles in one process")
    ex = store_bench.extract_corpus(args.templates, log)
    if not args.queries_only:
        figures += store_bench.validation_figures(ex)
    log(f"  {ex.quads_per_article:.0f} quads per article graph on average")

    build = ROOT / "build"
    build.mkdir(exist_ok=True)  # every store of the run lives here, on the project's disk, not a tmpfs
    server = sparql = None
    server_folder: Path | None = None
    keep: Path | None = args.keep.resolve() if args.keep is not None and args.queries_only else None
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    if not args.no_virtuoso and shutil.which("virtuoso-t"):
        sys.path.insert(0, str(ROOT))
        from tests.virtuoso_server import VirtuosoServer

        server_folder = keep / "virtuoso" if keep is not None else Path(
            tempfile.mkdtemp(prefix="kg-bench-virtuoso-", dir=build))
        server = VirtuosoServer.start(server_folder)
        sparql = server.store(timeout=300)
    elif not args.no_virtuoso:
        notes.append("virtuoso-t is not installed: no Virtuoso figures")
    steps: list[dict[str, float]] = []
    interrupted = False
    try:
        with tempfile.TemporaryDirectory(prefix="kg-bench-store-", dir=build) as tmp_name:
            tmp = Path(tmp_name)
            stores = store_bench.Stores(ex, tmp / "embedded", server)
            if keep is not None:  # the kept stores, and how many replicas they hold (0: none yet)
                held = keep / "size"
                kept = int(held.read_text()) if held.exists() and (keep / "embedded").exists() else 0
                stores = store_bench.Stores(ex, keep / "embedded", server, size=kept)
            if not args.queries_only:
                n = min([args.writes, *sizes])
                log(f"store load: {n} replicated articles through kg's writes vs bulk_load")
                figures += store_bench.store_load_figures(ex, n, tmp, sparql)
                # the articles kg wrote are the first replicas of the query stores: both stores grow from them
                stores = store_bench.Stores(ex, tmp / "kg-writes", server, size=n)
            skips: dict[str, set[str]] = {"Virtuoso": set(), "embedded": set()}
            for size in sizes:
                if stores.steps:  # estimate the next build from the last one; never start what cannot end
                    last = stores.steps[-1]
                    need = (size - stores.size) * last["wall"] / max(1.0, last["articles"] - last["from"])
                    if time.monotonic() + need * 1.2 + 60 > deadline:
                        notes.append(f"queries at {size} articles not measured: adding {size - stores.size} "
                                     f"articles to the stores would take about {need:.0f}s, past the time budget")
                        log(f"  {notes[-1]}")
                        break
                if stores.size >= size and keep is not None:
                    log(f"reusing the kept stores at {stores.size} articles ({keep})")
                    if stores.size > size:
                        notes.append(f"the kept stores hold {stores.size} articles: measured at that size, not {size}")
                    stores.steps.append({"articles": float(stores.size), "from": float(stores.size), "wall": 0.0})
                    size = stores.size
                else:
                    log(f"building the stores at {size} articles (from {stores.size}; both backends at once)")
                    step = stores.grow(size, log=log)
                    steps.append(step)
                    if keep is not None:
                        if server is not None:
                            server.isql("checkpoint;", timeout=1800)
                        (keep / "size").write_text(str(stores.size))
                    log("  " + ", ".join(f"{k} {v:.1f}s" for k, v in step.items() if k not in BUILD_COUNTS)
                        + f"; {step['quads']:.0f} quads in the embedded store")
                backends = [("embedded", ("oxigraph", str(stores.embedded)), "pyoxigraph Store.query")]
                if server is not None:
                    backends.insert(0, ("Virtuoso", ("sparql", server.query_url),
                                        "HTTP request to Virtuoso /sparql (GET, or POST when long, as kg sends it)"))
                for k, (label, spec, bare) in enumerate(backends):
                    # each query set gets an equal share of what the remaining builds leave of the budget,
                    # so a slow set cannot starve the sets after it; what a set leaves goes to the next
                    # (a larger size whose build would not fit anyway reserves nothing)
                    later = [s for s in sizes if s > size]
                    rate = stores.steps[-1]["wall"] / max(1.0, stores.steps[-1]["articles"] - stores.steps[-1]["from"])
                    reserve = (max(later, default=size) - size) * rate * 1.2
                    if time.monotonic() + reserve + 60 > deadline:
                        later, reserve = [], 0.0
                    sets = len(backends) - k + len(later) * len(backends)
                    spare = deadline - time.monotonic() - reserve
                    share = time.monotonic() + max(0.0, spare) / sets
                    figures += store_bench.query_figures(
                        label, size, spec, bare, ex, log, skips[label], min(deadline, share), args.query_limit,
                        only=only,
                    )
    except SystemExit as stop:  # SIGTERM: stop Virtuoso, and still report what was measured
        if stop.code != 143:
            raise
        interrupted = True
        notes.append(f"interrupted (SIGTERM) after {time.perf_counter() - started:.0f}s: what follows is partial")
    finally:
        notes += store_bench.MESSAGES
        if sparql is not None:
            sparql.close()
        if server is not None:
            server.stop(keep=keep is not None)
        if server_folder is not None and keep is None:
            shutil.rmtree(server_folder, ignore_errors=True)

    elapsed = time.perf_counter() - started
    print(table(figures))
    print(f"\n{len(figures)} figures in {elapsed:.0f}s; ratio = kg's cost over the baseline's (lower is better)")
    for step in steps:
        print(f"build to {step['articles']:.0f} articles (from {step['from']:.0f}): "
              + ", ".join(f"{k} {v:.1f}s" for k, v in step.items() if k not in BUILD_COUNTS))
    for note in notes:
        print(f"note: {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    info = machine()
    info["bench_seconds"] = round(elapsed, 1)
    info["store_builds"] = [{k: round(v, 1) for k, v in step.items()} for step in steps]
    if notes:
        info["notes"] = notes
    args.out.write_text(json.dumps({"figures": [f.as_dict() for f in figures], "machine": info}, indent=2) + "\n")
    log(f"wrote {args.out}")
    return 143 if interrupted else 0


BUILD_COUNTS = ("articles", "from", "quads")


if __name__ == "__main__":
    raise SystemExit(main())
