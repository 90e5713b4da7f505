"""The web UI's requests that are not proto RPCs, answered as MLflow's server answers them.

MLflow's server mounts these by hand (mlflow/server/__init__.py and its FastAPI app); the UI calls
them on its main pages. Endpoint names follow the auth layer's scope rule: names starting with
``Get``/``Query`` are reads, so a read-only key can browse.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request
from mlflow.exceptions import MlflowException
from mlflow.store.tracking import MAX_RESULTS_GET_METRIC_HISTORY as MAX_HISTORY_RESULTS

from mockflow.handlers import load_handlers, view
from mockflow.mlflow_mirror.handler_schemas import MAX_RUN_IDS_PER_REQUEST
from mockflow.store import Store


@view("/ajax-api/2.0/mlflow/metrics/get-history-bulk", "GetMetricHistoryBulk")
def get_metric_history_bulk(store: Store) -> Response:
    run_ids = request.args.getlist("run_id")
    if not run_ids:
        raise MlflowException.invalid_parameter_value(
            "GetMetricHistoryBulk request must specify at least one run_id."
        )
    if len(run_ids) > MAX_RUN_IDS_PER_REQUEST:
        raise MlflowException.invalid_parameter_value(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUN_IDS_PER_REQUEST}"
            f" run_ids. Received {len(run_ids)} run_ids."
        )
    metric_key = request.args.get("metric_key")
    if metric_key is None:
        raise MlflowException.invalid_parameter_value(
            "GetMetricHistoryBulk request must specify a metric_key."
        )
    max_results = min(
        int(request.args.get("max_results", MAX_HISTORY_RESULTS)), MAX_HISTORY_RESULTS
    )
    metrics: list[dict[str, Any]] = []
    for run_id in sorted(run_ids):
        history = store.tracking.get_metric_history(run_id, metric_key, max_results)
        for m in sorted(history, key=lambda m: (m.timestamp, m.step, m.value)):
            metrics.append(
                {
                    "key": m.key,
                    "value": m.value,
                    "timestamp": m.timestamp,
                    "step": m.step,
                    "run_id": run_id,
                }
            )
    return jsonify({"metrics": metrics[:max_results]})


@view("/graphql", "QueryGraphql", methods=("GET", "POST"))
def query_graphql(store: Store) -> Response:
    from mockflow.ui import graphql

    body = request.get_json(silent=True) or {}
    query = body.get("query") or request.args.get("query") or ""
    result = graphql.execute(
        store, load_handlers(), query, body.get("variables"), body.get("operationName")
    )
    return jsonify(result)


@view("/ajax-api/3.0/mlflow/ui-telemetry", "GetUiTelemetry")
def get_ui_telemetry(store: Store) -> Response:
    # MLflow's answer when telemetry is disabled: the UI then sends no records.
    return jsonify(
        {"disable_ui_telemetry": True, "disable_ui_events": [], "ui_rollout_percentage": 0}
    )


@view("/ajax-api/3.0/mlflow/ui-telemetry", "PostUiTelemetry", methods=("POST",))
def post_ui_telemetry(store: Store) -> Response:
    return jsonify({"status": "disabled"})  # accepted and dropped


@view("/ajax-api/3.0/mlflow/assistant/config", "GetAssistantConfig")
def get_assistant_config(store: Store) -> Response:
    # MLflow's AI assistant with no provider configured.
    return jsonify({"providers": {}, "projects": {}, "remote_access_allowed": False})


@view("/ajax-api/3.0/mlflow/assistant/providers", "GetAssistantProviders")
def get_assistant_providers(store: Store) -> Response:
    return jsonify({"providers": [], "resolved": None, "gateway_vendor_options": {}})


@view("/ajax-api/2.0/mlflow/gateway-proxy", "GetGatewayProxy")
def get_gateway_proxy(store: Store) -> Response:
    # MLflow's answer with no deployments target configured: an empty gateway.
    return jsonify({"endpoints": []})


@view("/ajax-api/2.0/mlflow/users/current", "GetCurrentUser")
def get_current_user(store: Store) -> Response:
    # MLflow's basic-auth app answers this; mockflow names the API key's owner (anonymous with
    # auth off, where everyone may do everything).
    owner = g.get("api_key_owner")
    scopes = g.get("scopes") or []
    return jsonify(
        {
            "user": {
                "id": 0,
                "username": owner or "anonymous",
                "is_admin": owner is None or "admin" in scopes,
            },
            "is_basic_auth": False,
        }
    )
