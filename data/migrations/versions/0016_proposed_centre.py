"""proposed centre: the training centre the engine proposes for each suggestion (issue 16)

Revision ID: 0016_proposed_centre
Revises: 0015_training_centres
Create Date: 2026-12-04 07:10:00

``suggestions.proposed_centre_id`` (the centre the engine chose for the pair, none when it knows
none; back to none when the centre is deleted), ``proposed_centre_km`` (the candidate's home to
that centre) and ``proposed_intake_on`` (the intake it found, if any).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_proposed_centre"
down_revision: str | Sequence[str] | None = "0015_training_centres"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_centre_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proposed_centre_km", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("proposed_intake_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_suggestions_proposed_centre_id"), ["proposed_centre_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_suggestions_proposed_centre_id_training_centres"),
            "training_centres",
            ["proposed_centre_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_suggestions_proposed_centre_id_training_centres"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_suggestions_proposed_centre_id"))
        batch_op.drop_column("proposed_intake_on")
        batch_op.drop_column("proposed_centre_km")
        batch_op.drop_column("proposed_centre_id")
