"""What every benchmark shares: figures, the machine description, the corpus streams and RSS sampling."""

from __future__ import annotations

import gzip
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KG_SHARED", ROOT.parent / "shared"))
KG = Path(sys.executable).parent / "kg"


@dataclass
class Figure:
    """One benchmark figure and the baseline it is measured against; ``ratio`` is kg's cost over the
    baseline's, so lower is better."""

    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    ratio: float

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("value", "baseline_value", "ratio"):
            out[key] = round(out[key], 4)
        return out


def throughput(name: str, value: float, unit: str, baseline: str, baseline_value: float) -> Figure:
    """A higher-is-better figure: the ratio is baseline over kg (kg's cost over the baseline's)."""
    return Figure(name, value, unit, baseline, baseline_value, baseline_value / value if value else float("inf"))


def cost(name: str, value: float, unit: str, baseline: str, baseline_value: float) -> Figure:
    """A lower-is-better figure (time, memory): the ratio is kg over baseline."""
    ratio = value / baseline_value if baseline_value else float("inf")
    return Figure(name, value, unit, baseline, baseline_value, ratio)


def machine() -> dict[str, Any]:
    import pyoxigraph
    import spacy

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    virtuoso = ""
    try:
        proc = subprocess.run(["virtuoso-t", "-?"], capture_output=True, text=True, timeout=10)
        virtuoso = (proc.stdout + proc.stderr).strip().split("\n")[1]
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "",
        "spacy": spacy.__version__,
        "virtuoso": virtuoso.strip(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def conflict_articles() -> list[Path]:
    """The real conflict articles of ../shared/corpus (one JSON file each)."""
    folder = SHARED / "corpus"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is absent: the benchmarks run on the real corpus in ../shared")
    return sorted(folder.glob("*.json"))


def stream_large(limit: int, language: str = "en") -> Iterator[dict[str, Any]]:
    """Up to ``limit`` article objects from ../shared/corpus-large (gzip JSON Lines, streamed), else from
    ../shared/corpus."""
    count = 0
    folder = SHARED / "corpus-large"
    for path in sorted(folder.glob("*.jsonl.gz")) if folder.is_dir() else []:
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                obj = json.loads(line)
                if obj.get("language", language) != language or not obj.get("text"):
                    continue
                yield obj
                count += 1
                if count >= limit:
                    return
    for path in conflict_articles():
        if count >= limit:
            return
        yield json.loads(path.read_text(encoding="utf-8"))
        count += 1


class PeakRss:
    """Sample the resident memory of a process and all its children until it ends; ``peak`` in bytes."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while True:
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for proc in procs:
                    try:
                        total += proc.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                self.peak = max(self.peak, total)
                if not root.is_running() or root.status() == psutil.STATUS_ZOMBIE:
                    return
            except psutil.NoSuchProcess:
                return
            time.sleep(self.interval)

    def join(self) -> int:
        self._thread.join(timeout=5)
        return self.peak


def run_measured(args: list[str], env: dict[str, str] | None = None, timeout: float = 600) -> tuple[float, int, str]:
    """Run a command; its wall time, peak RSS (with children) and output.

    :raises RuntimeError: the command failed.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    sampler = PeakRss(proc.pid)
    output, _ = proc.communicate(timeout=timeout)
    elapsed = time.perf_counter() - started
    peak = sampler.join()
    if proc.returncode not in (0, 1):  # kg ingest exits 1 when some documents failed: still a measurement
        raise RuntimeError(f"{' '.join(args[:3])}... exited {proc.returncode}: {output[-2000:]}")
    return elapsed, peak, output
