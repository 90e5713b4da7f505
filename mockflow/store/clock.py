"""The store's clock: every timestamp the store writes and the registry's pending-version
deadline come from here (seeded worlds write their own reference times instead)."""

from __future__ import annotations

import time


def now() -> float:
    """Wall-clock seconds."""
    return time.time()


def now_millis() -> int:
    return int(now() * 1000)
