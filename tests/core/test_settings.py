"""Settings read from the environment fail loudly on bad values."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from accord.env import envbool, envint, envlist


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


def _check(env):
    clean = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "accord.settings", **env}
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", "check"], env=clean, capture_output=True, text=True
    )


def test_a_missing_secret_key_outside_the_demo_is_an_error(tmp_path):
    result = _check({"ACCORD_HOME": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_is_off_unless_asked_for(tmp_path):
    code = "from django.conf import settings; print(settings.DEBUG)"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "accord.settings", "SECRET_KEY": "k"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_bad_database_url_is_reported(tmp_path):
    result = _check({"SECRET_KEY": "k", "DATABASE_URL": "mongo://nowhere/db"})
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
