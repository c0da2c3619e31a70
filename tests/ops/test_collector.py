"""The runtime and replay tune the garbage collector once started (in their own process)."""

from __future__ import annotations

import subprocess
import sys

from bot.collector import OLDER_THRESHOLD, YOUNG_THRESHOLD


def test_tuning_freezes_start_up_objects_and_collects_less_often() -> None:
    script = (
        "import gc; from bot.collector import tune_collector; tune_collector(); "
        "print(gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    expected = (YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)
    assert out.split(")")[0] + ")" == str(expected)
    assert out.strip().endswith("True")
