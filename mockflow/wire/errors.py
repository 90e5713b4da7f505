"""MLflow's error bodies: ``{"error_code": ..., "message": ...}`` with MLflow's HTTP status.

``error_body`` is the one place mockflow writes such a body: the app's error handlers, the fault
layer (WSGI, before Flask), the auth layer (with the gateway's extra fields) and the control API
all build theirs here; an ``MlflowException`` is written by MLflow's own ``serialize_as_json``.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND, INTERNAL_ERROR, ErrorCode
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

JSON = "application/json"


def error_body(error_code: str, message: str, **extra: object) -> bytes:
    """The JSON bytes of an MLflow error, with any extra fields after the two MLflow sends."""
    return json.dumps({"error_code": error_code, "message": message, **extra}).encode()


def json_error(error_code: str, message: str, status: int, **extra: object) -> Response:
    """An MLflow-shaped error response, e.g. for a 405 or a refusal with extra fields."""
    return Response(error_body(error_code, message, **extra), status=status, mimetype=JSON)


def error_response(exc: MlflowException, *, status: int | None = None) -> Response:
    """An ``MlflowException`` as the installed MLflow writes it (newer releases add ``sqlstate``
    and ``error_class`` to the two fields)."""
    return Response(
        exc.serialize_as_json(), status=status or exc.get_http_status_code(), mimetype=JSON
    )


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
    return error_body(code, message)


def install(app: Flask) -> None:
    """Every failure becomes MLflow's JSON error; never a traceback, never an HTML page."""

    @app.after_request
    def flasks_own_answers(response: Response) -> Response:
        # Two answers Flask gives before any view: its automatic OPTIONS (200, an empty
        # text/html body), where MLflow answers 204 (a CORS preflight keeps MLflow's 200); and
        # the HTML page of a redirect (a `//` path merged), which keeps its status and Location
        # with a JSON body.
        if (
            request.method == "OPTIONS"
            and response.status_code == 200
            and "Access-Control-Request-Method" not in request.headers
            and not response.get_data()
        ):
            response.status_code = 204
        elif 300 <= response.status_code < 400 and response.mimetype == "text/html":
            location = response.headers.get("Location", "")
            response.set_data(
                json.dumps({"message": f"Redirecting to {location}", "location": location})
            )
            response.mimetype = JSON
        return response

    @app.errorhandler(MlflowException)
    def mlflow_error(exc: MlflowException) -> Response:
        return error_response(exc)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return endpoint_not_found(request.method, request.path)

    @app.errorhandler(MethodNotAllowed)
    def wrong_method(exc: MethodNotAllowed) -> Response:
        allowed = sorted(exc.valid_methods or [])
        response = json_error(
            "ENDPOINT_NOT_FOUND",
            f"Method {request.method} is not allowed for {request.path}; use {', '.join(allowed)}.",
            405,
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return json_error(
            "INVALID_PARAMETER_VALUE",
            f"Request body is larger than the server's limit of {limit} bytes.",
            413,
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return json_error(
            "BAD_REQUEST" if (exc.code or 500) < 500 else ErrorCode.Name(INTERNAL_ERROR),
            exc.description or exc.name,
            exc.code or 500,
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("Unhandled error in %s %s", request.method, request.path)
        return json_error(
            ErrorCode.Name(INTERNAL_ERROR),
            f"mockflow internal error: {type(exc).__name__}: {exc}",
            500,
        )
