"""The console over real HTTP: sign-in, CSRF, who sees what, escaping, headers, verification."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path

import orjson
import pytest

from sealtrail.api.console import CSRF_COOKIE
from sealtrail.ledger.note import Verifier, open_checkpoint
from sealtrail.ledger.proofs import InclusionProof
from tests.conftest import start_server
from tests.console.conftest import Console, append, pulls
from tests.ledger.conftest import pull_event

PAGES = ["/", "/events", "/events/0", "/stats", "/events?action=image.pull"]
_PROOF_DATA = re.compile(r'<script type="application/json" id="proof-data">(.*?)</script>', re.S)


def seqs_on(page: str) -> set[int]:
    return {int(seq) for seq in re.findall(r'<a href="/events/(\d+)">', page)}


def session_cookie(response_headers: list[str]) -> list[str]:
    return [h for h in response_headers if h.startswith("sealtrail_session=")]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_callers_are_sent_to_the_signin_page(visitor: Console, path: str) -> None:
    response = visitor.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")
    signin = visitor.http.get(response.headers["location"])
    assert signin.status_code == 200
    assert signin.headers["content-type"].startswith("text/html")
    assert 'name="key"' in signin.text
    assert 'name="csrf"' in signin.text


def test_anonymous_visits_do_not_count_as_failed_logins(visitor: Console) -> None:
    for _ in range(15):  # more than the 10 failures the limiter allows
        assert visitor.get("/events").status_code == 303
    visitor.sign_in(visitor.server.admin_key)
    assert visitor.get("/events").status_code == 200


def test_signin_keeps_the_key_in_an_httponly_strict_cookie_and_goes_on(visitor: Console) -> None:
    response = visitor.post(
        "/signin", key=visitor.server.admin_key, csrf=visitor.csrf(), next="/stats"
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/stats"
    (cookie,) = session_cookie(response.headers.get_list("set-cookie"))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # the tests serve plain http (SEALTRAIL_COOKIE_SECURE=false)
    assert visitor.get("/stats").status_code == 200


def test_signin_never_redirects_to_another_site(visitor: Console) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = visitor.post(
            "/signin", key=visitor.server.admin_key, csrf=visitor.csrf(), next=target
        )
        assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    ("token", "origin"),
    [(None, None), ("wrong", None), ("A" * 43, None), ("right", "https://evil.example")],
)
def test_signin_without_a_matching_csrf_token_is_refused(
    visitor: Console, token: str | None, origin: str | None
) -> None:
    good = visitor.csrf()
    form = {"key": visitor.server.admin_key}
    if token is not None:
        form["csrf"] = good if token == "right" else token
    headers = {"Origin": origin} if origin else {}
    response = visitor.http.post("/signin", data=form, headers=headers)
    assert response.status_code == 403
    assert "CSRF" in response.text or "cross-origin" in response.text
    assert not session_cookie(response.headers.get_list("set-cookie"))
    assert visitor.get("/events").status_code == 303


def test_a_same_origin_post_is_accepted(visitor: Console) -> None:
    response = visitor.http.post(
        "/signin",
        data={"key": visitor.server.admin_key, "csrf": visitor.csrf()},
        headers={"Origin": visitor.server.url},
    )
    assert response.status_code == 303


def test_a_wrong_key_shows_the_form_again_without_a_session(visitor: Console) -> None:
    response = visitor.post("/signin", key="sealtrail_nope", csrf=visitor.csrf())
    assert response.status_code == 401
    assert "not accepted" in response.text
    assert not session_cookie(response.headers.get_list("set-cookie"))


def test_a_writer_key_cannot_use_the_console(visitor: Console) -> None:
    response = visitor.post("/signin", key=visitor.server.key("writer"), csrf=visitor.csrf())
    assert response.status_code == 403
    assert not session_cookie(response.headers.get_list("set-cookie"))


def test_signout_needs_the_csrf_token_and_forgets_the_session(console: Console) -> None:
    console.sign_in(console.server.admin_key)
    assert console.post("/signout", csrf="wrong").status_code == 403
    assert console.get("/").status_code == 200
    response = console.post("/signout", csrf=console.csrf())
    assert response.status_code == 303
    assert console.get("/").status_code == 303


def test_a_revoked_key_ends_the_session(console: Console) -> None:
    key = console.server.key("auditor")
    console.sign_in(key)
    assert console.get("/events").status_code == 200
    with console.server.client(console.server.admin_key) as admin:
        admin.delete(f"/v1/keys/{key.split('_')[1]}").raise_for_status()
    response = console.get("/events")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_a_user_key_sees_only_its_own_actors_events(console: Console) -> None:
    server = console.server
    mine = append(server, *pulls(3, actor="alice"))
    theirs = append(server, *pulls(3, actor="bob", start=10))
    console.sign_in(server.key("user", "alice"))
    listed = console.get("/events", action="image.pull").text
    assert seqs_on(listed) == set(mine)
    assert "team/app:v10" not in listed
    assert seqs_on(console.get("/events", actor="bob").text) == set()
    assert seqs_on(console.get("/events", target_id="registry.example.com/team/app:v10").text) == (
        set()
    )
    for seq in theirs:
        assert console.get(f"/events/{seq}").status_code == 404
    assert console.get(f"/events/{mine[0]}").status_code == 200
    stats = console.get("/stats", action="image.pull").text
    assert '<span id="total">3</span>' in stats
    assert "bob" not in stats


def test_a_user_keys_search_stays_within_its_own_events(console: Console) -> None:
    (mine,) = append(console.server, pull_event(1, actor="alice"))
    append(console.server, pull_event(2, actor="bob"))
    console.sign_in(console.server.key("user", "alice"))
    assert seqs_on(console.get("/events", q="pulled").text) == {mine}
    assert seqs_on(console.get("/events", q="actor:bob").text) == set()
    assert seqs_on(console.get("/events", q='"team/app:v2"').text) == set()
    assert seqs_on(console.get("/events", q="-actor:alice").text) == set()
    assert '<span id="total">0</span>' in console.get("/stats", q="actor:bob").text


def test_the_search_box_takes_qualifiers_and_words(console: Console) -> None:
    seqs = append(console.server, *pulls(3), pull_event(9, outcome="denied"))
    console.sign_in(console.server.admin_key)
    assert seqs_on(console.get("/events", q="action:image.pull -outcome:success").text) == {seqs[3]}
    assert seqs_on(console.get("/events", q='"team/app:v1"').text) == {seqs[1]}
    bad = console.get("/events", q="colour:blue")
    assert bad.status_code == 400
    assert "colour" in bad.text


def test_an_auditor_sees_everyones_events(console: Console) -> None:
    seqs = append(console.server, *pulls(2, actor="alice"), *pulls(2, actor="bob", start=5))
    console.sign_in(console.server.key("auditor"))
    assert seqs_on(console.get("/events", action="image.pull").text) == set(seqs)


def test_markup_in_events_is_shown_escaped(console: Console) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    event = pull_event(1, actor='"><svg onload=alert(2)>')
    event["message"] = hostile
    event["target"]["id"] = hostile
    (seq,) = append(console.server, event)
    console.sign_in(console.server.admin_key)
    for path in ("/events", f"/events/{seq}", "/stats"):
        page = console.get(path).text
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "<svg onload" not in page
    assert html.escape("<script>alert(") in console.get("/events").text


def test_console_responses_carry_the_security_headers(visitor: Console) -> None:
    visitor.sign_in(visitor.server.admin_key)
    for path in ("/signin", "/", "/events", "/stats", "/static/proof.js"):
        headers = visitor.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_the_event_page_carries_a_proof_that_checks(console: Console) -> None:
    seqs = append(console.server, *pulls(7))
    console.sign_in(console.server.admin_key)
    overview = console.get("/").text
    vkey = html.unescape(re.findall(r'<pre class="key">(.*?)</pre>', overview)[-1])
    for seq in (seqs[0], seqs[4]):
        page = console.get(f"/events/{seq}").text
        data = orjson.loads(_PROOF_DATA.search(page).group(1))  # type: ignore[union-attr]
        proof = InclusionProof.from_json(data)
        proof.check()
        checkpoint = open_checkpoint(data["checkpoint"], [Verifier.from_text(vkey)])
        assert (checkpoint.size, checkpoint.root_hash) == (proof.size, proof.root)
        assert orjson.loads(proof.entry)["seq"] == seq
        assert f"&#34;seq&#34;: {seq}" in page or f"&quot;seq&quot;: {seq}" in page


def test_search_pages_newest_first_by_cursor(console: Console) -> None:
    seqs = append(console.server, *pulls(60))
    console.sign_in(console.server.key("auditor"))
    first = console.get("/events", action="image.pull").text
    shown = [int(s) for s in re.findall(r'<a href="/events/(\d+)">', first)]
    assert shown == sorted(seqs, reverse=True)[:50]
    older = html.unescape(re.search(r'href="(/events\?[^"]+)" rel="next"', first).group(1))  # type: ignore[union-attr]
    rest = [int(s) for s in re.findall(r'<a href="/events/(\d+)">', console.get(older).text)]
    assert rest == sorted(seqs, reverse=True)[50:]


def test_search_filters_by_outcome_and_time(console: Console) -> None:
    seqs = append(console.server, pull_event(1), pull_event(3, outcome="failure"), pull_event(2))
    console.sign_in(console.server.admin_key)
    assert seqs_on(console.get("/events", outcome="failure").text) == {seqs[1]}
    assert seqs_on(console.get("/events", action="image.pull", since="2026-11-21").text) == set()
    on_the_day = console.get("/events", action="image.pull", since="2026-11-20", until="2026-11-21")
    assert seqs_on(on_the_day.text) == set(seqs)


def test_a_bad_filter_is_an_error_page_not_json(visitor: Console) -> None:
    visitor.sign_in(visitor.server.admin_key)
    response = visitor.get("/events", since="last tuesday")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "since" in response.text
    assert visitor.get("/events", outcome="maybe").status_code == 400
    assert visitor.get("/events/not-a-number").status_code == 400
    assert visitor.get("/events/99999999").status_code == 404


def test_verify_now_records_the_result_and_an_event(console: Console) -> None:
    append(console.server, *pulls(5))
    console.sign_in(console.server.key("auditor"))
    assert 'id="verify-now"' in console.get("/").text
    assert console.post("/verify", csrf="nope").status_code == 403
    response = console.post("/verify", csrf=console.csrf())
    assert response.status_code == 303
    overview = console.get("/").text
    assert '<p class="status ok" data-state="ok">verified</p>' in overview
    with console.server.client(console.server.admin_key) as admin:
        found = admin.get("/v1/events", params={"action": "audit.verify"}).json()["events"]
    assert [e["outcome"] for e in found] == ["success"]
    assert found[0]["details"]["size"] >= 5


def test_a_failed_verification_is_shown_and_recorded(console: Console) -> None:
    seqs = append(console.server, *pulls(6))
    database = console.server.directory / "ledger.db"
    with sqlite3.connect(database) as db:  # tamper behind the server's back
        db.execute(
            "UPDATE records SET leaf = replace(leaf, 'node-3', 'node-9') WHERE seq = ?", (seqs[2],)
        )
    console.sign_in(console.server.admin_key)
    console.post("/verify", csrf=console.csrf())
    overview = console.get("/").text
    assert '<p class="status failed" data-state="failed">FAILED</p>' in overview
    assert f"record_changed</strong> at index {seqs[2]}" in overview
    with console.server.client(console.server.admin_key) as admin:
        found = admin.get("/v1/events", params={"action": "audit.verify"}).json()["events"]
    assert [(e["outcome"], e["severity"]) for e in found] == [("failure", "critical")]
    assert found[0]["details"]["index"] == seqs[2]
    assert console.get(f"/events/{seqs[2]}").status_code == 409  # no proof for a changed record


def test_users_cannot_verify(console: Console) -> None:
    console.sign_in(console.server.key("user", "alice"))
    assert 'id="verify-now"' not in console.get("/").text
    assert console.post("/verify", csrf=console.csrf()).status_code == 403


def test_cookies_are_secure_unless_configured_off(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"SEALTRAIL_COOKIE_SECURE": "true"})
    try:
        with Console(server) as console:
            token = console.csrf()  # its cookie is Secure: httpx keeps it off plain http
            response = console.http.post(
                "/signin",
                data={"key": server.admin_key, "csrf": token},
                headers={"Cookie": f"{CSRF_COOKIE}={token}"},
            )
        cookies = response.headers.get_list("set-cookie")
        assert all("Secure" in cookie for cookie in cookies)
        assert len(session_cookie(cookies)) == 1
    finally:
        server.stop()
