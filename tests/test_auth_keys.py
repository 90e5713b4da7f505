"""The key file: loading, validation errors that name the entry, and the key ring."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from mockflow.auth.keys import (
    DEFAULT_KEYS_FILE,
    DEFAULT_RATE_LIMIT,
    KeyFileError,
    KeyRing,
    RateLimit,
    load_keys,
    parse_keys,
    parse_rate_limit,
)

GOOD = {
    "id": "k1",
    "secret": "hk_test_abcdefghijklmnop1234",
    "owner": "me@example.com",
    "scopes": ["mlflow:read"],
}


def test_default_key_file_has_every_documented_kind_of_key():
    keys = {k.id: k for k in load_keys(DEFAULT_KEYS_FILE)}
    now = datetime.now(timezone.utc)
    assert keys["read-only"].scopes == {"mlflow:read"}
    assert keys["read-write"].scopes == {"mlflow:read", "mlflow:write"}
    assert keys["admin"].scopes == {"admin"}
    assert keys["expired"].is_expired(now)
    assert keys["revoked"].revoked
    assert not keys["ip-restricted"].allows_ip("127.0.0.1")
    assert keys["ip-restricted"].allows_ip("10.20.3.4")
    assert keys["rate-limited"].rate_limit == RateLimit(3, 2.0)
    assert keys["live-default"].rate_limit == DEFAULT_RATE_LIMIT == RateLimit(1000, 3600.0)
    prefixes = {k.secret.split("_")[1] for k in keys.values()}
    assert prefixes == {"test", "dev", "live"}


def test_a_bad_field_is_reported_with_file_entry_and_field():
    data = {
        "keys": [
            GOOD,
            {**GOOD, "id": "k2", "secret": "hk_test_zzzzzzzzzzzzzzzz9", "scopes": ["root"]},
        ]
    }
    with pytest.raises(KeyFileError) as err:
        parse_keys(data, source="api_keys.yaml")
    assert str(err.value).startswith(
        "api_keys.yaml: keys[1] (id 'k2'): field 'scopes': unknown scope"
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"secret": "sk_live_abcdefghijklmnopqrs"}, "secret"),
        ({"expires_at": "next tuesday"}, "expires_at"),
        ({"allowed_ips": ["10.0.0.0/33"]}, "allowed_ips"),
        ({"rate_limit": "lots"}, "rate_limit"),
        ({"revoked": "yes please"}, "revoked"),
        ({"owner": ""}, "owner"),
    ],
)
def test_each_invalid_field_is_named(change, field):
    with pytest.raises(KeyFileError, match=rf"keys\[0\] \(id 'k1'\): field '{field}'"):
        parse_keys({"keys": [{**GOOD, **change}]})


def test_a_bad_secret_is_not_echoed_in_the_error():
    almost = "hk_prod_thisLooksLikeARealSecret"
    with pytest.raises(KeyFileError) as err:
        parse_keys({"keys": [{**GOOD, "secret": almost}]})
    assert almost not in str(err.value)


def test_missing_and_unknown_fields_are_errors():
    with pytest.raises(KeyFileError, match="field 'scopes' is required"):
        parse_keys({"keys": [{k: v for k, v in GOOD.items() if k != "scopes"}]})
    with pytest.raises(KeyFileError, match="unknown field.*colour"):
        parse_keys({"keys": [{**GOOD, "colour": "blue"}]})


def test_duplicate_ids_and_secrets_are_errors():
    with pytest.raises(KeyFileError, match=r"keys\[1\].*duplicate id"):
        parse_keys({"keys": [GOOD, {**GOOD, "secret": "hk_test_0000000000000000"}]})
    with pytest.raises(KeyFileError, match=r"keys\[1\].*same secret"):
        parse_keys({"keys": [GOOD, {**GOOD, "id": "k2"}]})


def test_unreadable_and_non_yaml_files_are_errors(tmp_path):
    with pytest.raises(KeyFileError, match="cannot read"):
        load_keys(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("keys: [\n")
    with pytest.raises(KeyFileError, match="not valid YAML"):
        load_keys(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(KeyFileError, match="'keys' list"):
        load_keys(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000/hour", RateLimit(1000, 3600.0)),
        ("3/2s", RateLimit(3, 2.0)),
        ("10 / 1.5 minutes", RateLimit(10, 90.0)),
        ("5/Day", RateLimit(5, 86400.0)),
        ("unlimited", None),
    ],
)
def test_rate_limit_notation(text, expected):
    assert parse_rate_limit(text) == expected


def test_expiry_without_offset_means_utc():
    (key,) = parse_keys({"keys": [{**GOOD, "expires_at": "2030-01-02T03:04:05"}]})
    assert key.expires_at == datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_ring_finds_keys_by_secret_and_never_shows_them():
    (key,) = parse_keys({"keys": [GOOD]})
    ring = KeyRing([key])
    assert ring.find(GOOD["secret"]) is key
    assert ring.find(GOOD["secret"] + "x") is None
    assert GOOD["secret"] not in repr(key)
    assert key.hint == "…1234"
    assert GOOD["secret"] not in str(key.public_dict())


def test_ring_add_and_remove():
    (key,) = parse_keys({"keys": [GOOD]})
    ring = KeyRing()
    ring.add(key)
    with pytest.raises(ValueError, match="already exists"):
        ring.add(key)
    assert ring.remove("k1") is key
    assert ring.find(GOOD["secret"]) is None
    assert len(ring) == 0


def test_ipv4_mapped_peer_matches_ipv4_allow_list():
    (key,) = parse_keys({"keys": [{**GOOD, "allowed_ips": ["127.0.0.0/8"]}]})
    assert key.allows_ip("::ffff:127.0.0.1")
    assert not key.allows_ip("not an ip")


def test_readme_lists_every_default_key():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for key in load_keys(DEFAULT_KEYS_FILE):
        assert f"| `{key.id}` | `{key.secret}` |" in readme


def test_serve_refuses_a_bad_key_file_naming_the_entry(tmp_path, capsys):
    from mockflow.cli import main

    bad = tmp_path / "keys.yaml"
    bad.write_text(
        "keys:\n  - {id: ci, secret: hk_test_abcdefghijklmnop1, owner: me, scopes: []}\n"
    )
    assert main(["serve", "--port", "0", "--keys-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: keys[0] (id 'ci'): field 'scopes'" in err
