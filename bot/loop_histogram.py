"""A Prometheus histogram for the event loop's hot path: plain counts, no lock per observation.

prometheus_client's Histogram takes a lock for the sum and for the bucket on every `observe`
(it may be observed from any thread). The engine observes a rule's latency for every rule on
every event, all on the event loop's thread, where that locking was ~2.5 µs of each
observation. `LoopHistogram` keeps plain numbers instead and is exposed by the same registry
with the same samples (`_bucket` with `le`, `_count`, `_sum`); observe it from one thread only.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString


class LoopHistogramChild:
    """One label set's counts: a count per bucket (the last: above every bound) and the sum."""

    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        self._bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, amount: float) -> None:
        """Count one observation (in the first bucket whose bound it does not exceed)."""
        self.sum += amount
        self.counts[bisect_left(self._bounds, amount)] += 1


class LoopHistogram(Collector):
    """A histogram with optional labels, registered in `registry`, observed on one thread."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str] = (),
        *,
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self.bounds = tuple(sorted(float(bound) for bound in buckets))
        self._children: dict[tuple[str, ...], LoopHistogramChild] = {}
        registry.register(self)

    def labels(self, **labels: str) -> LoopHistogramChild:
        """The child of one label set (look it up once and keep it: that is the cheap path)."""
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name} takes the labels {list(self.labelnames)}")
        key = tuple(str(labels[name]) for name in self.labelnames)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = LoopHistogramChild(self.bounds)
        return child

    def observe(self, amount: float) -> None:
        """Observe on a histogram without labels."""
        if self.labelnames:
            raise ValueError(f"{self.name} has labels: observe on .labels(...)")
        self.labels().observe(amount)

    def describe(self) -> Iterator[HistogramMetricFamily]:
        yield HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for key, child in list(self._children.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*self.bounds, float("inf")), child.counts, strict=True):
                cumulative += count
                buckets.append((floatToGoString(bound), cumulative))
            family.add_metric(list(key), buckets, child.sum)
        yield family
