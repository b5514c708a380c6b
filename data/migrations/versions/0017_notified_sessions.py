"""notified sessions: a training session's closing deadline mailed once per recipient (issue 16)

Revision ID: 0017_notified_sessions
Revises: 0016_proposed_centre
Create Date: 2026-12-04 07:20:00

``mail_notified_sessions`` (session, recipient): the candidates' digest claims each
(session, recipient) there with ``ON CONFLICT DO NOTHING`` in the transaction of the mail, as
``mail_notified_suggestions`` does for suggestions; rows go with the session (cascade) and with
the person (erasure).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_notified_sessions"
down_revision: str | Sequence[str] | None = "0016_proposed_centre"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_notified_sessions",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_mail_notified_sessions_session_id_training_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "recipient", name=op.f("pk_mail_notified_sessions")),
    )
    with op.batch_alter_table("mail_notified_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_mail_notified_sessions_recipient", ["recipient"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mail_notified_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_mail_notified_sessions_recipient")
    op.drop_table("mail_notified_sessions")
