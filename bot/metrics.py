"""Prometheus metrics of one runtime: events, actions, outbox depth, open questions, latencies."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from bot.loop_histogram import LoopHistogram

if TYPE_CHECKING:
    from bot.engine import Engine

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OPEN_QUESTIONS_LIMIT = 10_000
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The metric objects of one process, in a registry of their own (tests build several)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events = Counter(
            "circlebot_events",
            "Events received: handled once, or dropped as a duplicate delivery",
            ["outcome"],
            registry=r,
        )
        self.actions_sent = Counter(
            "circlebot_actions_sent", "Actions executed by a platform", ["kind"], registry=r
        )
        self.actions_failed = Counter(
            "circlebot_actions_failed",
            "Actions that failed for good (permanent error, or retries exhausted)",
            ["kind", "reason"],
            registry=r,
        )
        self.action_retries = Counter(
            "circlebot_action_retries",
            "Sends that will be retried (rate limits, timeouts, adapter errors)",
            ["kind"],
            registry=r,
        )
        self.handling_seconds = LoopHistogram(
            "circlebot_event_handling_seconds",
            "Time to handle a batch of events: inbox, rules and storage, in one transaction",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rule_seconds = LoopHistogram(
            "circlebot_rule_seconds",
            "Time one rule takes on one event",
            ["rule"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.send_seconds = LoopHistogram(
            "circlebot_action_send_seconds",
            "Time a platform takes to execute one action",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.outbox_depth = Gauge(
            "circlebot_outbox_depth", "Actions waiting to be sent (all replicas)", registry=r
        )
        self.open_questions = Gauge(
            "circlebot_open_questions",
            "Unanswered questions, by community (when the questions rule is installed)",
            ["community"],
            registry=r,
        )

    async def refresh(self, engine: Engine) -> None:
        """Set the gauges that are read from the database, at scrape time."""
        self.outbox_depth.set(await engine.outbox.depth())
        counter = open_questions_counter(engine)
        if counter is None:
            return
        self.open_questions.clear()
        for community in await engine.communities():
            self.open_questions.labels(community=community).set(await counter(community))

    def render(self) -> bytes:
        """The text exposition format Prometheus scrapes."""
        return generate_latest(self.registry)


def open_questions_counter(engine: Engine) -> Callable[[str], Awaitable[int]] | None:
    """Counts open questions through the questions contract; None without that rule."""
    if "questions" not in engine.registry.names():
        return None
    try:
        store: Any = importlib.import_module("rules.questions.store")
    except ImportError:
        return None
    open_questions = getattr(store, "open_questions", None)
    if open_questions is None:
        return None

    async def count(community: str) -> int:
        async with engine.database.session() as session:
            found = await open_questions(
                session, community, now=engine.clock.now(), limit=OPEN_QUESTIONS_LIMIT
            )
        return len(found)

    return count
