"""Human durations such as `90s`, `30m`, `2h`, `1d`, `1h30m`, and their pydantic type."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?[smhdw])+$")

DURATION_HINT = "use a number followed by s, m, h, d or w, e.g. 90s, 15m, 2h, 1d, 1h30m"


def parse_duration(value: Any) -> timedelta:
    """Parse `value` (a string like `15m`, a timedelta, or seconds) into a timedelta."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}; {DURATION_HINT}")
    elif isinstance(value, int | float):
        result = timedelta(seconds=value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if not _WHOLE.match(text):
            raise ValueError(f"invalid duration {value!r}; {DURATION_HINT}")
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
        result = timedelta(seconds=seconds)
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}; {DURATION_HINT}")
    if result < timedelta(0):
        raise ValueError(f"a duration cannot be negative; {DURATION_HINT}")
    return result


def format_duration(delta: timedelta) -> str:
    """Format a timedelta compactly: `1d2h`, `15m`, `45s`."""
    total = int(delta.total_seconds())
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    return "".join(parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
