"""The product's settings, plus a periodic job that notes which worker ran it and when: the
two-by-two test (tests/test_scale_out.py) reads the notes to see that each tick ran once."""

from __future__ import annotations

import os
import time

from nextpractice.conf.settings import *  # noqa: F403
from nextpractice.conf.settings import PERIODIC_JOBS

PERIODIC_JOBS = [*PERIODIC_JOBS, "tests.scale_out_settings.note_tick"]


def note_tick() -> int:
    with open(os.environ["SCALE_OUT_TICKS"], "a") as notes:
        notes.write(f"{os.getpid()} {time.time():.3f}\n")
    return 0
