"""The one Hokusai API call the SDK makes besides MLflow's: the tokenized-registration event.

``hokusai model register`` and ``ModelRegistry.register_tokenized_model(notify_site=True)`` POST
the registration to ``{HOKUSAI_API_ENDPOINT}/models/tokenized-registration-events`` once MLflow
has the model version. mockflow answers it as the data pipeline does (``src/api/routes/models.py``
and ``src/api/schemas/model_registration_event.py`` of Hokusai-protocol/hokusai-data-pipeline at
f4c4c38): the same required fields, 422 for a bad body, and the same success body; the event
itself goes nowhere (the request journal has it).
"""

from __future__ import annotations

import json
import math
from typing import Any

from mockflow.handlers import Call, view
from mockflow.store import Store
from mockflow.wire.serialise import Json

_REQUIRED_TEXT = (
    "model_name",
    "version",
    "token_id",
    "proposal_identifier",
    "metric_name",
    "mlflow_run_id",
)


def _problems(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    problems = []
    for name in _REQUIRED_TEXT:
        value = body.get(name)
        if name not in body:
            problems.append({"loc": ["body", name], "msg": "Field required", "type": "missing"})
        elif not isinstance(value, str) or not value.strip():
            msg = "Value error, must be a non-empty string"
            problems.append({"loc": ["body", name], "msg": msg, "type": "value_error"})
    for name in ("baseline_value", "current_value"):
        value = body.get(name)
        if value is None and name == "current_value":
            continue
        if name not in body:
            problems.append({"loc": ["body", name], "msg": "Field required", "type": "missing"})
        elif isinstance(value, bool) or not isinstance(value, int | float):
            msg = "Input should be a valid number"
            problems.append({"loc": ["body", name], "msg": msg, "type": "float_type"})
        elif not math.isfinite(value):
            msg = "Value error, must be a finite number"
            problems.append({"loc": ["body", name], "msg": msg, "type": "value_error"})
    return problems


@view(
    "/api/models/tokenized-registration-events",
    "CreateTokenizedRegistrationEvent",
    methods=("POST",),
)
def tokenized_registration_event(call: Call, store: Store) -> Json:
    try:
        body = json.loads(call.body) if call.body.strip() else None
    except ValueError:
        body = None
    problems = _problems(body)
    if problems or not isinstance(body, dict):
        return Json({"detail": problems}, status=422)
    name, version, token = (body[k].strip() for k in ("model_name", "version", "token_id"))
    return Json(
        {
            "status": "ok",
            "model_id": f"{name}/{version}/{token}",
            "model_name": name,
            "version": version,
            "event_emitted": True,
            "detail": None,
        }
    )
