"""What the API's tests share: a call through the test client with a token, and a write token
of otto, of sales & marketing operations, who may write anything in bulk."""

import json

import pytest

from accord.people import tokens


@pytest.fixture
def api(client):
    def call(method, path, token=None, body=None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            return getattr(client, method)(
                f"/api/v1{path}", json.dumps(body), content_type="application/json", headers=headers
            )
        return getattr(client, method)(f"/api/v1{path}", params, headers=headers)

    return call


@pytest.fixture
def write_token(cast):
    return tokens.issue_token(cast["otto"], name="CRM sync", scope="write")[1]
