"""The rules over synthetic streams: window edges, sliding, groups, late events, time zones and
daylight saving, allow-lists, failed verifications, and alerts never setting off alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sealtrail.alerts.engine import AlertEngine, Hit, alert_event, event_micros
from sealtrail.alerts.rules import BUILT_IN, AlertRule
from sealtrail.events import validate_event
from tests.alerts.conftest import event, login_failed

MICRO = 0.000001


def threshold(count: int = 3, window: float = 60, group_by: str = "actor") -> AlertRule:
    actions = ("auth.login_failed", "auth.denied")
    return AlertRule("logins", "threshold", actions, threshold=count, window=window,
                     group_by=group_by)  # fmt: skip


def run(engine: AlertEngine, events: list[dict[str, Any]], first: int = 0) -> list[Hit]:
    hits = []
    for seq, record in enumerate(events, first):
        hits += engine.observe(seq, record)
    return hits


def test_exactly_n_events_just_inside_the_window_fire_with_their_seqs() -> None:
    hits = run(AlertEngine([threshold()]), [login_failed(t) for t in (0, 30, 60 - MICRO)])
    assert [(h.rule.id, h.seqs, h.group) for h in hits] == [("logins", (0, 1, 2), "alice")]
    assert hits[0].first_time == "2026-03-02T10:00:00.000000Z"
    assert hits[0].last_time == "2026-03-02T10:00:59.999999Z"


def test_n_events_spanning_exactly_the_window_do_not_fire() -> None:
    assert run(AlertEngine([threshold()]), [login_failed(t) for t in (0, 30, 60)]) == []


def test_n_minus_one_events_do_not_fire() -> None:
    assert run(AlertEngine([threshold()]), [login_failed(t) for t in (0, 1)]) == []


def test_the_window_slides_over_older_events() -> None:
    engine = AlertEngine([threshold()])
    hits = run(engine, [login_failed(t) for t in (0, 30, 60, 89)])
    assert [h.seqs for h in hits] == [(1, 2, 3)]


def test_after_firing_the_next_alert_needs_n_new_events() -> None:
    hits = run(AlertEngine([threshold()]), [login_failed(t) for t in range(8)])
    assert [h.seqs for h in hits] == [(0, 1, 2), (3, 4, 5)]


def test_actors_are_counted_apart() -> None:
    events = [login_failed(t, actor=name) for t in range(3) for name in ("alice", "bob")]
    hits = run(AlertEngine([threshold()]), events[:5])
    assert [(h.group, h.seqs) for h in hits] == [("alice", (0, 2, 4))]


def test_per_address_counts_every_actor_from_one_address_and_skips_events_without_one() -> None:
    events = [login_failed(0, actor="a"), login_failed(1, actor="b", ip=None),
              login_failed(2, actor="c"), event("auth.denied", 3, actor="d")]  # fmt: skip
    hits = run(AlertEngine([threshold(group_by="ip")]), events)
    assert [(h.group, h.seqs) for h in hits] == [("192.0.2.7", (0, 2, 3))]


def test_a_late_event_is_counted_in_its_place_and_one_outside_the_window_is_not() -> None:
    engine = AlertEngine([threshold(count=3, window=10)])
    assert run(engine, [login_failed(100), login_failed(105)]) == []
    assert run(engine, [login_failed(80)], first=2) == []  # 20 s before the newest: dropped
    hits = run(engine, [login_failed(95.5)], first=3)  # late, but within 10 s of 105
    assert [h.seqs for h in hits] == [(3, 0, 1)]
    assert hits[0].first_time.endswith("10:01:35.500000Z")


def test_alerts_never_set_off_alerts() -> None:
    greedy = AlertRule("greedy", "match", ("alert.*", "alert.raised"))
    engine = AlertEngine([greedy, *BUILT_IN])
    raised = validate_event(alert_event(run(AlertEngine([threshold(1)]), [login_failed(0)])[0],
                                        "2026-03-02T10:00:01.000000Z"))  # fmt: skip
    assert engine.observe(7, raised) == []
    assert engine.routes("alert.raised") == ()


def test_a_failed_verify_fires_and_a_successful_one_does_not() -> None:
    engine = AlertEngine(BUILT_IN)
    ok = event("audit.verify", 0, outcome="success", actor="cli")
    failed = event("audit.verify", 1, outcome="failure", actor="cli", message="root mismatch")
    hits = run(engine, [ok, failed])
    assert [(h.rule.id, h.seqs, h.rule.severity) for h in hits] == [
        ("verify-failed", (1,), "critical")
    ]
    assert "root mismatch" in hits[0].reason


def test_pulls_outside_the_allow_list_fire_case_insensitively_with_patterns() -> None:
    rule = AlertRule("pulls", "allow_list", ("image.pull",),
                     allowed=("registry.example.com", "*.corp.example"))  # fmt: skip
    registries = ["Registry.Example.com", "eu.corp.example", "docker.io", "corp.example.evil"]
    events = [event("image.pull", i, registry=r) for i, r in enumerate(registries)]
    hits = run(AlertEngine([rule]), events)
    assert [h.seqs for h in hits] == [(2,), (3,)]
    assert "'docker.io' is not allowed" in hits[0].reason


def test_category_patterns_match_every_action_of_the_category() -> None:
    rule = AlertRule("any-policy", "match", ("policy.*",))
    events = [event(a, 0, outcome="success") for a in ("policy.create", "policy.x_y", "tag.move")]
    assert [h.seqs for h in run(AlertEngine([rule]), events)] == [(0,), (1,)]


# --- business hours, time zones and daylight saving -------------------------------------------


def off_hours(**more: Any) -> AlertEngine:
    rule = AlertRule("changes", "off_hours", ("policy.*", "config.change"),
                     timezone="Europe/Berlin", **more)  # fmt: skip
    return AlertEngine([rule])


def fires(engine: AlertEngine, *utc: int) -> bool:
    when = datetime(*utc).replace(tzinfo=UTC)  # type: ignore[arg-type]
    record = event("policy.update", when, outcome="success")
    return bool(engine.observe(0, record))


@pytest.mark.parametrize(
    ("utc", "outside"),
    [
        # Friday 27 March 2026, CET (UTC+1): business hours are 08:00-17:00 UTC
        ((2026, 3, 27, 7, 59, 59, 999999), True),
        ((2026, 3, 27, 8, 0), False),
        ((2026, 3, 27, 16, 59, 59, 999999), False),
        ((2026, 3, 27, 17, 0), True),
        # Monday 30 March 2026, CEST (UTC+2) after the spring-forward: 07:00-16:00 UTC
        ((2026, 3, 30, 6, 59, 59, 999999), True),
        ((2026, 3, 30, 7, 0), False),
        ((2026, 3, 30, 7, 30), False),  # 08:30 UTC, outside a week before, is inside now
        ((2026, 3, 30, 15, 59, 59, 999999), False),
        ((2026, 3, 30, 16, 0), True),
        # Friday 23 October 2026 in CEST, Monday 26 October in CET after the fall-back
        ((2026, 10, 23, 7, 0), False),
        ((2026, 10, 23, 16, 0), True),
        ((2026, 10, 26, 7, 59, 59), True),
        ((2026, 10, 26, 8, 0), False),
        ((2026, 10, 26, 16, 30), False),
        ((2026, 10, 26, 17, 0), True),
        # weekends are outside whatever the hour
        ((2026, 3, 28, 10, 0), True),
        ((2026, 3, 29, 10, 0), True),
    ],
)
def test_business_hours_follow_berlin_local_time_across_daylight_saving(
    utc: tuple[int, ...], outside: bool
) -> None:
    assert fires(off_hours(), *utc) is outside


def test_the_skipped_spring_hour_and_the_repeated_autumn_hour() -> None:
    every_day = off_hours(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                          hours="03:00-23:00")  # fmt: skip
    # 29 March: 01:59:59 CET is followed by 03:00:00 CEST, which is already business hours
    assert fires(every_day, 2026, 3, 29, 0, 59, 59)
    assert not fires(every_day, 2026, 3, 29, 1, 0)
    # 25 October: 02:30 happens twice, CEST then CET; both are outside, 03:00 CET is inside
    first = every_day.observe(0, event("config.change", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)))
    again = every_day.observe(1, event("config.change", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)))
    assert "2026-10-25 02:30 CEST" in first[0].reason
    assert "2026-10-25 02:30 CET" in again[0].reason
    assert not fires(every_day, 2026, 10, 25, 2, 0)


def test_business_hours_may_span_midnight() -> None:
    night = off_hours(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                      hours="22:00-06:00")  # fmt: skip
    assert not fires(night, 2026, 1, 5, 21, 30)  # 22:30 CET
    assert not fires(night, 2026, 1, 5, 4, 59)  # 05:59 CET
    assert fires(night, 2026, 1, 5, 5, 0)  # 06:00 CET
    assert fires(night, 2026, 1, 5, 12, 0)


# --- state ------------------------------------------------------------------------------------


def test_windows_taken_and_loaded_again_continue_where_they_were() -> None:
    before = AlertEngine([threshold(count=4)])
    assert run(before, [login_failed(t) for t in (0, 10, 20)]) == []
    changes = before.take_changes()
    assert changes == [("logins", "alice", [(event_micros(login_failed(t)["time"]), s)
                                             for s, t in enumerate((0, 10, 20))])]  # fmt: skip
    assert before.take_changes() == []
    after = AlertEngine([threshold(count=4)])
    for rule, key, entries in changes:
        assert after.load(rule, key, entries)
    assert [h.seqs for h in run(after, [login_failed(30)], first=3)] == [(0, 1, 2, 3)]
    assert after.take_changes() == [("logins", "alice", [])]  # emptied by the alert
    assert after.windows() == {"logins": {}}


def test_an_alert_event_is_a_valid_event_naming_rule_window_count_and_seqs() -> None:
    hit = run(AlertEngine([threshold(count=2)]), [login_failed(0), login_failed(5)])[0]
    raised = validate_event(alert_event(hit, "2026-03-02T10:00:06Z"))
    assert raised["action"] == "alert.raised"
    assert raised["target"] == {"type": "alert_rule", "id": "logins"}
    assert raised["details"] == {
        "rule": "logins", "kind": "threshold", "count": 2, "seqs": [0, 1], "threshold": 2,
        "window_seconds": 60, "group_by": "actor", "group": "alice",
        "first_time": "2026-03-02T10:00:00.000000Z", "last_time": "2026-03-02T10:00:05.000000Z",
    }  # fmt: skip
