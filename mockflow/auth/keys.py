"""Hokusai API keys as data: the key record, the YAML loader, and the thread-safe key ring.

A key file is a YAML mapping with a ``keys`` list; each entry::

    - id: read-write                 # public name: shown in errors, logs and the journal
      secret: hk_test_readwrite...   # what clients send; never shown whole
      owner: dev@example.com
      scopes: [mlflow:read, mlflow:write]
      expires_at: 2030-01-01T00:00:00Z   # optional, ISO 8601 (UTC when no offset)
      allowed_ips: [10.0.0.0/8]          # optional CIDRs or addresses
      rate_limit: 1000/hour              # optional: N/<unit> or N/<number><unit>, or "unlimited"
      revoked: false                     # optional

Every entry is checked at start; a bad one stops the load with :class:`KeyFileError` naming the
file, the entry and the field.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.resources
import ipaddress
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mockflow.auth.scopes import ALL_SCOPES

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

KEY_PATTERN = re.compile(r"hk_(live|test|dev)_[A-Za-z0-9]{16,64}")
# The default keys ship inside the package (package data), so an installed wheel has them.
DEFAULT_KEYS_FILE = importlib.resources.files("mockflow") / "data" / "api_keys.yaml"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_UNITS = {
    "s": 1.0, "sec": 1.0, "second": 1.0,
    "m": 60.0, "min": 60.0, "minute": 60.0,
    "h": 3600.0, "hour": 3600.0,
    "d": 86400.0, "day": 86400.0,
}  # fmt: skip
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+?)s?\s*")


class KeyFileError(ValueError):
    """The key file (or one entry of it) is not usable; the message says where and why."""


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` per ``window_seconds``, counted per key."""

    requests: int
    window_seconds: float

    def __str__(self) -> str:
        return f"{self.requests}/{self.window_seconds:g}s"


# Hokusai production's documented default.
DEFAULT_RATE_LIMIT = RateLimit(1000, 3600.0)


@dataclass(frozen=True)
class ApiKey:
    id: str
    secret: str = field(repr=False)
    owner: str
    scopes: frozenset[str]
    expires_at: datetime | None = None
    allowed_ips: tuple[IPNetwork, ...] = ()
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT
    revoked: bool = False
    description: str = ""

    @property
    def hint(self) -> str:
        """The key as it may be shown: its last four characters."""
        return redact(self.secret)

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def allows_ip(self, address: str) -> bool:
        if not self.allowed_ips:
            return True
        ip = parse_ip(address)
        return ip is not None and any(ip in net for net in self.allowed_ips)

    def public_dict(self) -> dict[str, Any]:
        """Everything about the key except its secret (for the control API and the journal)."""
        return {
            "id": self.id,
            "hint": self.hint,
            "owner": self.owner,
            "scopes": sorted(self.scopes),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "allowed_ips": [str(n) for n in self.allowed_ips],
            "rate_limit": str(self.rate_limit) if self.rate_limit else None,
            "revoked": self.revoked,
            "description": self.description,
        }


def redact(secret: str) -> str:
    """``…abcd``: enough to tell keys apart, never enough to use one."""
    return "…" + secret[-4:] if len(secret) > 8 else "…"


