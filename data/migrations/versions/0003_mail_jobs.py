"""mail outbox and job runs (jobs)

Revision ID: 0003_mail_jobs
Revises: 0002_auth
Create Date: 2026-11-23 11:30:00
"""

from collections.abc import Sequence

revision: str = "0003_mail_jobs"
down_revision: str | Sequence[str] | None = "0002_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
