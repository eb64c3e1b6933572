"""Retention: expired records archived to verifiable segments, their bodies removed, the seal kept.

``rules`` parses the ``[retention]`` section (rules by action or glob and age, legal holds),
``segment`` writes and verifies the archive files, ``apply`` runs retention, ``schedule`` runs it
in the server, ``cli`` is ``sealtrail retention apply`` and ``sealtrail verify-archive``.
"""

from sealtrail.retention.apply import RetentionReport, Segment, apply_retention
from sealtrail.retention.rules import LegalHold, RetentionRule, RetentionSettings, parse_age
from sealtrail.retention.segment import ArchiveReport, SegmentHeader, verify_archive

__all__ = [
    "ArchiveReport",
    "LegalHold",
    "RetentionReport",
    "RetentionRule",
    "RetentionSettings",
    "Segment",
    "SegmentHeader",
    "apply_retention",
    "parse_age",
    "verify_archive",
]
