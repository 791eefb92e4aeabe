from tests.access.fixtures import anon_client, issue_token, token_client  # noqa: F401
