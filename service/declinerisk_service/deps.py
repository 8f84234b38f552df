"""Typed dependencies: handlers name what they need, the app state provides it.

They are ``async`` because they only read app state: a sync dependency would cost a thread
pool round trip per request for nothing. The scoring route, the hot path, reads the same state
through the plain functions below instead: FastAPI solves every dependency on every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from declinerisk.scoring.predictor import Predictor
from declinerisk.store.database import Store
from declinerisk_service.settings import ServiceSettings
from declinerisk_service.state import Runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def settings_of(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_settings(request: Request) -> ServiceSettings:
    return settings_of(request)


async def get_predictor(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Predictor:
    return runtime.models.current


async def get_store(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Store:
    return runtime.store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
PredictorDep = Annotated[Predictor, Depends(get_predictor)]
StoreDep = Annotated[Store, Depends(get_store)]
