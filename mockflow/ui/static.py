"""The official MLflow web UI, served from the installed full ``mlflow`` wheel when present.

The full wheel ships the built React app in ``mlflow/server/js/build`` (≈27 MB); mockflow serves
it the way MLflow's server does (mlflow/server/__init__.py): ``index.html`` at ``/`` (and at the
prefix, like MLflow's static prefix) and the assets under ``/static-files/``. The app uses hash
routes and relative URLs, so a page under ``/mlflow/`` calls ``/mlflow/ajax-api/...``. Nothing of
the UI lives in this repository; without the wheel, ``/`` says how to enable it.

The build is located from the package spec, never by importing ``mlflow.server`` (which would pull
in the whole tracking server).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, send_from_directory

from mockflow.ui.signin import needs_signin

UI_BUILD = Path("server") / "js" / "build"
# Assets are content-hashed, so caching them long is safe (MLflow uses the same four weeks).
ASSET_MAX_AGE = 2419200

NO_UI_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mockflow</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>mockflow</h1>
<p>This mockflow speaks MLflow's REST API at <code>{prefix}/api/2.0/mlflow/...</code>, but the
MLflow web UI is not installed.</p>
<p>The UI ships in the full <code>mlflow</code> package. Enable it with
<code>pip install 'mockflow-server[ui]'</code> (or <code>pip install mlflow</code>) and restart
<code>mockflow serve</code>.</p>
<p>Health: <a href="{prefix}/health">{prefix}/health</a></p>
</body></html>
"""


@cache
def ui_build_dir() -> Path | None:
    """The directory of the built UI in the installed ``mlflow`` package, or None."""
    try:
        spec = importlib.util.find_spec("mlflow")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        build = Path(location) / UI_BUILD
        if (build / "index.html").is_file():
            return build
    return None


def ui_blueprint() -> Blueprint:
    """The UI's page at ``/`` and its assets under ``/static-files/``."""
    blueprint = Blueprint("ui", __name__)

    @blueprint.get("/")
    def ui_index() -> Response:
        if needs_signin():
            return redirect("signin", code=303)  # type: ignore[return-value]
        build = ui_build_dir()
        if build is None:
            prefix = current_app.extensions["mockflow"].settings.prefix
            return Response(NO_UI_PAGE.format(prefix=prefix), mimetype="text/html")
        response = send_from_directory(build, "index.html")
        # index.html names the current assets; never let a browser keep a stale one.
        response.headers["Cache-Control"] = "no-cache"
        return response

    # The UI's URLs are relative, so /mlflow must become /mlflow/ before it loads: Flask's
    # strict slashes already redirect it (308).
    @blueprint.get("/static-files/<path:path>")
    def ui_static(path: str) -> Response:
        build = ui_build_dir()
        if build is None:
            return Response("MLflow UI not installed.", status=404, mimetype="text/plain")
        return send_from_directory(build, path, max_age=ASSET_MAX_AGE)

    return blueprint
