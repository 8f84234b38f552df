"""Typed dependencies: handlers name what they need, the app state provides it.

They are ``async`` because they only read app state: a sync dependency would cost a thread
pool round trip per request for nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from declinerisk.scoring.predictor import Predictor
from declinerisk.store.database import Store
from declinerisk_service.settings import ServiceSettings
from declinerisk_service.state import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_settings(request: Request) -> ServiceSettings:
    settings: ServiceSettings = request.app.state.settings
    return settings


async def get_predictor(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Predictor:
    return runtime.models.current


async def get_store(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Store:
    return runtime.store


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[ServiceSettings, Depends(get_settings)]
PredictorDep = Annotated[Predictor, Depends(get_predictor)]
StoreDep = Annotated[Store, Depends(get_store)]
