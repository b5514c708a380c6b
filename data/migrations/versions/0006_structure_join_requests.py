"""structure join requests: a second sign-up with a registered SIRET asks to join (issue 12)

Revision ID: 0006_structure_join_requests
Revises: 0005_suggestion_order
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_structure_join_requests"
down_revision: str | Sequence[str] | None = "0005_suggestion_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "structure_join_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("message", sa.String(length=1000), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "refused",
                name="join_request_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_structure_join_requests_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_structure_join_requests_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_join_requests")),
    )
    with op.batch_alter_table("structure_join_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_structure_join_requests_employer_id"), ["employer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_structure_join_requests_status"), ["status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("structure_join_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_join_requests_status"))
        batch_op.drop_index(batch_op.f("ix_structure_join_requests_employer_id"))
    op.drop_table("structure_join_requests")
