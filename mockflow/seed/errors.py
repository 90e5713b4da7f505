"""Errors of world building; each message names the file, the entry and the field at fault."""

from __future__ import annotations


class SeedError(ValueError):
    """The world mockflow was asked to start with cannot be built; nothing was served."""


class WorldSpecError(SeedError):
    """A world size or reference time mockflow cannot use."""


class FixtureError(SeedError):
    """A fixture file with a mistake in it."""
