"""MLflow's private exception classes, from ``mlflow/exceptions.py`` (3.9.0 – 3.17.2)."""

from __future__ import annotations

from mlflow.exceptions import _UnsupportedMultipartUploadException

UnsupportedMultipartUploadException = _UnsupportedMultipartUploadException
