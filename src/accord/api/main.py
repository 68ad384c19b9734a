"""The API assembled: every app's router under /api/v1/, token auth, and the one front door
that turns a verb's refusal into an answer. Handlers just call the verb; a PermissionDenied
becomes 403 and a ValidationError 422 naming each field, here and nowhere else. Every error
answers JSON `{"detail": …}`, an unexpected one too (500, logged, saying nothing of the
internals), and the OpenAPI document says which errors each operation can answer.

The API answers only what it was asked in words it knows: a query parameter no operation
documents is refused (422 naming it), not silently ignored; a body that is not JSON is 422;
a path under /api/v1/ that names no operation is a JSON 404."""

from json import JSONDecodeError

from django.conf import settings
from django.core import signals
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import JsonResponse
from django.urls import re_path
from django.utils.log import log_response
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.openapi.schema import flatten_properties

from accord.attribution.api import router as attribution_router
from accord.calculators.api import router as calculators_router
from accord.calculators.deal_api import router as business_cases_router
from accord.content.api import router as content_router
from accord.core.api_types import ErrorOut
from accord.crm.api import router as crm_router
from accord.imports.api import router as imports_router
from accord.journey.api import router as journey_router
from accord.people.api_auth import RateLimited, TokenAuth
from accord.plan.api import router as plan_router
from accord.qualify.review_api import router as review_router
from accord.qualify.value_api import router as value_router
from accord.sla.api import router as sla_router


class AccordAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        _document_errors(schema)
        return schema


api = AccordAPI(
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
api.add_router("/", content_router)
# Business cases first: /calculators/submissions must not be read as /calculators/{id}.
api.add_router("/", business_cases_router)
api.add_router("/", calculators_router)
api.add_router("/", journey_router)


def refusal(error: ValidationError) -> str:
    """A verb's refusal in one line: `field: why; other: why`, or the reasons alone."""
    if hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
    return " ".join(error.messages)


@api.exception_handler(HttpError)
def http_error(request, exc):
    # Ninja answers 400 to a body it cannot parse; the README promises 422 for a malformed
    # body, as for any body that does not fit the schema.
    if exc.status_code == 400 and isinstance(exc.__cause__, (JSONDecodeError, UnicodeDecodeError)):
        return api.create_response(
            request, {"detail": f"The body is not valid JSON: {exc.__cause__}."}, status=422
        )
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


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


@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def bad_request(request, exc):
    # What Django answers 400 to (too many fields, a bad host...), in JSON.
    return api.create_response(request, {"detail": "Bad request."}, status=400)


@api.exception_handler(Exception)
def server_error(request, exc):
    # As Django treats an error nobody expected, the signal (error reporting, the test
    # client) and the logged traceback included; but in JSON, and without the internals.
    signals.got_request_exception.send(sender=None, request=request)
    response = api.create_response(
        request, {"detail": "Something went wrong on our side; it has been logged."}, status=500
    )
    log_response(
        "%s: %s",
        "Internal Server Error",
        request.path,
        response=response,
        request=request,
        exception=exc,
    )
    return response


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return api.create_response(
        request, {"detail": f"The request body is larger than {limit} MB."}, status=413
    )


ERROR_RESPONSES = {
    "400": "Bad request: a filter value or a cursor this API does not know.",
    "401": "No token, or an unknown or revoked one, or one of a deactivated user.",
    "403": "A read-only token, or a role that may not do this.",
    "404": "No such record.",
    "413": "Too many items, or a body larger than the limit.",
    "422": "Invalid input: a refusal naming each field, a body that is not JSON or does not "
    "fit the schema, or a query parameter the operation does not take.",
    "429": "Rate limit reached; retry after the seconds in Retry-After.",
}


def _document_errors(schema: dict) -> None:
    """Each operation's error answers: any can be refused its token (401), an unknown query
    parameter (422) or rate limited (429); one that takes input can find it malformed (400)
    or invalid (422); only writes
    refuse a scope or a role (403), only a path names a record that may be missing (404),
    only a body can be too large (413). An answer the operation documents itself is kept."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = ["401", "422", "429"]  # any may be sent a query parameter it does not take
            if operation.get("parameters") or "requestBody" in operation:
                codes.append("400")
            if method != "get":
                codes.append("403")
            if "{" in path:
                codes.append("404")
            if "requestBody" in operation:
                codes.append("413")
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                answer = {
                    "description": ERROR_RESPONSES[code],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}
                    },
                }
                if code == "429":
                    answer["headers"] = {
                        "Retry-After": {
                            "description": "Seconds to wait",
                            "schema": {"type": "integer"},
                        }
                    }
                responses.setdefault(code, answer)


def urls():
    """The API's URL patterns, open to token-authenticated requests without a session login,
    each operation refusing query parameters it does not know, and a JSON 404 for the rest."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        _exempt(pattern)
    for bound in api._get_bound_routers():  # the operations the patterns run
        for view in bound.path_operations.values():
            for operation in view.operations:
                _refuse_unknown_query(operation)
    unknown = re_path(r"^.*$", no_such_operation, name="unknown")
    unknown.callback.login_required = False
    return [*patterns, unknown], app_name, namespace


def no_such_operation(request, *args, **kwargs):
    return JsonResponse(
        {"detail": f"No API operation at {request.path}; the operations are at /api/v1/docs."},
        status=404,
    )


def query_names(operation) -> set[str]:
    """The query parameters an operation accepts: those of its signature, under the names the
    OpenAPI document gives them, and those it documents itself (the lists' filters)."""
    names = set()
    for model in operation.models:
        if model.__ninja_param_source__ != "query":
            continue
        schema = model.model_json_schema()
        required = set(schema.get("required", ()))
        for name, details in schema.get("properties", {}).items():
            for flat, _, _ in flatten_properties(
                name, details, name in required, schema.get("$defs", {})
            ):
                names.add(flat)
    extra = (operation.openapi_extra or {}).get("parameters", ())
    names.update(p["name"] for p in extra if p.get("in") == "query")
    return names


def _refuse_unknown_query(operation) -> None:
    """After the token and rate checks, a query parameter the operation does not know is a
    422 naming it: `?from=` instead of `?start=` must not quietly answer something else."""
    known = query_names(operation)
    checks = operation._run_checks

    def run_checks(request):
        error = checks(request)
        if error is not None:
            return error
        unknown = sorted(set(request.GET) - known)
        if not unknown:
            return None
        expected = ", ".join(sorted(known)) or "none"
        return api.create_response(
            request,
            {
                "detail": f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: "
                f"{', '.join(unknown)}. This operation takes: {expected}."
            },
            status=422,
        )

    operation._run_checks = run_checks


def _exempt(pattern) -> None:
    if hasattr(pattern, "url_patterns"):
        for inner in pattern.url_patterns:
            _exempt(inner)
    elif hasattr(pattern, "callback"):
        pattern.callback.login_required = False
