"""Run a module with the engine's clock reading this process's CPU time, not wall time.

    .venv/bin/python bench/cpu_clock.py -m nextpractice.grouping bench FOLDER --time-limit 60

For measurements on a shared machine: under a load of 8 on 2 CPUs a process gets a
quarter of a CPU, so a 60 s wall-clock limit searches for about 15 s and the figures
say more about the neighbours than the engine. With this runner a time limit is that
many seconds of the process's own CPU (compiling or loading the kernels included, as with
the wall clock), which is what an idle machine gives it. Use it for comparisons and say
so beside the figures; the product always runs on the wall clock.
"""

from __future__ import annotations

import runpy
import sys
import time

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "-m":
        raise SystemExit("usage: cpu_clock.py -m MODULE [ARGS...]")
    # search.py reads time.perf_counter through the time module: every limit, pace and
    # progress fraction follows the CPU clock.
    time.perf_counter = time.process_time
    module = sys.argv[2]
    sys.argv = [module, *sys.argv[3:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
