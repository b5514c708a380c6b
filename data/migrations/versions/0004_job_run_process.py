"""job runs: process and host, error id, interrupted status (jobs)

Revision ID: 0004_job_run_process
Revises: 0003_mail_jobs
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0004_job_run_process"
down_revision: str | Sequence[str] | None = "0003_mail_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_job_runs_job_run_status"
_BEFORE = ("running", "success", "failed")
_AFTER = (*_BEFORE, "interrupted")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="job_run_status", native_enum=False, create_constraint=False, length=32
    )


def _swap_status(batch_op: BatchOperations, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Let the status column take the ``new`` values (its CHECK constraint made again)."""
    batch_op.drop_constraint(op.f(_CHECK), type_="check")
    batch_op.alter_column(
        "status", existing_type=_status(old), type_=_status(new), existing_nullable=False
    )
    allowed = ", ".join(f"'{v}'" for v in new)
    batch_op.create_check_constraint("job_run_status", sa.text(f"status IN ({allowed})"))


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        _swap_status(batch_op, _BEFORE, _AFTER)
    # Runs recorded before kept the exception's text (SQL, parameters) for coordinators to read:
    # the details belong in the log, the page gets a sentence.
    op.execute(
        "UPDATE job_runs SET status = 'interrupted' WHERE status = 'failed' "
        "AND error LIKE 'Interrompu%'"
    )
    op.execute(
        "UPDATE job_runs SET error = 'Erreur inattendue.' "
        "WHERE status = 'failed' AND error IS NOT NULL"
    )
    op.execute(
        "UPDATE job_runs SET error = 'Le processus s''est arrêté avant la fin.' "
        "WHERE status = 'interrupted'"
    )


def downgrade() -> None:
    op.execute("UPDATE job_runs SET status = 'failed' WHERE status = 'interrupted'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        _swap_status(batch_op, _AFTER, _BEFORE)
        batch_op.drop_column("host")
        batch_op.drop_column("pid")
        batch_op.drop_column("error_id")
