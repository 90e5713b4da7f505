"""The application factory: ``create_app(settings)`` builds one independent mockflow app.

Every blueprint is mounted at the root and again under ``settings.prefix`` (``/mlflow`` by
default, as in production at ``http://registry.hokus.ai/mlflow``), by ``mount``. The layers
around the handlers (request log, auth, faults, journal) hook in here; the handlers themselves
only see request messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Blueprint, Flask

from mockflow.api import api_blueprint, views_blueprint
from mockflow.auth import install as install_auth
from mockflow.config import Settings
from mockflow.control import control_blueprint
from mockflow.control.api import mount_workspace_control
from mockflow.faults import FaultSet
from mockflow.health import health_blueprint
from mockflow.journal import Journal
from mockflow.logs import install as install_request_log
from mockflow.store import IdCounter, Scope, Store
from mockflow.testkit import install as install_test_kit
from mockflow.ui import signin_blueprint, ui_blueprint
from mockflow.wire.errors import install as install_error_handlers
from mockflow.workspace_layer import install_error_hook as install_workspace_error_hook
from mockflow.workspaces import DEFAULT as DEFAULT_WORKSPACE
from mockflow.workspaces import Workspaces


@dataclass
class MockflowState:
    """What one running app holds; reachable as ``app.extensions["mockflow"]``."""

    settings: Settings
    store: Store
    journal: Journal  # the default workspace's
    faults: FaultSet  # the default workspace's
    workspaces: Workspaces  # only ``default`` (store, journal, faults above) with workspaces off
    started_at: float = field(default_factory=time.time)


def create_app(settings: Settings | None = None, store: Store | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("mockflow")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    store = store if store is not None else seeded_store(settings)
    workspaces = build_workspaces(settings, store)
    load_workspaces(workspaces, settings)
    app.extensions["mockflow"] = MockflowState(
        settings=settings,
        store=store,
        journal=workspaces.default.journal,
        faults=workspaces.default.faults,
        workspaces=workspaces,
    )
    install_request_log(app)  # first: every later layer's answer gets an id and a log line
    install_auth(app, settings)  # identity or refusal, before any blueprint's view
    install_workspace_error_hook(app)  # after auth: a refused caller learns nothing of workspaces
    for blueprint in (
        api_blueprint(),  # every MLflow proto RPC (mockflow/handlers/)
        views_blueprint(),  # the non-proto routes (@view: UI downloads, GraphQL, telemetry)
        health_blueprint(),  # /health, /version, server-info
        ui_blueprint(),  # the MLflow web UI's page and assets
        signin_blueprint(),  # the UI's sign-in with an API key
        control_blueprint(),  # /_mockflow/: state, faults, journal, keys
    ):
        mount(app, blueprint, settings.prefix)
    mount_workspace_control(app, settings.prefix)  # /_mockflow/workspaces/<name>/...
    install_error_handlers(app)  # every failure as MLflow's JSON error
    install_test_kit(app)  # workspace router, journal and fault middleware, control operations
    return app


def load_workspaces(workspaces: Workspaces, settings: Settings) -> None:
    """The other workspaces a state file holds (the default one is loaded with the world)."""
    if not (settings.workspaces and settings.state_file):
        return
    from mockflow.persistence import load_state

    load_state(workspaces, settings.state_file, missing_ok=settings.save_state)


def build_workspaces(settings: Settings, default_store: Store) -> Workspaces:
    """The registry: only ``default`` (the server's store) unless workspaces are on."""
    ids = IdCounter()  # one experiment id sequence for every workspace, as MLflow's
    if settings.workspaces:
        default_store.set_scope(Scope(DEFAULT_WORKSPACE, ids))
    return Workspaces(
        enabled=settings.workspaces,
        default_store=default_store,
        journal_size=settings.journal_size,
        new_store=lambda name: Store(Scope(name, ids)),
    )


def mount(app: Flask, blueprint: Blueprint, prefix: str) -> None:
    """Register ``blueprint`` at the root and under ``prefix``, keeping its own url_prefix."""
    own = blueprint.url_prefix or ""
    app.register_blueprint(blueprint, url_prefix=own or None)
    if prefix:
        app.register_blueprint(
            blueprint, url_prefix=prefix + own, name=f"{blueprint.name}_prefixed"
        )


def seeded_store(settings: Settings) -> Store:
    """A new store filled with the world ``settings`` ask for; raises before anything is served."""
    store = Store()
    explicit = settings.state_file or settings.fixture or settings.runs or settings.metric_points
    if not explicit and settings.world == "empty":
        return store
    from mockflow.seed import populate
    from mockflow.seed.progress import TerminalProgress

    populate(store, settings, progress=TerminalProgress())
    return store
