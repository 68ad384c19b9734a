"""The API assembled: every app's router under /api/v1/, token auth, and the one front door
that turns a verb's refusal into an answer. Handlers just call the verb; a PermissionDenied
becomes 403 and a ValidationError 422 naming each field, here and nowhere else."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from ninja import NinjaAPI

from accord.attribution.api import router as attribution_router
from accord.crm.api import router as crm_router
from accord.imports.api import router as imports_router
from accord.people.api_auth import RateLimited, TokenAuth
from accord.plan.api import router as plan_router
from accord.qualify.review_api import router as review_router
from accord.qualify.value_api import router as value_router
from accord.sla.api import router as sla_router

api = NinjaAPI(
    title="Accord API",
    version="1",
    description=(
        "Read and write Accord's CRM data and revenue plans. Authenticate with a personal "
        "token from your profile page: `Authorization: Bearer acc_…`. Errors answer with a "
        'JSON body `{"detail": …}`: 400 bad request, 401 missing or unknown token, '
        "403 scope or role, 404 not found, 413 too many items or too large a body, "
        "422 invalid input, 429 rate limit (see Retry-After)."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
)
# The bulk upserts first: they were listed before the CRM's lists when both were one router.
api.add_router("/", imports_router)
api.add_router("/", crm_router)
api.add_router("/", plan_router)
api.add_router("/", value_router)
api.add_router("/", review_router)
api.add_router("/", sla_router)
api.add_router("/", attribution_router)


def refusal(error: ValidationError) -> str:
    """A verb's refusal in one line: `field: why; other: why`, or the reasons alone."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(ValidationError)
def refused(request, exc):
    return api.create_response(request, {"detail": refusal(exc)}, status=422)


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    response = api.create_response(
        request, {"detail": f"Rate limit: {limit} requests a minute per token."}, status=429
    )
    response["Retry-After"] = "60"
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit} MB."}, status=413
    )


def urls():
    """The API's URL patterns, open to token-authenticated requests without a session login."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        _exempt(pattern)
    return patterns, app_name, namespace


def _exempt(pattern) -> None:
    if hasattr(pattern, "url_patterns"):
        for inner in pattern.url_patterns:
            _exempt(inner)
    elif hasattr(pattern, "callback"):
        pattern.callback.login_required = False
