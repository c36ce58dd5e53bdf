"""What the server benchmarks write beside their figures: the machine and how loaded it was.

The load average at the start and at the end says whether other work shared the cores,
which the figures of a 2-core machine depend on more than on anything else.
"""

from __future__ import annotations

import os
import platform


def run_context(load_at_start: float) -> dict[str, object]:
    """The machine, its CPUs and the 1-minute load average at the start and now."""
    return {
        "machine": (
            f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
        ),
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_1min": {
            "start": round(load_at_start, 2),
            "end": round(os.getloadavg()[0], 2),
        },
    }
