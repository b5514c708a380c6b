"""checkins: the coordinators' calls after a contract's day-15 and day-40 check-ins (issue 19)

Revision ID: 0031_checkins
Revises: 0030_apprenticeship_masters
Create Date: 2026-12-04 17:15:00

The check-ins are questionnaires (0029's ``questionnaires``, purposes ``checkin_15`` and
``checkin_40``, subject the pair). ``checkin_calls`` records that a coordinator called a pair the
check-ins put on the « to call » list, and what the call said.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_checkins"
down_revision: str | Sequence[str] | None = "0030_apprenticeship_masters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["called_by_id"],
            ["users.id"],
            name=op.f("fk_checkin_calls_called_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_checkin_calls_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_calls")),
    )
    op.create_index(
        op.f("ix_checkin_calls_suggestion_id"), "checkin_calls", ["suggestion_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_checkin_calls_suggestion_id"), table_name="checkin_calls")
    op.drop_table("checkin_calls")
