"""LoopHistogram is exposed exactly as prometheus_client's Histogram with the same observations."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from bot.loop_histogram import LoopHistogram
from bot.metrics import LATENCY_BUCKETS

OBSERVED = [0.0, 0.004, 0.005, 0.0051, 0.3, 2.5, 29.0, 30.0, 31.0, 1e6]


def _exposed(registry: CollectorRegistry) -> list[str]:
    """The exposition lines, without the `_created` timestamps only the library writes."""
    text = generate_latest(registry).decode()
    return [line for line in text.splitlines() if "_created" not in line]


def test_samples_match_prometheus_clients_histogram_with_and_without_labels() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    plain = LoopHistogram("t_plain_seconds", "a plain one", buckets=LATENCY_BUCKETS, registry=ours)
    labelled = LoopHistogram(
        "t_rule_seconds", "by rule", ["rule"], buckets=LATENCY_BUCKETS, registry=ours
    )
    reference = Histogram(
        "t_plain_seconds", "a plain one", buckets=LATENCY_BUCKETS, registry=theirs
    )
    by_rule = Histogram(
        "t_rule_seconds", "by rule", ["rule"], buckets=LATENCY_BUCKETS, registry=theirs
    )
    for index, amount in enumerate(OBSERVED):
        plain.observe(amount)
        reference.observe(amount)
        rule = "echo" if index % 3 else "welcome"
        labelled.labels(rule=rule).observe(amount)
        by_rule.labels(rule=rule).observe(amount)
    assert _exposed(ours) == _exposed(theirs)
    assert ours.get_sample_value("t_rule_seconds_count", {"rule": "welcome"}) == 4
    assert ours.get_sample_value("t_plain_seconds_bucket", {"le": "0.005"}) == 3


def test_wrong_labels_are_refused_clearly() -> None:
    registry = CollectorRegistry()
    labelled = LoopHistogram("t_seconds", "x", ["rule"], buckets=(1.0,), registry=registry)
    with pytest.raises(ValueError, match="takes the labels"):
        labelled.labels(kind="reply")
    with pytest.raises(ValueError, match="has labels"):
        labelled.observe(1.0)
