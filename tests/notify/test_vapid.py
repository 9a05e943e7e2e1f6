"""VAPID key management and the signed Authorization header."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify import vapid
from server.notify.vapid import VapidKeys


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_run_generates_a_private_key_file_and_later_runs_reuse_it(tmp_path: Path):
    first = vapid.load_or_create_vapid_keys(tmp_path)
    key_file = vapid.vapid_key_path(tmp_path)
    assert mode_of(key_file) == 0o600
    assert mode_of(key_file.parent) == 0o700
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    again = vapid.load_or_create_vapid_keys(tmp_path)
    assert again.application_server_key == first.application_server_key
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]  # no temp files left


def test_concurrent_first_runs_agree_on_one_key(tmp_path: Path):
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: vapid.load_or_create_vapid_keys(tmp_path), range(16)))
    assert len({k.application_server_key for k in keys}) == 1


def test_a_too_open_key_file_is_tightened(tmp_path: Path):
    created = vapid.load_or_create_vapid_keys(tmp_path)
    key_file = vapid.vapid_key_path(tmp_path)
    key_file.chmod(0o644)
    loaded = vapid.load_or_create_vapid_keys(tmp_path)
    assert loaded.application_server_key == created.application_server_key
    assert mode_of(key_file) == 0o600


def test_application_server_key_is_the_uncompressed_p256_point():
    keys = VapidKeys.generate()
    point = vapid.b64url_decode(keys.application_server_key)
    assert len(point) == 65 and point[0] == 0x04
    assert "=" not in keys.application_server_key
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    assert public == keys.private_key.public_key()


@pytest.mark.parametrize("form", ["raw", "pem", "pem_one_line", "der", "sec1_pem"])
def test_configured_key_in_any_common_form_wins_and_writes_nothing(tmp_path: Path, form: str):
    keys = VapidKeys.generate()
    value = {
        "raw": keys.private_key_b64url,
        "pem": keys.private_pem.decode(),
        "pem_one_line": keys.private_pem.decode().replace("\n", "\\n"),
        "der": vapid.b64url_encode(
            keys.private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        "sec1_pem": keys.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
    }[form]
    loaded = vapid.load_or_create_vapid_keys(tmp_path, value)
    assert loaded.application_server_key == keys.application_server_key
    assert not vapid.vapid_key_path(tmp_path).exists()


def test_unusable_configured_keys_are_refused(tmp_path: Path):
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="P-256"):
        vapid.parse_private_key(p384.decode())
    with pytest.raises(ValueError, match="unreadable"):
        vapid.parse_private_key("not-a-key")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("mailto:ops@example.com", "mailto:ops@example.com"),
        (" ops@example.com ", "mailto:ops@example.com"),
        ("https://crm.example.com/contact", "https://crm.example.com/contact"),
    ],
)
def test_subject_normalization(subject: str, expected: str):
    assert vapid.normalize_vapid_subject(subject) == expected


@pytest.mark.parametrize("subject", ["", "ops", "http://example.com", "mailto:nobody"])
def test_bad_subjects_are_refused(subject: str):
    with pytest.raises(ValueError):
        vapid.normalize_vapid_subject(subject)


@pytest.mark.parametrize(
    ("endpoint", "origin"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", "https://fcm.googleapis.com"),
        ("https://push.example.com:443/x", "https://push.example.com"),
        ("https://Push.Example.com:8443/x?y=1", "https://push.example.com:8443"),
        ("http://127.0.0.1:5123/push/1", "http://127.0.0.1:5123"),
        ("http://[::1]:8080/push/1", "http://[::1]:8080"),
    ],
)
def test_endpoint_origin_keeps_non_default_ports(endpoint: str, origin: str):
    assert vapid.endpoint_origin(endpoint) == origin


def test_authorization_header_is_a_verifiable_es256_jwt():
    keys = VapidKeys.generate()
    now = datetime.now(UTC)
    header = vapid.vapid_authorization(
        keys, "https://push.example.com/abc", "ops@example.com", now, timedelta(hours=2)
    )
    scheme, _, params = header.partition(" ")
    token = params.split(", ")[0].removeprefix("t=")
    assert scheme == "vapid"
    assert params.split(", ")[1] == f"k={keys.application_server_key}"
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "ES256"}
    claims = jwt.decode(
        token,
        keys.private_key.public_key(),
        algorithms=["ES256"],
        audience="https://push.example.com",
    )
    assert claims == {
        "aud": "https://push.example.com",
        "exp": int((now + timedelta(hours=2)).timestamp()),
        "sub": "mailto:ops@example.com",
    }


def test_token_lifetime_is_bounded_by_24_hours():
    keys = VapidKeys.generate()
    now = datetime.now(UTC)
    with pytest.raises(ValueError):
        vapid.vapid_authorization(keys, "https://p.example", "a@b.c", now, timedelta(hours=25))
    with pytest.raises(ValueError):
        vapid.vapid_authorization(keys, "https://p.example", "a@b.c", now, timedelta(0))
