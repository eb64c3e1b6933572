"""Settings: read once at the edge from ``sealtrail.toml`` and ``SEALTRAIL_*``, then passed down.

Every key of the TOML file can be overridden by an environment variable named ``SEALTRAIL_`` plus
the key in upper case (``port`` → ``SEALTRAIL_PORT``). The file is ``SEALTRAIL_CONFIG``, else
``sealtrail.toml`` in the data directory, else none. The library never reads the environment.

Features with structured configuration (webhooks, forwarders, alert rules...) own a *section*: a
TOML table named in ``SECTIONS``, kept as read in ``Settings.sections`` and parsed into its typed
form by the feature's own module (``settings.section("hooks")``). A key inside a section is
overridden by ``SEALTRAIL_<SECTION>__<KEY>[__<SUBKEY>...]`` (``SEALTRAIL_HOOKS__GITHUB__SECRET``);
such values arrive as strings.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sealtrail.errors import ValidationError

if TYPE_CHECKING:
    from sealtrail.ledger.log import Ledger

__all__ = ["SECTIONS", "Settings", "from_environment", "open_ledger"]

#: The structured sections and the feature that parses each.
SECTIONS = {
    "hooks": "forge and registry webhooks (sealtrail.vcs, sealtrail.images)",
    "images": "audited pulls and registry notifications (sealtrail.images)",
    "forwarders": "SIEM forwarders (sealtrail.sinks)",
    "retention": "retention rules and legal holds",
    "alerts": "alert rules",
    "privacy": "IP truncation, pseudonyms, redaction",
    "gateway": "the OCI registry gateway (sealtrail.gateway)",
}


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with its default."""

    dir: Path = Path("sealtrail-data")
    host: str = "127.0.0.1"
    port: int = 8080
    checkpoint_interval: float = 1.0
    public_log: bool = False  # /checkpoint and /tile/... readable without a key
    max_body_bytes: int = 16 * 1024 * 1024
    max_batch: int = 10_000
    auth_failures_allowed: int = 10  # failed authentications per address per window
    auth_failure_window: float = 60.0  # seconds
    cookie_secure: bool = True  # the console's session cookie is Secure (set false for plain http)
    log_requests: bool = True  # one JSON line per request on stdout
    database_url: str = ""  # postgresql://... keeps the records in PostgreSQL; empty: SQLite in dir
    sections: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        """The structured section ``name`` (one of ``SECTIONS``) as read; empty when absent."""
        if name not in SECTIONS:
            raise ValidationError(f"unknown configuration section: {name}")
        value = self.sections.get(name, {})
        return value if isinstance(value, Mapping) else {}

    @classmethod
    def load(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Defaults, then the TOML file, then ``SEALTRAIL_*`` variables, then ``overrides``."""
        values: dict[str, Any] = {}
        directory = overrides.get("dir") or environ.get("SEALTRAIL_DIR") or cls.dir
        path = environ.get("SEALTRAIL_CONFIG") or Path(directory) / "sealtrail.toml"
        if Path(path).exists():
            values.update(_read_toml(Path(path)))
        sections = {name: values.pop(name) for name in SECTIONS if name in values}
        for field in dataclasses.fields(cls):
            text = environ.get(f"SEALTRAIL_{field.name.upper()}")
            if text is not None and field.name != "sections":
                values[field.name] = text
        _override_sections(sections, environ)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = {name: _coerce(name, value) for name, value in values.items()}
        return cls(**{**settings, "sections": {**sections, **settings.get("sections", {})}})


_TYPES = {field.name: field.type for field in dataclasses.fields(Settings)}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"{path}: {error}") from None
    unknown = sorted(set(data) - set(_TYPES) - set(SECTIONS) | ({"sections"} & set(data)))
    if unknown:
        raise ValidationError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    for name in SECTIONS:
        if name in data and not isinstance(data[name], dict):
            raise ValidationError(f"{path}: [{name}] must be a table")
    return data


def _override_sections(sections: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Apply ``SEALTRAIL_<SECTION>__<KEY>...`` variables to the sections, in place."""
    for variable, text in environ.items():
        head, _, rest = variable.partition("__")
        name = head.removeprefix("SEALTRAIL_").lower()
        if not rest or not head.startswith("SEALTRAIL_") or name not in SECTIONS:
            continue
        *path, last = [part.lower() for part in rest.split("__")]
        table = sections.setdefault(name, {})
        for part in path:
            table = table.setdefault(part, {})
            if not isinstance(table, dict):
                raise ValidationError(f"{variable}: {part} is not a table")
        table[last] = text


def _coerce(name: str, value: Any) -> Any:
    """A setting's value in its declared type; strings from the environment are parsed."""
    kind = _TYPES.get(name)
    if kind is None:
        raise ValidationError(f"unknown setting: {name}")
    if name == "sections":
        if not isinstance(value, Mapping):
            raise ValidationError("setting sections: must be a mapping of section tables")
        return dict(value)
    try:
        if kind == "bool" and isinstance(value, str):
            if value.lower() not in {"true", "false", "1", "0", "yes", "no"}:
                raise ValueError(value)
            return value.lower() in {"true", "1", "yes"}
        if kind == "Path":
            return Path(value)
        return {"int": int, "float": float, "str": str, "bool": bool}[str(kind)](value)
    except (ValueError, TypeError):
        raise ValidationError(f"setting {name}: {value!r} is not a valid {kind}") from None


def from_environment(**overrides: Any) -> Settings:
    """The settings of this process (the CLI's edge)."""
    return Settings.load(os.environ, **overrides)


def open_ledger(directory: Path | None = None, **options: Any) -> Ledger:
    """The ledger this process's settings point at: the keys in ``directory`` (else the
    configured one), the records in its SQLite file or at ``database_url``, the ``[privacy]``
    policy applied (the CLI's and the server's edge)."""
    from sealtrail.ledger.log import Ledger
    from sealtrail.privacy.policy import PrivacyPolicy

    settings = from_environment(dir=directory)
    if "privacy" not in options:
        options["privacy"] = PrivacyPolicy.from_section(settings.section("privacy"), settings.dir)
    return Ledger.open(settings.dir, database_url=settings.database_url or None, **options)
