"""candidate CV: an optional PDF a candidate puts next to their presentation (issue 15)

Revision ID: 0014_candidate_cv
Revises: 0013_team
Create Date: 2026-12-03 22:45:00

``candidates`` gets ``cv_file`` (the random name of the file kept under the instance directory),
``cv_size`` (bytes) and ``cv_uploaded_at``. The file itself is never in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_candidate_cv"
down_revision: str | Sequence[str] | None = "0013_team"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cv_file", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cv_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cv_uploaded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("cv_uploaded_at")
        batch_op.drop_column("cv_size")
        batch_op.drop_column("cv_file")
