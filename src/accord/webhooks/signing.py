"""Standard Webhooks (https://www.standardwebhooks.com): secrets, message ids, the body and
the three headers that let a receiver check a message came from Accord, unchanged.

The signature is `standardwebhooks`' own: HMAC-SHA256 with the secret over
`{webhook-id}.{webhook-timestamp}.{body}`, base64, prefixed `v1,`. While a rotated secret's
grace period runs, the message is signed with both secrets, the signatures separated by a
space, as the specification provides: a receiver that still knows only the old secret
accepts it, and so does one that already has the new one.
"""

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 (the specification's prefix, not a secret)
SECRET_BYTES = 32  # the specification asks for 24 to 64 random bytes
USER_AGENT = "Accord-Webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    """A `webhook-id`: unique per message, the same for every attempt to deliver it."""
    return "msg_" + secrets.token_hex(12)


def body(kind: str, occurred_at: datetime, data: dict) -> str:
    """The JSON body in the specification's shape: `type`, `timestamp`, `data`."""
    moment = occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": kind, "timestamp": moment, "data": data}, separators=(",", ":"), sort_keys=True
    )


def headers(message_id: str, at: datetime, payload: bytes, keys: Sequence[str]) -> dict[str, str]:
    """The headers of one attempt, signed at `at` with each of `keys` (newest first)."""
    signature = " ".join(Webhook(key).sign(message_id, at, payload) for key in keys)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
