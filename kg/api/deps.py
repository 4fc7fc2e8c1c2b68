"""The service's settings (from the environment) and the typed dependencies every router uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from kg.api.runner import QueryGate, QueryRunner
from kg.errors import KgError
from kg.store.base import Store


@dataclass(frozen=True)
class Settings:
    """What an operator configures, each from one environment variable.

    * ``KG_QUERY_TIMEOUT``: seconds a SPARQL query may run before it is stopped (30);
    * ``KG_QUERY_MAX_ROWS``: rows (or triples) a SPARQL answer may have before it is truncated (10000);
    * ``KG_QUERY_WORKERS``: query worker processes for the embedded store (2);
    * ``KG_QUERY_MEMORY_MB``: the memory (address space) one query worker may use, in MB (2048);
    * ``KG_QUERY_PER_CLIENT``: SPARQL queries one client address may have in flight (3; more: 429);
    * ``KG_QUERY_QUEUE``: SPARQL queries in flight in all, running or waiting for a worker (12; more: 503);
    * ``KG_READ_TIMEOUT``: seconds any other read (REST lookups, named queries, exports) may take before
      it is answered 503 (30);
    * ``KG_SNAPSHOT_DIR``: where the embedded store's query snapshots go (the system's temporary folder);
    * ``KG_API_TOKEN``: the bearer token for ``POST``/``DELETE /articles``; unset, writes are disabled;
    * ``KG_MAX_BODY_BYTES``: the largest request body accepted (5 MB);
    * ``KG_CORS_ORIGINS``: comma-separated origins allowed by CORS; unset, CORS is off;
    * ``KG_INGEST_WORKERS``: extraction worker processes for ``POST /articles`` (1; 0: in the server).
    """

    query_timeout: float = 30.0
    max_rows: int = 10_000
    query_workers: int = 2
    query_memory_mb: int = 2048
    query_per_client: int = 3
    query_queue: int = 12
    snapshot_dir: Path | None = None
    read_timeout: float = 30.0
    api_token: str | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    ingest_workers: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``).

        :raises KgError: a variable that is not a number where one is needed.
        """
        env = os.environ if env is None else env

        def number(name: str, default: float, kind: type[int] | type[float]) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                value = kind(raw)
            except ValueError:
                raise KgError(f"{name} must be a number, got {raw!r}") from None
            if value <= 0:
                raise KgError(f"{name} must be positive, got {raw!r}")
            return value

        origins = tuple(o.strip() for o in env.get("KG_CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            query_timeout=float(number("KG_QUERY_TIMEOUT", cls.query_timeout, float)),
            max_rows=int(number("KG_QUERY_MAX_ROWS", cls.max_rows, int)),
            query_workers=int(number("KG_QUERY_WORKERS", cls.query_workers, int)),
            query_memory_mb=int(number("KG_QUERY_MEMORY_MB", cls.query_memory_mb, int)),
            query_per_client=int(number("KG_QUERY_PER_CLIENT", cls.query_per_client, int)),
            query_queue=int(number("KG_QUERY_QUEUE", cls.query_queue, int)),
            read_timeout=float(number("KG_READ_TIMEOUT", cls.read_timeout, float)),
            snapshot_dir=Path(env["KG_SNAPSHOT_DIR"]) if env.get("KG_SNAPSHOT_DIR", "").strip() else None,
            api_token=env.get("KG_API_TOKEN") or None,
            max_body_bytes=int(number("KG_MAX_BODY_BYTES", cls.max_body_bytes, int)),
            cors_origins=origins,
            ingest_workers=int(env.get("KG_INGEST_WORKERS", "").strip() or cls.ingest_workers),
        )


def get_store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_runner(request: Request) -> QueryRunner:
    return request.app.state.runner  # type: ignore[no-any-return]


def get_gate(request: Request) -> QueryGate:
    return request.app.state.gate  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RunnerDep = Annotated[QueryRunner, Depends(get_runner)]
GateDep = Annotated[QueryGate, Depends(get_gate)]
