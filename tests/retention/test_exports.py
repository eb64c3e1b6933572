"""Each module of sealtrail.retention lists what it defines in ``__all__``."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = ["apply", "cli", "rules", "schedule", "segment"]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_every_public_definition(name: str) -> None:
    module = importlib.import_module(f"sealtrail.retention.{name}")
    defined = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), defined - set(module.__all__)
