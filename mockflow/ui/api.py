"""The UI's requests that are not proto RPCs, as MLflow's server answers them.

MLflow's server mounts these by hand (mlflow/server/__init__.py and the FastAPI app); the web UI
calls them on its main pages. Endpoint names follow the auth layer's scope rule: names that start
with ``Get``/``Query`` are reads, so a read-only key can browse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, g, jsonify, request
from mlflow.exceptions import MlflowException

from mockflow.handlers import load_handlers
from mockflow.ui import graphql

AddRule = Callable[[str, str, Callable[..., Any], list[str]], None]

# MLflow's limits for metrics/get-history-bulk (mlflow/server/handlers.py).
MAX_HISTORY_RESULTS = 25000
MAX_RUN_IDS_PER_REQUEST = 100


def add_ui_api_routes(add: AddRule, state: Any) -> None:
    store = state.store
    handlers = load_handlers()

    def get_metric_history_bulk() -> Response:
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
        with store.lock:
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

    def query_graphql() -> Response:
        body = request.get_json(silent=True) or {}
        query = body.get("query") or request.args.get("query") or ""
        with store.lock:
            result = graphql.execute(
                store, handlers, query, body.get("variables"), body.get("operationName")
            )
        return jsonify(result)

    def get_ui_telemetry() -> Response:
        # MLflow's answer when telemetry is disabled: the UI then sends no records.
        return jsonify(
            {"disable_ui_telemetry": True, "disable_ui_events": [], "ui_rollout_percentage": 0}
        )

    def post_ui_telemetry() -> Response:
        return jsonify({"status": "disabled"})  # accepted and dropped

    def get_assistant_config() -> Response:
        # MLflow's AI assistant with no provider configured: the UI hides it.
        return jsonify({"providers": {}, "projects": {}, "remote_access_allowed": False})

    def get_assistant_providers() -> Response:
        return jsonify({"providers": [], "resolved": None, "gateway_vendor_options": {}})

    def get_gateway_proxy() -> Response:
        # MLflow's answer with no deployments target configured: an empty gateway.
        return jsonify({"endpoints": []})

    def get_current_user() -> Response:
        # MLflow's basic-auth app answers this; mockflow names the API key's owner.
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

    add(
        "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
        "GetMetricHistoryBulk",
        get_metric_history_bulk,
        ["GET"],
    )
    add("/graphql", "QueryGraphql", query_graphql, ["GET", "POST"])
    add("/ajax-api/3.0/mlflow/ui-telemetry", "GetUiTelemetry", get_ui_telemetry, ["GET"])
    add("/ajax-api/3.0/mlflow/ui-telemetry", "ui_telemetry", post_ui_telemetry, ["POST"])
    add(
        "/ajax-api/3.0/mlflow/assistant/config", "GetAssistantConfig", get_assistant_config, ["GET"]
    )
    add(
        "/ajax-api/3.0/mlflow/assistant/providers",
        "GetAssistantProviders",
        get_assistant_providers,
        ["GET"],
    )
    add("/ajax-api/2.0/mlflow/gateway-proxy", "GetGatewayProxy", get_gateway_proxy, ["GET"])
    add("/ajax-api/2.0/mlflow/users/current", "GetCurrentUser", get_current_user, ["GET"])
