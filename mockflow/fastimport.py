"""Import only the parts of mlflow that serving needs.

``import mlflow.protos.service_pb2`` first runs ``mlflow/__init__.py``, which pulls in the
tracking client, tracing, GenAI and pandas: about 1,900 modules and seconds of start-up, none of
which a server uses. ``install()`` puts light stand-ins for a few mlflow *package* modules into
``sys.modules`` before anything imports them. A stand-in has the real package's ``__path__`` (so
its submodules import normally) and resolves the names the real ``__init__`` would have bound,
lazily, from that file's own ``from X import Y`` lines.

Only the ``mockflow serve`` process uses this, and only when mlflow is not imported yet: a
process that also runs the mlflow client (tests, the pytest plugin) imports mlflow as usual.
If anything goes wrong the stand-ins are removed and the normal import takes over.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
import types
from typing import Any

# The package __init__ files worth skipping; their submodules are imported on demand.
PACKAGES = ("mlflow", "mlflow.entities", "mlflow.utils", "mlflow.store", "mlflow.tracking")
DISABLE_ENV = "MOCKFLOW_FAST_IMPORT"


def _bound_names(package: str, init_path: str) -> dict[str, tuple[str, str | None]]:
    """Name → (module, attribute or None for a submodule), from the __init__'s imports."""
    tree = ast.parse(open(init_path, encoding="utf-8").read(), init_path)
    names: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package if node.level == 1 else package.rsplit(".", node.level - 1)[0]
            module = f"{base}.{node.module}" if node.module else base
        elif node.module:
            module = node.module
        else:
            continue
        for alias in node.names:
            if alias.name == "*":
                continue
            if node.module is None or module == package:  # from . import sub / from pkg import sub
                # A name the package imports from itself is a submodule; looking it up as an
                # attribute would ask this stand-in again, without end. If it is not a submodule,
                # the import fails and the real __init__ runs (fail closed).
                names[alias.asname or alias.name] = (f"{module}.{alias.name}", None)
            else:
                names[alias.asname or alias.name] = (module, alias.name)
    return names


def _load_real_init(module: types.ModuleType, init: str, name: str) -> Any:
    """Run the package's own ``__init__`` in the stand-in's namespace; then ``name`` from it."""
    if not module.__dict__.get("__mockflow_real_init__"):
        module.__dict__["__mockflow_real_init__"] = True
        del module.__getattr__  # the real __init__ defines what it defines
        with open(init, encoding="utf-8") as f:
            code = compile(f.read(), init, "exec")
        exec(code, module.__dict__)  # noqa: S102 (mlflow's own package __init__)
    return getattr(module, name)  # through the real __init__'s own __getattr__, if it has one


def _stand_in(package: str, path: str) -> types.ModuleType:
    init = os.path.join(path, "__init__.py")
    names = _bound_names(package, init)
    module = types.ModuleType(package)
    module.__path__ = [path]
    module.__file__ = init
    module.__spec__ = importlib.util.spec_from_file_location(
        package, init, submodule_search_locations=[path]
    )

    def resolve(name: str) -> Any:
        if name.startswith("__"):  # dunder probes (copy, pickle, inspect) are not names to load
            raise AttributeError(name)
        try:
            if name in names:
                source, attribute = names[name]
                target = importlib.import_module(source)
                value = target if attribute is None else getattr(target, attribute)
            else:
                value = importlib.import_module(f"{package}.{name}")
        except (ImportError, AttributeError):
            # Fail closed: a name the stand-in cannot resolve (defined in the __init__ itself, or
            # bound in a way the import lines do not show) runs the real __init__ in place, so
            # the package becomes exactly what a normal import gives, and the name is looked
            # up there. Costs the import time saved, never correctness.
            value = _load_real_init(module, init, name)
        setattr(module, name, value)
        return value

    module.__getattr__ = resolve  # type: ignore[method-assign]
    return module


def install() -> bool:
    """Put the stand-ins in place; False (and nothing changed) when that is not safe."""
    if os.environ.get(DISABLE_ENV, "1").lower() in ("0", "false", "off", "no"):
        return False
    if any(name == "mlflow" or name.startswith("mlflow.") for name in sys.modules):
        return False
    spec = importlib.util.find_spec("mlflow")
    if spec is None or spec.origin is None:
        return False
    root = os.path.dirname(spec.origin)
    try:
        for package in PACKAGES:
            path = os.path.join(root, *package.split(".")[1:])
            sys.modules[package] = _stand_in(package, path)
        from mlflow.version import VERSION

        sys.modules["mlflow"].__version__ = VERSION  # type: ignore[attr-defined]
    except Exception:
        uninstall()
        return False
    return True


def uninstall() -> None:
    """Forget every mlflow module, so the next import is the ordinary one."""
    for name in [n for n in sys.modules if n == "mlflow" or n.startswith("mlflow.")]:
        del sys.modules[name]


def import_app() -> Any:
    """``mockflow.app.create_app``, through the fast path when possible."""
    if install():
        try:
            # mlflow/__init__ imports mlflow.tracing before the span entities; without that
            # order, mlflow.entities.span and mlflow.tracing import each other in a circle.
            importlib.import_module("mlflow.tracing")
            from mockflow.app import create_app
            from mockflow.handlers import load_handlers

            load_handlers()
            return create_app
        except Exception:
            for name in [n for n in sys.modules if n.startswith("mockflow.")]:
                if name not in ("mockflow.fastimport", "mockflow.config", "mockflow.cli"):
                    del sys.modules[name]
            uninstall()
    from mockflow.app import create_app

    return create_app
