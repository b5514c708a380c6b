"""legal rules: the delays and limits of the apprenticeship as dated reference rows (issue 19)

Revision ID: 0028_legal_rules
Revises: 0027_contract_breaks
Create Date: 2026-12-04 18:00:00

``legal_rules``: a rule's value (days, working days, apprentices) from a day, with its source; the
shipped rows are loaded with the rest of the reference data (``data.reference``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_legal_rules"
down_revision: str | Sequence[str] | None = "0027_contract_breaks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = (
    "trial_days",
    "opco_deposit_days",
    "master_max_apprentices",
    "master_extra_repeating",
    "exam_leave_days",
)


def upgrade() -> None:
    op.create_table(
        "legal_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "key",
            sa.Enum(*KEYS, name="rule_key", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("value", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("value >= 0", name=op.f("ck_legal_rules_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_legal_rules_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_rules")),
        sa.UniqueConstraint("key", "valid_from", name=op.f("uq_legal_rules_key_valid_from")),
    )
    op.create_index(op.f("ix_legal_rules_created_by_id"), "legal_rules", ["created_by_id"])
    op.create_index(op.f("ix_legal_rules_valid_from"), "legal_rules", ["valid_from"])


def downgrade() -> None:
    op.drop_index(op.f("ix_legal_rules_valid_from"), table_name="legal_rules")
    op.drop_index(op.f("ix_legal_rules_created_by_id"), table_name="legal_rules")
    op.drop_table("legal_rules")
