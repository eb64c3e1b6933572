"""The follower over a real ledger on both engines: alerts appended as records arrive, state kept
in the store across a reopening in the middle of a window, and never an alert twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from sealtrail.alerts import AlertFollower, AlertRule, AlertsConfig, alert_status
from sealtrail.ledger.log import Ledger
from sealtrail.store.base import Query
from tests.alerts.conftest import event, login_failed

RULES = (
    AlertRule("logins", "threshold", ("auth.login_failed",), threshold=3, window=60),
    AlertRule("verify", "match", ("audit.verify",), outcomes=("failure",), severity="critical"),
)


def follower(ledger: Ledger, *rules: AlertRule, start: str = "beginning") -> AlertFollower:
    config = AlertsConfig(rules=rules or RULES, start=start, batch=4, save_interval=3600)
    return AlertFollower(config, ledger)


def drain(follower: AlertFollower) -> None:
    while follower.step():
        pass


def alerts(ledger: Ledger) -> list[dict[str, Any]]:
    found = ledger.query(Query(actions=("alert.raised",), oldest_first=True))
    return [orjson.loads(record.leaf) for record in found]


def test_an_alert_is_appended_when_the_threshold_is_reached(ledger: Ledger) -> None:
    ledger.append_many([login_failed(0), event("auth.login", 1, outcome="success")])
    ledger.append_many([login_failed(2), login_failed(3)])
    running = follower(ledger)
    drain(running)
    [raised] = alerts(ledger)
    assert raised["details"]["seqs"] == [0, 2, 3]
    assert raised["details"]["count"] == 3
    assert raised["seq"] == 4
    assert alert_status(ledger)["evaluated"] == 3  # stored with the alert
    assert running.position == 4  # its own alert read too, and ignored


def test_reopened_in_the_middle_of_a_window_the_alert_counts_across(
    ledger_dir: Path, engine_url: str | None
) -> None:
    with Ledger.open(ledger_dir, database_url=engine_url) as ledger:
        ledger.append_many([login_failed(0), login_failed(10)])
        stopping = follower(ledger)
        drain(stopping)
        stopping.close()  # a clean stop stores the position and the windows
        assert alert_status(ledger)["open_windows"] == {"logins": 1}
        assert alert_status(ledger)["evaluated"] == 1
    with Ledger.open(ledger_dir, database_url=engine_url) as ledger:
        ledger.append(login_failed(20))
        drain(follower(ledger))
        assert [a["details"]["seqs"] for a in alerts(ledger)] == [[0, 1, 2]]
        assert alert_status(ledger)["open_windows"] == {}


def test_after_a_crash_the_records_since_the_stored_state_are_counted_once(
    ledger_dir: Path, engine_url: str | None
) -> None:
    with Ledger.open(ledger_dir, database_url=engine_url) as ledger:
        ledger.append_many([login_failed(0), login_failed(1), login_failed(2)])
        drain(follower(ledger))  # the alert (seq 3) is stored with the state after seq 2
        ledger.append(login_failed(10))
        drain(follower(ledger))  # counted, not stored: then a crash
        ledger.append(login_failed(11))
        drain(follower(ledger))  # another crash: seq 4 was read again, counted once
        assert alert_status(ledger)["evaluated"] == 2
    with Ledger.open(ledger_dir, database_url=engine_url) as ledger:
        ledger.append(login_failed(12))
        drain(follower(ledger))
        assert [a["details"]["seqs"] for a in alerts(ledger)] == [[0, 1, 2], [4, 5, 6]]


def test_records_are_evaluated_once_even_when_read_again(ledger: Ledger) -> None:
    ledger.append_many([event("audit.verify", 0, outcome="failure")] * 2)
    first = follower(ledger)
    drain(first)
    drain(first)
    drain(follower(ledger))  # a restart reads from the stored position
    assert [a["details"]["seqs"] for a in alerts(ledger)] == [[0], [1]]


def test_two_followers_on_one_log_record_each_alert_once(ledger: Ledger) -> None:
    one, two = follower(ledger), follower(ledger)
    one.restore()
    two.restore()  # both start from the same stored state
    ledger.append_many([event("audit.verify", 0, outcome="failure"), login_failed(1)])
    drain(one)
    drain(two)  # its stored position moved under it: it takes the stored state
    ledger.append_many([login_failed(2), login_failed(3)])
    drain(two)
    drain(one)
    assert [a["target"]["id"] for a in alerts(ledger)] == ["verify", "logins"]
    assert [a["details"]["seqs"] for a in alerts(ledger)] == [[0], [1, 3, 4]]


def test_a_step_without_effect_writes_nothing_until_the_follower_stops(ledger: Ledger) -> None:
    quiet = follower(ledger)
    ledger.append_many([event("auth.login", i, outcome="success") for i in range(6)])
    drain(quiet)
    assert quiet.position == 5
    assert alert_status(ledger)["evaluated"] == -1
    quiet.close()
    assert alert_status(ledger)["evaluated"] == 5


def test_a_follower_new_to_a_log_starts_at_its_end_by_default(ledger: Ledger) -> None:
    ledger.append_many([event("audit.verify", 0, outcome="failure")])
    late = follower(ledger, start="end")
    late.restore()  # its first step would: the end is where the log is now
    ledger.append_many([event("audit.verify", 1, outcome="failure")])
    drain(late)
    assert [a["details"]["seqs"] for a in alerts(ledger)] == [[1]]


def test_windows_of_a_rule_whose_grouping_changed_are_dropped(ledger: Ledger) -> None:
    ledger.append_many([login_failed(0), login_failed(1)])
    before = follower(ledger)
    drain(before)
    before.close()
    regrouped = AlertRule("logins", "threshold", ("auth.login_failed",), threshold=3, window=60,
                          group_by="ip")  # fmt: skip
    changed = follower(ledger, regrouped)
    changed.restore()
    assert changed.engine.windows() == {"logins": {}}
    ledger.append(login_failed(2))
    drain(changed)
    assert alerts(ledger) == []


def test_sealed_personal_fields_are_counted_and_raised_only_as_pseudonyms(
    ledger_dir: Path, engine_url: str | None
) -> None:
    from sealtrail.privacy.policy import PrivacyPolicy

    privacy = PrivacyPolicy(b"k" * 32, erasable=True)
    by_address = AlertRule(
        "addr", "threshold", ("auth.login_failed",), threshold=3, window=60, group_by="ip"
    )
    with Ledger.open(ledger_dir, database_url=engine_url, privacy=privacy) as ledger:
        ledger.append_many(
            [login_failed(0, actor="alice"), login_failed(1, actor="bob"), login_failed(2)]
        )
        assert b"192.0.2.7" not in ledger.entry(0)  # sealed: the group is not in the clear
        drain(follower(ledger, by_address))
        [raised] = alerts(ledger)
        assert raised["details"]["count"] == 3
        assert b"192.0.2.7" not in orjson.dumps(raised)
        assert privacy.pseudonym("192.0.2.7") in orjson.dumps(raised).decode()
