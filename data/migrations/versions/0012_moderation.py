"""moderation: structures checked by a coordinator, offers held back (issue 15)

Revision ID: 0012_moderation
Revises: 0011_pair_story
Create Date: 2026-12-03 22:40:00

``employers`` gets ``check_status`` (to_check, checked, suspended), ``checked_at``,
``checked_by_id`` and ``suspended_reason``: the structures registered before are taken as
checked (they were published without a check). ``offers.status`` takes three values that hold a
published offer back: ``pending_check``, ``suspended``, ``withdrawn``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0012_moderation"
down_revision: str | Sequence[str] | None = "0011_pair_story"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_offers_offer_status"
_BEFORE = ("draft", "published", "filled", "closed", "expired")
_AFTER = (*_BEFORE, "pending_check", "suspended", "withdrawn")
_STRUCTURE_CHECK = ("to_check", "checked", "suspended")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="offer_status", native_enum=False, create_constraint=False, length=32
    )


def _swap_status(batch_op: BatchOperations, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Let the offer status column take the ``new`` values (its CHECK constraint made again)."""
    batch_op.drop_constraint(op.f(_CHECK), type_="check")
    batch_op.alter_column(
        "status", existing_type=_status(old), type_=_status(new), existing_nullable=False
    )
    allowed = ", ".join(f"'{v}'" for v in new)
    batch_op.create_check_constraint("offer_status", sa.text(f"status IN ({allowed})"))


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        _swap_status(batch_op, _BEFORE, _AFTER)
    with op.batch_alter_table("employers", schema=None) as batch_op:
        # Existing structures are checked; the server default only fills them, then goes.
        batch_op.add_column(
            sa.Column(
                "check_status",
                sa.Enum(
                    *_STRUCTURE_CHECK,
                    name="structure_check",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="checked",
            )
        )
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=1000), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_employers_checked_by_id_users"),
            "users",
            ["checked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_employers_check_status"), ["check_status"], unique=False
        )
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.alter_column("check_status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employers_check_status"))
        batch_op.drop_constraint(op.f("fk_employers_checked_by_id_users"), type_="foreignkey")
        batch_op.drop_column("suspended_reason")
        batch_op.drop_column("checked_by_id")
        batch_op.drop_column("checked_at")
        batch_op.drop_constraint(op.f("ck_employers_structure_check"), type_="check")
        batch_op.drop_column("check_status")
    # Held offers go back to the nearest status left: waiting ones to drafts, the others closed.
    op.execute("UPDATE offers SET status = 'draft' WHERE status = 'pending_check'")
    op.execute("UPDATE offers SET status = 'closed' WHERE status IN ('suspended', 'withdrawn')")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        _swap_status(batch_op, _AFTER, _BEFORE)
