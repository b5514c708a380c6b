"""candidate interest: a pair the candidate asks for from an offer page (issue 15)

Revision ID: 0010_candidate_interest
Revises: 0009_metier_vocabulary
Create Date: 2026-12-03 20:30:00

``suggestions.origin`` takes a third value, ``candidate``: the pair a candidate made with « Cette
offre m'intéresse » on a published offer, to be reviewed like the engine's. ``candidates`` gets
``presentation``: a few words of the person's own, shown to employers of approved pairs only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0010_candidate_interest"
down_revision: str | Sequence[str] | None = "0009_metier_vocabulary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_suggestions_suggestion_origin"
_BEFORE = ("engine", "manual")
_AFTER = (*_BEFORE, "candidate")


def _origin(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="suggestion_origin", native_enum=False, create_constraint=False, length=32
    )


def _swap_origin(batch_op: BatchOperations, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Let the origin column take the ``new`` values (its CHECK constraint made again)."""
    batch_op.drop_constraint(op.f(_CHECK), type_="check")
    batch_op.alter_column(
        "origin", existing_type=_origin(old), type_=_origin(new), existing_nullable=False
    )
    allowed = ", ".join(f"'{v}'" for v in new)
    batch_op.create_check_constraint("suggestion_origin", sa.text(f"origin IN ({allowed})"))


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        _swap_origin(batch_op, _BEFORE, _AFTER)
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presentation", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_column("presentation")
    # The pairs candidates asked for become the coordinators' own (the nearest meaning left).
    op.execute("UPDATE suggestions SET origin = 'manual' WHERE origin = 'candidate'")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        _swap_origin(batch_op, _AFTER, _BEFORE)
