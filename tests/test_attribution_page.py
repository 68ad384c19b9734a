"""The attribution page and API: stored runs computed by the worker, shown side by side."""
# ruff: noqa: F811 - `world` is a fixture imported from the journeys tests

import json

from accord.attribution.models import AttributionRun
from accord.people.tokens import issue_token
from tests.test_attribution_journeys import world  # noqa: F401 - the fixture


def test_a_manager_computes_attribution_and_everybody_sees_both_models(
    world,
    cast,
    login,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    viewer = login(cast["vera"])
    page = viewer.get("/attribution/").content.decode()
    assert "No attribution has been computed for this basis yet." in page
    assert "Recompute now" not in page  # a viewer cannot start one
    assert viewer.post("/attribution/recompute/", {"basis": "pipeline"}).status_code == 403
    assert not AttributionRun.objects.exists()

    manager = login(cast["sam"])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post("/attribution/recompute/", {"basis": "pipeline"})
    assert response.status_code == 302
    run = AttributionRun.objects.get()
    assert run.status == "done" and set(run.result["models"]) == {"markov", "shapley"}

    page = login(cast["vera"]).get("/attribution/?basis=pipeline").content.decode()
    assert "Markov (data-driven)" in page and "Shapley (data-driven)" in page
    assert 'id="attribution-table"' in page and "data-chart" in page
    revenue = login(cast["vera"]).get("/attribution/?basis=revenue").content.decode()
    assert "No attribution has been computed for this basis yet." in revenue


def test_the_api_serves_the_latest_run_and_starts_new_ones(
    world,
    cast,
    client,
    django_capture_on_commit_callbacks,  # noqa: F811
):
    read = issue_token(cast["vera"], name="r", scope="read")[1]
    member_write = issue_token(cast["alice"], name="w", scope="write")[1]
    manager_write = issue_token(cast["sam"], name="w", scope="write")[1]

    def call(method, path, token, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if method == "post":
            return client.post(path, json.dumps(body), content_type="application/json", **headers)
        return client.get(path, **headers)

    assert call("get", "/api/v1/attribution", read).status_code == 404
    assert call("post", "/api/v1/attribution/runs", read, {"basis": "revenue"}).status_code == 403
    refused = call("post", "/api/v1/attribution/runs", member_write, {"basis": "revenue"})
    assert refused.status_code == 403
    assert (
        call("post", "/api/v1/attribution/runs", manager_write, {"basis": "x"}).status_code == 422
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = call("post", "/api/v1/attribution/runs", manager_write, {"basis": "revenue"})
    assert started.status_code == 202
    latest = call("get", "/api/v1/attribution?basis=revenue", read).json()
    assert latest["status"] == "done"
    markov = latest["models"]["markov"]
    assert markov["basis"] == "revenue" and markov["by_channel"]
