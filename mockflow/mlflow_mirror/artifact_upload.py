"""The body of a successful artifact upload (``PUT mlflow-artifacts/artifacts/<path>``).

3.17.2 serves uploads from ``mlflow/server/artifact_router.py`` (native FastAPI), which answers
``200`` with an empty body; 3.9.0 serves them from ``mlflow/server/handlers.py``
``_upload_artifact``, which answers ``{}`` (``message_to_json`` of ``UploadArtifact.Response``).
Which one the installed MLflow has is read from its files: importing ``mlflow.server`` would
start importing the whole server.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache


@cache
def upload_response_body() -> bytes:
    spec = importlib.util.find_spec("mlflow")
    root = os.path.dirname(spec.origin) if spec and spec.origin else ""
    native = os.path.exists(os.path.join(root, "server", "artifact_router.py"))
    return b"" if native else b"{}"
