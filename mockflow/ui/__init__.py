"""The official MLflow web UI over mockflow's data.

``static`` serves the built UI from the installed full ``mlflow`` wheel; ``graphql`` answers the
queries of its run and experiment pages. The UI's other non-proto requests are ``@view``s in
``mockflow/handlers/ui.py``; the sign-in for auth is ``mockflow/auth/session.py``.
"""

from mockflow.ui.static import add_static_routes, ui_build_dir

__all__ = ["add_static_routes", "ui_build_dir"]
