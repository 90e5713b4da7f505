"""Whether this environment can run a mockflow server, and what to install if not.

The base distribution (``pip install mockflow-server``) is the pytest plugin, the control client
(:mod:`mockflow.remote`) and ``mockflow env``: standard library and PyYAML only, so it installs
next to any MLflow, 2.x included. The server itself needs the ``[server]`` extra (Flask, waitress,
Faker and MLflow 3.9+). Everything that would start a server calls :func:`require_server` first,
so a missing extra is one clear sentence instead of an ImportError from deep inside.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re

DISTRIBUTION = "mockflow-server"
SERVER_EXTRA = f"pip install '{DISTRIBUTION}[server]'"
# The lowest MLflow the server supports: pyproject.toml's [server] extra says the same
# (tests/test_packaging.py holds the two together).
MIN_MLFLOW = (3, 9)
MAX_MLFLOW = (3, 17)  # the newest minor release proven (inclusive)
_MODULES = ("flask", "werkzeug", "waitress", "faker", "mlflow", "google.protobuf")


class ServerUnavailable(RuntimeError):
    """This environment lacks what a mockflow server needs (the message says what to do)."""


def _installed_mlflow() -> str | None:
    for name in ("mlflow-skinny", "mlflow"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def problem() -> str | None:
    """Why a server cannot run here, or None when it can."""
    version = _installed_mlflow()
    if version is not None:
        release = _release(version)
        if not MIN_MLFLOW <= release[:2] <= MAX_MLFLOW:
            return (
                f"this environment has mlflow {version}; the server needs mlflow "
                f"{supported_range()}. Run `mockflow serve` from its own virtualenv "
                f"({SERVER_EXTRA}) or the container image, and point clients and the pytest "
                "plugin at it (--mockflow-url / MOCKFLOW_URL)"
            )
    missing = []
    for module in _MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # a parent package (google) is missing
            found = False
        if not found:
            missing.append(module.split(".")[0])
    if missing:
        return f"missing {', '.join(missing)}: install the server with {SERVER_EXTRA}"
    return None


def supported_range() -> str:
    """The MLflow versions the server supports, as pip spells it (``>=3.9,<3.18``)."""
    return f">={MIN_MLFLOW[0]}.{MIN_MLFLOW[1]},<{MAX_MLFLOW[0]}.{MAX_MLFLOW[1] + 1}"


def require_server(what: str) -> None:
    """Raise :class:`ServerUnavailable` naming ``what`` and the fix, unless a server can run."""
    reason = problem()
    if reason is not None:
        raise ServerUnavailable(f"{what} needs mockflow's server: {reason}.")
