"""Privacy through a real server and the installed CLI, on both engines: ``user`` keys still
see their own events, every reader sees plaintext until ``sealtrail erase``, then ``[erased]``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from sealtrail.client import Client
from sealtrail.privacy.sealing import ERASED
from tests.conftest import RunningServer, engine_env, start_server
from tests.privacy.conftest import ALICE, BOB, KEY, login, plaintexts
from tests.test_cli import SEALTRAIL

PRIVACY = {
    "SEALTRAIL_PRIVACY__ERASABLE": "true",
    "SEALTRAIL_PRIVACY__ERASABLE_FIELDS": "details.email",
    "SEALTRAIL_PRIVACY__REDACT": "details.password",
    "SEALTRAIL_PRIVACY__IP": "truncate",
    "SEALTRAIL_PRIVACY__KEY": KEY.hex(),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    env = {**PRIVACY, **engine_env(request)}
    running = start_server(tmp_path_factory.mktemp("privacy") / "data", env=env)
    with running.client(running.key("writer")) as writer:
        response = writer.post(
            "/v1/events:batch", json={"events": [login(ALICE, 0), login(BOB, 1), login(ALICE, 2)]}
        )
        response.raise_for_status()
    yield running, env
    running.stop()


def cli(served: tuple[RunningServer, dict[str, str]], *args: str) -> str:
    running, env = served
    result = subprocess.run(
        [SEALTRAIL, *args, "--dir", str(running.directory)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def logins(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/events", params={"action": "auth.login", **params})
    response.raise_for_status()
    return list(response.json()["events"])


def test_a_user_key_sees_its_own_events_in_the_clear_and_no_one_elses(
    served: tuple[RunningServer, dict[str, str]],
) -> None:
    running, _ = served
    with running.client(running.key("user", ALICE["id"])) as alice:
        mine = logins(alice)
        assert [e["actor"]["id"] for e in mine] == [ALICE["id"], ALICE["id"]]
        assert mine[0]["actor"]["ip"] == "203.0.113.0"
        assert mine[0]["details"]["email"] == ALICE["email"]
        assert logins(alice, actor=BOB["id"]) == []
        assert alice.get(f"/v1/events/{mine[0]['seq']}").status_code == 200
        with running.client(running.admin_key) as admin:
            bobs = [e["seq"] for e in logins(admin, actor=BOB["id"])]
        assert alice.get(f"/v1/events/{bobs[0]}").status_code == 404
        stats = alice.get("/v1/events/stats", params={"action": "auth.login"}).json()
        assert stats["total"] == 2
        page = alice.get(f"/events/{mine[0]['seq']}")  # the console decrypts too
        assert ALICE["email"] in page.text


def test_readers_search_by_actor_id_and_the_sdk_reads_plaintext(
    served: tuple[RunningServer, dict[str, str]],
) -> None:
    running, _ = served
    with Client(running.url, running.key("auditor")) as sdk:
        found = list(sdk.query(action="auth.login", actor=BOB["id"]))
        assert [e["actor"]["user_agent"] for e in found] == [BOB["user_agent"]]
        assert sdk.event(found[0]["seq"])["details"]["email"] == BOB["email"]


def test_the_cli_shows_the_policy_and_the_pseudonym_operators_search_for(
    served: tuple[RunningServer, dict[str, str]],
) -> None:
    shown = orjson.loads(cli(served, "privacy", "show", "--json"))
    assert shown["enabled"] is True
    assert shown["ip"] == {"actor.ip": "truncate"}
    assert shown["redact"] == ["details.password"]
    assert KEY.hex() not in str(shown)
    pseudonym = cli(served, "privacy", "pseudonym", ALICE["id"]).strip()
    assert pseudonym.startswith("psn-")
    running, _ = served
    with running.client(running.admin_key) as admin:
        assert len(logins(admin, actor=pseudonym)) == 2


def test_erase_makes_every_reader_show_erased_and_verify_still_passes(
    served: tuple[RunningServer, dict[str, str]],
) -> None:
    running, _ = served
    done = orjson.loads(cli(served, "erase", "--actor", ALICE["id"], "--json"))
    assert done["records"] >= 2
    with running.client(running.admin_key) as admin:
        erased = [e for e in logins(admin) if e["actor"]["id"] == ERASED]
        assert len(erased) == 2
        assert {erased[0]["actor"]["ip"], erased[0]["details"]["email"]} == {ERASED}
        assert logins(admin, actor=ALICE["id"]) == []
        page = admin.get(f"/events/{erased[0]['seq']}")  # the console's event page
        assert page.status_code == 200
        assert ERASED in page.text
        assert ALICE["email"] not in page.text
    queried = cli(served, "query", "action:auth.login", "--json")
    assert ERASED in queried
    assert BOB["email"] in queried
    assert not [text for text in plaintexts(ALICE) if text.decode() in queried]
    cli(served, "verify")
    exported = cli(served, "export", "--format", "csv")
    assert not [text for text in plaintexts(ALICE) if text.decode() in exported]
