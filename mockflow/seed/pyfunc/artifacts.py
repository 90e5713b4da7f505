"""The files of a seeded model version, as ``mlflow.pyfunc.log_model(python_model="...py",
artifacts={"params": ...}, input_example=...)`` writes them in MLflow 3.17 ("models from code").

Checked against the real client: ``MLmodel`` declares only the ``python_function`` flavor, with
loader ``mlflow.pyfunc.loaders.code_model``, ``model_code_path`` (MLflow loads the file of that
base name from the model directory) and the ``params`` artifact under ``artifacts/``; the input
example is saved in pandas ``split`` orient beside its serving payload. What the client writes
that loading never reads (``cloudpickle_version``, ``registered_model_meta``, inferred numpy and
scipy requirements) is left out, so ``requirements.txt`` lists only what loading needs.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from importlib import resources
from typing import Any

import yaml

from mockflow.seed.pyfunc.shapes import Shape

MLFLOW_VERSION = "3.17.2"
PYTHON_VERSION = "3.11.9"
CODE_FILE = "seeded_model.py"
PARAMS_FILE = "artifacts/params.json"
# What loading needs: the code file imports mlflow (models from code: 3.x) and pandas.
REQUIREMENTS = ("mlflow-skinny>=3.0,<4", "pandas")


@functools.cache
def code_file() -> bytes:
    """The model code every seeded version ships (``mockflow/seed/pyfunc/seeded_model.py``)."""
    return (resources.files("mockflow.seed.pyfunc") / CODE_FILE).read_bytes()


def signature(shape: Shape) -> dict[str, Any]:
    inputs = [{"type": f.type, "name": f.name, "required": True} for f in shape.features]
    outputs = [{"type": o.type, "name": o.name, "required": True} for o in shape.outputs]
    return {"inputs": json.dumps(inputs), "outputs": json.dumps(outputs), "params": None}


def model_files(
    *,
    shape: Shape,
    params: dict[str, Any],
    example: list[dict[str, Any]],
    metadata: dict[str, Any],
    model_id: str,
    run_id: str,
    location: str,
    created: int,
) -> dict[str, bytes]:
    """Every file of the model's artifact directory, by relative path."""
    columns = [f.name for f in shape.features]
    example_split = {"columns": columns, "data": [[row[c] for c in columns] for row in example]}
    files = {
        CODE_FILE: code_file(),
        PARAMS_FILE: _json(params),
        "input_example.json": json.dumps(example_split).encode(),
        "serving_input_example.json": json.dumps(
            {"dataframe_split": example_split}, indent=2
        ).encode(),
        **_environment(),
    }
    created_text = dt.datetime.fromtimestamp(created / 1000, dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    mlmodel = {
        "artifact_path": location,
        "flavors": {
            "python_function": {
                "artifacts": {"params": {"path": PARAMS_FILE, "uri": "params.json"}},
                "code": None,
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "mlflow.pyfunc.loaders.code_model",
                "model_code_path": CODE_FILE,
                "python_version": PYTHON_VERSION,
                "streamable": False,
            }
        },
        "is_signature_from_type_hint": False,
        "metadata": metadata,
        "mlflow_version": MLFLOW_VERSION,
        "model_id": model_id,
        "model_size_bytes": sum(len(v) for v in files.values()),
        "model_uuid": model_id,
        "prompts": None,
        "run_id": run_id,
        "saved_input_example_info": {
            "artifact_path": "input_example.json",
            "pandas_orient": "split",
            "serving_input_path": "serving_input_example.json",
            "type": "dataframe",
        },
        "signature": signature(shape),
        "type_hint_from_example": False,
        "utc_time_created": created_text,
    }
    return {"MLmodel": _yaml(mlmodel, sort=True), **files}


@functools.cache
def _environment() -> dict[str, bytes]:
    """The environment files, the same for every version."""
    return {
        "requirements.txt": "\n".join(REQUIREMENTS).encode(),
        "conda.yaml": _yaml(
            {
                "channels": ["conda-forge"],
                "dependencies": [
                    f"python={PYTHON_VERSION}",
                    "pip<=24.3",
                    {"pip": list(REQUIREMENTS)},
                ],
                "name": "mlflow-env",
            },
            sort=False,
        ),
        "python_env.yaml": _yaml(
            {
                "python": PYTHON_VERSION,
                "build_dependencies": ["pip==24.3", "setuptools==75.6.0", "wheel"],
                "dependencies": ["-r requirements.txt"],
            },
            sort=False,
        ),
    }


def _yaml(doc: dict[str, Any], *, sort: bool) -> bytes:
    # libyaml's emitter when present: the same text, several times faster.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(doc, Dumper=dumper, default_flow_style=False, sort_keys=sort).encode()


def _json(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
