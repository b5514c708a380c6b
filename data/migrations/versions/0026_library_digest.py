"""library digest: the mallette's news in the digests of those who ask for them (issue 18)

Revision ID: 0026_library_digest
Revises: 0023_library
Create Date: 2026-12-04 17:10:00

``users.library_news_since``: when a person asked for the mallette's news in their digests (none:
not asked). ``mail_notified_library``: each resource a digest told a recipient of, with the
version told (the resource's ``updated_at``), so that one version is never told twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_library_digest"
down_revision: str | Sequence[str] | None = "0023_library"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("library_news_since", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "mail_notified_library",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("stamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resources.id"],
            name=op.f("fk_mail_notified_library_resource_id_library_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "recipient", name=op.f("pk_mail_notified_library")),
    )
    op.create_index(
        "ix_mail_notified_library_recipient", "mail_notified_library", ["recipient"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mail_notified_library_recipient", table_name="mail_notified_library")
    op.drop_table("mail_notified_library")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("library_news_since")
