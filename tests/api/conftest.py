"""What the API's tests share (the `api` call itself is in tests/conftest.py): a write token
of otto, of sales & marketing operations, who may write anything in bulk."""

import pytest

from accord.people import tokens


@pytest.fixture
def write_token(cast):
    return tokens.issue_token(cast["otto"], name="CRM sync", scope="write")[1]
