"""The examples in the engine's docstrings run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import matching

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(matching.__path__, "matching.")
    if m.name != "matching.__main__"  # runs the command line on import
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
