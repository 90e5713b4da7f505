"""The web UI's requests that are not proto RPCs, answered as MLflow's server answers them.

MLflow's server mounts these by hand (mlflow/server/__init__.py and its FastAPI app); the UI calls
them on its main pages. Endpoint names follow the auth layer's scope rule: names starting with
``Get``/``Query`` are reads, so a read-only key can browse.
"""

from __future__ import annotations

import json

from mlflow.exceptions import MlflowException
from mlflow.store.tracking import MAX_RESULTS_GET_METRIC_HISTORY as MAX_HISTORY_RESULTS

from mockflow.handlers import Call, require_ids, view
from mockflow.mlflow_mirror.handler_schemas import MAX_RUN_IDS_PER_REQUEST
from mockflow.store import Store
from mockflow.wire.serialise import Json


@view("/ajax-api/2.0/mlflow/metrics/get-history-bulk", "GetMetricHistoryBulk")
def get_metric_history_bulk(call: Call, store: Store) -> Json:
    run_ids = require_ids(
        call.arglist("run_id"),
        rpc="GetMetricHistoryBulk",
        name="run_id",
        limit=MAX_RUN_IDS_PER_REQUEST,
    )
    metric_key = call.arg("metric_key")
    if metric_key is None:
        raise MlflowException.invalid_parameter_value(
            "GetMetricHistoryBulk request must specify a metric_key."
        )
    max_results = min(int(call.arg("max_results") or MAX_HISTORY_RESULTS), MAX_HISTORY_RESULTS)
    metrics = [
        {"key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step, "run_id": run_id}
        for run_id, m in store.metric_history_bulk(run_ids, metric_key, max_results)
    ]
    return Json({"metrics": metrics})


@view("/graphql", "QueryGraphql", methods=("GET", "POST"))
def query_graphql(call: Call, store: Store) -> Json:
    from mockflow.ui import graphql

    try:
        body = json.loads(call.body) if call.body.strip() else {}
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    query = body.get("query") or call.arg("query") or ""
    return Json(
        graphql.execute(store, call, query, body.get("variables"), body.get("operationName"))
    )


@view("/ajax-api/3.0/mlflow/ui-telemetry", "GetUiTelemetry")
def get_ui_telemetry(call: Call, store: Store) -> Json:
    # MLflow's answer when telemetry is disabled: the UI then sends no records.
    return Json({"disable_ui_telemetry": True, "disable_ui_events": [], "ui_rollout_percentage": 0})


@view("/ajax-api/3.0/mlflow/ui-telemetry", "PostUiTelemetry", methods=("POST",))
def post_ui_telemetry(call: Call, store: Store) -> Json:
    return Json({"status": "disabled"})  # accepted and dropped


@view("/ajax-api/3.0/mlflow/assistant/config", "GetAssistantConfig")
def get_assistant_config(call: Call, store: Store) -> Json:
    # MLflow's AI assistant with no provider configured.
    return Json({"providers": {}, "projects": {}, "remote_access_allowed": False})


@view("/ajax-api/3.0/mlflow/assistant/providers", "GetAssistantProviders")
def get_assistant_providers(call: Call, store: Store) -> Json:
    return Json({"providers": [], "resolved": None, "gateway_vendor_options": {}})


@view("/ajax-api/2.0/mlflow/gateway-proxy", "GetGatewayProxy")
def get_gateway_proxy(call: Call, store: Store) -> Json:
    # MLflow's answer with no deployments target configured: an empty gateway.
    return Json({"endpoints": []})


@view("/ajax-api/2.0/mlflow/users/current", "GetCurrentUser")
def get_current_user(call: Call, store: Store) -> Json:
    # MLflow's basic-auth app answers this; mockflow names the API key's owner (anonymous with
    # auth off, where everyone may do everything).
    owner, scopes = call.caller.owner, call.caller.scopes
    return Json(
        {
            "user": {
                "id": 0,
                "username": owner or "anonymous",
                "is_admin": owner is None or "admin" in scopes,
            },
            "is_basic_auth": False,
        }
    )
