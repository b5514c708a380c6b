"""métier vocabulary: priority métiers, longer diploma codes, coordinators' mappings (issue 14)

Revision ID: 0009_metier_vocabulary
Revises: 0008_one_line_text
Create Date: 2026-12-03 16:30:00

The referential grows beyond the plan's eight priority métiers: ``metiers.priority`` marks the
eight, diploma codes grow to 40 characters (« CQP surveillant de nuit ») on métiers and offers
(an offer takes its métier's diploma code when none is given), and ``metier_mappings`` keeps what
coordinators decided about texts the referential did not resolve (a métier, or NULL: outside the
sector). The reference loader fills ``priority`` from ``metiers.json`` (``flask init``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_metier_vocabulary"
down_revision: str | Sequence[str] | None = "0008_one_line_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("metiers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column(
            "diploma_code", existing_type=sa.String(length=16), type_=sa.String(length=40)
        )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.alter_column(
            "diploma", existing_type=sa.String(length=16), type_=sa.String(length=40)
        )
    op.create_table(
        "metier_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_metier_mappings_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["metier_code"],
            ["metiers.code"],
            name=op.f("fk_metier_mappings_metier_code_metiers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metier_mappings")),
        sa.UniqueConstraint("normalized", name=op.f("uq_metier_mappings_normalized")),
    )


def downgrade() -> None:
    op.drop_table("metier_mappings")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.alter_column(
            "diploma", existing_type=sa.String(length=40), type_=sa.String(length=16)
        )
    with op.batch_alter_table("metiers", schema=None) as batch_op:
        batch_op.alter_column(
            "diploma_code", existing_type=sa.String(length=40), type_=sa.String(length=16)
        )
        batch_op.drop_column("priority")
