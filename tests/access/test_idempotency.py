"""Stored responses for `Idempotency-Key` replays."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from access.models import IdempotentRequest
from access.services import (
    IdempotencyConflict,
    api_token_issue,
    idempotent_response_get,
    idempotent_response_store,
    request_fingerprint,
)


@pytest.fixture
def token(db):
    return api_token_issue(name="w", scope="write", actor="t")[0]


def test_a_stored_response_is_replayed(token):
    fingerprint = request_fingerprint(method="POST", path="/api/v1/x/", body=b'{"a": 1}')
    assert idempotent_response_get(token=token, key="k1", fingerprint=fingerprint) is None
    idempotent_response_store(token=token, key="k1", fingerprint=fingerprint, status=201, body={"id": 7})
    assert idempotent_response_get(token=token, key="k1", fingerprint=fingerprint) == (201, {"id": 7})


def test_the_same_key_with_another_body_conflicts(token):
    first = request_fingerprint(method="POST", path="/p/", body=b"1")
    idempotent_response_store(token=token, key="k", fingerprint=first, status=200, body=[])
    other = request_fingerprint(method="POST", path="/p/", body=b"2")
    assert other != first
    with pytest.raises(IdempotencyConflict, match="different request"):
        idempotent_response_get(token=token, key="k", fingerprint=other)


def test_keys_belong_to_one_token(token):
    other = api_token_issue(name="w2", scope="write", actor="t")[0]
    idempotent_response_store(token=token, key="k", fingerprint="f", status=200, body=None)
    assert idempotent_response_get(token=other, key="k", fingerprint="f") is None


def test_storing_twice_keeps_the_first(token):
    idempotent_response_store(token=token, key="k", fingerprint="f", status=200, body={"n": 1})
    idempotent_response_store(token=token, key="k", fingerprint="f", status=200, body={"n": 2})
    assert IdempotentRequest.objects.get().response == {"n": 1}


def test_bad_keys_are_refused(token):
    with pytest.raises(ValidationError):
        idempotent_response_get(token=token, key="", fingerprint="f")
    with pytest.raises(ValidationError):
        idempotent_response_store(token=token, key="k" * 256, fingerprint="f", status=200, body=None)
