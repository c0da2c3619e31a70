"""One `RESULT {...}` line per figure, so `make bench` can gather every script's figures."""

from __future__ import annotations

import json


def emit(
    benchmark: str,
    metric: str,
    value: float,
    *,
    unit: str = "",
    target: str = "",
    ok: bool | None = None,
) -> None:
    """Print one machine-readable figure (the human table is printed by the script itself)."""
    record = {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
        "ok": ok,
    }
    print("RESULT " + json.dumps(record), flush=True)
