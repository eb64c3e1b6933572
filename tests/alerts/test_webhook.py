"""The alerts webhook is a forwarder of ``alert.raised`` records only: its filter, its start at
the log's end, and the ``actions`` key any forwarder now takes."""

from __future__ import annotations

from pathlib import Path

from sealtrail.alerts import AlertsConfig
from sealtrail.alerts.follower import WEBHOOK_FORWARDER, _webhook
from sealtrail.config import Settings
from sealtrail.ledger.log import Ledger
from sealtrail.sinks.config import parse_forwarders
from tests.alerts.conftest import SECRET, Receiver, event


def test_only_alerts_are_delivered_and_only_those_after_configuration(
    ledger: Ledger, receiver: Receiver
) -> None:
    ledger.append(event("audit.verify", 0, outcome="failure"))
    config = AlertsConfig(webhook_url=receiver.url, webhook_secret=SECRET)
    old = {"time": "2026-03-02T10:00:00Z", "action": "alert.raised", "outcome": "success",
           "actor": {"id": "sealtrail-alerts", "type": "system"}}  # fmt: skip
    ledger.append(old)  # before the webhook was configured: not sent
    hook = _webhook(config, ledger)
    ledger.append_many([event("auth.login", 1, outcome="success"), {**old, "message": "new"},
                        event("image.pull", 2), {**old, "message": "newer"}])  # fmt: skip
    hook.drain()  # the receiver refuses the first delivery: it is sent again
    assert [(a["seq"], a["message"]) for a in receiver.alerts] == [(3, "new"), (5, "newer")]
    assert receiver.refused == 1
    assert ledger.store.get_meta(f"forwarder.{WEBHOOK_FORWARDER}.delivered") == "5"


def test_a_forwarder_takes_actions_from_toml_or_the_environment(tmp_path: Path) -> None:
    environ = {
        "SEALTRAIL_FORWARDERS__HOOK__KIND": "webhook",
        "SEALTRAIL_FORWARDERS__HOOK__URL": "http://127.0.0.1:9/",
        "SEALTRAIL_FORWARDERS__HOOK__SECRET": "s",
        "SEALTRAIL_FORWARDERS__HOOK__ACTIONS": "alert.raised, audit.verify",
    }
    (config,) = parse_forwarders(Settings.load(environ).section("forwarders"))
    assert config.actions == ("alert.raised", "audit.verify")
    (listed,) = parse_forwarders({"hook": {"kind": "webhook", "url": "http://x/", "secret": "s",
                                           "actions": ["alert.raised"]}})  # fmt: skip
    assert listed.actions == ("alert.raised",)
