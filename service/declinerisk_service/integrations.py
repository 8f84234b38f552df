"""What the service adds around the store for ATS integrations, built from settings in the
lifespan: the outbox hook, the event sender, the Greenhouse connector and their metrics."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from declinerisk.connectors.greenhouse import GreenhouseConnector
from declinerisk.connectors.greenhouse_fields import load_mapping
from declinerisk.connectors.harvest import HarvestClient, HarvestCredentials
from declinerisk.events.delivery import DeliveryPolicy, EventSender
from declinerisk.events.outbox import Outbox, ScoreEvents
from declinerisk.store.database import Store
from declinerisk_service.settings import ServiceSettings


class IntegrationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "declinerisk_connector_deliveries_total",
            "ATS connector deliveries, by connector and result (scored, outcome_recorded, "
            "erased, ignored, duplicate, refused_*, invalid, unavailable)",
            ["connector", "result"],
            registry=registry,
        )
        self.events = Counter(
            "declinerisk_outbound_events_total",
            "Outbound event delivery attempts, by result (delivered, retry, dead)",
            ["result"],
            registry=registry,
        )


def score_hook(settings: ServiceSettings) -> ScoreEvents | None:
    """The outbox writer for score transactions; none when no event URL is configured."""
    return ScoreEvents(tuple(settings.event_urls)) if settings.event_urls else None


def delivery_policy(settings: ServiceSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        max_attempts=settings.event_max_attempts,
        backoff_seconds=settings.event_backoff_seconds,
        backoff_max_seconds=settings.event_backoff_max_seconds,
        timeout_seconds=settings.event_timeout_seconds,
        poll_seconds=settings.event_poll_seconds,
    )


def event_sender(
    settings: ServiceSettings, store: Store, metrics: IntegrationMetrics
) -> EventSender | None:
    """Started sender, when events are configured (the secret is checked by the settings)."""
    if not settings.event_urls or settings.event_secret is None:
        return None
    sender = EventSender(
        Outbox(store),
        settings.event_secret.get_secret_value(),
        delivery_policy(settings),
        on_result=lambda result: metrics.events.labels(result=result).inc(),
    )
    sender.start()
    return sender


def greenhouse(settings: ServiceSettings) -> GreenhouseConnector:
    """The connector (it refuses every delivery while no secret is configured)."""
    harvest = None
    if settings.harvest_client_id and settings.harvest_client_secret:
        harvest = HarvestClient(
            HarvestCredentials(
                client_id=settings.harvest_client_id,
                client_secret=settings.harvest_client_secret.get_secret_value(),
                user_id=settings.harvest_user_id,
                base_url=settings.harvest_base_url,
                token_url=settings.harvest_token_url,
            )
        )
    secret = settings.greenhouse_secret
    return GreenhouseConnector(
        secret.get_secret_value() if secret else None,
        load_mapping(settings.greenhouse_mapping),
        harvest,
    )


@dataclass
class Integrations:
    connector: GreenhouseConnector
    outbox: Outbox
    sender: EventSender | None
    metrics: IntegrationMetrics

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()
        applications = self.connector.applications
        if isinstance(applications, HarvestClient):
            applications.close()
