"""Source-control platforms: webhook deliveries and audit logs as ``vcs.*`` and ``auth.*`` events.

- ``delivery``: verifying a delivery's signature, its kind and id
- ``payload``: reading a payload, and the trimming rule for the fields the mapping leaves unread
- ``records``: the event builders every platform shares, and their conventions
- ``github``, ``gitlab``, ``gitea``: each platform's mapping, tabled in its docstring
- ``auditlog``: clone, fetch, push and sign-in entries of audit-log streams and exports
- ``intake``: verify, map and append once; ``config``: the ``[hooks]`` section
"""

from sealtrail.vcs.config import HookConfig, VcsHooksConfig
from sealtrail.vcs.delivery import Delivery, HookRefused
from sealtrail.vcs.intake import DeliveryOutcome, map_delivery, record_delivery, record_stream

__all__ = [
    "Delivery",
    "DeliveryOutcome",
    "HookConfig",
    "HookRefused",
    "VcsHooksConfig",
    "map_delivery",
    "record_delivery",
    "record_stream",
]
