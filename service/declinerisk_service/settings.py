"""Service settings, from ``DECLINERISK_*`` environment variables, checked at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from standardwebhooks.webhooks import Webhook

from declinerisk.artifacts.registry import is_mlflow_uri
from declinerisk_service.scopes import parse_grants


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
    playbook: Path | None = None
    scoring_threads: int = Field(2, ge=1, le=64, description="threads that run scoring")
    inline_offers: int = Field(
        200,
        ge=0,
        le=100_000,
        description="requests of up to this many offers are scored on the event loop, larger "
        "ones in the scoring threads: scoring is mostly Python, so threads add contention for "
        "the interpreter lock (on one core, 100-offer requests: 19,000 offers/s inline, "
        "14,500 through two threads) and only a long request is worth keeping off the loop",
    )
    reload_poll_seconds: float = Field(
        1.0,
        gt=0,
        le=300,
        description="how often each worker looks whether another one reloaded the model",
    )

    # Outbound risk events (Standard Webhooks) and the Greenhouse connector.
    event_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated URLs that receive offer.scored and offer.risk_changed",
    )
    event_secret: SecretStr | None = Field(
        None, description="Standard Webhooks signing secret, whsec_<base64>"
    )
    event_max_attempts: int = Field(10, ge=1, le=100, description="then the event is dead")
    event_backoff_seconds: float = Field(2.0, gt=0, le=3600, description="first retry delay")
    event_backoff_max_seconds: float = Field(600.0, gt=0, le=86400)
    event_timeout_seconds: float = Field(10.0, gt=0, le=120)
    event_poll_seconds: float = Field(1.0, gt=0, le=60)
    greenhouse_secret: SecretStr | None = Field(
        None, description="the secret key of the Greenhouse web hook; unset refuses deliveries"
    )
    greenhouse_mapping: Path | None = Field(
        None, description="TOML with a [greenhouse.fields] table: contract input = custom field key"
    )
    harvest_client_id: str | None = None
    harvest_client_secret: SecretStr | None = None
    harvest_user_id: str | None = Field(None, description="the Greenhouse user_id sent as sub")
    harvest_base_url: str = "https://harvest.greenhouse.io"
    harvest_token_url: str = "https://auth.greenhouse.io/token"

    # Candidate data protection: retention of score records, outcomes and events.
    retention_days: int | None = Field(
        None, ge=1, le=36500, description="purge records older than this; unset keeps them"
    )
    retention_keep_training: bool = Field(
        False, description="keep each labelled offer's training row and its outcome"
    )
    retention_interval_seconds: float = Field(
        3600.0, gt=0, le=7 * 86400, description="how often the service purges"
    )
    # The recruiter board (/board): off until a session secret is set.
    session_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="signs the board's session cookies and CSRF tokens (at least 32 "
        "characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))'); "
        "unset, /board answers that it is off",
    )
    board_uploads_dir: Path = Field(
        Path("board-uploads"),
        description="scored board uploads, kept for download; each is deleted after a day",
    )

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

    @field_validator("event_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("event_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        bad = [i for i, url in enumerate(urls) if not url.startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"event URLs at positions {bad} are not http(s) URLs")
        return urls

    @model_validator(mode="after")
    def _events_and_harvest_complete(self) -> ServiceSettings:
        if self.event_urls:
            if self.event_secret is None:
                raise ValueError(
                    "DECLINERISK_EVENT_URLS needs DECLINERISK_EVENT_SECRET (whsec_...)"
                )
            try:
                Webhook(self.event_secret.get_secret_value())
            except Exception as exc:
                raise ValueError("DECLINERISK_EVENT_SECRET is not whsec_<base64>") from exc
        if (self.harvest_client_id is None) != (self.harvest_client_secret is None):
            raise ValueError(
                "set both DECLINERISK_HARVEST_CLIENT_ID and _CLIENT_SECRET, or neither"
            )
        return self
