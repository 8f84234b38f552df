"""Typed training configuration, read from a TOML file in ``training/``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from declinerisk.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SplitConfig(_Section):
    test_fraction: float = Field(0.2, gt=0.0, lt=0.5)
    calibration_fraction: float = Field(
        0.2, gt=0.0, lt=0.5, description="share of the training part held out for calibration"
    )


Family = Literal["logistic_regression", "gradient_boosting"]
FAMILIES: tuple[Family, ...] = ("logistic_regression", "gradient_boosting")


class SelectionConfig(_Section):
    families: list[Family] = Field(default_factory=lambda: list(FAMILIES), min_length=1)
    cv_folds: int = Field(3, ge=2, le=10)
    max_rows: int = Field(
        200_000, ge=1_000, description="cross-validation runs on at most this many training rows"
    )


class LogisticConfig(_Section):
    C: list[float] = Field(default_factory=lambda: [0.1, 1.0], min_length=1)


class BoostingConfig(_Section):
    learning_rate: list[float] = Field(default_factory=lambda: [0.05, 0.1], min_length=1)
    max_leaf_nodes: list[int] = Field(default_factory=lambda: [4, 8], min_length=1)
    min_samples_leaf: int = Field(100, ge=1)
    l2_regularization: float = Field(1.0, ge=0.0)
    max_iter: int = Field(500, ge=10)


class BandConfig(_Section):
    high_share: float = Field(0.10, gt=0.0, lt=1.0)
    medium_share: float = Field(0.20, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _shares_fit(self) -> BandConfig:
        if self.high_share + self.medium_share >= 1.0:
            raise ValueError("high_share + medium_share must stay below 1")
        return self


class TrackingConfig(_Section):
    enabled: bool = True
    tracking_uri: str = Field(
        "sqlite:///mlflow.db", description="used unless MLFLOW_TRACKING_URI is set"
    )
    experiment: str = "declinerisk"
    registered_model: str = "declinerisk"


class TrainConfig(_Section):
    seed: int = 42
    threads: int | None = Field(None, ge=1, description="threads for fitting; all cores if unset")
    models_dir: Path = Path("models")
    split: SplitConfig = Field(default_factory=SplitConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    logistic: LogisticConfig = Field(default_factory=LogisticConfig)
    boosting: BoostingConfig = Field(default_factory=BoostingConfig)
    bands: BandConfig = Field(default_factory=BandConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)


def load_config(path: Path | None) -> TrainConfig:
    """The config in ``path``, or the defaults when ``path`` is None."""
    if path is None:
        return TrainConfig()
    try:
        return TrainConfig.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid training config: {exc}") from exc
