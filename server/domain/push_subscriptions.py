"""Checking a push subscription a device uploads, field by field.

validate_subscription (server/notify/webpush_sender.py) is the authority on what can be sent
to; this names which field is wrong so the PWA can say so. Only https endpoints are
accepted (http only where a test push service runs): the server POSTs to whatever URL is
stored, so an arbitrary URL would let a client make it call internal addresses.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from server.domain.errors import FieldError, ValidationFailed
from server.notify.vapid import b64url_decode, endpoint_origin
from server.notify.webpush_sender import (
    AUTH_SECRET_BYTES,
    PushSubscriptionInfo,
    validate_subscription,
)

MAX_ENDPOINT_LENGTH = 2000
MAX_LABEL_LENGTH = 100
P256_POINT_BYTES = 65


def _endpoint_error(endpoint: str, allow_http: bool) -> FieldError | None:
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return FieldError("endpoint", "text.too_long", {"max": MAX_ENDPOINT_LENGTH})
    schemes = ("https", "http") if allow_http else ("https",)
    try:
        origin = endpoint_origin(endpoint)
    except ValueError:
        return FieldError("endpoint", "push.endpoint.invalid")
    if origin.split(":", 1)[0] not in schemes:
        return FieldError("endpoint", "push.endpoint.invalid")
    return None


def _p256dh_error(p256dh: str) -> FieldError | None:
    try:
        point = b64url_decode(p256dh)
        if len(point) != P256_POINT_BYTES:
            raise ValueError("not an uncompressed point")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return FieldError("keys.p256dh", "push.key.invalid")
    return None


def _auth_error(auth: str) -> FieldError | None:
    try:
        if len(b64url_decode(auth)) == AUTH_SECRET_BYTES:
            return None
    except ValueError:
        pass
    return FieldError("keys.auth", "push.key.invalid")


def check_subscription(
    subscription: PushSubscriptionInfo, device_label: str | None, allow_http: bool
) -> PushSubscriptionInfo:
    """The subscription, or ValidationFailed listing every bad field."""
    errors = [
        error
        for error in (
            _endpoint_error(subscription.endpoint, allow_http),
            _p256dh_error(subscription.p256dh),
            _auth_error(subscription.auth),
        )
        if error is not None
    ]
    if device_label is not None and len(device_label) > MAX_LABEL_LENGTH:
        errors.append(FieldError("device_label", "text.too_long", {"max": MAX_LABEL_LENGTH}))
    if errors:
        raise ValidationFailed(errors)
    try:
        return validate_subscription(subscription, allow_http)
    except ValueError as exc:  # the checks above should have caught it; say so, not 500
        raise ValidationFailed([FieldError("keys", "push.key.invalid")]) from exc
