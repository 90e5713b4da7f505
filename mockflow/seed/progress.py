"""Build progress on the terminal: a one-line counter on stderr, only when stderr is a TTY."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """``progress(stage, done, total)`` callable; silent unless ``stream`` is a terminal."""

    def __init__(self, stream: TextIO | None = None, *, label: str = "building world") -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.started: float | None = None  # from the first report, so imports do not count
        self._drawn = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.started is None:
            self.started = time.monotonic()
        if not self.enabled or total <= 0:
            return
        percent = 100 * done // total
        bar = "#" * (percent // 5) + "." * (20 - percent // 5)
        self.stream.write(f"\r{self.label}: [{bar}] {done:,}/{total:,} {stage}")
        self.stream.flush()
        self._drawn = True

    def done(self, summary: str) -> None:
        """Replace the counter with one summary line (printed on a terminal only)."""
        if not self.enabled:
            return
        elapsed = time.monotonic() - (self.started or time.monotonic())
        clear = "\r\033[K" if self._drawn else ""
        self.stream.write(f"{clear}{summary} in {elapsed:.2f} s\n")
        self.stream.flush()
