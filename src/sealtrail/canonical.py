"""RFC 8785 (JCS) canonical JSON: exact, and fast where orjson is already exact.

orjson with sorted keys writes JCS byte for byte when the value holds only built-in types, no
floats, no integers beyond ±(2**53-1) and no object key with a character above U+FFFF (checked
over all of Unicode: both escape only ``"``, ``\\`` and U+0000..U+001F with the same short forms,
and write the rest raw). Everything else goes to the exact encoder, ``rfc8785``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import orjson
import rfc8785

from sealtrail.errors import ValidationError

__all__ = ["ASTRAL_RE", "MAX_SAFE_INT", "canonical_json", "encode", "fast_path_safe"]

MAX_SAFE_INT: Final = 2**53 - 1  # I-JSON (RFC 7493 2.2), and the most JCS can write
ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def canonical_json(value: Any) -> bytes:
    """The JCS form of any JSON value; ``ValidationError`` if it has none."""
    return encode(value, fast=fast_path_safe(value))


_FAST_DEPTH = 128  # below orjson's own recursion limit of 255


def encode(value: Any, *, fast: bool) -> bytes:
    try:
        if fast:
            try:
                return _orjson_sorted(value)
            except orjson.JSONEncodeError:
                pass  # a lone surrogate: let the exact encoder report it
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError, RecursionError) as error:
        raise ValidationError(f"value has no canonical JSON form: {error}") from None


def _orjson_sorted(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def fast_path_safe(value: Any, depth: int = 0) -> bool:
    """True when orjson's sorted output of ``value`` is its JCS form.

    That needs built-in types only (no subclasses), no floats, integers within ±(2**53-1) and no
    object key with a character above U+FFFF. Deeper than ``_FAST_DEPTH`` counts as unsafe.
    """
    kind = type(value)
    if kind is dict:
        try:
            keys = "".join(value)  # TypeError unless every key is a str
        except TypeError:
            return False
        if not keys.isascii() and ASTRAL_RE.search(keys):
            return False
        return depth < _FAST_DEPTH and _fast_items_safe(value.values(), depth + 1)
    if kind is list or kind is tuple:
        return depth < _FAST_DEPTH and _fast_items_safe(value, depth + 1)
    return _fast_items_safe((value,), depth)


def _fast_items_safe(items: Iterable[Any], depth: int) -> bool:
    for item in items:
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
                continue
            return False
        if kind is not dict and kind is not list and kind is not tuple:
            return False
        if not fast_path_safe(item, depth):
            return False
    return True
