"""VAPID (RFC 8292): the server's P-256 key pair and the signed header push services check.

The key comes from configuration (FIELDCRM_VAPID_PRIVATE_KEY: PEM, or base64url of the raw
32-byte key as `web-push generate-vapid-keys` prints it, or of DER) or is generated on first run
and kept under the data directory. It must stay the same afterwards: browsers bind every
subscription to the public key, and a new key silently orphans all of them.

The Authorization header is built here rather than by the `webpush` package because that one
drops a non-default port from `aud` and always prefixes the subject with "mailto:".
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from server.domain.schedule import require_aware

log = logging.getLogger(__name__)

KEY_DIR_NAME = "vapid"
KEY_FILE_NAME = "private_key.pem"
MAX_TOKEN_LIFETIME = timedelta(hours=24)  # RFC 8292 §2: exp no more than 24 hours ahead
DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Tolerates missing padding and standard-alphabet input, as browsers and tools vary."""
    cleaned = "".join(text.split()).replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> VapidKeys:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @property
    def private_pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @property
    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def private_key_b64url(self) -> str:
        """The raw 32-byte key, the form to put in FIELDCRM_VAPID_PRIVATE_KEY."""
        return b64url_encode(self.private_key.private_numbers().private_value.to_bytes(32, "big"))

    @property
    def application_server_key(self) -> str:
        """base64url uncompressed point (65 bytes), for pushManager.subscribe()."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)


def _require_p256(key: object) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("VAPID key must be an EC P-256 private key")
    return key


def parse_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM, base64url raw 32 bytes, or base64url DER."""
    text = value.strip().replace("\\n", "\n")  # PEM squeezed into one .env line
    try:
        if text.startswith("-----BEGIN"):
            key: object = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = b64url_decode(text)
            if len(raw) == 32:
                key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                key = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"unreadable VAPID private key: {exc}") from exc
    return _require_p256(key)


def vapid_key_path(data_dir: Path) -> Path:
    return data_dir / KEY_DIR_NAME / KEY_FILE_NAME


def _write_new_key_file(path: Path, pem: bytes) -> bool:
    """Writes the key only if no file exists yet; False when another process won the race.

    The file is written under a temporary name and hard-linked into place, so a concurrent
    reader (API and worker start together) never sees a half-written key.
    """
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
        return True
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)


def _read_key_file(path: Path) -> VapidKeys:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("VAPID key %s had mode %o; restricting it to 0600", path, mode)
        path.chmod(0o600)
    return VapidKeys(parse_private_key(path.read_text()))


def load_or_create_vapid_keys(data_dir: Path, configured_private_key: str = "") -> VapidKeys:
    """The configured key if given; else the stored one, generated and stored on first run."""
    if configured_private_key.strip():
        return VapidKeys(parse_private_key(configured_private_key))
    path = vapid_key_path(data_dir)
    if path.exists():
        return _read_key_file(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    keys = VapidKeys.generate()
    if _write_new_key_file(path, keys.private_pem):
        log.info("generated a VAPID key pair in %s", path)
        return keys
    return _read_key_file(path)


def normalize_vapid_subject(subject: str) -> str:
    """The JWT `sub`: a mailto: or https: URL (RFC 8292 §2.1); a bare address gets mailto:."""
    text = subject.strip()
    if text.startswith("https://") or (text.startswith("mailto:") and "@" in text):
        return text
    if "@" in text and ":" not in text:
        return f"mailto:{text}"
    raise ValueError(f"VAPID subject must be a mailto: or https: URL, got {subject!r}")


def endpoint_origin(endpoint: str) -> str:
    """scheme://host[:port] of a push endpoint, the JWT audience; default ports are omitted."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {endpoint!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    port = f":{parts.port}" if parts.port not in (None, default_port) else ""
    return f"{parts.scheme}://{host}{port}"


def _es256_jwt(claims: dict[str, object], key: ec.EllipticCurvePrivateKey) -> str:
    """A compact JWS (RFC 7515) with the raw r‖s signature ES256 requires, not DER."""

    def segment(obj: dict[str, object]) -> str:
        return b64url_encode(json.dumps(obj, separators=(",", ":")).encode())

    signing_input = f"{segment({'typ': 'JWT', 'alg': 'ES256'})}.{segment(claims)}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def vapid_authorization(
    keys: VapidKeys,
    endpoint: str,
    subject: str,
    now: datetime,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> str:
    """The `Authorization: vapid t=<JWT>, k=<public key>` value for one push endpoint."""
    require_aware(now)
    if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
        raise ValueError("VAPID token lifetime must be positive and at most 24 hours")
    claims: dict[str, object] = {
        "aud": endpoint_origin(endpoint),
        "exp": int((now + lifetime).timestamp()),
        "sub": normalize_vapid_subject(subject),
    }
    token = _es256_jwt(claims, keys.private_key)
    return f"vapid t={token}, k={keys.application_server_key}"
