"""Bearer-token authentication with scopes and a per-token rate limit."""

from ninja.errors import HttpError
from ninja.security import HttpBearer

from accord.people import permissions, tokens
from accord.people.models import ApiToken


class RateLimited(Exception):
    pass


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        found = tokens.authenticate(token)
        if found is None:
            return None  # ninja answers 401
        if not tokens.spend_request(found):
            raise RateLimited()
        request.user = found.user
        return found


def require_write_scope(request) -> ApiToken:
    """The request's token, if it may write; else 403."""
    token: ApiToken = request.auth
    if token.scope != ApiToken.Scope.WRITE:
        raise HttpError(403, "This token is read-only; create a token with write scope.")
    return token


def require_write(request) -> None:
    token = require_write_scope(request)
    if not permissions.can_import(token.user):
        raise HttpError(
            403, f"{token.user.get_role_display()}s may not write data in bulk; ask a manager."
        )
