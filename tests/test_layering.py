"""Imports flow one way: matching <- data <- web, jobs; web and jobs never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "matching": {"flask", "sqlalchemy", "alembic", "marshmallow", "data", "web", "jobs"},
    "data": {"flask", "web", "jobs"},
    "web": {"jobs"},
    "jobs": {"web", "flask"},
}
# A CLI command of the web app may trigger a job function (DEVELOPERS.md, STYLE.md).
ALLOWED_FILES = {("web", "cli.py"): {"jobs"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_flow_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no Python file"
    offenders = []
    for path in files:
        allowed = ALLOWED_FILES.get((package, path.name), set())
        bad = (_imports(path) & FORBIDDEN[package]) - allowed
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []
