"""Service settings, from ``DECLINERISK_*`` environment variables, checked at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from declinerisk.registry import is_mlflow_uri
from service.scopes import parse_grants


class ServiceSettings(BaseSettings):
    """Everything an operator sets. Invalid values stop the service before it listens."""

    model_config = SettingsConfigDict(env_prefix="DECLINERISK_", frozen=True, extra="ignore")

    model: str = Field(
        "models/latest",
        description="a folder inside models_dir, or an MLflow URI such as "
        "models:/declinerisk@champion",
    )
    models_dir: Path = Field(Path("models"), description="the only folder models load from")
    mlflow_tracking_uri: str | None = None
    database_url: str = "sqlite:///declinerisk.db"
    spool_path: Path = Field(
        Path("declinerisk.spool.jsonl"),
        description="score records the database refused wait here until it is back",
    )
    api_key_hashes: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated SHA-256 hex digests of the accepted API keys, each "
        "optionally with its scopes (<digest>:score+outcomes); without scopes, all",
    )
    webhook_secret: SecretStr | None = None
    webhook_tolerance_seconds: int = Field(300, ge=1, le=3600)
    max_offers_per_request: int = Field(1000, ge=1, le=100_000)
    max_body_bytes: int = Field(1 << 20, ge=1024)
    fast_path_max_offers: int = Field(
        1000,
        ge=0,
        description="requests up to this many offers skip pandas entirely (measured: 100 offers "
        "take 8 ms this way against 63 ms through a DataFrame)",
    )
    playbook: Path | None = None
    scoring_threads: int = Field(2, ge=1, le=64, description="threads that run scoring")

    @field_validator("api_key_hashes", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_key_hashes")
    @classmethod
    def _hex_digests(cls, hashes: list[str]) -> list[str]:
        if not hashes:
            raise ValueError(
                "set DECLINERISK_API_KEY_HASHES to the SHA-256 of at least one API key "
                '(printf %s "$KEY" | sha256sum)'
            )
        parse_grants(hashes)  # raises on a bad digest or an unknown scope
        return hashes

    @model_validator(mode="after")
    def _model_inside_models_dir(self) -> ServiceSettings:
        if not is_mlflow_uri(self.model):
            folder = Path(self.model)
            inside = self.models_dir.resolve()
            resolved = (folder if folder.is_absolute() else Path.cwd() / folder).absolute()
            if inside not in (resolved, *resolved.parents):
                raise ValueError(f"model {self.model!r} is outside models_dir {self.models_dir}")
        return self
