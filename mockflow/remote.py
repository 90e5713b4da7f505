"""A mockflow running somewhere else, driven over its control API (``/_mockflow/``).

    srv = RemoteMockflow("http://127.0.0.1:5000")      # a service container, `mockflow serve`
    srv.reset(world="empty")
    with srv.faults.add(rpc="LogBatch", status=503, first=2):
        ...
    srv.requests.assert_called("runs/log-batch", times=1)

It has the test kit of :class:`mockflow.server.MockflowServer` (``reset``, ``requests``,
``faults``, ``snapshot``/``restore``, ``api_key``, ``client_env``) and needs only the standard
library, so the pytest plugin can drive a server from a project whose own MLflow cannot run
mockflow's (e.g. one pinned to mlflow 2.x): the server runs in its own environment, and this
process only talks HTTP to it.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from types import TracebackType
from typing import Any, TypeVar

from mockflow.journal import Journal, JournalEntry

ALL_SCOPES = ("mlflow:read", "mlflow:write", "registry:admin", "admin")
URL_ENV = "MOCKFLOW_URL"
ADMIN_TOKEN_ENV = "MOCKFLOW_ADMIN_TOKEN"
# The key this client adds after each reset, so its tests have a full-scope key whose secret it
# knows (the server's own default key is random and never shown over HTTP).
CLIENT_KEY_ID = "mockflow-remote"


class ControlError(RuntimeError):
    """The control API refused a request (its status, error code and message)."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message


def client_env(tracking_uri: str, api_key: str | None) -> dict[str, str]:
    """The variables that point plain mlflow and the Hokusai SDK at a mockflow server."""
    env = {"MLFLOW_TRACKING_URI": tracking_uri, "HOKUSAI_MOCK_MODE": "true"}
    if api_key:
        env["MLFLOW_TRACKING_TOKEN"] = api_key
        env["HOKUSAI_API_KEY"] = api_key
    return env


Handle = TypeVar("Handle", bound="ServerHandle")


def _server_path(path: str | os.PathLike[str] | None) -> str | None:
    if path is None:
        return None
    path = os.fspath(path)
    if not os.path.isabs(path) and os.path.exists(path):
        return os.path.abspath(path)
    return path


class ServerHandle:
    """What every server handle has besides its test kit: a context manager over start/stop,
    the environment for the code under test, and a client. Shared by :class:`RemoteMockflow`
    and :class:`mockflow.server.MockflowServer`."""

    def start(self: Handle) -> Handle:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: Handle) -> Handle:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def tracking_uri(self) -> str:
        raise NotImplementedError

    @property
    def api_key(self) -> str:
        raise NotImplementedError

    def client_env(self) -> dict[str, str]:
        """The variables that point mlflow and the Hokusai SDK at this server, with its key."""
        return client_env(self.tracking_uri, self.api_key)

    def client(self) -> Any:
        """A real ``MlflowClient`` (of this environment's mlflow) pointed at the server."""
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)


