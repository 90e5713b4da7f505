"""Everything of the official MLflow web UI, in one package.

``static`` serves the built UI from the installed full ``mlflow`` wheel; ``signin`` is the page
where a browser trades an API key for a session cookie; ``views`` answers the UI's non-proto
requests (``@view``: GraphQL, artifact-free telemetry, the current user, bulk metric history);
``graphql`` runs the GraphQL queries of its run and experiment pages through the same handlers
as REST.
"""

from mockflow.ui.signin import signin_blueprint
from mockflow.ui.static import ui_blueprint, ui_build_dir

__all__ = ["signin_blueprint", "ui_blueprint", "ui_build_dir"]
