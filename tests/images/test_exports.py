"""Each module of sealtrail.images lists what it defines in ``__all__`` (ruff sorts it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import sealtrail.images

MODULES = [info.name for info in pkgutil.iter_modules(sealtrail.images.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_every_public_definition(name: str) -> None:
    module = importlib.import_module(f"sealtrail.images.{name}")
    defined = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), defined - set(module.__all__)