class RemoteMockflow(ServerHandle):
    """A running mockflow at ``url`` (its root or its ``/mlflow`` prefix; both serve the API)."""

    def __init__(
        self,
        url: str,
        *,
        admin_token: str | None = None,
        timeout: float = 60.0,
        workspace: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout
        # A handle on one workspace of the server (docs/workspaces.md): its control calls go to
        # /_mockflow/workspaces/<name>/, its client to MLFLOW_WORKSPACE=<name>.
        self.name = workspace
        self._base = f"_mockflow/workspaces/{workspace}" if workspace else "_mockflow"
        self._api_key = f"hk_test_{secrets.token_hex(16)}"
        self.requests = RemoteJournal(self)
        self.faults = RemoteFaults(self)
        self.keys = RemoteKeys(self)

    @property
    def tracking_uri(self) -> str:
        """What ``MLFLOW_TRACKING_URI`` should be: the URL this handle was given."""
        return self.url

    @property
    def api_key(self) -> str:
        """A full-scope key this handle adds after every reset (its secret is known here)."""
        return self._api_key

    # -- HTTP ------------------------------------------------------------------------------------

    def call(
        self, verb: str, endpoint: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        """One control API request; the decoded JSON answer, or :class:`ControlError`."""
        args = {k: v for k, v in (query or {}).items() if v is not None}
        url = f"{self.url}/{self._base}/{endpoint.lstrip('/')}"
        if args:
            url += "?" + urllib.parse.urlencode(args)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=verb)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.admin_token:
            request.add_header("Authorization", f"Bearer {self.admin_token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {"message": raw[:500].decode("utf-8", "replace")}
            raise ControlError(
                e.code, str(doc.get("error_code", "")), str(doc.get("message", doc))
            ) from None
        except urllib.error.URLError as e:
            raise ConnectionError(f"no mockflow answered at {self.url}: {e.reason}") from None

    # -- the test kit ----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self.call("GET", "health")  # type: ignore[no-any-return]

    def reset(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | os.PathLike[str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
        auth: bool | None = None,
    ) -> dict[str, Any]:
        """As :meth:`MockflowServer.reset`. ``fixture`` and ``state_file`` are read by the
        server: paths on its machine (a relative path that exists here is sent as absolute,
        for a server on this machine with another working directory)."""
        body = {
            "world": world,
            "seed": seed,
            "fixture": _server_path(fixture),
            "state_file": _server_path(state_file),
            "auth": auth,
        }
        result = self.call("POST", "reset", {k: v for k, v in body.items() if v is not None})
        self._add_client_key()
        return result  # type: ignore[no-any-return]

    def _add_client_key(self) -> None:
        body = {"id": CLIENT_KEY_ID, "secret": self.api_key, "scopes": list(ALL_SCOPES)}
        try:
            self.call("POST", "keys", body)
        except ControlError as e:
            if e.status == 501:  # a build without API-key auth: nothing to add
                return
            if self.name and "already exists" in e.message:  # keys are the server's
                return
            raise

    # -- workspaces (docs/workspaces.md; the server needs --workspaces) ------------------------

    def client_env(self) -> dict[str, str]:
        env = super().client_env()
        return {**env, "MLFLOW_WORKSPACE": self.name} if self.name else env

    @property
    def headers(self) -> dict[str, str]:
        """What a raw HTTP request sends to be in this handle's workspace."""
        return {"X-MLFLOW-WORKSPACE": self.name} if self.name else {}

    def workspace(self, name: str) -> RemoteMockflow:
        """A handle on an existing workspace of this server."""
        self.call("GET", f"workspaces/{urllib.parse.quote(name, safe='')}")
        return self._on(name)

    def create_workspace(
        self,
        name: str,
        *,
        world: str = "empty",
        seed: int | None = None,
        fixture: str | os.PathLike[str] | None = None,
        description: str | None = None,
    ) -> RemoteMockflow:
        """A new workspace holding ``world`` or a fixture (a path on the server's machine)."""
        body = {"name": name, "world": world, "seed": seed, "fixture": _server_path(fixture),
                "description": description}  # fmt: skip
        self.call("POST", "workspaces", {k: v for k, v in body.items() if v is not None})
        handle = self._on(name)
        handle._add_client_key()
        return handle

    def delete_workspace(self, name: str, *, mode: str = "CASCADE") -> None:
        self.call("DELETE", f"workspaces/{urllib.parse.quote(name, safe='')}", query={"mode": mode})

    def workspaces(self) -> list[str]:
        return [w["name"] for w in self.call("GET", "workspaces")["workspaces"]]

    def _on(self, name: str) -> RemoteMockflow:
        handle = RemoteMockflow(
            self.url, admin_token=self.admin_token, timeout=self.timeout, workspace=name
        )
        handle._api_key = self._api_key
        return handle

    def seed(
        self,
        *,
        world: str | None = None,
        seed: int | None = None,
        fixture: str | os.PathLike[str] | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> dict[str, Any]:
        body = {
            "world": world,
            "seed": seed,
            "fixture": _server_path(fixture),
            "state_file": _server_path(state_file),
        }
        result = self.call("POST", "seed", {k: v for k, v in body.items() if v is not None})
        return result  # type: ignore[no-any-return]

    def export_state(self) -> dict[str, Any]:
        return self.call("GET", "state")  # type: ignore[no-any-return]

    def import_state(self, doc: dict[str, Any]) -> None:
        self.call("PUT", "state", doc)

    def snapshot(self, name: str = "default") -> str:
        return str(self.call("POST", f"snapshot/{urllib.parse.quote(name, safe='')}")["snapshot"])

    def restore(self, name: str = "default") -> None:
        self.call("POST", f"restore/{urllib.parse.quote(name, safe='')}")

    # A handle is already running; these make it interchangeable with MockflowServer.
    def start(self) -> RemoteMockflow:
        self.health()
        return self

    def stop(self) -> None:
        pass


class RemoteJournal(Journal):
    """The server's request journal, read over HTTP; the assertions are :class:`Journal`'s."""

    def __init__(self, server: RemoteMockflow) -> None:
        super().__init__(maxlen=0)
        self._server = server

    def entries(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        rpc: str | None = None,
        status: int | None = None,
        key_id: str | None = None,
    ) -> list[JournalEntry]:
        query = {"method": method, "path": path, "rpc": rpc, "status": status, "key_id": key_id}
        doc = self._server.call("GET", "requests", query=query)
        return [JournalEntry(**entry) for entry in doc["requests"]]

    def clear(self) -> None:
        self._server.call("DELETE", "requests")

    @property
    def last(self) -> JournalEntry | None:
        found = self.entries()
        return found[-1] if found else None

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        return len(self.entries())

    def __getitem__(self, index: int) -> JournalEntry:
        return self.entries()[index]


class RemoteFault:
    """A fault rule on the server; as a context manager, removed when the block ends."""

    def __init__(self, server: RemoteMockflow, rule: dict[str, Any]) -> None:
        self._server = server
        self.id: str = rule["id"]
        self.rule = rule

    def refresh(self) -> dict[str, Any]:
        """The rule as the server has it now (``matched`` and ``fired`` counters included)."""
        for rule in self._server.faults.list():
            if rule["id"] == self.id:
                self.rule = rule
        return self.rule

    @property
    def fired(self) -> int:
        return int(self.refresh()["fired"])

    @property
    def matched(self) -> int:
        return int(self.refresh()["matched"])

    def remove(self) -> None:
        try:
            self._server.call("DELETE", f"faults/{urllib.parse.quote(self.id, safe='')}")
        except ControlError as e:
            if e.status != 404:  # already gone (a reset, or removed twice)
                raise

    def __enter__(self) -> RemoteFault:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


class RemoteFaults:
    """``srv.faults`` of a remote server: the same options as :class:`mockflow.faults.Fault`."""

    def __init__(self, server: RemoteMockflow) -> None:
        self._server = server

    def add(self, **options: Any) -> RemoteFault:
        if isinstance(options.get("delay"), tuple):
            options["delay"] = list(options["delay"])
        return RemoteFault(self._server, self._server.call("POST", "faults", options)["fault"])

    def list(self) -> list[dict[str, Any]]:
        return list(self._server.call("GET", "faults")["faults"])

    def clear(self) -> None:
        self._server.call("DELETE", "faults")

    def __len__(self) -> int:
        return len(self.list())


class RemoteKeys:
    """``srv.keys`` of a remote server: list, create and delete API keys."""

    def __init__(self, server: RemoteMockflow) -> None:
        self._server = server

    @property
    def enabled(self) -> bool:
        """Whether the server enforces API keys right now (switch with ``reset(auth=...)``)."""
        return bool(self._server.call("GET", "keys")["auth"])

    def list(self) -> list[dict[str, Any]]:
        return list(self._server.call("GET", "keys")["keys"])

    def create(self, **options: Any) -> dict[str, Any]:
        """As :meth:`mockflow.control.KeyAdmin.create`; the answer includes the ``secret``."""
        return dict(self._server.call("POST", "keys", options)["key"])

    def delete(self, key_id: str) -> dict[str, Any]:
        return dict(
            self._server.call("DELETE", f"keys/{urllib.parse.quote(key_id, safe='')}")["deleted"]
        )

    def __len__(self) -> int:
        return len(self.list())
