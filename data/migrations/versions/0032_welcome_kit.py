"""welcome kit: templates coordinators edit, each pair's kit and its checklist (issue 19)

Revision ID: 0032_welcome_kit
Revises: 0031_checkins
Create Date: 2026-12-04 18:00:00

``kit_templates`` and ``kit_template_versions`` (the booklet's sections and the checklist's items,
every edit a version), ``welcome_kits`` (one per pair), ``welcome_kit_items`` (the checklist as
built: label, phase, due date, who ticked it and when, when the structure was told it is late),
``kit_item_nudges`` (each overdue item told once per recipient); and the legal rule
``paid_leave_days_per_month`` added to ``legal_rules.key``'s check.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_welcome_kit"
down_revision: str | Sequence[str] | None = "0031_checkins"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KEYS = (
    "trial_days",
    "opco_deposit_days",
    "master_max_apprentices",
    "master_extra_repeating",
    "exam_leave_days",
)
KEYS = (*OLD_KEYS, "paid_leave_days_per_month")
PARTS = ("booklet", "checklist")
PHASES = (
    "before_arrival",
    "first_day",
    "first_week",
    "first_month",
    "before_centre",
    "day_45",
    "mid_year",
)


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _check(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _user_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="SET NULL"
    )


def _rule_check(keys: tuple[str, ...]) -> None:
    with op.batch_alter_table("legal_rules", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_legal_rules_rule_key"), type_="check")
    with op.batch_alter_table("legal_rules", schema=None) as batch_op:
        batch_op.create_check_constraint("rule_key", _check("key", keys))


def upgrade() -> None:
    _rule_check(KEYS)
    op.create_table(
        "kit_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("part", _enum("kit_part", PARTS), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("phase", _enum("kit_phase", PHASES), nullable=True),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("rule_key", _enum("kit_rule_key", KEYS), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        _user_fk("updated_by_id", "kit_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_templates")),
        sa.UniqueConstraint("key", name=op.f("uq_kit_templates_key")),
    )
    op.create_table(
        "kit_template_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("phase", _enum("kit_phase", PHASES), nullable=True),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("rule_key", _enum("kit_rule_key", KEYS), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restored_from_id", sa.Integer(), nullable=True),
        _user_fk("author_id", "kit_template_versions"),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["kit_templates.id"],
            name=op.f("fk_kit_template_versions_template_id_kit_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_template_versions")),
    )
    op.create_index(
        op.f("ix_kit_template_versions_template_id"), "kit_template_versions", ["template_id"]
    )
    op.create_table(
        "welcome_kits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=True),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _user_fk("created_by_id", "welcome_kits"),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
            name=op.f("fk_welcome_kits_suggestion_id_suggestions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_welcome_kits")),
        sa.UniqueConstraint("suggestion_id", name=op.f("uq_welcome_kits_suggestion_id")),
    )
    op.create_table(
        "welcome_kit_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_id", sa.Integer(), nullable=False),
        sa.Column("template_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("phase", _enum("kit_phase", PHASES), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("rule_key", _enum("kit_rule_key", KEYS), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("nudged_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("done_by_id", "welcome_kit_items"),
        sa.ForeignKeyConstraint(
            ["kit_id"],
            ["welcome_kits.id"],
            name=op.f("fk_welcome_kit_items_kit_id_welcome_kits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_welcome_kit_items")),
        sa.UniqueConstraint(
            "kit_id", "template_key", name=op.f("uq_welcome_kit_items_kit_id_template_key")
        ),
    )
    op.create_index(op.f("ix_welcome_kit_items_kit_id"), "welcome_kit_items", ["kit_id"])
    op.create_index(op.f("ix_welcome_kit_items_due_on"), "welcome_kit_items", ["due_on"])
    op.create_table(
        "kit_item_nudges",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["welcome_kit_items.id"],
            name=op.f("fk_kit_item_nudges_item_id_welcome_kit_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "recipient", name=op.f("pk_kit_item_nudges")),
    )


def downgrade() -> None:
    op.drop_table("kit_item_nudges")
    op.drop_index(op.f("ix_welcome_kit_items_due_on"), table_name="welcome_kit_items")
    op.drop_index(op.f("ix_welcome_kit_items_kit_id"), table_name="welcome_kit_items")
    op.drop_table("welcome_kit_items")
    op.drop_table("welcome_kits")
    op.drop_index(op.f("ix_kit_template_versions_template_id"), table_name="kit_template_versions")
    op.drop_table("kit_template_versions")
    op.drop_table("kit_templates")
    op.execute(sa.text("DELETE FROM legal_rules WHERE key = 'paid_leave_days_per_month'"))
    _rule_check(OLD_KEYS)
