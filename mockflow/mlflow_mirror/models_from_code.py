"""The directory ``mlflow.pyfunc.log_model`` writes for a "models from code" model.

Mirrors ``mlflow/pyfunc/__init__.py`` ``save_model`` with ``python_model="<file>.py"`` and
``artifacts=``, ``mlflow/pyfunc/model.py`` ``_save_model_with_class_artifacts_params``,
``mlflow/models/model.py`` ``Model.to_dict`` and ``mlflow/models/utils.py``
``_save_example`` (MLflow 3.17.2): ``MLmodel`` declares only the ``python_function`` flavor,
with loader ``mlflow.pyfunc.loaders.code_model``, ``model_code_path`` (loading takes the file of
that base name from the model directory) and each artifact under ``artifacts/``; the input
example is saved in pandas ``split`` orient beside its serving payload. What the client writes
that loading never reads (``cloudpickle_version``, ``registered_model_meta``) is left out, and
``requirements`` are the caller's (the client would infer numpy, scipy, cloudpickle).
``tests/test_seeded_models.py`` compares the result with what the installed MLflow writes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import yaml

MLFLOW_VERSION = "3.17.2"
PYTHON_VERSION = "3.11.9"
LOADER_MODULE = "mlflow.pyfunc.loaders.code_model"


def colspec(columns: list[tuple[str, str]]) -> str:
    """A signature's ``inputs`` / ``outputs``: MLflow's column-spec JSON."""
    return json.dumps([{"type": t, "name": n, "required": True} for n, t in columns])


def model_files(
    *,
    code_name: str,
    code: bytes,
    artifacts: dict[str, tuple[str, bytes]],
    inputs: list[tuple[str, str]],
    outputs: list[tuple[str, str]],
    example: list[list[Any]],
    requirements: tuple[str, ...],
    metadata: dict[str, Any],
    model_id: str,
    run_id: str,
    location: str,
    created: int,
) -> dict[str, bytes]:
    """Every file of the model's directory, by relative path. ``artifacts`` maps a name to the
    file's base name and bytes (``context.artifacts[name]`` when loaded); ``inputs`` and
    ``outputs`` are (column, MLflow type); ``example`` the input example's rows."""
    example_split = {"columns": [name for name, _ in inputs], "data": example}
    files = {
        code_name: code,
        **{f"artifacts/{base}": data for base, data in artifacts.values()},
        "input_example.json": json.dumps(example_split).encode(),
        "serving_input_example.json": json.dumps(
            {"dataframe_split": example_split}, indent=2
        ).encode(),
        **_environment(requirements),
    }
    created_text = dt.datetime.fromtimestamp(created / 1000, dt.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f"
    )
    mlmodel = {
        "artifact_path": location,
        "flavors": {
            "python_function": {
                "artifacts": {
                    name: {"path": f"artifacts/{base}", "uri": base}
                    for name, (base, _) in artifacts.items()
                },
                "code": None,
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": LOADER_MODULE,
                "model_code_path": code_name,
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
        "signature": {"inputs": colspec(inputs), "outputs": colspec(outputs), "params": None},
        "type_hint_from_example": False,
        "utc_time_created": created_text,
    }
    return {"MLmodel": _yaml(mlmodel, sort=True), **files}


@functools.cache
def _environment(requirements: tuple[str, ...]) -> dict[str, bytes]:
    """``requirements.txt``, ``conda.yaml`` and ``python_env.yaml`` (as ``_PythonEnv`` and
    ``_mlflow_conda_env`` write them)."""
    return {
        "requirements.txt": "\n".join(requirements).encode(),
        "conda.yaml": _yaml(
            {
                "channels": ["conda-forge"],
                "dependencies": [
                    f"python={PYTHON_VERSION}",
                    "pip<=24.3",
                    {"pip": list(requirements)},
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
