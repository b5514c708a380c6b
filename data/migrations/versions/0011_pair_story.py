"""pair story: interview, contract details, rupture of a signed contract (issue 15)

Revision ID: 0011_pair_story
Revises: 0010_candidate_interest
Create Date: 2026-12-03 22:30:00

``suggestions`` gets the pair's story as the coordination tells it: the interview's day, time and
place; the signed contract's dates, training centre and kind; the rupture's day and reason. Its
``status`` takes a new value, ``broken``: a signed contract that broke off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0011_pair_story"
down_revision: str | Sequence[str] | None = "0010_candidate_interest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_suggestions_suggestion_status"
_BEFORE = (
    "proposed",
    "approved",
    "rejected",
    "contacted",
    "interview",
    "contract_signed",
    "abandoned",
)
_AFTER = (*_BEFORE, "broken")
_COLUMNS = (
    "interview_on",
    "interview_time",
    "interview_place",
    "contract_signed_on",
    "contract_start_on",
    "training_centre",
    "contract_kind",
    "broken_on",
    "broken_reason",
)


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="suggestion_status", native_enum=False, create_constraint=False, length=32
    )


def _swap_status(batch_op: BatchOperations, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Let the status column take the ``new`` values (its CHECK constraint made again)."""
    batch_op.drop_constraint(op.f(_CHECK), type_="check")
    batch_op.alter_column(
        "status", existing_type=_status(old), type_=_status(new), existing_nullable=False
    )
    allowed = ", ".join(f"'{v}'" for v in new)
    batch_op.create_check_constraint("suggestion_status", sa.text(f"status IN ({allowed})"))


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        _swap_status(batch_op, _BEFORE, _AFTER)
        batch_op.add_column(sa.Column("interview_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("interview_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("interview_place", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("contract_signed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("contract_start_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("training_centre", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "contract_kind",
                sa.Enum(
                    "apprentissage",
                    "professionnalisation",
                    name="contract_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("broken_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("broken_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # A broken contract was signed: the nearest meaning left is the signed contract.
    op.execute("UPDATE suggestions SET status = 'contract_signed' WHERE status = 'broken'")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_suggestions_contract_kind"), type_="check")
        for column in reversed(_COLUMNS):
            batch_op.drop_column(column)
        _swap_status(batch_op, _AFTER, _BEFORE)
