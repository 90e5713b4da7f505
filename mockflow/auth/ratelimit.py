"""Per-key request counting over a fixed or a sliding window.

Fixed: the window opens at a key's first request and admits ``requests`` until it closes
(``window_seconds`` later); the next request opens a new one. Sliding: a request is admitted when
fewer than ``requests`` were admitted in the last ``window_seconds``. Refused requests are not
counted, so a client that backs off for ``Retry-After`` seconds always gets through.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mockflow.auth.keys import RateLimit

WINDOWS = ("fixed", "sliding")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float  # until the window frees a slot (sliding) or starts over (fixed)

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` (plus ``Retry-After`` when refused); times in whole seconds."""
        reset = str(max(1, math.ceil(self.reset_seconds)))
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": reset,
        }
        if not self.allowed:
            headers["Retry-After"] = reset
        return headers


class RateLimiter:
    """Thread-safe counters keyed by API key id; memory is bounded by each key's limit."""

    def __init__(self, *, window: str = "fixed", clock: Callable[[], float] = time.monotonic):
        if window not in WINDOWS:
            raise ValueError(f"rate-limit window must be one of {', '.join(WINDOWS)}: {window!r}")
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._fixed: dict[str, tuple[float, int]] = {}  # key id -> (window start, count)
        self._sliding: dict[str, deque[float]] = {}  # key id -> admitted request times

    def hit(self, key_id: str, limit: RateLimit, *, count: bool = True) -> Decision:
        """Count one request by ``key_id`` if ``limit`` allows it, and say what happened;
        ``count=False`` only says what would happen."""
        now = self._clock()
        with self._lock:
            if self.window == "fixed":
                return self._hit_fixed(key_id, limit, now, count)
            return self._hit_sliding(key_id, limit, now, count)

    def reset(self, key_id: str | None = None) -> None:
        """Forget the counts of one key, or of all keys."""
        with self._lock:
            if key_id is None:
                self._fixed.clear()
                self._sliding.clear()
            else:
                self._fixed.pop(key_id, None)
                self._sliding.pop(key_id, None)

    def _hit_fixed(self, key_id: str, limit: RateLimit, now: float, count_it: bool) -> Decision:
        start, count = self._fixed.get(key_id, (now, 0))
        if now - start >= limit.window_seconds:
            start, count = now, 0
        reset = start + limit.window_seconds - now
        if count >= limit.requests:
            return Decision(False, limit.requests, 0, reset)
        if count_it:
            self._fixed[key_id] = (start, count + 1)
        return Decision(True, limit.requests, limit.requests - count - 1, reset)

    def _hit_sliding(self, key_id: str, limit: RateLimit, now: float, count_it: bool) -> Decision:
        times = self._sliding.setdefault(key_id, deque())
        while times and now - times[0] >= limit.window_seconds:
            times.popleft()
        while len(times) > limit.requests:  # the key's limit was lowered
            times.popleft()
        if len(times) >= limit.requests:
            return Decision(False, limit.requests, 0, times[0] + limit.window_seconds - now)
        admitted = len(times) + 1
        reset = (times[0] if times else now) + limit.window_seconds - now
        if count_it:
            times.append(now)
        return Decision(True, limit.requests, limit.requests - admitted, reset)
