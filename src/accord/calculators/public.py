"""The public doors of a published calculator (no login): its page /c/<slug>/, the live
results as inputs change, the submit, and a visitor's deletion request.

Every request is counted first, against its client address and against the calculator (429
past the limits in settings), then the calculator is looked up: one that is not published
(a draft, a declined or retired version only) or does not exist gets the same polite 404.

The page may be framed by the calculator's allowed origins only: its CSP's frame-ancestors
lists them beside 'self' (the rest of the policy is the site's strict one: scripts from
Accord alone, nothing inline), and X-Frame-Options is left off when there are any, since
browsers that read both would let it refuse what the CSP allows.

The live results and the submit are exempt from CSRF: an embedded page is a third-party
frame, whose SameSite cookies the browser does not send, and neither door acts for anybody
signed in. The submit carries instead the signed key the page was served with: it says which
calculator and when (a post sooner than CALCULATOR_MIN_SUBMIT_SECONDS is a robot's, one
older than CALCULATOR_FORM_MAX_AGE_SECONDS has expired), and it is the submission's request
key, so the same post again stores nothing more. A hidden field people never see (the
honeypot) filled in gets the answer a person would, and nothing is stored.
"""

import decimal
import secrets
import time
from decimal import Decimal
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.calculators import actions, business_case, capture, compute, queries
from accord.calculators.models import Calculator, CalculatorVersion, Submission
from accord.core import ratelimit
from accord.people.logins import client_address

FORM_SALT = "accord.calculators.form"
HONEYPOT = "website"
INPUT_PREFIX = "in_"
# What the submit takes besides the calculator's inputs (in_<key>).
SUBMIT_FIELDS = frozenset(
    {"email", "name", "company", "consent", "visit", "form_key", HONEYPOT, "csrfmiddlewaretoken"}
)
COMPUTE_FIELDS = frozenset({"visit", "touched", "csrfmiddlewaretoken"})
TOO_MANY = "Too many requests from your network; please wait a minute and try again."
NOT_FOUND = "This calculator is not available: it may have been taken down, or the link is wrong."
TOO_FAST = "That was quicker than a person types: please check your answers and submit again."
EXPIRED = "This form has expired; reload the page and submit again."


class Refused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --- The form key ----------------------------------------------------------------------------


def form_key(calculator: Calculator, *, issued_at: float | None = None) -> str:
    """The signed key the page's form carries: the calculator, when it was served, and the
    one-time request key its submission is stored under."""
    issued = time.time() if issued_at is None else issued_at
    payload = {"c": calculator.pk, "t": round(issued, 3), "k": secrets.token_urlsafe(18)}
    return signing.dumps(payload, salt=FORM_SALT)


