"""A seeded mockflow model, logged as MLflow "models from code".

This file is copied into every seeded model version's artifacts (``MLmodel`` names it as
``model_code_path``); ``mlflow.pyfunc.load_model`` runs it with nothing but ``mlflow`` (or
``mlflow-skinny``) and pandas installed. The model is linear: each input row becomes a feature
vector (numbers standardised, categories one-hot, text scored against a small lexicon), the
version's weights turn it into class scores (or a value), and ``predict`` returns the columns
``params.json`` lists. Nothing is unpickled and no ML framework is imported.

mockflow imports the scoring functions below at seed time to fit each version's weights to
its logged metric on the seeded evaluation set, so the numbers it measured are the numbers this
file predicts. The MLflow part at the bottom only runs when MLflow loads the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TOKEN = re.compile(r"[a-z']+")


def features(row: Mapping[str, Any], spec: Sequence[Mapping[str, Any]]) -> list[float]:
    """The feature vector of one input row."""
    x: list[float] = []
    for f in spec:
        value = row.get(f["name"])
        kind = f["kind"]
        if kind == "numeric":
            number = f["mean"] if value is None or value != value else float(value)
            x.append((number - f["mean"]) / f["scale"])
        elif kind == "category":
            x.extend(1.0 if value == v else 0.0 for v in f["values"])
        elif kind == "text":
            tokens = TOKEN.findall(str(value or "").lower())
            lexicon = f["lexicon"]
            total = sum(lexicon.get(t, 0.0) for t in tokens)
            x.append(total / math.sqrt(max(len(tokens), 1)))
        elif kind == "flag":
            x.append(1.0 if value is not None and bool(value) else 0.0)
        elif kind == "bytes":
            data = bytes(value or b"")
            x.append((sum(data) / max(len(data), 1) - 127.5) / 73.9)
        else:
            raise ValueError(f"unknown feature kind {kind!r}")
    return x


def raw_scores(params: Mapping[str, Any], x: Sequence[float]) -> list[float]:
    """One score per class (logits), or one value for a regressor."""
    return [
        b + sum(w * xi for w, xi in zip(ws, x, strict=True))
        for ws, b in zip(params["weights"], params["bias"], strict=True)
    ]


def softmax(scores: Sequence[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def predict_rows(
    params: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]
) -> dict[str, list[Any]]:
    """The output columns ``params["outputs"]`` names, for each row."""
    outputs = params["outputs"]
    columns: dict[str, list[Any]] = {o["name"]: [] for o in outputs}
    for row in rows:
        scores = raw_scores(params, features(row, params["features"]))
        if params["task"] == "regression":
            for o in outputs:
                columns[o["name"]].append(round(scores[0], 6))
            continue
        probs = softmax(scores)
        best = max(range(len(probs)), key=probs.__getitem__)
        for o in outputs:
            kind = o["kind"]
            if kind == "class":
                value: Any = params["classes"][best]
            elif kind == "label":
                value = o["labels"][best]
            elif kind == "probability":
                value = round(probs[o["class_index"]], 6)
            elif kind == "confidence":
                value = round(probs[best], 6)
            else:
                raise ValueError(f"unknown output kind {kind!r}")
            columns[o["name"]].append(value)
    return columns


# MLflow runs this file as a module named "code_model_<hex>"; mockflow imports it as
# "mockflow.seed.pyfunc.seeded_model" for the functions above and must not build a model.
if not __name__.startswith("mockflow."):
    import pandas as pd
    from mlflow.models import set_model
    from mlflow.pyfunc import PythonModel

    class SeededModel(PythonModel):
        """Predicts from the weights in the ``params`` artifact (``artifacts/params.json``)."""

        def load_context(self, context):
            with open(context.artifacts["params"], encoding="utf-8") as f:
                self.params = json.load(f)

        # A DataFrame hint: MLflow checks inputs against the logged signature (a hint it cannot
        # infer a schema from adds no second check), and does not warn about a missing hint.
        def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
            frame = model_input
            if not isinstance(frame, pd.DataFrame):
                frame = pd.DataFrame(frame)
            rows = frame.to_dict(orient="records")
            return pd.DataFrame(predict_rows(self.params, rows), index=frame.index)

    set_model(SeededModel())