def parse_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; allow-lists are written in IPv4.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def parse_rate_limit(value: Any) -> RateLimit | None:
    """``"1000/hour"``, ``"3/2s"``, ``"10/1.5 minutes"``; ``"unlimited"`` means no limit."""
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return None
    match = _RATE.fullmatch(value.lower()) if isinstance(value, str) else None
    unit = _UNITS.get(match.group(3)) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"expected N/<unit> such as '1000/hour' or '3/2s', or 'unlimited'; got {value!r}"
        )
    count, amount = int(match.group(1)), float(match.group(2) or 1)
    if count < 1 or amount <= 0:
        raise ValueError(f"a rate limit needs at least 1 request per a positive window: {value!r}")
    return RateLimit(count, amount * unit)


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an ISO 8601 date-time: {value!r}") from None
    else:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _parse_networks(value: Any) -> tuple[IPNetwork, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of CIDRs, got {value!r}")
    nets = []
    for item in value:
        try:
            nets.append(ipaddress.ip_network(str(item), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or CIDR: {item!r}") from None
    return tuple(nets)


def _parse_scopes(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of scopes, got {value!r}")
    unknown = [s for s in value if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; known: {', '.join(ALL_SCOPES)}")
    return frozenset(value)


def _parse_secret(value: Any) -> str:
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        # Say what is wrong without echoing a possibly real secret.
        raise ValueError(
            "expected hk_live_…, hk_test_… or hk_dev_… followed by 16-64 letters or digits"
        )
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


_FIELDS: dict[str, Any] = {
    "id": _text,
    "secret": _parse_secret,
    "owner": _text,
    "scopes": _parse_scopes,
    "expires_at": lambda v: None if v is None else _parse_time(v),
    "allowed_ips": lambda v: () if v is None else _parse_networks(v),
    "rate_limit": lambda v: DEFAULT_RATE_LIMIT if v is None else parse_rate_limit(v),
    "revoked": lambda v: v if isinstance(v, bool) else _bad_bool(v),
    "description": lambda v: "" if v is None else str(v),
}
_REQUIRED = ("id", "secret", "owner", "scopes")


def _bad_bool(value: Any) -> bool:
    raise ValueError(f"expected true or false, got {value!r}")


def parse_key(entry: Any, *, where: str = "key") -> ApiKey:
    """One key from its mapping; ``where`` names it in the error (e.g. "api_keys.yaml: keys[2]")."""
    if not isinstance(entry, Mapping):
        raise KeyFileError(f"{where}: expected a mapping of fields, got {type(entry).__name__}")
    if isinstance(entry.get("id"), str):
        where = f"{where} (id {entry['id']!r})"
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise KeyFileError(
            f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(_FIELDS)}"
        )
    values: dict[str, Any] = {}
    for name, parse in _FIELDS.items():
        if name not in entry:
            if name in _REQUIRED:
                raise KeyFileError(f"{where}: field '{name}' is required")
            continue
        try:
            values[name] = parse(entry[name])
        except ValueError as exc:
            raise KeyFileError(f"{where}: field '{name}': {exc}") from None
    return ApiKey(**values)


def parse_keys(data: Any, *, source: str = "keys") -> list[ApiKey]:
    """All keys of a parsed key file; ids and secrets must be unique."""
    if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
        raise KeyFileError(f"{source}: expected a mapping with a 'keys' list")
    keys = [parse_key(e, where=f"{source}: keys[{i}]") for i, e in enumerate(data["keys"])]
    seen_ids: set[str] = set()
    seen_secrets: set[str] = set()
    for i, key in enumerate(keys):
        where = f"{source}: keys[{i}] (id {key.id!r})"
        if key.id in seen_ids:
            raise KeyFileError(f"{where}: field 'id': duplicate id")
        if key.secret in seen_secrets:
            raise KeyFileError(f"{where}: field 'secret': same secret as an earlier key")
        seen_ids.add(key.id)
        seen_secrets.add(key.secret)
    return keys


def load_keys(path: str | Path | None = None) -> list[ApiKey]:
    """Keys from a YAML file (default: the package's own ``mockflow/data/api_keys.yaml``)."""
    source: Path | Traversable = Path(path) if path else DEFAULT_KEYS_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"{source}: cannot read the key file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KeyFileError(f"{source}: not valid YAML: {exc}") from None
    return parse_keys(data, source=str(source))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).digest()


class KeyRing:
    """The live set of keys, looked up by secret in constant time.

    Lookup goes through the SHA-256 of the presented secret: the dict lookup then depends only on
    the hash (which an attacker cannot steer toward a real key), and the final check is
    ``hmac.compare_digest``.
    """

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, ApiKey] = {}
        self._by_digest: dict[bytes, ApiKey] = {}
        self.replace(keys)

    def replace(self, keys: Iterable[ApiKey]) -> None:
        """Swap in a whole new set of keys (e.g. after a reset)."""
        keys = list(keys)
        by_id = {k.id: k for k in keys}
        by_digest = {_digest(k.secret): k for k in keys}
        if len(by_id) != len(keys) or len(by_digest) != len(keys):
            raise ValueError("key ids and secrets must be unique")
        with self._lock:
            self._by_id, self._by_digest = by_id, by_digest

    def add(self, key: ApiKey) -> None:
        with self._lock:
            digest = _digest(key.secret)
            if key.id in self._by_id:
                raise ValueError(f"an API key with id {key.id!r} already exists")
            if digest in self._by_digest:
                raise ValueError("an API key with that secret already exists")
            self._by_id[key.id] = key
            self._by_digest[digest] = key

    def remove(self, key_id: str) -> ApiKey:
        with self._lock:
            key = self._by_id.pop(key_id)
            del self._by_digest[_digest(key.secret)]
            return key

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._by_id.get(key_id)

    def find(self, secret: str) -> ApiKey | None:
        """The key whose secret is ``secret``, or None."""
        digest = _digest(secret)
        with self._lock:
            key = self._by_digest.get(digest)
        if key is None or not hmac.compare_digest(_digest(key.secret), digest):
            return None
        return key

    def __iter__(self) -> Iterator[ApiKey]:
        with self._lock:
            return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)
