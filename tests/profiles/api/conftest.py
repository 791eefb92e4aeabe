from __future__ import annotations

import pytest

from tests.access.fixtures import anon_client, issue_token, token_client  # noqa: F401


@pytest.fixture
def reader(request):
    return request.getfixturevalue("token_client")("read")


@pytest.fixture
def steward(request):
    return request.getfixturevalue("token_client")("steward")
