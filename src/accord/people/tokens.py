"""API tokens: issued once, stored as a hash, checked, revoked, rate limited."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from accord.people.models import ApiToken, User

PREFIX = "acc_"


def digest(raw: str) -> str:
    # Tokens carry 256 random bits, so a fast unsalted hash is enough to protect them at rest.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def issue_token(user: User, *, name: str, scope: str) -> tuple[ApiToken, str]:
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80] or "API token",
        scope=scope,
        prefix=raw[:10],
        digest=digest(raw),
        created_at=timezone.now(),
    )
    return token, raw


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; False if there is no such token of theirs."""
    return bool(
        ApiToken.objects.filter(user=user, pk=token_id, revoked_at=None).update(
            revoked_at=timezone.now()
        )
    )


def authenticate(raw: str) -> ApiToken | None:
    if not raw or not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    return token


def spend_request(token: ApiToken) -> bool:
    """Count one request in the token's current minute; False once the limit is reached."""
    now = timezone.now()
    window_start = now - timedelta(minutes=1)
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    updated = ApiToken.objects.filter(pk=token.pk).update(
        last_used_at=now,
        window_started_at=Case(
            When(window_started_at__gt=window_start, then=F("window_started_at")),
            default=Value(now),
        ),
        window_requests=Case(
            When(window_started_at__gt=window_start, then=F("window_requests") + 1),
            default=Value(1),
        ),
    )
    if not updated:
        return False
    token.refresh_from_db(fields=["window_requests"])
    return token.window_requests <= limit