def request_key(calculator: Calculator, key: str) -> str:
    """The request key of a form key served for this calculator; Refused when it is forged,
    for another calculator, expired, or posted sooner than a person could."""
    try:
        payload = signing.loads(
            key or "", salt=FORM_SALT, max_age=settings.CALCULATOR_FORM_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired:
        raise Refused(EXPIRED) from None
    except signing.BadSignature:
        raise Refused(EXPIRED) from None
    if not isinstance(payload, dict) or payload.get("c") != calculator.pk:
        raise Refused(EXPIRED)
    age = time.time() - float(payload.get("t", 0))
    if age > settings.CALCULATOR_FORM_MAX_AGE_SECONDS:
        raise Refused(EXPIRED)
    if age < settings.CALCULATOR_MIN_SUBMIT_SECONDS:
        raise Refused(TOO_FAST)
    return str(payload["k"])


# --- Counting and finding ----------------------------------------------------------------------


def _limited(request, slug: str, purpose: str) -> bool:
    address = client_address(request) or "unknown"
    if purpose == "compute":
        limit = settings.CALCULATOR_COMPUTE_RATE_LIMIT
    else:
        limit = settings.CALCULATOR_ADDRESS_RATE_LIMIT
    if not ratelimit.allow(f"calculator:{purpose}:{address}", limit):
        return True
    return not ratelimit.allow(f"calculator:slug:{slug[:80]}", settings.CALCULATOR_RATE_LIMIT)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.path.endswith(
        "/compute/"
    )


def _message(request, title: str, text: str, status: int):
    if _wants_json(request):
        return JsonResponse({"ok": False, "error": text}, status=status)
    return render(
        request, "calculators/public_message.html", {"title": title, "message": text}, status=status
    )


def _too_many(request):
    response = _message(request, "Please wait a minute", TOO_MANY, 429)
    response["Retry-After"] = "60"
    return response


_LIVE: dict[str, tuple[float, tuple[Calculator, CalculatorVersion] | None]] = {}


def _clock() -> float:
    return time.monotonic()


def live(slug: str) -> tuple[Calculator, CalculatorVersion] | None:
    """The calculator and its published version, or None (not published, or no such one).
    Kept by this process for CALCULATOR_LIVE_SECONDS: a burst of visitors reads it once."""
    keep = settings.CALCULATOR_LIVE_SECONDS
    if keep:
        kept = _LIVE.get(slug)
        if kept is not None and _clock() - kept[0] < keep:
            return kept[1]
    version = (
        CalculatorVersion.objects.select_related("calculator")
        .filter(calculator__slug=slug, status=CalculatorVersion.Status.PUBLISHED)
        .order_by()  # at most one is published
        .first()
    )
    found = None if version is None else (version.calculator, version)
    if keep:
        if len(_LIVE) > 1000:
            _LIVE.clear()
        _LIVE[slug] = (_clock(), found)
    return found


def public(purpose: str):
    """No login; counted against the address and the calculator; the calculator found."""

    def decorate(view):
        @login_not_required
        @never_cache
        @wraps(view)
        def wrapper(request, slug: str):
            if _limited(request, slug, purpose):
                return _too_many(request)
            found = live(slug)
            if found is None:
                return _message(request, "Calculator not available", NOT_FOUND, 404)
            response = view(request, *found)
            return framed(response, found[0])

        return wrapper

    return decorate


def framed(response, calculator: Calculator):
    """Let the calculator's allowed origins (and Accord itself) frame this answer: what
    `django.views.decorators.csp.csp_override` and `xframe_options_exempt` set, per
    calculator instead of per view."""
    origins = actions.parse_origins(calculator.allowed_origins)
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF, *origins]}
    if origins:
        response.xframe_options_exempt = True
    else:
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- What the page shows -------------------------------------------------------------------------


def _typed_default(item: dict) -> str:
    value = Decimal(item["default"])
    return compute.plain(value * 100 if item["type"] == "percent" else value)


def _bound(item: dict, name: str) -> str:
    value = item.get(name)
    if value in (None, ""):
        return ""
    value = Decimal(str(value))
    return compute.plain(value * 100 if item["type"] == "percent" else value)


def shown_inputs(
    version: CalculatorVersion, typed: dict | None = None, errors: dict | None = None
) -> list[dict]:
    """The version's inputs as the page lays them out, with what the visitor typed and why
    it was refused."""
    typed, errors = typed or {}, errors or {}
    rows = []
    for item in version.inputs:
        rows.append(
            {
                **item,
                "name": INPUT_PREFIX + item["key"],
                "typed": str(typed.get(item["key"], _typed_default(item)))[:40],
                "low": _bound(item, "min"),
                "high": _bound(item, "max"),
                "unit": "%" if item["type"] == "percent" else item.get("unit", ""),
                "errors": errors.get(item["key"], []),
            }
        )
    return rows


def _shown(value, output: dict) -> str:
    try:
        shown = queries.shown_value(Decimal(value), output)
    except decimal.DecimalException:  # too large to round to cents: shown as it is
        shown = compute.plain(Decimal(value))
    return f"{shown} months" if output.get("format") == "months" else shown


