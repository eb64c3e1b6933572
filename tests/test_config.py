"""Settings: flat keys and the structured sections features own."""

from __future__ import annotations

from pathlib import Path

import pytest

from sealtrail.config import Settings
from sealtrail.errors import ValidationError


def _load(tmp_path: Path, toml: str, **environ: str) -> Settings:
    (tmp_path / "sealtrail.toml").write_text(toml)
    return Settings.load({"SEALTRAIL_DIR": str(tmp_path), **environ})


def test_sections_are_kept_as_read_for_their_feature(tmp_path: Path) -> None:
    toml = 'port = 9000\n[hooks.github]\nsecret = "a"\nrepositories = ["o/r"]\n'
    settings = _load(tmp_path, toml)
    assert settings.port == 9000
    assert settings.section("hooks") == {"github": {"secret": "a", "repositories": ["o/r"]}}
    assert settings.section("forwarders") == {}


def test_a_section_key_is_overridden_by_a_double_underscore_variable(tmp_path: Path) -> None:
    settings = _load(
        tmp_path,
        '[hooks.github]\nsecret = "a"\n',
        SEALTRAIL_HOOKS__GITHUB__SECRET="b",
        SEALTRAIL_FORWARDERS__SIEM__PORT="514",
    )
    assert settings.section("hooks") == {"github": {"secret": "b"}}
    assert settings.section("forwarders") == {"siem": {"port": "514"}}


def test_unknown_settings_and_sections_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="unknown setting"):
        _load(tmp_path, "[nonsense]\nx = 1\n")
    with pytest.raises(ValidationError, match=r"\[hooks\] must be a table"):
        _load(tmp_path, "hooks = 3\n")
    with pytest.raises(ValidationError, match="unknown configuration section"):
        Settings().section("nonsense")


def test_a_flat_setting_from_the_environment_is_typed(tmp_path: Path) -> None:
    settings = _load(tmp_path, "", SEALTRAIL_PORT="9100", SEALTRAIL_PUBLIC_LOG="true")
    assert (settings.port, settings.public_log) == (9100, True)
    with pytest.raises(ValidationError, match="setting port"):
        _load(tmp_path, "", SEALTRAIL_PORT="many")
