"""The ``/_mockflow/`` control API: arrange state, inject faults, read the journal, manage keys.

:class:`Controller` holds the operations as Python methods; :mod:`mockflow.control.api` serves
them as JSON over HTTP for users outside Python (a CI container driven by curl).
"""

from mockflow.control.controller import EXTENSION, Controller, WorldUnavailable
from mockflow.control.keys import KeyAdmin, KeysUnavailable

__all__ = [
    "EXTENSION",
    "Controller",
    "KeyAdmin",
    "KeysUnavailable",
    "WorldUnavailable",
]
