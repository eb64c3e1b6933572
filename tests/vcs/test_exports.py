"""Each module of sealtrail.vcs lists what it defines in ``__all__`` (ruff sorts it)."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "auditlog", "config", "delivery", "gitea", "github", "gitlab", "intake", "payload", "records",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_all_names_every_public_definition(name: str) -> None:
    module = importlib.import_module(f"sealtrail.vcs.{name}")
    defined = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), defined - set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)
