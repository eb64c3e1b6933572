"""Alerts on the patterns that matter, evaluated as events arrive (issue 8).

- ``rules``: ``AlertRule``, the built-in rules and the ``[alerts]`` section (``parse_alerts``)
- ``engine``: ``AlertEngine``, pure evaluation with sliding windows; ``alert_event``
- ``follower``: ``AlertFollower``, which follows the log in the server, keeps its position and
  windows in the store and appends ``alert.raised``; the signed webhook
- ``status``: the follower's position and open windows, the latest alerts (console, CLI)
"""

from sealtrail.alerts.engine import ALERT_ACTION, AlertEngine, Hit, alert_event
from sealtrail.alerts.follower import AlertFollower, alert_followers
from sealtrail.alerts.rules import BUILT_IN, AlertRule, AlertsConfig, parse_alerts
from sealtrail.alerts.status import alert_status, recent_alerts

__all__ = [
    "ALERT_ACTION",
    "BUILT_IN",
    "AlertEngine",
    "AlertFollower",
    "AlertRule",
    "AlertsConfig",
    "Hit",
    "alert_event",
    "alert_followers",
    "alert_status",
    "parse_alerts",
    "recent_alerts",
]
