"""The official MLflow web UI over mockflow's data.

``static`` serves the built UI from the installed full ``mlflow`` wheel; ``api`` answers the
UI's requests that are not proto RPCs; ``graphql`` the queries of its run and experiment pages.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from mockflow.ui.api import AddRule, add_ui_api_routes
from mockflow.ui.static import add_static_routes, ui_build_dir

__all__ = ["install", "ui_build_dir"]


def install(app: Flask, add: AddRule, state: Any) -> None:
    """Mount the UI and its endpoints at ``/`` and under the prefix (``add`` does both)."""
    add_ui_api_routes(add, state)
    add_static_routes(app, add, state.settings.prefix)
