"""The one error of loading state: a state document (or one of its fields) mockflow cannot use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mlflow.exceptions import MlflowException


class StateError(ValueError):
    """A state document mockflow cannot load; names the file and the field when they are known.

    Loading is all or nothing: whoever raised this left the running state as it was.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.message, self.file, self.field = message, file, field
        super().__init__(message)

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        if self.field:
            where += f"field '{self.field}': "
        return where + self.message

    def in_file(self, file: str) -> StateError:
        return StateError(self.message, file=file, field=self.field)


@contextmanager
def state_field(name: str) -> Iterator[None]:
    """Errors inside are reported as a ``StateError`` at field ``name`` (nested: joined by '.')."""
    try:
        yield
    except StateError as e:
        field = f"{name}.{e.field}" if e.field else name
        raise StateError(e.message, file=e.file, field=field) from None
    except MlflowException as e:
        raise StateError(e.message, field=name) from None
    except KeyError as e:
        raise StateError(f"missing field {e.args[0]!r}", field=name) from None
    except (TypeError, ValueError, AttributeError) as e:
        raise StateError(f"{type(e).__name__}: {e}", field=name) from None
