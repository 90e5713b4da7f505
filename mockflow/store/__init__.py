"""All of mockflow's state, in memory, behind one lock. No HTTP here.

Handlers take ``store.lock`` once per request and call the area stores (``store.tracking``, ...),
which raise ``MlflowException`` for anything MLflow would refuse.
"""

from __future__ import annotations

import threading
from typing import Any

from mockflow.store.tracking import TrackingStore


class Store:
    def __init__(self) -> None:
        # Re-entrant, so a store method may call another without deadlocking.
        self.lock = threading.RLock()
        self.tracking = TrackingStore()

    def reset(self) -> None:
        """Back to an empty server: only the Default experiment."""
        with self.lock:
            self.tracking = TrackingStore()

    def counts(self) -> dict[str, Any]:
        with self.lock:
            return self.tracking.counts()
