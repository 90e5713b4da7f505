"""mockflow: an offline, in-memory stand-in for an MLflow tracking server."""

__version__ = "0.1.0"
