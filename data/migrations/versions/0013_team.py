"""team: an offer's contact person, and sign-in address changes waiting for their link (issue 15)

Revision ID: 0013_team
Revises: 0012_moderation
Create Date: 2026-12-03 22:40:00

``offers.contact_user_id`` names the person of the structure an offer's mails go to (none: the
structure's people, as before); it falls back to none when that account goes. ``email_changes``
holds the single-use, expiring links that confirm a new sign-in address.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_team"
down_revision: str | Sequence[str] | None = "0012_moderation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_offers_contact_user_id"), ["contact_user_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_contact_user_id_users"),
            "users",
            ["contact_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "email_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("old_email", sa.String(length=254), nullable=False),
        sa.Column("new_email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_email_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_changes")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_changes_token_hash")),
    )
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_changes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("email_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_changes_user_id"))
    op.drop_table("email_changes")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_offers_contact_user_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_offers_contact_user_id"))
        batch_op.drop_column("contact_user_id")
