"""The package installs: a wheel built from this checkout, installed into a fresh virtual environment in a
temporary folder, runs ``kg ingest``, ``kg query`` and ``kg serve`` from a folder outside the checkout, with
the ontology, the shapes, the named queries, the gazetteer and the web assets it carries as package data.

No network: the wheel is built without build isolation (the project venv's setuptools) and installed with
``--no-index --no-deps``; its dependencies come from the project venv's site-packages through a ``.pth``
file (a ``.pth`` file's folder is only added to ``sys.path``, so the project's editable install of kg does
not shadow the wheel)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, SEED_JSON, free_port

SOURCES = ("kg", "ontology", "queries", "pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the wheel installed, and an environment that knows nothing of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_data"))
        else:
            shutil.copy2(path, src / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KG_", "PYTHON", "VIRTUAL_ENV"))}
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", src],
        tmp, env)
    (wheel,) = (tmp / "dist").glob("kg-*.whl")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], tmp, env)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--no-deps", wheel], tmp, env)
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp, env).strip())
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.rmtree(src)  # nothing of the copied sources is left to find
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return venv, env


def test_wheel_carries_the_data_and_finds_it_installed(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    venv, env = installed
    where = run(
        [venv / "bin" / "python", "-c",
         "import kg, kg.paths, kg.extract.gazetteer as g; "
         "print(kg.__file__); print(kg.paths.data_dir('queries')); print(kg.paths.data_dir('ontology')); "
         "print(g.GAZETTEER_CSV); print(kg.paths.web_dir('static'))"],
        tmp_path, env,
    ).split()
    for path in where:
        assert path.startswith(str(venv)), where  # the installed package, not the checkout
        assert Path(path).exists(), path
    assert (Path(where[1]) / "troops-by-location.rq").is_file()
    assert (Path(where[2]) / "shapes.ttl").is_file()
    assert (Path(where[4]) / "yasgui.min.js").is_file()


def test_installed_kg_ingests_queries_and_serves(installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    venv, env = installed
    kg = venv / "bin" / "kg"
    work = tmp_path / "elsewhere"  # outside the checkout
    work.mkdir()
    shutil.copy2(SEED_JSON, work / "article.json")
    run([kg, "ingest", "article.json", "--store", "store"], work, env, timeout=300)
    table = run([kg, "query", "troops-by-location", "--param", "location=Kursk", "--format", "csv",
                 "--store", "store"], work, env)
    assert "North Korea" in table
    chosen = subprocess.run(  # the spaCy pipeline is configurable: a missing one is named in the failure
        [str(kg), "extract", "article.json", "--format", "json"], cwd=work, capture_output=True, text=True,
        env={**env, "KG_SPACY_MODEL": "no_such_pipeline_xyz"}, timeout=120, check=False,
    )
    assert chosen.returncode != 0 and "no_such_pipeline_xyz" in chosen.stdout + chosen.stderr
    port = free_port()
    server = subprocess.Popen(
        [kg, "serve", "--store", "store", "--host", "127.0.0.1", "--port", str(port)],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/health", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else "exited"
                assert time.monotonic() < deadline, "kg serve did not answer within 60 s"
                time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=30) as client:
            rows = client.get("/queries/troops-by-location", params={"location": "Kursk"}).json()["rows"]
            assert any(r.get("deployer") == "North Korea" for r in rows), rows
            home = client.get("/", headers={"Accept": "text/html"})
            assert home.status_code == 200 and "Troops by location" in home.text
            assert client.get("/static/yasgui.min.js").status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
