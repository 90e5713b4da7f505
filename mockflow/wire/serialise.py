"""The one serialiser: a handler's reply → the HTTP response, and → a proto message for GraphQL.

A reply is a proto response message (written by ``message_to_json``) or one of the types below.
The two fast paths (metric points, run pages) keep their data un-serialised until here and are
written by ``mockflow/wire/fast_json.py``, byte-identical to ``message_to_json`` of
``as_message(reply)`` (``tests/test_metric_json.py``, ``tests/test_serialise.py``).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from flask import Response, jsonify
from google.protobuf.message import Message

from mockflow.mlflow_mirror.mime_types import guess_mime_type
from mockflow.mlflow_mirror.proto_json import message_to_json
from mockflow.wire import fast_json

JSON = "application/json"


@dataclass(frozen=True)
class Json:
    """A JSON body that is not a proto message (the UI's non-proto routes). Written as MLflow's
    server writes it: Flask's ``jsonify`` (sorted keys), or ``json.dumps`` as given
    (``sort_keys=False``, for the handlers that call ``json.dumps`` themselves)."""

    body: Any
    status: int = 200
    sort_keys: bool = True


@dataclass(frozen=True)
class Raw:
    """Bytes as they are, e.g. an upload's empty JSON-typed answer."""

    body: bytes
    mimetype: str = JSON
    status: int = 200


@dataclass(frozen=True)
class Download:
    """An artifact: always an attachment, as MLflow sends them, so a browser never renders one
    on this origin; the type is MLflow's ``_guess_mime_type`` of the name."""

    data: bytes
    name: str
    mimetype: str | None = None  # None: guessed from the name


@dataclass(frozen=True)
class MetricPoints:
    """A ``repeated Metric metrics`` response (GetMetricHistory) over a history's arrays."""

    response_class: type[Message]
    key: str
    timestamps: Sequence[int]
    steps: Sequence[int]
    values: Sequence[float]
    extras: Mapping[int, tuple[str | None, str | None, str | None]] | None = None
    first_index: int = 0
    next_page_token: str | bytes | None = None


@dataclass(frozen=True)
class RunList:
    """A ``repeated Run runs`` response (SearchRuns) over the store's cached run entities."""

    response_class: type[Message]
    runs: Sequence[Any] = field(default_factory=list)
    next_page_token: str | bytes | None = None


Reply: TypeAlias = Message | Json | Raw | Download | MetricPoints | RunList


def to_json(reply: Message | MetricPoints | RunList) -> str:
    """The JSON text of a message reply, as ``message_to_json(as_message(reply))`` writes it."""
    if isinstance(reply, MetricPoints):
        points = fast_json.metrics_json(
            reply.key,
            reply.timestamps,
            reply.steps,
            reply.values,
            extras=reply.extras,
            first_index=reply.first_index,
        )
        return fast_json.list_response("metrics", points, reply.next_page_token)
    if isinstance(reply, RunList):
        items = [fast_json.entity_json(run) for run in reply.runs]
        return fast_json.list_response("runs", items, reply.next_page_token)
    return message_to_json(reply)


def as_message(reply: Any) -> Message:
    """The proto message a reply stands for (GraphQL projects messages)."""
    if isinstance(reply, MetricPoints):
        from mlflow.entities import Metric

        response = reply.response_class()
        for i, (ts, step, value) in enumerate(
            zip(reply.timestamps, reply.steps, reply.values, strict=True)
        ):
            extra = (reply.extras or {}).get(reply.first_index + i) or (None, None, None)
            model_id, dataset_name, dataset_digest = extra
            metric = Metric(reply.key, value, ts, step, model_id, dataset_name, dataset_digest)
            response.metrics.append(metric.to_proto())  # type: ignore[attr-defined]
        return _with_token(response, reply.next_page_token)
    if isinstance(reply, RunList):
        response = reply.response_class(runs=[run.to_proto() for run in reply.runs])
        return _with_token(response, reply.next_page_token)
    if isinstance(reply, Message):
        return reply
    raise TypeError(f"{type(reply).__name__} is not a message reply")


def _with_token(response: Message, token: str | bytes | None) -> Message:
    if token:
        response.next_page_token = token.decode() if isinstance(token, bytes) else token  # type: ignore[attr-defined]
    return response


def respond(reply: Reply) -> Response:
    """The HTTP response for a handler's or a view's reply."""
    if isinstance(reply, Json):
        if not reply.sort_keys:
            return Response(json.dumps(reply.body), status=reply.status, mimetype=JSON)
        response = jsonify(reply.body)
        response.status_code = reply.status
        return response
    if isinstance(reply, Raw):
        return Response(reply.body, status=reply.status, mimetype=reply.mimetype)
    if isinstance(reply, Download):
        return _download(reply)
    return Response(to_json(reply), mimetype=JSON)


def _download(reply: Download) -> Response:
    from werkzeug.http import quote_header_value

    response = Response(reply.data, mimetype=reply.mimetype or guess_mime_type(reply.name))
    filename = posixpath.basename(reply.name)
    response.headers["Content-Disposition"] = (
        f"attachment; filename={quote_header_value(filename, allow_token=True)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
