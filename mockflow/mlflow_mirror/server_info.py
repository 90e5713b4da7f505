"""The body of ``GET /api/3.0/mlflow/server-info``: ``_get_server_info`` of
``mlflow/server/handlers.py``, as the installed MLflow's server answers for a SQL store without
workspaces, multipart transfers or a gateway.

3.17.2 builds it with ``mlflow.utils.server_info.build_server_info_payload`` (the client reads
these keys to decide what to try); 3.9.0 answers ``{"store_type": "SqlStore"}`` only.
"""

from __future__ import annotations

from typing import Any


def server_info_payload() -> dict[str, Any]:
    try:
        from mlflow.utils import server_info as si
    except ImportError:  # mlflow < 3.17
        return {"store_type": "SqlStore"}
    return {
        si.SERVER_INFO_STORE_TYPE: "SqlStore",
        si.SERVER_INFO_WORKSPACES_ENABLED: False,
        si.SERVER_INFO_TRACE_ARCHIVAL_ENABLED: False,
        si.SERVER_INFO_MULTIPART_UPLOADS_ENABLED: False,
        si.SERVER_INFO_MULTIPART_DOWNLOADS_ENABLED: False,
        si.SERVER_INFO_PRESIGNED_UPLOAD_RUN_ID_SUPPORTED: True,
        si.SERVER_INFO_PRESIGNED_UPLOAD_MODEL_ID_SUPPORTED: True,
        si.SERVER_INFO_FEATURES_ENABLED: {"gateway": False},
    }