def shown_results(version: CalculatorVersion, values: dict) -> list[dict]:
    """Each output with its value formatted as the builder's preview shows it."""
    return [
        {
            "key": output["key"],
            "label": output["label"],
            "explain": output.get("explain", ""),
            "shown": _shown(values[output["key"]], output) if output["key"] in values else "",
        }
        for output in version.outputs
    ]


def business_case_url(submission: Submission | None) -> str:
    """The visitor's copy of their business case (signed link), or empty without one."""
    if submission is None:
        return ""
    return business_case.public_case_url(submission)


def _embedded_from(request) -> str:
    referer = request.headers.get("Referer", "")
    parts = urlsplit(referer)
    if not parts.scheme or not parts.netloc or parts.netloc == request.get_host():
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _page(request, calculator, version, *, typed=None, errors=None, visitor=None, visit="",
          key="", status=200):  # fmt: skip
    results_first = calculator.gate == Calculator.Gate.RESULTS_FIRST
    results = []
    if results_first:
        try:
            read = (
                compute.defaults(version) if typed is None else compute.read_inputs(version, typed)
            )
            results = shown_results(version, compute.compute(version, read).values)
        except ValidationError:
            results = shown_results(version, {})
    context = {
        "calculator": calculator,
        "version": version,
        "inputs": shown_inputs(version, typed, errors),
        "results": results,
        "results_first": results_first,
        "assumptions": queries.assumptions_shown(version),
        "errors": errors or {},
        # Refusals that name no input of the page (a field it does not have, the form key).
        "other_errors": [
            message
            for field, messages in (errors or {}).items()
            if field
            not in {i["key"] for i in version.inputs} | {"email", "name", "company", "consent"}
            for message in (messages if field == "__all__" else [f"{field}: {m}" for m in messages])
        ],
        "visitor": visitor or {},
        "visit": visit,
        "form_key": key or form_key(calculator),
        "honeypot": HONEYPOT,
    }
    return render(request, "calculators/public.html", context, status=status)


@public("page")
@require_GET
def page(request, calculator, version):
    visit = capture.open_visit(calculator, version, embedded_from=_embedded_from(request))
    return _page(request, calculator, version, visit=visit.token)


# --- Live results ---------------------------------------------------------------------------


def _inputs_from(data, allowed: frozenset) -> dict:
    """The calculator's inputs from a posted form (in_<key>); Refused naming a field the
    form does not have."""
    raw = {}
    for name in data:
        if name.startswith(INPUT_PREFIX):
            raw[name[len(INPUT_PREFIX) :]] = data.get(name)
        elif name not in allowed:
            raise ValidationError({str(name)[:40]: ["this form has no such field"]})
    return raw


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"__all__": error.messages}


@csrf_exempt
@public("compute")
@require_POST
def live_results(request, calculator, version):
    """Every output for the inputs posted, formatted as the page shows them (none while the
    gate asks for an email first), or each bad input with why; marks the visit started."""
    data = request.POST
    capture.touch_visit(calculator, data.get("visit", ""), data.get("touched", ""))
    try:
        raw = _inputs_from(data, COMPUTE_FIELDS)
        values = compute.compute(version, compute.read_inputs(version, raw)).values
    except ValidationError as error:
        return JsonResponse({"ok": False, "errors": _errors(error)}, status=400)
    if calculator.gate == Calculator.Gate.EMAIL_FIRST:
        return JsonResponse({"ok": True, "gated": True, "results": {}})
    results = {row["key"]: row["shown"] for row in shown_results(version, values)}
    return JsonResponse({"ok": True, "gated": False, "results": results})


# --- The submit -------------------------------------------------------------------------------


