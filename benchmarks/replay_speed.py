"""Replay speed (issue 9 item 4): wall time, events/s and peak RSS of `circlebot replay`.

Usage: ``.venv/bin/python benchmarks/replay_speed.py [--events N] [--quick] [--full]
[--profile OUT.html] [--keep DIR]``

Writes N synthetic events (``benchmarks/synthetic.py``, seed 7) and the benchmark circle.yaml
(every rule enabled, with the synthetic community's channels, digests and prompts on a
schedule, so deadlines and jobs fire), then runs exactly ``circlebot replay EVENTS --config
circle.yaml --report R --quiet`` in a child process on a fresh SQLite file. Wall time is
measured around the child; peak RSS and CPU time are the child's (``getrusage``). CPU time is
printed too because other work on this 2-core machine stretches wall time. Generating the
file is not timed. ``--profile`` runs the child under pyinstrument instead (not timed).
Target: 1M events in <= 6 minutes (~2,800 events/s), peak RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

import synthetic  # noqa: E402
from report import emit  # noqa: E402

TARGET_SECONDS_1M = 360.0
TARGET_RSS_MB = 300.0
NAME = "replay speed"


def replay_command(events: Path, config: Path, report: Path, profile: Path | None) -> list[str]:
    """The child's command line: `circlebot replay` (optionally under pyinstrument)."""
    args = ["replay", str(events), "--config", str(config), "--report", str(report), "--quiet"]
    if profile is not None:
        return [sys.executable, "-m", "pyinstrument", "-o", str(profile), "-m", "bot.cli", *args]
    return [sys.executable, "-m", "bot.cli", *args]


def measure(count: int, scratch: Path, profile: Path | None) -> dict[str, float]:
    """Generate, replay in a child process, and return its figures."""
    events = scratch / "events.jsonl"
    config = scratch / "circle.yaml"
    report = scratch / "report.json"
    synthetic.write_jsonl(events, count)
    config.write_text(synthetic.BENCH_CONFIG, encoding="utf-8")
    started = time.perf_counter()
    child = subprocess.run(replay_command(events, config, report, profile), cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"circlebot replay failed with exit code {child.returncode}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(report.read_text(encoding="utf-8"))
    return {
        "events": count,
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "questions": len(data["questions"]),
        "nudges": sum(len(q["nudges"]) for q in data["questions"]),
        "actions": len(data["actions"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="2k events")
    parser.add_argument("--full", action="store_true", help="1M events (the target's size)")
    parser.add_argument("--profile", type=Path, help="pyinstrument report (html or txt)")
    parser.add_argument("--keep", type=Path, help="keep events, config and report in DIR")
    args = parser.parse_args(argv)
    count = 2_000 if args.quick else 1_000_000 if args.full else args.events
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = measure(count, args.keep, args.profile)
    else:
        with tempfile.TemporaryDirectory(prefix="replay-speed-") as scratch:
            figures = measure(count, Path(scratch), args.profile)
    if args.profile is not None:
        print(f"profile written to {args.profile} (figures under the profiler not reported)")
        return 0
    rate = count / figures["wall"]
    cpu_rate = count / figures["cpu"]
    projected = 1_000_000 / rate
    synthetic.print_table(
        f"circlebot replay, {count:,} synthetic events, every rule enabled, SQLite",
        [
            ("wall time", f"{figures['wall']:.1f} s"),
            ("events/s (wall)", f"{rate:,.0f}  (target >= 2,778: 1M in 6 min)"),
            ("CPU time", f"{figures['cpu']:.1f} s  ({cpu_rate:,.0f} events/s of CPU)"),
            ("1M events at this rate", f"{projected / 60:.1f} min  (target <= 6)"),
            ("peak RSS", f"{figures['rss']:.0f} MB  (target <= 300)"),
            (
                "report",
                f"{figures['questions']:,.0f} questions, {figures['nudges']:,.0f} nudges, "
                f"{figures['actions']:,.0f} actions",
            ),
        ],
    )
    met = projected <= TARGET_SECONDS_1M
    emit(NAME, "events/s", rate, unit="events/s", target=">= 2,778", ok=met)
    emit(NAME, "wall time", figures["wall"], unit="s", target="1M: <= 360")
    emit(NAME, "1M events projected", projected, unit="s", target="<= 360", ok=met)
    emit(NAME, "CPU events/s", cpu_rate, unit="events/s")
    emit(NAME, "peak RSS", figures["rss"], unit="MB", target="<= 300", ok=figures["rss"] <= 300)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
