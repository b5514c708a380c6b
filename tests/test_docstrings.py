"""The examples in the docstrings of the data layer, the web layer and the jobs run (the engine's
have their own test, tests/matching/test_doctests.py)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import data
import jobs
import web

#: Modules not imported here: build tools that need what only their maintainer installs.
SKIPPED = {"data.reference.build_communes"}

MODULES = sorted(
    m.name
    for package in (data, web, jobs)
    for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    if not m.name.endswith("__main__") and ".migrations." not in m.name and m.name not in SKIPPED
)


def test_modules_are_found() -> None:
    assert {"data.db", "data.queries.lists", "web.listing", "jobs.registry"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
