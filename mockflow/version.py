"""The package version (its own module, so modules can read it without importing the package
facade in ``mockflow/__init__.py``)."""

__version__ = "0.1.0"
