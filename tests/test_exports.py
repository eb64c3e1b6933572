"""Each module of sealtrail's feature packages lists what it defines in ``__all__`` (ruff sorts
it), and names nothing in ``__all__`` that does not exist."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import sealtrail.images

MODULES = {
    "alerts": ["engine", "follower", "rules", "status"],  # cli: commands
    "gateway": ["auth", "cli", "config", "metrics", "proxy", "records", "routes", "trail"],
    "images": [info.name for info in pkgutil.iter_modules(sealtrail.images.__path__)],
    "policies": ["apply", "book", "model", "records", "rows", "sync", "tagindex"],  # cli: commands
    "privacy": ["cli", "erasure", "policy", "sealing"],
    "retention": ["apply", "cli", "rules", "schedule", "segment"],
    "vcs": [
        "auditlog", "config", "delivery", "gitea", "github", "gitlab", "intake", "payload",
        "records",
    ],
}  # fmt: skip
NAMES = [f"sealtrail.{package}.{module}" for package, names in MODULES.items() for module in names]


@pytest.mark.parametrize("name", NAMES)
def test_all_names_every_public_definition(name: str) -> None:
    module = importlib.import_module(name)
    defined = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    }
    assert defined <= set(module.__all__), defined - set(module.__all__)
    assert set(module.__all__) <= set(vars(module)), "names in __all__ that do not exist"
