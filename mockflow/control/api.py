"""The control API over HTTP: ``/_mockflow/...``, JSON in and out, guarded only by its own
optional admin token (never by API keys, never subject to faults, not journaled by default)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from mockflow.config import SettingsError
from mockflow.control.controller import EXTENSION, Controller, WorldUnavailable
from mockflow.control.keys import KeysUnavailable
from mockflow.faults import Fault, FaultError
from mockflow.seed.errors import SeedError
from mockflow.store import StateError

ADMIN_TOKEN_HEADER = "X-Mockflow-Admin-Token"


class ControlError(Exception):
    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


def _control() -> Controller:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def _body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ControlError(400, "MALFORMED_REQUEST", "the request body must be a JSON object")
    return data


def _optional_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        message = f"{name} must be a whole number"
        raise ControlError(400, "INVALID_PARAMETER_VALUE", message) from None


blueprint = Blueprint("mockflow_control", __name__)


@blueprint.before_request
def check_admin_token() -> Response | None:
    token = _control().settings.admin_token
    if not token:
        return None
    given = request.headers.get(ADMIN_TOKEN_HEADER, "")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        given = given or auth[7:].strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise ControlError(
            401,
            "UNAUTHENTICATED",
            f"the control API needs the admin token: 'Authorization: Bearer <token>' or "
            f"'{ADMIN_TOKEN_HEADER}: <token>'",
        )
    return None


@blueprint.errorhandler(ControlError)
def control_error(exc: ControlError) -> Response:
    response = jsonify({"error_code": exc.error_code, "message": exc.message})
    response.status_code = exc.status
    return response


@blueprint.errorhandler(StateError)
@blueprint.errorhandler(SeedError)
@blueprint.errorhandler(SettingsError)
@blueprint.errorhandler(FaultError)
def invalid(exc: Exception) -> Response:
    return control_error(ControlError(400, "INVALID_PARAMETER_VALUE", str(exc)))


@blueprint.errorhandler(LookupError)
def missing(exc: LookupError) -> Response:
    message = exc.args[0] if exc.args else str(exc)
    return control_error(ControlError(404, "RESOURCE_DOES_NOT_EXIST", str(message)))


@blueprint.errorhandler(KeysUnavailable)
@blueprint.errorhandler(WorldUnavailable)
def unavailable(exc: Exception) -> Response:
    return control_error(ControlError(501, "NOT_IMPLEMENTED", str(exc)))


def _world_options(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - {"world", "seed", "fixture", "state_file", "auth"})
    if unknown:
        raise ControlError(400, "INVALID_PARAMETER_VALUE", f"unknown field(s) {unknown}")
    return {
        "world": body.get("world"),
        "seed": _optional_int(body.get("seed"), "seed"),
        "fixture": body.get("fixture"),
        "state_file": body.get("state_file"),
    }


@blueprint.post("/reset")
def reset() -> Response:
    body = _body()
    auth = body.get("auth")
    return jsonify(_control().reset(**_world_options(body), auth=auth))


@blueprint.post("/seed")
def seed() -> Response:
    body = _body()
    body.pop("auth", None)
    return jsonify(_control().seed(**_world_options(body)))


@blueprint.get("/state")
def get_state() -> Response:
    return jsonify(_control().export_state())


@blueprint.put("/state")
def put_state() -> Response:
    _control().import_state(_body())
    return jsonify({"counts": _control().store.counts()})


@blueprint.post("/snapshot/<name>")
def snapshot(name: str) -> Response:
    return jsonify({"snapshot": _control().snapshot(name)})


@blueprint.post("/restore/<name>")
def restore(name: str) -> Response:
    _control().restore(name)
    return jsonify({"restored": name, "counts": _control().store.counts()})


@blueprint.get("/snapshots")
def snapshots() -> Response:
    return jsonify({"snapshots": sorted(_control().snapshots)})


@blueprint.get("/requests")
def get_requests() -> Response:
    args = request.args
    unknown = sorted(set(args) - {"method", "path", "rpc", "status", "key_id", "limit"})
    if unknown:
        raise ControlError(400, "INVALID_PARAMETER_VALUE", f"unknown filter(s) {unknown}")
    entries = _control().journal.entries(
        method=args.get("method"),
        path=args.get("path"),
        rpc=args.get("rpc"),
        status=_optional_int(args.get("status"), "status"),
        key_id=args.get("key_id"),
    )
    limit = _optional_int(args.get("limit"), "limit")
    if limit is not None:
        entries = entries[-limit:] if limit > 0 else []
    return jsonify({"requests": [e.to_dict() for e in entries], "count": len(entries)})


@blueprint.delete("/requests")
def clear_requests() -> Response:
    _control().journal.clear()
    return jsonify({"cleared": True})


@blueprint.get("/faults")
def list_faults() -> Response:
    return jsonify({"faults": [f.to_dict() for f in _control().faults]})


@blueprint.post("/faults")
def add_fault() -> Response:
    body = _body()
    rules = body.get("faults") if "faults" in body else [body]
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ControlError(400, "INVALID_PARAMETER_VALUE", "'faults' must be a list of rules")
    parsed = [Fault.from_dict(rule) for rule in rules]  # all valid, or none added
    added = [_control().faults.add(rule).to_dict() for rule in parsed]
    response = jsonify({"faults": added} if "faults" in body else {"fault": added[0]})
    response.status_code = 201
    return response


@blueprint.delete("/faults")
def clear_faults() -> Response:
    _control().faults.clear()
    return jsonify({"cleared": True})


@blueprint.delete("/faults/<fault_id>")
def delete_fault(fault_id: str) -> Response:
    if not _control().faults.remove(fault_id):
        raise LookupError(f"no fault with id {fault_id!r}")
    return jsonify({"deleted": fault_id})


@blueprint.get("/keys")
def list_keys() -> Response:
    keys = _control().keys
    return jsonify({"auth": keys.enabled, "keys": keys.list() if keys.available else []})


@blueprint.post("/keys")
def create_key() -> Response:
    body = _body()
    try:
        created = _control().keys.create(**body)
    except TypeError as e:
        raise ControlError(400, "INVALID_PARAMETER_VALUE", str(e)) from None
    except ValueError as e:  # the auth layer's KeyFileError, or a duplicate id
        raise ControlError(400, "INVALID_PARAMETER_VALUE", str(e)) from None
    response = jsonify({"key": created})
    response.status_code = 201
    return response


@blueprint.delete("/keys")
def reset_keys() -> Response:
    _control().keys.reset()
    return jsonify({"reset": True})


@blueprint.delete("/keys/<key_id>")
def delete_key(key_id: str) -> Response:
    return jsonify({"deleted": _control().keys.delete(key_id)})


@blueprint.get("/health")
def health() -> Response:
    return jsonify(_control().health())


def install(app: Flask, controller: Controller) -> None:
    """Mount the control API at ``/_mockflow`` and under the prefix (``/mlflow/_mockflow``)."""
    app.extensions[EXTENSION] = controller
    app.register_blueprint(blueprint, url_prefix="/_mockflow")
    prefix = controller.settings.prefix
    if prefix:
        app.register_blueprint(
            blueprint, url_prefix=f"{prefix}/_mockflow", name="mockflow_control_prefixed"
        )
