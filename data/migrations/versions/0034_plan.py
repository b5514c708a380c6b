"""the plan's tracker: axes, actions, budget lines, indicators and their values (issue 20)

Revision ID: 0034_plan
Revises: 0033_observatory
Create Date: 2026-12-04 19:30:00

``plan_axes`` (the plan's four axes and the number of actions each announces), ``plan_actions``
(title, description, lead, partners, status, dates, source, the key of a shipped example, who
created and last edited it), ``plan_budget_lines`` (year, amount in cents, co-funder),
``plan_indicators`` (an observatory indicator by its key, or one kept by hand: name, unit) and
``plan_indicator_values`` (the dated values of an indicator kept by hand, who entered them).
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0034_plan"
down_revision: str | Sequence[str] | None = "0033_observatory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("planned", "in_progress", "done", "abandoned")
FUNDERS = ("departement", "cnsa", "ddets", "region", "other")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _user_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def _action_fk(table: str) -> sa.ForeignKeyConstraint:
    """The action a row belongs to (removed with it)."""
    return sa.ForeignKeyConstraint(
        ["action_id"],
        ["plan_actions.id"],
        name=op.f(f"fk_{table}_action_id_plan_actions"),
        ondelete="CASCADE",
    )


def _stamp(name: str) -> "sa.Column[datetime]":
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "plan_axes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("announced_actions", sa.Integer(), nullable=False),
        sa.CheckConstraint("number BETWEEN 1 AND 4", name=op.f("ck_plan_axes_number_range")),
        sa.CheckConstraint(
            "announced_actions >= 0", name=op.f("ck_plan_axes_announced_non_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_axes")),
        sa.UniqueConstraint("number", name=op.f("uq_plan_axes_number")),
    )
    op.create_table(
        "plan_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lead", sa.String(length=200), nullable=False),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("status", _enum("plan_action_status", STATUSES), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("seed_key", sa.String(length=64), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["axis_id"], ["plan_axes.id"], name=op.f("fk_plan_actions_axis_id_plan_axes")
        ),
        _user_fk("created_by_id", "plan_actions"),
        _user_fk("updated_by_id", "plan_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_actions")),
        sa.UniqueConstraint("seed_key", name=op.f("uq_plan_actions_seed_key")),
    )
    op.create_index(op.f("ix_plan_actions_axis_id"), "plan_actions", ["axis_id"])
    op.create_table(
        "plan_budget_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("funder", _enum("plan_co_funder", FUNDERS), nullable=False),
        sa.Column("funder_name", sa.String(length=200), nullable=False),
        _stamp("updated_at"),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_plan_budget_lines_amount_positive")),
        sa.CheckConstraint(
            "year BETWEEN 2000 AND 2100", name=op.f("ck_plan_budget_lines_year_range")
        ),
        _action_fk("plan_budget_lines"),
        _user_fk("updated_by_id", "plan_budget_lines"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_budget_lines")),
    )
    op.create_index(op.f("ix_plan_budget_lines_action_id"), "plan_budget_lines", ["action_id"])
    op.create_table(
        "plan_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("observatory_key", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=False),
        _stamp("created_at"),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "observatory_key IS NOT NULL OR name IS NOT NULL",
            name=op.f("ck_plan_indicators_linked_or_named"),
        ),
        _action_fk("plan_indicators"),
        _user_fk("created_by_id", "plan_indicators"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicators")),
    )
    op.create_index(op.f("ix_plan_indicators_action_id"), "plan_indicators", ["action_id"])
    op.create_table(
        "plan_indicator_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("measured_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=2), nullable=False),
        _stamp("entered_at"),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["plan_indicators.id"],
            name=op.f("fk_plan_indicator_values_indicator_id_plan_indicators"),
            ondelete="CASCADE",
        ),
        _user_fk("entered_by_id", "plan_indicator_values"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_indicator_values")),
    )
    op.create_index(
        op.f("ix_plan_indicator_values_indicator_id"), "plan_indicator_values", ["indicator_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_plan_indicator_values_indicator_id"), table_name="plan_indicator_values")
    op.drop_table("plan_indicator_values")
    op.drop_index(op.f("ix_plan_indicators_action_id"), table_name="plan_indicators")
    op.drop_table("plan_indicators")
    op.drop_index(op.f("ix_plan_budget_lines_action_id"), table_name="plan_budget_lines")
    op.drop_table("plan_budget_lines")
    op.drop_index(op.f("ix_plan_actions_axis_id"), table_name="plan_actions")
    op.drop_table("plan_actions")
    op.drop_table("plan_axes")
