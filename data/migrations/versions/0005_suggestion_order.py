"""suggestions: indexes in the order of the review queue and the API's lists (load benchmark)

Revision ID: 0005_suggestion_order
Revises: 0004_job_run_process
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_suggestion_order"
down_revision: str | Sequence[str] | None = "0004_job_run_process"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_suggestions_status_best", "suggestions", ["status", sa.text("score DESC"), "id"]
    )
    op.create_index("ix_suggestions_best", "suggestions", [sa.text("score DESC"), "id"])


def downgrade() -> None:
    op.drop_index("ix_suggestions_best", table_name="suggestions")
    op.drop_index("ix_suggestions_status_best", table_name="suggestions")
