"""api tokens: a staff token names its account and stops with it (issue 12)

Revision ID: 0007_api_token_account
Revises: 0006_structure_join_requests
Create Date: 2026-12-03 12:30:00

Staff tokens made before this revision named no account, so nothing could stop them with one: they
are revoked here, and an admin makes new ones with ``tokens create --role ROLE --email E``.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007_api_token_account"
down_revision: str | Sequence[str] | None = "0006_structure_join_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAFF_ACCOUNT = (
    "role NOT IN ('coordinator', 'admin') OR user_id IS NOT NULL OR revoked_at IS NOT NULL"
)


def upgrade() -> None:
    tokens = sa.table(
        "api_tokens",
        sa.column("role", sa.String),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        tokens.update()
        .where(tokens.c.role.in_(["coordinator", "admin"]), tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_tokens_user_id_users"),
            "users",
            ["user_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
        batch_op.create_check_constraint("staff_account", sa.text(_STAFF_ACCOUNT))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_api_tokens_staff_account"), type_="check")
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
        batch_op.drop_constraint(batch_op.f("fk_api_tokens_user_id_users"), type_="foreignkey")
        batch_op.drop_column("user_id")
