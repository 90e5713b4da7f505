"""mockflow: an offline, in-memory stand-in for an MLflow tracking server."""

from mockflow.version import __version__

__all__ = ["__version__", "activate"]


def activate(**kwargs):  # type: ignore[no-untyped-def]
    """In Hokusai mock mode, start an in-process server when none is configured
    (see :func:`mockflow.mock_mode.activate`)."""
    from mockflow.mock_mode import activate as _activate

    return _activate(**kwargs)
