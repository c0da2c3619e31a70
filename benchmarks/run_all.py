"""`make bench`: run every benchmark, show each one's own table, then one table of all figures.

By default each benchmark runs at a size that finishes in minutes on a 2-core machine; `--full`
uses the sizes the performance targets are stated for (1M events: far longer). Results are the
`RESULT {...}` lines each script prints (benchmarks/report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, default arguments, full-size arguments)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("answer_tracking.py", ["--split", "dev"], ["--split", "all"]),
    ("core_throughput.py", ["--events", "20000"], ["--events", "1000000"]),
    ("growth.py", ["--quick"], []),
    ("outbox_drain.py", [], ["--actions", "5000"]),
    ("replay_speed.py", ["--events", "20000"], ["--full"]),
    ("slack_ack.py", ["--quick"], []),
]


def run(script: str, args: list[str]) -> tuple[list[dict[str, object]], int, float]:
    """Run one benchmark, echo its output, return its RESULT records, exit code and seconds."""
    print(f"\n### {script} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    seconds = time.perf_counter() - started
    records = []
    for line in process.stdout.splitlines():
        if line.startswith("RESULT "):
            records.append(json.loads(line[len("RESULT ") :]))
        else:
            print(line)
    if process.returncode not in (0, 1):
        print(process.stderr[-3000:], file=sys.stderr)
    return records, process.returncode, seconds


def table(records: list[dict[str, object]]) -> str:
    """One aligned table of every figure."""
    rows = [("benchmark", "figure", "value", "target", "met")]
    for r in records:
        value = float(str(r["value"]))
        shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        met = {True: "yes", False: "NO", None: ""}[r["ok"]]  # type: ignore[index]
        rows.append(
            (
                str(r["benchmark"]),
                str(r["metric"]),
                f"{shown} {r['unit']}".strip(),
                str(r["target"]),
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the sizes the targets are stated for")
    parser.add_argument("only", nargs="*", help="run only these scripts (e.g. growth.py)")
    args = parser.parse_args(argv)
    records: list[dict[str, object]] = []
    failures = []
    for script, quick, full in BENCHMARKS:
        if args.only and script not in args.only:
            continue
        found, code, seconds = run(script, full if args.full else quick)
        records += found
        records.append(
            {
                "benchmark": script,
                "metric": "wall time",
                "value": seconds,
                "unit": "s",
                "target": "",
                "ok": None,
            }
        )
        if code not in (0, 1) or not found:
            failures.append(script)
    print("\n== all figures ==")
    print(table(records))
    if failures:
        print(f"\nbenchmarks that did not report: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
