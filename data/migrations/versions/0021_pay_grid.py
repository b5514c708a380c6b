"""pay grid: the SMIC and the apprentices' minimum pay grid, and a request's age band (issue 18)

Revision ID: 0021_pay_grid
Revises: 0020_proposed_housing
Create Date: 2026-12-04 15:00:00

``pay_grid`` (age band, contract year, percent of the SMIC, the day it holds from, its source)
and ``smic_values`` (gross monthly and hourly amounts in cents, from a day, source): reference
rows, a change is a new row. ``requests.age_band``: 16-17, 18-20, 21-25, 26+ or none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_pay_grid"
down_revision: str | Sequence[str] | None = "0020_proposed_housing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGE_BANDS = ("16-17", "18-20", "21-25", "26+")


def _age_band() -> sa.Enum:
    return sa.Enum(
        *AGE_BANDS,
        name="age_band",
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def upgrade() -> None:
    op.create_table(
        "pay_grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("age_band", _age_band(), nullable=False),
        sa.Column("contract_year", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "contract_year BETWEEN 1 AND 3", name=op.f("ck_pay_grid_contract_year_range")
        ),
        sa.CheckConstraint(
            "percent > 0 AND percent <= 200", name=op.f("ck_pay_grid_percent_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_pay_grid_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_grid")),
        sa.UniqueConstraint(
            "age_band",
            "contract_year",
            "valid_from",
            name=op.f("uq_pay_grid_age_band_contract_year_valid_from"),
        ),
    )
    op.create_index(op.f("ix_pay_grid_valid_from"), "pay_grid", ["valid_from"], unique=False)
    op.create_index(op.f("ix_pay_grid_created_by_id"), "pay_grid", ["created_by_id"], unique=False)
    op.create_table(
        "smic_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monthly_cents", sa.Integer(), nullable=False),
        sa.Column("hourly_cents", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("monthly_cents > 0", name=op.f("ck_smic_values_monthly_positive")),
        sa.CheckConstraint("hourly_cents > 0", name=op.f("ck_smic_values_hourly_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_smic_values_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smic_values")),
        sa.UniqueConstraint("valid_from", name=op.f("uq_smic_values_valid_from")),
    )
    op.create_index(
        op.f("ix_smic_values_created_by_id"), "smic_values", ["created_by_id"], unique=False
    )
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "age_band",
                sa.Enum(
                    *AGE_BANDS,
                    name="age_band",
                    native_enum=False,
                    create_constraint=False,
                    length=32,
                ),
                nullable=True,
            )
        )
    # The enum's check, once the column exists (SQLite's batch copy would check it too early).
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "age_band", "age_band IN ('16-17', '18-20', '21-25', '26+')"
        )


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_requests_age_band"), type_="check")
        batch_op.drop_column("age_band")
    op.drop_index(op.f("ix_smic_values_created_by_id"), table_name="smic_values")
    op.drop_table("smic_values")
    op.drop_index(op.f("ix_pay_grid_created_by_id"), table_name="pay_grid")
    op.drop_index(op.f("ix_pay_grid_valid_from"), table_name="pay_grid")
    op.drop_table("pay_grid")
