"""The [gateway] settings: checked, with options on top, errors naming the key."""

from __future__ import annotations

import pytest

from sealtrail.errors import ValidationError
from sealtrail.gateway.config import GatewayConfig


def test_the_section_and_options_make_one_config() -> None:
    config = GatewayConfig.from_section(
        {"upstream": "http://127.0.0.1:5000/", "fail_open": "true", "record_timeout": "2.5"},
        listen="0.0.0.0:8443",
    )
    assert config.upstream == "http://127.0.0.1:5000"
    assert config.registry == "127.0.0.1:5000"
    assert config.fail_open is True
    assert config.record_timeout == 2.5
    assert config.address() == ("0.0.0.0", 8443)


def test_fail_closed_is_the_default() -> None:
    assert GatewayConfig("http://r:5000").fail_open is False


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({}, "upstream"),
        ({"upstream": "ftp://r"}, "gateway.upstream"),
        ({"upstream": "http://r", "listen": "nowhere"}, "gateway.listen"),
        ({"upstream": "http://r", "fail_open": "maybe"}, "gateway.fail_open"),
        ({"upstream": "http://r", "record_timeout": "0"}, "gateway.record_timeout"),
        ({"upstream": "http://r", "colour": "blue"}, "colour"),
    ],
)
def test_a_bad_setting_is_named(section: dict[str, str], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        GatewayConfig.from_section(section)


def test_a_request_goes_to_its_host_then_its_longest_prefix_then_the_default() -> None:
    config = GatewayConfig.from_section(
        {
            "upstream": "http://a:5000",
            "upstreams": {
                "teamb/": "http://b:5000",
                "teamb/special/": "http://c:5000",
                "mirror.example": "http://d:5000",
            },
        }
    )
    assert config.upstream_for("gw:5080", "team/app").url == "http://a:5000"
    assert config.upstream_for("gw:5080", "teamb/app").url == "http://b:5000"
    assert config.upstream_for("gw:5080", "teamb/special/app").registry == "c:5000"
    assert config.upstream_for("mirror.example:5080", "teamb/app").url == "http://d:5000"
    assert config.upstream_for("mirror.example", "x").url == "http://d:5000"


def test_a_bad_upstream_in_the_table_is_named() -> None:
    with pytest.raises(ValidationError, match=r"gateway\.upstreams\.teamb/"):
        GatewayConfig.from_section({"upstream": "http://a", "upstreams": {"teamb/": "b:5000"}})
