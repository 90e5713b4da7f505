"""MLflow's error bodies: ``{"error_code": ..., "message": ...}`` with MLflow's HTTP status."""

from __future__ import annotations

import json

from flask import Response
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND, INTERNAL_ERROR, ErrorCode

JSON = "application/json"


def error_response(exc: MlflowException, *, status: int | None = None) -> Response:
    return Response(
        exc.serialize_as_json(),
        status=status or exc.get_http_status_code(),
        mimetype=JSON,
    )


def json_error(error_code: str, message: str, status: int, **extra: object) -> Response:
    """An MLflow-shaped error for cases with no MlflowException (e.g. 405), plus extra fields."""
    body = {"error_code": error_code, "message": message, **extra}
    return Response(json.dumps(body), status=status, mimetype=JSON)


def endpoint_not_found(method: str, path: str) -> Response:
    return json_error(
        ErrorCode.Name(ENDPOINT_NOT_FOUND),
        f"No API endpoint {method} {path} in mockflow (an MLflow tracking server stand-in).",
        404,
    )


def refusal_body(status: int, message: str) -> bytes:
    """The JSON body for a request the HTTP server refuses before the app sees it (a URL or
    header over its limit, a malformed request line): MLflow's error shape, never a text page."""
    if status < 500:
        code = "BAD_REQUEST"
    else:
        code = "NOT_IMPLEMENTED" if status == 501 else ErrorCode.Name(INTERNAL_ERROR)
    return json.dumps({"error_code": code, "message": message}).encode()
