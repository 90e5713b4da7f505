"""An MLflow request-header provider that sends ``HOKUSAI_API_KEY`` as ``X-API-Key``.

Registered through the ``mlflow.request_header_provider`` entry point (see pyproject.toml), so the
unmodified ``mlflow`` client loads it when ``mlflow.tracking.request_header.registry`` is first
imported, and asks it for headers on every request. That keeps the Hokusai docs' promise "the SDK
will automatically include the API key" for plain ``mlflow`` users too.

It stays quiet when another credential is configured (``MLFLOW_TRACKING_TOKEN`` or
``MLFLOW_TRACKING_USERNAME``/``PASSWORD``), so a key is never sent twice in two forms, and when
``HOKUSAI_API_KEY_HEADER`` is ``false``/``0``/``off``/``no``. Note that the header goes to whatever
tracking server the client talks to: switch it off when ``HOKUSAI_API_KEY`` is set but the
server is not Hokusai's (or mockflow).
"""

from __future__ import annotations

import os

SWITCH = "HOKUSAI_API_KEY_HEADER"
_OTHER_CREDENTIALS = (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
)
_OFF = {"0", "false", "off", "no"}


class HokusaiApiKeyHeaderProvider:
    """Duck-typed :class:`mlflow.tracking.request_header.abstract_request_header_provider.
    RequestHeaderProvider` (no import, so loading the plugin never costs an mlflow import)."""

    def in_context(self) -> bool:
        if os.environ.get(SWITCH, "").strip().lower() in _OFF:
            return False
        if not os.environ.get("HOKUSAI_API_KEY", "").strip():
            return False
        return not any(os.environ.get(name) for name in _OTHER_CREDENTIALS)

    def request_headers(self) -> dict[str, str]:
        return {"X-API-Key": os.environ["HOKUSAI_API_KEY"].strip()}
