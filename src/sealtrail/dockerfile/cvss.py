"""CVSS v3.1 base scores, computed from the vector string (FIRST CVSS v3.1 specification §7.1).

Every rule that carries a vector has its score computed here rather than typed by hand, so the
score and the vector can never disagree: the score of ``AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`` is
9.8.
"""

from __future__ import annotations

import math

from sealtrail.errors import ValidationError

__all__ = ["base_score", "severity_of"]

_WEIGHTS = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_METRICS = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


def base_score(vector: str) -> float:
    """The base score of a ``CVSS:3.1/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_`` vector."""
    metrics = _parse(vector)
    changed = metrics["S"] == "C"
    iss = 1 - math.prod(1 - _WEIGHTS[m][metrics[m]] for m in ("C", "I", "A"))
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    privileges = _PRIVILEGES[metrics["S"]][metrics["PR"]]
    exploitability = (
        8.22 * privileges * math.prod(_WEIGHTS[m][metrics[m]] for m in ("AV", "AC", "UI"))
    )
    if impact <= 0:
        return 0.0
    total = impact + exploitability
    return _round_up(min(1.08 * total if changed else total, 10))


def severity_of(score: float) -> str:
    """The qualitative rating of a score: none, low, medium, high or critical."""
    if score == 0:
        return "none"
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    return "high" if score < 9 else "critical"


def _parse(vector: str) -> dict[str, str]:
    head, _, body = vector.partition("/")
    if head != "CVSS:3.1":
        raise ValidationError(f"not a CVSS v3.1 vector: {vector!r}")
    metrics = dict(part.partition(":")[::2] for part in body.split("/"))
    if tuple(metrics) != _METRICS:
        raise ValidationError(f"CVSS vector must list {'/'.join(_METRICS)} in order: {vector!r}")
    for name, value in metrics.items():
        allowed = (
            _PRIVILEGES["U"]
            if name == "PR"
            else {"U": 0, "C": 0}
            if name == "S"
            else _WEIGHTS[name]
        )
        if value not in allowed:
            raise ValidationError(f"CVSS vector: {name}:{value} is not a valid value")
    return metrics


def _round_up(value: float) -> float:
    """The spec's Roundup: the smallest one-decimal number >= value, robust to float error."""
    integer = round(value * 100_000)
    if integer % 10_000 == 0:
        return integer / 100_000
    return (math.floor(integer / 10_000) + 1) / 10
