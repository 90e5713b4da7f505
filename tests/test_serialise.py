"""The one serialiser: each fast-path reply writes exactly what ``message_to_json`` writes for
the message it stands for (``as_message``, which GraphQL projects), so REST and GraphQL agree."""

from __future__ import annotations

import math

import pytest
from mlflow.entities import RunTag
from mlflow.protos.service_pb2 import GetMetricHistory, SearchRuns
from mlflow.utils.proto_json_utils import message_to_json

from mockflow.store import Store
from mockflow.wire.serialise import MetricPoints, RunList, as_message, respond, to_json

VALUES = [0.0, -0.0, 1.5, 1e-300, math.inf, -math.inf, math.nan, 0.1 + 0.2, 5e-324]


@pytest.mark.parametrize("token", [None, "tok", b"b64tok=="])
@pytest.mark.parametrize("first_index", [0, 3])
def test_metric_points_write_message_to_json_of_their_message(
    token: str | bytes | None, first_index: int
) -> None:
    n = len(VALUES)
    extras = {first_index + 1: ("m-1", "train", "d1g"), first_index + 2: ("m-2", None, None)}
    reply = MetricPoints(
        GetMetricHistory.Response,
        "val/lóss",
        [1_700_000_000_000 + i for i in range(n)],
        list(range(n)),
        VALUES,
        extras=extras,
        first_index=first_index,
        next_page_token=token,
    )
    assert to_json(reply) == message_to_json(as_message(reply), pretty=False)
    assert respond(reply).get_data(as_text=True) == to_json(reply)


def test_an_empty_history_is_an_empty_object() -> None:
    reply = MetricPoints(GetMetricHistory.Response, "k", (), (), ())
    assert to_json(reply) == message_to_json(as_message(reply), pretty=False) == "{}"


def test_run_list_writes_message_to_json_of_its_message() -> None:
    store = Store()
    with store.lock:
        experiment_id = store.tracking.create_experiment("serialise")
        for i in range(3):
            store.tracking.create_run(experiment_id, "u", i, [RunTag("t", "ü")], f"r{i}")
        page = store.tracking.search_runs([experiment_id], None, 1, 2, None, None)
    reply = RunList(SearchRuns.Response, page, page.token)
    assert page.token
    assert to_json(reply) == message_to_json(as_message(reply), pretty=False)


def test_a_message_reply_is_message_to_json() -> None:
    message = GetMetricHistory.Response(next_page_token="x")
    assert respond(message).get_data(as_text=True) == message_to_json(message, pretty=False)
    assert as_message(message) is message
