"""contract breaks: who ended a signed contract, why, and whether after the 45 days (issue 19)

Revision ID: 0027_contract_breaks
Revises: 0026_library_digest
Create Date: 2026-12-04 17:40:00

``suggestions.broken_by`` (the employer, the apprentice, or both by agreement), ``broken_cause``
(a short list; the free text stays in ``broken_reason``) and ``broken_after_trial`` (whether the
rupture came after the first 45 days of practical training). Each may be unknown: the ruptures
recorded before keep only their day and their text.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_contract_breaks"
down_revision: str | Sequence[str] | None = "0026_library_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIES = ("employer", "apprentice", "mutual")
CAUSES = (
    "metier",
    "working_conditions",
    "relationship",
    "training",
    "mobility",
    "conduct",
    "other_job",
    "employer_closed",
    "personal",
    "other",
)


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=False, length=32)


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("broken_by", _enum("break_party", PARTIES), nullable=True))
        batch_op.add_column(sa.Column("broken_cause", _enum("break_cause", CAUSES), nullable=True))
        batch_op.add_column(sa.Column("broken_after_trial", sa.Boolean(), nullable=True))
    # The enums' checks, once the columns exist (SQLite's batch copy would check them too early).
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_check_constraint("break_party", _check("broken_by", PARTIES))
        batch_op.create_check_constraint("break_cause", _check("broken_cause", CAUSES))


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_suggestions_break_cause"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_suggestions_break_party"), type_="check")
        batch_op.drop_column("broken_after_trial")
        batch_op.drop_column("broken_cause")
        batch_op.drop_column("broken_by")
