"""The steward's day in a real browser: log in, search, open a profile, decide a pair with the
keyboard, split a record, and a viewer seeing masked values."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.profiles.conftest import build  # noqa: F401 - fixtures
from tests.profiles.test_review_pages import queue  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-Secret-123"


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_steward_searches_decides_with_the_keyboard_and_splits(page, live_server, queue, shot):  # noqa: F811
    page.set_default_timeout(10_000)
    log_in(page, live_server, "stew")
    shot("dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_role("searchbox", name="Search").fill("quist")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("2 golden records")).to_be_visible()
    page.get_by_role("link", name=str(queue.customers[2].pk), exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Bo Quist"))).to_be_visible()
    shot("profile")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page.locator("#queue-count")).to_have_text("3")
    expect(page.locator("svg.waterfall")).to_be_visible()
    expect(page.locator("#pair-detail")).to_have_attribute("data-pair", str(queue.pairs.close.pk))
    shot("review-queue")
    page.keyboard.press("m")
    expect(page.locator("#queue-count")).to_have_text("2")
    expect(page.get_by_text(f"Pair {queue.pairs.close.pk} decided: match.")).to_be_visible()
    expect(page.locator("#pair-detail")).to_have_attribute("data-pair", str(queue.pairs.mid.pk))
    page.keyboard.press("n")
    expect(page.locator("#queue-count")).to_have_text("1")
    # Typing a comment does not trigger the shortcuts.
    page.get_by_label("Comment (optional)").fill("mnsmns")
    expect(page.locator("#queue-count")).to_have_text("1")
    shot("review-after-decisions")

    page.goto(f"{live_server.url}{queue.di.get_absolute_url()}")
    second = queue.records[7]
    page.get_by_label(f"Split off shop / {second.external_id}").check()
    page.get_by_role("button", name="Split the ticked records into another golden record").click()
    message = page.get_by_text(re.compile(r"Split 1 source record\(s\) off into #\d+"))
    expect(message).to_be_visible()
    new_id = re.search(r"#(\d+)", message.inner_text()).group(1)
    page.goto(f"{live_server.url}/customers/{new_id}/")
    expect(page.get_by_role("heading", name=re.compile(f"#{new_id}"))).to_be_visible()
    expect(page.locator("h3", has_text=f"shop / {second.external_id}")).to_be_visible()
    shot("split-new-golden-record")


def test_viewer_sees_masked_values_and_no_decision_buttons(page, live_server, queue, shot):  # noqa: F811
    page.set_default_timeout(10_000)
    log_in(page, live_server, "vera")
    page.goto(f"{live_server.url}{queue.customers[0].get_absolute_url()}")
    expect(page.get_by_text("a•••@x.example").first).to_be_visible()
    assert "ann@x.example" not in page.content()
    shot("viewer-profile-masked")
    page.goto(f"{live_server.url}/review/")
    expect(page.locator("#queue-count")).to_have_text("3")
    expect(page.get_by_role("button", name=re.compile("Match"))).to_have_count(0)
    page.keyboard.press("m")
    page.wait_for_timeout(300)
    expect(page.locator("#queue-count")).to_have_text("3")


def test_run_page_follows_a_running_match_run_live(page, live_server, queue, shot):  # noqa: F811
    from profiles.models import MatchRun

    page.set_default_timeout(10_000)
    run = MatchRun.objects.create(
        mode="full", status="running", is_active=True, actor="t", stage="blocking", progress=10
    )
    log_in(page, live_server, "vera")
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    expect(page.locator("#run-stage")).to_have_text("blocking")
    MatchRun.objects.filter(pk=run.pk).update(stage="scoring", progress=60)
    expect(page.locator("#run-stage")).to_have_text("scoring")
    expect(page.locator("#run-percent")).to_have_text("60")
    shot("run-progress")
    MatchRun.objects.filter(pk=run.pk).update(
        status="succeeded", is_active=False, stage="done", progress=100, figures={"score_histogram": [3] * 20}
    )
    expect(page.locator("#run-status")).to_have_text("Succeeded")  # reloaded once finished
    expect(page.locator("svg.histogram-svg")).to_be_visible()
    expect(page.locator("#run-progress")).to_be_hidden()
