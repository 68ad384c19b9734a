"""Settings read from the environment fail loudly on bad values."""

import json
import logging
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accord.env import envbool, envint, envlist
from tests.factories import ACCORD_SOURCE as CODE
from tests.factories import PRODUCTION_SECRET_KEY as STRONG_KEY


def test_typed_helpers_read_good_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    monkeypatch.setenv("X_NUM", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert envbool("X_FLAG") is True
    assert envint("X_NUM", 1) == 42
    assert envlist("X_LIST", []) == ["a.example", "b.example"]
    assert envint("X_MISSING", 7) == 7


def test_typed_helpers_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    monkeypatch.setenv("X_NUM", "forty")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe' is not a boolean"):
        envbool("X_FLAG")
    with pytest.raises(ImproperlyConfigured, match="X_NUM='forty' is not a whole number"):
        envint("X_NUM", 1)


def _check(env, *options):
    clean = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": CODE,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", "check", *options],
        env=clean,
        capture_output=True,
        text=True,
    )


def _settings(env, *names):
    """The named settings as the process started with `env` sees them."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    clean = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": CODE,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_a_missing_secret_key_outside_the_demo_is_an_error(tmp_path):
    result = _check({"ACCORD_HOME": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": CODE,
        "DJANGO_SETTINGS_MODULE": "accord.settings",
        "SECRET_KEY": STRONG_KEY,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_bad_database_url_is_reported(tmp_path):
    result = _check({"SECRET_KEY": STRONG_KEY, "DATABASE_URL": "mongo://nowhere/db"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


# Production hardening (issue 16, item 9)


@pytest.mark.parametrize(
    "key",
    ["k", "short-but-random-9f8e7d", "a" * 64, "django-insecure-" + STRONG_KEY],
    ids=["one letter", "short", "one character repeated", "django-insecure prefix"],
)
def test_a_weak_secret_key_is_refused_in_production(tmp_path, key):
    result = _check({"SECRET_KEY": key, "ACCORD_HOME": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert repr(key) not in result.stderr, "the key itself is never printed"


def test_a_weak_secret_key_is_accepted_for_the_demo():
    assert _settings({"SECRET_KEY": "k", "ACCORD_DEMO": "1"}, "SECRET_KEY") == {"SECRET_KEY": "k"}


def test_https_turns_on_the_redirect_hsts_and_secure_cookies():
    names = (
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    )
    plain = _settings({"SECRET_KEY": STRONG_KEY}, *names)
    assert plain["SECURE_SSL_REDIRECT"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SESSION_COOKIE_SECURE"] is False
    https = _settings({"SECRET_KEY": STRONG_KEY, "ACCORD_HTTPS": "1"}, *names)
    assert https == {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }
    proxied = _settings(
        {
            "SECRET_KEY": STRONG_KEY,
            "ACCORD_HTTPS": "1",
            "ACCORD_HSTS_SECONDS": "3600",
            "ACCORD_BEHIND_PROXY": "1",
        },
        *names,
    )
    assert proxied["SECURE_HSTS_SECONDS"] == 3600
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_check_deploy_with_the_documented_production_settings_prints_no_warning(tmp_path):
    # The README's "Running in production" settings, with a database of its own.
    production = {
        "SECRET_KEY": STRONG_KEY,
        "ALLOWED_HOSTS": "accord.example.com",
        "ACCORD_HTTPS": "1",
        "EMAIL_HOST": "smtp.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'accord.sqlite3'}",
    }
    result = _check(production, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.django_db
def test_a_refusal_is_logged_as_one_line_without_a_traceback(client, cast, caplog):
    client.force_login(cast["alice"])
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("people")).status_code == 403
    lines = caplog.text.strip().splitlines()
    assert len(lines) == 1, caplog.text
    assert "Forbidden (Permission denied): /people/" in lines[0]
    assert "Traceback" not in caplog.text
