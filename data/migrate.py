"""Run Alembic migrations programmatically (used by ``flask --app web init``, jobs and tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

__all__ = ["alembic_config", "upgrade", "downgrade", "revision"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine_or_url: Engine | str) -> Config:
    """Return an Alembic config pointing at the shipped migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if isinstance(engine_or_url, str):
        cfg.set_main_option("sqlalchemy.url", engine_or_url)
    return cfg


def _run(engine: Engine, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        fn(cfg, *args, **kwargs)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Migrate the database up to ``target`` (head by default)."""
    _run(engine, command.upgrade, target)


def downgrade(engine: Engine, target: str = "base") -> None:
    """Migrate the database down to ``target`` (empty by default)."""
    _run(engine, command.downgrade, target)


def revision(engine: Engine, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a new migration by comparing the models with a database at head (dev tool)."""
    _run(engine, command.revision, message=message, autogenerate=True, rev_id=rev_id)