@csrf_exempt
@public("submit")
@require_POST
def submit(request, calculator, version):
    data = request.POST
    typed = {k[len(INPUT_PREFIX) :]: v for k, v in data.items() if k.startswith(INPUT_PREFIX)}
    visitor_typed = {k: data.get(k, "")[:300] for k in ("email", "name", "company")}
    visit = data.get("visit", "")[:43]
    try:
        key = request_key(calculator, data.get("form_key", ""))
        raw = _inputs_from(data, SUBMIT_FIELDS)
        problems = {}
        try:
            visitor = capture.clean_visitor(**visitor_typed)
        except ValidationError as error:
            problems.update(error.message_dict)
        if calculator.consent_text and not data.get("consent"):
            problems["consent"] = ["Please tick the box to agree, so we may send it to you."]
        try:
            inputs = compute.read_inputs(version, raw)
        except ValidationError as error:
            problems.update(error.message_dict)
        if problems:
            raise ValidationError(problems)
        if data.get(HONEYPOT):
            # A robot filled the field people never see: the answer a person gets, nothing kept.
            values = compute.compute(version, inputs).values
            return _thanks(request, calculator, version, values, None)
        captured = capture.capture(calculator, version, visitor, raw, request_key=key,
                                   visit_token=visit)  # fmt: skip
    except Refused as refused:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(refused)}, status=refused.status)
        errors = {"__all__": [str(refused)]}
        return _page(request, calculator, version, typed=typed, visitor=visitor_typed,
                     visit=visit, errors=errors, status=refused.status)  # fmt: skip
    except ValidationError as error:
        errors = _errors(error)
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return _page(request, calculator, version, typed=typed, visitor=visitor_typed,
                     visit=visit, errors=errors, status=400)  # fmt: skip
    submission = captured.submission
    return _thanks(request, calculator, version, submission.results, submission)


def _thanks(request, calculator, version, values, submission):
    values = {k: str(v) for k, v in values.items()}
    results = shown_results(version, values)
    case_url = business_case_url(submission)
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "results": {row["key"]: row["shown"] for row in results},
                "business_case": case_url,
            }
        )
    context = {"calculator": calculator, "results": results, "case_url": case_url}
    return render(request, "calculators/public_thanks.html", context)


# --- embed.js, and the deletion request ------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def forget(request):
    """A visitor asks us to delete what they entered: the same answer whoever they are."""
    address = client_address(request) or "unknown"
    if not ratelimit.allow(f"calculator:forget:{address}", settings.CALCULATOR_ADDRESS_RATE_LIMIT):
        return _too_many(request)
    email, error, done = "", "", False
    if request.method == "POST":
        email = request.POST.get("email", "")[:300]
        try:
            capture.clean_visitor(email)
        except ValidationError:
            error = "Give the email address you entered in the calculator."
        else:
            capture.request_erasure(email)
            done = True
    context = {"email": email, "error": error, "done": done}
    return render(request, "calculators/public_forget.html", context, status=400 if error else 200)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def forget_confirm(request, token: str):
    """The link mailed to the visitor: a button to confirm (a GET deletes nothing: mail
    scanners open links; nor does a POST without the button's answer), then the deletion."""
    address = client_address(request) or "unknown"
    if not ratelimit.allow(f"calculator:forget:{address}", settings.CALCULATOR_ADDRESS_RATE_LIMIT):
        return _too_many(request)
    asked = capture.erasure_request(token)
    if asked is None:
        text = "This link is not valid or has expired. Ask again from the calculator's page."
        return _message(request, "Link not valid", text, 404)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        asked = capture.erase(asked)
    context = {"asked": asked, "token": token}
    return render(request, "calculators/public_forget_confirm.html", context)


def embed_snippets(request, calculator: Calculator) -> dict:
    """The public address and the two ways to embed it, for the builder's page."""
    url = request.build_absolute_uri(reverse("calculators:public", args=[calculator.slug]))
    script = request.build_absolute_uri(settings.STATIC_URL + "accord/embed.js")
    title = calculator.name.replace('"', "&quot;")
    return {
        "url": url,
        "iframe": f'<iframe src="{url}" title="{title}" width="100%" height="900" '
        'loading="lazy" style="border:0"></iframe>',
        "script": f'<script src="{script}" data-calculator="{calculator.slug}" async></script>',
    }
