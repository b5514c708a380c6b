"""observatory: the monthly snapshots of the observatory's indicators (issue 20)

Revision ID: 0033_observatory
Revises: 0032_welcome_kit
Create Date: 2026-12-04 19:30:00

``observatory_snapshots`` keeps each closed month's figures at their finest grain (métier x
commune), so that the series survive anonymisation and deletion.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_observatory"
down_revision: str | Sequence[str] | None = "0032_welcome_kit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observatory_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(length=40), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observatory_snapshots")),
        sa.UniqueConstraint(
            "month",
            "indicator",
            "metier_code",
            "commune_insee",
            name="uq_observatory_snapshots_cell",
        ),
    )
    with op.batch_alter_table("observatory_snapshots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observatory_snapshots_month"), ["month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("observatory_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observatory_snapshots_month"))
    op.drop_table("observatory_snapshots")
