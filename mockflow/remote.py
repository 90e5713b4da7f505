"""A mockflow running elsewhere (a CI service container, a shared ``mockflow serve``), driven
through its ``/_mockflow/`` control API with the same test kit as :class:`MockflowServer`.

    remote = RemoteMockflow("http://mockflow:5000")
    job = remote.create_workspace("job-42", world="small")   # needs --workspaces on the server
    ...                                                      # MLFLOW_WORKSPACE=job-42
    job.requests.assert_called("runs/log-batch")
    with job.faults.add(rpc="LogBatch", status=503, first=1): ...
    remote.delete_workspace("job-42")

The pytest plugin uses it when given ``--mockflow-url``: each xdist worker, or each test, then
gets a workspace of its own on the one server.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any

import requests

from mockflow.journal import Journal, JournalEntry
from mockflow.mlflow_mirror.workspaces import HEADER as WORKSPACE_HEADER


class RemoteError(RuntimeError):
    """The control API refused a call; the message is its answer."""


class _Control:
    """JSON over HTTP to ``/_mockflow`` (or ``/_mockflow/workspaces/<name>``)."""

    def __init__(self, url: str, *, base: str, admin_token: str | None, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.base = base
        self.session = requests.Session()
        if admin_token:
            self.session.headers["Authorization"] = f"Bearer {admin_token}"
        self.timeout = timeout

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(
            method, f"{self.url}{self.base}{path}", timeout=self.timeout, **kwargs
        )
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:500]}
        if response.status_code >= 400:
            raise RemoteError(
                f"{method} {self.base}{path}: HTTP {response.status_code} "
                f"{body.get('error_code', '')}: {body.get('message', body)}"
            )
        return body


class RemoteJournal(Journal):
    """The server's journal, fetched on each read; the assertion helpers are the same."""

    def __init__(self, control: _Control) -> None:
        super().__init__(maxlen=1_000_000)
        self._control = control

    def _refresh(self) -> None:
        rows = self._control.call("GET", "/requests")["requests"]
        with self._lock:
            self._entries.clear()
            self._entries.extend(JournalEntry(**row) for row in rows)

    def entries(self, **filters: Any) -> list[JournalEntry]:
        self._refresh()
        return super().entries(**filters)

    def clear(self) -> None:
        self._control.call("DELETE", "/requests")
        super().clear()

    @property
    def last(self) -> JournalEntry | None:
        self._refresh()
        return super().last

    def __iter__(self) -> Iterator[JournalEntry]:
        self._refresh()
        return super().__iter__()

    def __len__(self) -> int:
        self._refresh()
        return super().__len__()


class RemoteFault:
    """A rule added on the server; a context manager that removes it, like ``Fault``."""

    def __init__(self, control: _Control, rule: dict[str, Any]) -> None:
        self._control = control
        self.id: str = rule["id"]
        self.rule = rule

    def remove(self) -> None:
        self._control.call("DELETE", f"/faults/{self.id}")

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
    def __init__(self, control: _Control) -> None:
        self._control = control

    def add(self, **options: Any) -> RemoteFault:
        """The same options as ``FaultSet.add`` (``rpc=..., status=..., first=...``)."""
        return RemoteFault(
            self._control, self._control.call("POST", "/faults", json=options)["fault"]
        )

    def clear(self) -> None:
        self._control.call("DELETE", "/faults")

    def __len__(self) -> int:
        return len(self._control.call("GET", "/faults")["faults"])


class RemoteKit:
    """The test kit of a remote server, or of one of its workspaces (``name``)."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        admin_token: str | None = None,
        api_key: str | None = None,
        prefix: str = "/mlflow",
        timeout: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.name = name
        self.api_key = api_key or ""
        self.prefix = prefix
        self._options = {"admin_token": admin_token, "timeout": timeout}
        base = "/_mockflow" + (f"/workspaces/{name}" if name else "")
        self._control = _Control(self.url, base=base, admin_token=admin_token, timeout=timeout)
        self.requests = RemoteJournal(self._control)
        self.faults = RemoteFaults(self._control)

    @property
    def tracking_uri(self) -> str:
        return self.url + self.prefix

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    @property
    def headers(self) -> dict[str, str]:
        return {WORKSPACE_HEADER: self.name} if self.name else {}

    @property
    def env(self) -> dict[str, str]:
        env = {"MLFLOW_TRACKING_URI": self.tracking_uri}
        return {**env, "MLFLOW_WORKSPACE": self.name} if self.name else env

    def reset(self, **options: Any) -> dict[str, Any]:
        return self._control.call("POST", "/reset", json=_given(options))  # type: ignore[no-any-return]

    def seed(self, **options: Any) -> dict[str, Any]:
        return self._control.call("POST", "/seed", json=_given(options))  # type: ignore[no-any-return]

    def export_state(self) -> dict[str, Any]:
        return self._control.call("GET", "/state")  # type: ignore[no-any-return]

    def import_state(self, doc: dict[str, Any]) -> None:
        self._control.call("PUT", "/state", json=doc)

    def snapshot(self, name: str = "default") -> str:
        return self._control.call("POST", f"/snapshot/{name}")["snapshot"]  # type: ignore[no-any-return]

    def restore(self, name: str = "default") -> None:
        self._control.call("POST", f"/restore/{name}")

    def health(self) -> dict[str, Any]:
        return self._control.call("GET", "/health")  # type: ignore[no-any-return]


class RemoteMockflow(RemoteKit):
    """A whole remote server: its default workspace's kit, plus its workspaces."""

    def workspace(self, name: str) -> RemoteKit:
        self._control.call("GET", f"/workspaces/{name}")
        return self._kit(name)

    def create_workspace(
        self,
        name: str,
        *,
        world: str = "empty",
        seed: int | None = None,
        fixture: str | None = None,
        description: str | None = None,
    ) -> RemoteKit:
        body = _given(
            {
                "name": name,
                "world": world,
                "seed": seed,
                "fixture": fixture,
                "description": description,
            }  # fmt: skip
        )
        self._control.call("POST", "/workspaces", json=body)
        return self._kit(name)

    def delete_workspace(self, name: str, *, mode: str = "CASCADE") -> None:
        self._control.call("DELETE", f"/workspaces/{name}", params={"mode": mode})

    def workspaces(self) -> list[str]:
        return [w["name"] for w in self._control.call("GET", "/workspaces")["workspaces"]]

    def _kit(self, name: str) -> RemoteKit:
        return RemoteKit(self.url, name=name, api_key=self.api_key, prefix=self.prefix,
                         **self._options)  # type: ignore[arg-type]  # fmt: skip


def _given(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}
