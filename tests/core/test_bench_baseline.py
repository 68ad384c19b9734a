"""The bare page `make bench` times the app's pages against (bench/pages.py): served only
when ACCORD_BENCH_BASELINE is on, and then without a database query."""

import importlib.util

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

import accord.urls

pytestmark = pytest.mark.django_db

BARE = "/bench/bare/"


def test_the_bare_page_is_not_served_when_the_setting_is_off(client, settings):
    assert settings.ACCORD_BENCH_BASELINE is False
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare")
    assert client.get(BARE).status_code == 404


def _urlconf_with_the_setting_on():
    """A fresh copy of accord/urls.py, read while the setting is on (the app's own module,
    read at startup with it off, stays as it is)."""
    spec = importlib.util.spec_from_file_location("accord_urls_bench", accord.urls.__file__)
    module = importlib.util.module_from_spec(spec)
    with override_settings(ACCORD_BENCH_BASELINE=True):
        spec.loader.exec_module(module)
    return module


def test_the_bare_page_is_served_without_a_query_when_the_setting_is_on(
    client, django_assert_num_queries
):
    with override_settings(ROOT_URLCONF=_urlconf_with_the_setting_on()):
        with django_assert_num_queries(0):
            response = client.get(BARE)
        assert response.status_code == 200
        assert b"Bench baseline" in response.content
        assert client.post(BARE).status_code == 405
    assert client.get(BARE).status_code == 404
