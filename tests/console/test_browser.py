"""The console in Debian's Chromium, driven by Playwright: what a person does, with screenshots.

Screenshots land in test-artifacts/console/ (kept out of git) for people to look at.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.conftest import RunningServer
from tests.console.conftest import append, pulls, screenshot
from tests.ledger.conftest import pull_event

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route


def sign_in(page: Page, key: str, at: str = "/") -> None:
    page.goto(at)
    page.wait_for_url(re.compile(r"/signin\?next="))
    page.fill("#key", key)
    page.click("button[type=submit]")


def test_sign_in_search_and_see_an_events_proof_verified(page: Page, server: RunningServer) -> None:
    append(server, *pulls(12), *pulls(3, actor="alice", start=40))
    page.goto("/")
    screenshot(page, "01-signin")
    sign_in(page, server.key("auditor"))
    page.wait_for_url(f"{server.url}/")
    assert page.text_content("#checkpoint-size") not in (None, "0")
    screenshot(page, "02-overview")

    page.click("text=Events")
    page.fill("#action", "image.pull")
    page.fill("#actor", "alice")
    page.click("#search")
    page.wait_for_url(re.compile(r"actor=alice"))
    rows = page.locator("table.events tbody tr")
    assert rows.count() == 3
    page.fill("#actor", "")
    page.fill("#q", 'actor:alice "app:v41"')
    page.click("#search")
    page.wait_for_url(re.compile(r"q=actor"))
    assert rows.count() == 1
    screenshot(page, "03-search")

    rows.first.locator("a").click()
    status = page.locator("#proof-status")
    status.and_(page.locator("[data-state=ok]")).wait_for()
    assert status.text_content() == "verified"
    assert page.text_content("#root-computed") in page.text_content(".proof dl")  # type: ignore[operator]
    signature = page.locator("#signature-status")
    signature.and_(page.locator(":not([data-state=pending])")).wait_for()
    assert signature.get_attribute("data-state") == "ok"  # Chromium has Ed25519 in WebCrypto
    screenshot(page, "04-event")


def test_every_records_proof_verifies_in_the_browser(page: Page, server: RunningServer) -> None:
    append(server, *pulls(13))  # with the server's own events: trees of odd and even sizes
    sign_in(page, server.admin_key)
    page.wait_for_url(f"{server.url}/")
    size = int(page.text_content("#checkpoint-size") or 0)
    assert size >= 13
    for seq in range(size):
        page.goto(f"/events/{seq}")
        status = page.locator("#proof-status")
        status.and_(page.locator(":not([data-state=pending])")).wait_for()
        assert status.text_content() == "verified", (seq, status.text_content())


def test_stats_draws_the_charts(page: Page, server: RunningServer) -> None:
    events = [*pulls(20), pull_event(7, outcome="failure"), *pulls(5, actor="bob", start=30)]
    for i, event in enumerate(events):  # over five days
        event["time"] = f"2026-11-{16 + i % 5}T{i % 24:02d}:30:00Z"
    append(server, *events)
    sign_in(page, server.admin_key, at="/stats?action=image.pull")
    page.wait_for_url(re.compile(r"/stats\?action=image.pull$"))
    charts = page.locator("section.chart svg")
    assert charts.count() == 4  # over time, by action, by outcome, by actor
    assert page.locator("svg.columns rect").count() >= 1
    outcomes = page.locator("section.chart").nth(2)
    assert outcomes.locator("title").all_text_contents()[:2] == ["success: 25", "failure: 1"]
    box = charts.first.bounding_box()
    assert box is not None
    assert box["width"] > 300
    assert box["height"] > 100
    screenshot(page, "05-stats")


def test_verify_now_then_sign_out(page: Page, server: RunningServer) -> None:
    append(server, *pulls(4))
    sign_in(page, server.key("auditor"))
    page.click("#verify-now")
    page.locator("#verification [data-state=ok]").wait_for()
    assert page.text_content("#verification .status") == "verified"
    screenshot(page, "06-verified")
    page.click("#signout")
    page.wait_for_url(re.compile(r"/signin$"))
    assert not [c for c in page.context.cookies() if c["name"] == "sealtrail_session"]
    page.goto("/events")
    page.wait_for_url(re.compile(r"/signin\?next="))


TAMPER = {  # where to flip one base64 character of the page's proof data
    "proof": (r'"proof": ?\["([A-Za-z0-9+/]{8})', "#proof-status"),
    "signature": (r"u2014 \S+ ([A-Za-z0-9+/]{16})", "#signature-status"),
}


@pytest.mark.parametrize("part", sorted(TAMPER))
def test_a_tampered_page_fails_the_browsers_check(
    page: Page, server: RunningServer, part: str
) -> None:
    (seq, *_) = append(server, *pulls(9))
    pattern, status_id = TAMPER[part]

    def tamper(route: Route) -> None:
        response = route.fetch()
        body = response.text()
        found = re.search(pattern, body)
        assert found is not None, body
        at = found.end(1) - 1
        flipped = "B" if body[at] == "A" else "A"
        route.fulfill(response=response, body=body[:at] + flipped + body[at + 1 :])

    sign_in(page, server.admin_key)
    page.wait_for_url(f"{server.url}/")
    page.route(f"{server.url}/events/{seq}", tamper)
    page.goto(f"/events/{seq}")
    status = page.locator(status_id)
    status.and_(page.locator("[data-state=failed]")).wait_for()
    assert (status.text_content() or "").startswith("FAILED")
    other = "#signature-status" if part == "proof" else "#proof-status"
    page.locator(other).and_(page.locator("[data-state=ok]")).wait_for()
    screenshot(page, f"07-tampered-{part}")
