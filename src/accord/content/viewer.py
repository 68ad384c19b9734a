"""The public viewer of tracked links: /s/<token>/ and its file, download and time ping.

No login. Every request is first counted against its client address (a 429 page past
CONTENT_VIEWER_RATE_LIMIT a minute), so tokens cannot be guessed at speed. A token that is
malformed, unknown, stopped or expired gets one and the same page and records nothing. A
token only ever reaches its own link's version: the file is looked up from the link, never
from anything the visitor sent. Files answer with their detected type, `nosniff` and a
policy that runs no script; only Accord's own pages may frame them.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.content import sending, uploads
from accord.content.forms import GateForm
from accord.core import ratelimit
from accord.people.logins import client_address

INVALID = "This link is not valid or has expired; ask the person who sent it for a new one."
# What the browser may show inline; anything else (Office files) is offered as a download.
INLINE = {uploads.PDF: "pdf", uploads.PNG: "image", uploads.JPEG: "image", uploads.MP4: "video"}
# The file itself: nothing runs in it, nothing loads from elsewhere, only Accord frames it. A
# PDF is not sandboxed (Chromium will not show a PDF in a sandboxed frame); its viewer runs
# in the browser's own process, not in the page.
FILE_POLICY = "default-src 'none'; img-src 'self'; media-src 'self'; frame-ancestors 'self'"


def public(view):
    """No login; counted against the client's address first; the token checked second."""

    @login_not_required
    @never_cache
    @wraps(view)
    def wrapper(request, token: str):
        address = client_address(request) or "unknown"
        if not ratelimit.allow(f"viewer:{address}", settings.CONTENT_VIEWER_RATE_LIMIT):
            response = _message(request, "Too many requests from your network; try again in a "
                                "minute.", status=429)  # fmt: skip
            response["Retry-After"] = "60"
            return response
        link = sending.live_link(token)
        if link is None:
            return _message(request, INVALID, status=404)
        return view(request, link)

    return wrapper


def _message(request, text: str, status: int):
    return render(request, "content/viewer_message.html", {"message": text}, status=status)


def _gate_key(link) -> str:
    return f"content.gate.{link.pk}"


def _passed_gate(request, link) -> bool:
    return not link.email_gate or bool(request.session.get(_gate_key(link)))


@public
@require_http_methods(["GET", "POST"])
def open_link(request, link):
    if not _passed_gate(request, link):
        form = GateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                email = sending.clean_gate_email(form.cleaned_data["email"])
            except ValidationError as error:
                form.add_error("email", error.message_dict["email"])
            else:
                request.session[_gate_key(link)] = email
                return redirect("content:link", link.token)
        status = 400 if request.method == "POST" else 200
        return render(request, "content/viewer_gate.html", {"link": link, "form": form},
                      status=status)  # fmt: skip
    if request.method == "POST":
        return redirect("content:link", link.token)
    sending.record_open(link, email=request.session.get(_gate_key(link), ""))
    version = link.version
    if not version.is_file:
        return redirect(version.url)
    context = {"link": link, "version": version, "shown": INLINE.get(version.content_type, "")}
    return render(request, "content/viewer.html", context)


@public
@require_GET
def link_file(request, link):
    """The version's file inline, for the viewer page's frame, image or video."""
    if not _passed_gate(request, link) or not link.version.is_file:
        return _message(request, INVALID, status=404)
    return _file(link, as_attachment=False)


@public
@require_GET
def link_download(request, link):
    if not _passed_gate(request, link):
        return redirect("content:link", link.token)
    if not link.version.is_file:
        return redirect(link.version.url)
    sending.record_download_by_visitor(link)
    return _file(link, as_attachment=True)


@public
@require_POST
def link_ping(request, link):
    """Seconds on the page since the last ping (and PDF pages, when the page knows them)."""
    if not _passed_gate(request, link):
        return _message(request, INVALID, status=404)
    try:
        sending.record_reading(link, request.POST.get("seconds"), request.POST.get("pages"))
    except ValidationError as error:
        return HttpResponse(" ".join(error.messages), status=400, content_type="text/plain")
    return HttpResponse(status=204)


def _file(link, *, as_attachment: bool):
    version = link.version
    try:
        handle = version.file.open("rb")
    except FileNotFoundError:
        return HttpResponse("The file is missing.", status=404, content_type="text/plain")
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=version.file_name,
        content_type=version.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    policy = FILE_POLICY if version.content_type == uploads.PDF else FILE_POLICY + "; sandbox"
    response["Content-Security-Policy"] = policy
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    return response
