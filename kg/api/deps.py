"""The typed dependencies every router uses: the store, the settings (``kg.settings.Settings``, read once and
handed to ``create_app``), the query runner and the query gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kg.api.runner import QueryGate, QueryRunner
from kg.settings import Settings
from kg.store.base import Store

__all__ = ["GateDep", "RunnerDep", "Settings", "SettingsDep", "StoreDep"]


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
