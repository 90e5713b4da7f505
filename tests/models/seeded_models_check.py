"""Load every seeded model version each way a user would, and predict on its input example.

Runs in a virtualenv holding only ``mlflow-skinny`` and pandas (no torch, xgboost or
scikit-learn), against a running mockflow named by ``MLFLOW_TRACKING_URI`` (and its key in
``MLFLOW_TRACKING_TOKEN``). For each version it loads ``models:/name/N``, every alias
(``models:/name@alias``), the stage it is the latest of (``models:/name/Stage``),
``runs:/<run>/model`` and ``models:/m-<id>``; every form must give the same predictions.
Writes ``{"name/N": {"uris": [...], "predictions": [...]}}`` as JSON to ``--output``; exits
non-zero on the first mismatch.
``--cli URI`` also scores that model's ``serving_input_example.json`` with
``mlflow models predict --env-manager local`` (a process of its own: one model is enough).

    python tests/models/seeded_models_check.py --output out.json --cli models:/m@champion
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any


def fail(message: str) -> None:
    raise AssertionError(message)


def records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def same(a: Any, b: Any, tol: float = 1e-9) -> bool:
    """Equal, floats to within ``tol`` (outputs are rounded to 6 places; another platform's
    ``exp`` may round the last place the other way)."""
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], tol) for k in a)
    return bool(a == b)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", required=True)
    parser.add_argument("--cli", metavar="MODEL_URI", help="also score it with the mlflow CLI")
    args = parser.parse_args()

    # What this environment must not hold: loading may not depend on them.
    present = []
    for forbidden in ("mlflow", "torch", "xgboost", "lightgbm", "scikit-learn"):
        try:
            metadata.version(forbidden)
            present.append(forbidden)
        except metadata.PackageNotFoundError:
            pass
    try:
        if present:
            fail(f"{present} installed; this check needs only mlflow-skinny and pandas")
        out = check_all()
        if args.cli:
            name, version = _resolve(args.cli)
            _cli_predict(args.cli, out[f"{name}/{version}"]["predictions"])
    except AssertionError as e:
        print(f"FAIL {e}", file=sys.stderr, flush=True)
        return 1
    Path(args.output).write_text(json.dumps(out, indent=1, sort_keys=True))
    return 0


def check_all() -> dict[str, Any]:
    """Every version's URIs and its predictions on its input example (see the module doc)."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    out: dict[str, Any] = {}
    for model in client.search_registered_models(max_results=1000):
        versions = client.search_model_versions(f"name = '{model.name}'")
        latest_by_stage: dict[str, int] = {}
        for v in versions:
            latest_by_stage[v.current_stage] = max(
                latest_by_stage.get(v.current_stage, 0), int(v.version)
            )
        for found in sorted(versions, key=lambda v: int(v.version)):
            # search_model_versions leaves aliases out, as the real server does
            v = client.get_model_version(model.name, found.version)
            uris = [f"models:/{model.name}/{v.version}"]
            uris += [f"models:/{model.name}@{a}" for a in sorted(v.aliases)]
            if v.current_stage != "None" and latest_by_stage[v.current_stage] == int(v.version):
                uris.append(f"models:/{model.name}/{v.current_stage}")
            uris += [f"runs:/{v.run_id}/model", v.source]
            first = mlflow.pyfunc.load_model(uris[0])
            example = first.input_example
            if example is None:
                fail(f"{uris[0]}: no input example")
            expected = records(first.predict(example))
            for uri in uris[1:]:
                loaded = mlflow.pyfunc.load_model(uri)
                if loaded.metadata.model_id != first.metadata.model_id:
                    fail(f"{uri} resolved to {loaded.metadata.model_id}, not {v.source}")
                got = records(loaded.predict(loaded.input_example))
                if not same(got, expected):
                    fail(f"{uri} predicted {got}, {uris[0]} {expected}")
            out[f"{model.name}/{v.version}"] = {"uris": uris, "predictions": expected}
            print(f"ok   {model.name} v{v.version}: {len(uris)} URIs", flush=True)
    return out


def _resolve(uri: str) -> tuple[str, str]:
    """(name, version) of a ``models:/name@alias`` or ``models:/name/N`` URI."""
    from mlflow import MlflowClient

    ref = uri.removeprefix("models:/")
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, MlflowClient().get_model_version_by_alias(name, alias).version
    name, version = ref.rsplit("/", 1)
    return name, version


def _cli_predict(uri: str, expected: list[dict[str, Any]]) -> None:
    """``mlflow models predict`` on the model's own serving example, in this environment."""
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp)
        example = str(Path(model_dir) / "serving_input_example.json")
        result = Path(tmp) / "predictions.json"
        mlflow_cli = Path(sys.executable).with_name("mlflow")
        done = subprocess.run(
            [
                str(mlflow_cli),
                "models",
                "predict",
                "-m",
                uri,
                "-i",
                example,
                "-t",
                "json",
                "-o",
                str(result),
                "--env-manager",
                "local",
            ],
            capture_output=True,
            text=True,
            env=os.environ,
        )
        if done.returncode != 0:
            fail(f"mlflow models predict -m {uri}: {done.stderr[-2000:]}")
        got = json.loads(result.read_text())
        got = got.get("predictions", got) if isinstance(got, dict) else got
        if not same(got, expected):
            fail(f"mlflow models predict -m {uri} gave {got}, load_model {expected}")
        print(f"ok   mlflow models predict -m {uri}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
