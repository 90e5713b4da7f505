"""The interpreter start-up hook behind ``export HOKUSAI_MOCK_MODE=true``.

The wheel installs ``mockflow-hokusai.pth`` into site-packages. Python runs its one line at every
interpreter start; the line reads ``HOKUSAI_MOCK_MODE`` and, only when it is true (``1``, ``true``,
``yes``, ``on``) and the off switch is not set, imports this module and calls :func:`run`. Unset,
it costs one environment lookup and imports nothing.

:func:`run` applies mock mode's rule (``mockflow/mock_mode.py``) as early as it can:

- ``MOCKFLOW_HOKUSAI_HOOK=off`` (or ``0``/``false``/``no``) switches the hook off: nothing is
  changed and the SDK sees ``HOKUSAI_MOCK_MODE`` as set.
- ``MOCKFLOW_URL`` set, or a mockflow answering on the local default port: the environment is
  pointed at it now, and ``HOKUSAI_MOCK_MODE`` unset.
- Neither: a mockflow is started in this process the first time the Hokusai SDK (``hokusai``) is
  imported, before the SDK's code runs, and the environment pointed at it then; a Python process
  that never uses the SDK (pip, a linter, ``mockflow serve`` itself) starts no server. Should
  that start fail, ``HOKUSAI_MOCK_MODE`` stays set, so the SDK simulates rather than reach
  production.

It never stops the interpreter from starting: a failure is one line on stderr.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

OFF_SWITCH = "MOCKFLOW_HOKUSAI_HOOK"
SDK_PACKAGE = "hokusai"
_OFF = {"0", "false", "no", "off"}

# The .pth file's line (also what tests and the packaging check compare against).
PTH_NAME = "mockflow-hokusai.pth"
PTH_LINE = (
    "import os; os.environ.get('HOKUSAI_MOCK_MODE', '').strip().lower() in "
    "('1', 'true', 'yes', 'on') and os.environ.get('MOCKFLOW_HOKUSAI_HOOK', '').strip().lower() "
    "not in ('0', 'false', 'no', 'off') and "
    "__import__('mockflow.hokusai_hook').hokusai_hook.run()\n"
)


def run(environ: MutableMapping[str, str] | None = None) -> None:
    """Apply mock mode at start-up (called by the .pth line when ``HOKUSAI_MOCK_MODE`` is true)."""
    environ = os.environ if environ is None else environ
    if environ.get(OFF_SWITCH, "").strip().lower() in _OFF:
        return
    try:
        _run(environ)
    except Exception as exc:  # noqa: BLE001 - never break the interpreter's start
        print(f"mockflow: HOKUSAI_MOCK_MODE start-up hook failed: {exc}", file=sys.stderr)


def _run(environ: MutableMapping[str, str]) -> None:
    from mockflow import mock_mode

    uri = mock_mode.find_server(environ)
    if uri is not None:
        mock_mode.apply(environ, mock_mode.client_env(uri, mock_mode.chosen_key(environ)))
        return
    # HOKUSAI_MOCK_MODE stays set until the SDK is imported (the SDK reads it only when called),
    # so child processes started before then (pytest-xdist workers, multiprocessing) run this
    # hook too instead of inheriting an environment that points nowhere.
    if not any(isinstance(f, StartOnSdkImport) for f in sys.meta_path):
        sys.meta_path.insert(0, StartOnSdkImport(environ))


class StartOnSdkImport:
    # A duck-typed importlib.abc.MetaPathFinder: importing importlib.abc costs start-up time.
    """Starts mockflow in this process when the Hokusai SDK is first imported, then steps aside.

    The server starts from the SDK package's ``exec_module`` (outside the global import lock, so
    the server's thread can import freely), before the SDK's own code runs.
    """

    def __init__(self, environ: MutableMapping[str, str]) -> None:
        self.environ = environ

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != SDK_PACKAGE:
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _StartThenLoad(spec.loader, self.environ)  # type: ignore[assignment]
        return spec


class _StartThenLoad:  # a duck-typed importlib.abc.Loader
    def __init__(self, inner: Any, environ: MutableMapping[str, str]) -> None:
        self.inner = inner
        self.environ = environ

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module should not keep a reference to this one-shot wrapper.
        module.__loader__ = self.inner
        if module.__spec__ is not None:
            module.__spec__.loader = self.inner
        try:
            from mockflow import mock_mode

            mock_mode.activate(force=True, environ=self.environ)
        except Exception as exc:  # noqa: BLE001 - the SDK must still import
            # HOKUSAI_MOCK_MODE is still set (activate() unsets it only on success): without a
            # mockflow the SDK simulates, as without mockflow installed, never reaching production.
            print(
                f"mockflow: could not start mockflow for HOKUSAI_MOCK_MODE ({exc}); "
                "the Hokusai SDK keeps its own simulation",
                file=sys.stderr,
            )
        self.inner.exec_module(module)
