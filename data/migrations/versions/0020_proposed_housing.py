"""proposed housing: where the engine houses each suggestion's candidate (issue 17)

Revision ID: 0020_proposed_housing
Revises: 0019_housing_survey
Create Date: 2026-12-04 13:50:00

``suggestions.housing_source`` (the offer's own beds, or a resource near it; none when the
candidate needs no housing or no bed fits), ``proposed_housing_id`` (the resource; back to none
when it is deleted) and ``proposed_housing_km`` (from the offer's site to the resource). The
pairs of a candidate who needs housing on an offer with beds of its own are housed by the offer.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_proposed_housing"
down_revision: str | Sequence[str] | None = "0019_housing_survey"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "housing_source",
                sa.Enum(
                    "offer",
                    "resource",
                    name="housing_source",
                    native_enum=False,
                    create_constraint=False,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("proposed_housing_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proposed_housing_km", sa.Float(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_suggestions_proposed_housing_id"), ["proposed_housing_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_suggestions_proposed_housing_id_housing_resources"),
            "housing_resources",
            ["proposed_housing_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # The pairs computed before: a candidate who needs housing was housed by the offer's own beds
    # (the next recomputation says where, resources included).
    op.execute(
        "UPDATE suggestions SET housing_source = 'offer' WHERE"
        " request_id IN (SELECT id FROM requests WHERE needs_housing)"
        " AND offer_id IN (SELECT id FROM offers WHERE housing_beds > 0)"
    )
    # The enum's check, once the column exists (SQLite's batch copy would check it too early).
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "housing_source", "housing_source IN ('offer', 'resource')"
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_suggestions_housing_source"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_suggestions_proposed_housing_id_housing_resources"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_suggestions_proposed_housing_id"))
        batch_op.drop_column("proposed_housing_km")
        batch_op.drop_column("proposed_housing_id")
        batch_op.drop_column("housing_source")
