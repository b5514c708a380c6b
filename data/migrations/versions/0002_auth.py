"""sign-in links, sessions and API tokens (web)

Revision ID: 0002_auth
Revises: 0001_core
Create Date: 2026-11-23 11:30:00
"""

from collections.abc import Sequence

revision: str = "0002_auth"
down_revision: str | Sequence[str] | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
