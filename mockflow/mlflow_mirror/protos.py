"""Request messages of ``mlflow/protos/service_pb2.py`` that only some of the supported
mlflow-skinny versions define (3.9.0 – 3.17.2): MLflow adds RPCs to its ``service.proto``
release by release, and the route table comes from the installed protos. Handlers of such an
RPC look its request class up here; when the installed mlflow lacks it, the handler is not
registered (and there is no route).
"""

from __future__ import annotations

from typing import Any

from mlflow.protos import service_pb2


def optional_request(name: str) -> Any:
    """``service_pb2.<name>`` if the installed mlflow defines it, else None.

    Known to be missing from 3.9.0: ``BatchGetTraceInfos``, ``DeleteDatasetRecords``,
    ``DeleteTracesV3`` and the five workspace RPCs (``CreateWorkspace``, ...).
    """
    return getattr(service_pb2, name, None)


def optional_field(message: Any, name: str) -> Any:
    """``message.<name>``, or None when the installed mlflow's proto lacks the field.

    Known to be missing from 3.9.0: ``BatchGetTraces.experiment_ids``,
    ``ListScorers.experiment_ids``.
    """
    if name not in message.DESCRIPTOR.fields_by_name:
        return None
    return getattr(message, name)
