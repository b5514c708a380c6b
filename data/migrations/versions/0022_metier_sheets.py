"""métier sheets: the team's text on each métier and its versions (issue 18)

Revision ID: 0022_metier_sheets
Revises: 0021_pay_grid
Create Date: 2026-12-04 15:00:00

``metier_sheets`` holds one sheet per métier (Markdown body, sources, last edit);
``metier_sheet_versions`` every saved state of it (each edit, seed and restore adds one).
The shipped seed texts are loaded with the reference data, not by this migration.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_metier_sheets"
down_revision: str | Sequence[str] | None = "0021_pay_grid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "metier_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["metier_code"],
            ["metiers.code"],
            name=op.f("fk_metier_sheets_metier_code_metiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_metier_sheets_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metier_sheets")),
        sa.UniqueConstraint("metier_code", name=op.f("uq_metier_sheets_metier_code")),
    )
    op.create_table(
        "metier_sheet_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restored_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_metier_sheet_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["metier_sheets.id"],
            name=op.f("fk_metier_sheet_versions_sheet_id_metier_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metier_sheet_versions")),
    )
    with op.batch_alter_table("metier_sheet_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_metier_sheet_versions_sheet_id"), ["sheet_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("metier_sheet_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_metier_sheet_versions_sheet_id"))
    op.drop_table("metier_sheet_versions")
    op.drop_table("metier_sheets")
