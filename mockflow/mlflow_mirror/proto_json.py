"""``mlflow/utils/proto_json_utils.py`` (3.9.0 – 3.17.2): compact ``message_to_json`` and a
``parse_dict`` that fails only with ``ParseError``.

3.10+ takes ``pretty=False`` and writes compact JSON, as its server answers; 3.9.0's
``message_to_json`` always indents by 2. The bytes differ only in whitespace, which no JSON
client sees; mockflow answers compactly on every version (smaller bodies, one code path for the
directly written metric JSON in ``wire/fast_json.py``), using 3.9.0's own int64 marking.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any

from google.protobuf.json_format import MessageToDict, ParseError
from google.protobuf.message import Message
from mlflow.utils import proto_json_utils


def _compact_for_old_mlflow(message: Message) -> str:
    json_dict = MessageToDict(message, preserving_proto_field_name=True)
    json_dict = proto_json_utils._merge_json_dicts(
        proto_json_utils._mark_int64_fields(message), json_dict
    )
    return json.dumps(json_dict, separators=(",", ":"))


def _compact_for_new_mlflow(message: Message) -> str:
    return proto_json_utils.message_to_json(message, pretty=False)


message_to_json: Callable[[Message], str] = (
    _compact_for_new_mlflow
    if "pretty" in inspect.signature(proto_json_utils.message_to_json).parameters
    else _compact_for_old_mlflow
)


def parse_dict(js_dict: Mapping[str, Any], message: Message) -> None:
    """MLflow's ``parse_dict``. 3.9.0's first turns every ``experiment_ids`` into strings and
    raises ``TypeError`` on a null or a non-list there (its server answers 500); here that is the
    ``ParseError`` of any other ill-typed field, and ``message`` is left empty."""
    try:
        proto_json_utils.parse_dict(js_dict, message)
    except TypeError as e:
        message.Clear()
        raise ParseError(str(e)) from None
