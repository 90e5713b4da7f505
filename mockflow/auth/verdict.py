"""What the auth layer decides about a request, whichever profile decides it (``layer.py`` for
the docs profile, ``gateway.py`` for the deployed gateway's)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockflow.auth.keys import ApiKey
    from mockflow.auth.ratelimit import Decision


@dataclass(frozen=True)
class Refusal:
    """Why the gateway turns a request away: MLflow's error fields plus the gateway's."""

    status: int
    error_code: str
    detail: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The whole body, when it is not MLflow's error shape (the gateway profile's own bodies).
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Verdict:
    key: ApiKey | None  # the key the credential names (also when refused, for the journal)
    refusal: Refusal | None = None
    rate: Decision | None = None
