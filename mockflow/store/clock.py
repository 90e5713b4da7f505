"""Wall-clock milliseconds, in one place so a seeded world can pin time."""

from __future__ import annotations

import time


def now_millis() -> int:
    return int(time.time() * 1000)
