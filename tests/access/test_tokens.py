"""Issuing API tokens: only the hash is stored, the command prints the token last, bad input
is named."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from access.models import ApiToken
from access.selectors import api_token_get_by_key
from access.services import api_token_issue, api_token_revoke


def test_a_token_is_stored_as_its_hash_only(db):
    token, plain = api_token_issue(name="crm sync", scope="read", actor="alice")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert stored.key_prefix == plain[:8]
    assert plain not in {stored.name, stored.key_prefix, stored.key_hash}
    assert (stored.scope, stored.created_by, stored.revoked_at) == ("read", "alice", None)
    assert api_token_get_by_key(plain) == stored
    assert api_token_get_by_key(plain + "x") is None


def test_tokens_are_unique_and_long(db):
    plains = {api_token_issue(name=f"t{i}", scope="read", actor="t")[1] for i in range(5)}
    assert len(plains) == 5 and all(len(p) >= 40 for p in plains)


def test_scopes_imply_read(db):
    read, _ = api_token_issue(name="r", scope="read", actor="t")
    write, _ = api_token_issue(name="w", scope="write", actor="t")
    steward, _ = api_token_issue(name="s", scope="steward", actor="t")
    assert read.scopes == {"read"}
    assert write.scopes == {"read", "write"}
    assert steward.scopes == {"read", "steward"}
    assert not steward.has_scope("write") and not write.has_scope("steward")


def test_bad_scope_and_source_on_a_non_write_token_are_refused(crm):
    with pytest.raises(ValidationError, match="scope"):
        api_token_issue(name="x", scope="admin", actor="t")
    with pytest.raises(ValidationError, match="only a write token"):
        api_token_issue(name="x", scope="read", source=crm, actor="t")
    with pytest.raises(ValidationError, match="name"):
        api_token_issue(name="  ", scope="read", actor="t")
    assert not ApiToken.objects.exists()


def test_revoke_keeps_the_first_time(db):
    token, _ = api_token_issue(name="x", scope="read", actor="t")
    api_token_revoke(token=token, actor="t")
    first = token.revoked_at
    api_token_revoke(token=token, actor="t")
    token.refresh_from_db()
    assert token.revoked_at == first is not None


def test_issue_token_command_prints_the_token_last(crm):
    out = StringIO()
    call_command("issue_token", "crm-writer", "--scope", "write", "--source", "crm", stdout=out)
    plain = out.getvalue().split()[-1]
    token = api_token_get_by_key(plain)
    assert (token.name, token.scope, token.source.code) == ("crm-writer", "write", "crm")
    assert token.created_by.startswith("cli:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "admin"], "unknown scope 'admin'"),
        (["--scope", "write", "--source", "nope"], "unknown source 'nope'"),
        (["--scope", "read", "--source", "crm"], "only a write token"),
    ],
)
def test_issue_token_command_names_bad_input(crm, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("issue_token", "x", *args, stdout=StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_issuing_and_revoking_a_token_is_audited():
    from access.services import api_token_issue, api_token_revoke
    from audit.choices import AuditAction
    from audit.models import AuditEntry

    token, _plain = api_token_issue(name="crm-sync", scope="read", actor="cli:ops")
    api_token_revoke(token=token, actor="cli:ops")
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "actor", "parameters"))
    assert [e[0] for e in entries] == [AuditAction.TOKEN_ISSUED, AuditAction.TOKEN_REVOKED]
    assert entries[0][2]["name"] == "crm-sync" and entries[0][2]["scope"] == "read"
