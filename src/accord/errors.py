"""Error pages that keep the app's frame, so a person is never stranded."""

from django.shortcuts import render


def forbidden(request, exception=None):
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)
