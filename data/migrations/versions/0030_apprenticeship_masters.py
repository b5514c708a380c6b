"""apprenticeship masters: a structure's maîtres d'apprentissage, named on its offers (issue 19)

Revision ID: 0030_apprenticeship_masters
Revises: 0029_discovery
Create Date: 2026-12-04 16:40:00

``apprenticeship_masters`` (a structure's masters: name, role, diploma, years of experience,
apprentices supervised outside the platform), and ``offers.master_id``, which falls back to none
when the master is deleted. The legal limit is a row of ``legal_rules`` (0028).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_apprenticeship_masters"
down_revision: str | Sequence[str] | None = "0029_discovery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apprenticeship_masters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("diploma", sa.String(length=200), nullable=False),
        sa.Column("experience_years", sa.Integer(), nullable=False),
        sa.Column("supervised_elsewhere", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "experience_years BETWEEN 0 AND 60",
            name=op.f("ck_apprenticeship_masters_experience_range"),
        ),
        sa.CheckConstraint(
            "supervised_elsewhere >= 0",
            name=op.f("ck_apprenticeship_masters_supervised_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_apprenticeship_masters_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apprenticeship_masters")),
    )
    op.create_index(
        op.f("ix_apprenticeship_masters_employer_id"),
        "apprenticeship_masters",
        ["employer_id"],
        unique=False,
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("master_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_offers_master_id"), ["master_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_master_id_apprenticeship_masters"),
            "apprenticeship_masters",
            ["master_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_offers_master_id_apprenticeship_masters"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_offers_master_id"))
        batch_op.drop_column("master_id")
    op.drop_index(
        op.f("ix_apprenticeship_masters_employer_id"), table_name="apprenticeship_masters"
    )
    op.drop_table("apprenticeship_masters")
