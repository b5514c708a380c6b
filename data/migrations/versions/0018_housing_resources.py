"""housing resources: the inventory of housing for apprentices (issue 17)

Revision ID: 0018_housing_resources
Revises: 0017_notified_sessions
Create Date: 2026-12-04 13:27:25

``housing_resources`` replaces ``housings``: beds of one kind at one place, managed by a
structure, a training centre or a partner, with their cost, aids, conditions, contact and
whether they are published; ``housing_periods`` their availability. Every bed a site declared
becomes a resource of that structure on that site (same beds, cost and notes; the kind
``studio_on_site`` is now ``esms_room``), unpublished: offers keep the beds they reserve
(``offers.housing_beds`` counts against the site's resources, as it counted against its
housings). The downgrade gives the sites back their housings and drops the other resources.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_housing_resources"
down_revision: str | Sequence[str] | None = "0017_notified_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "housing_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "esms_room",
                "fjt",
                "boarding",
                "student_residence",
                "host_family",
                "intergenerational",
                "social_landlord",
                "other",
                name="housing_resource_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("employer_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("centre_id", sa.Integer(), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("beds", sa.Integer(), nullable=False),
        sa.Column("beds_taken", sa.Integer(), nullable=False),
        sa.Column("monthly_cost_eur", sa.Integer(), nullable=True),
        sa.Column("cost_includes", sa.String(length=300), nullable=True),
        sa.Column("aids", sa.JSON(), nullable=False),
        sa.Column("min_age", sa.Integer(), nullable=True),
        sa.Column("max_age", sa.Integer(), nullable=True),
        sa.Column("apprentices_only", sa.Boolean(), nullable=False),
        sa.Column("min_stay_months", sa.Integer(), nullable=True),
        sa.Column("max_stay_months", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(CASE WHEN employer_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN centre_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN partner_name IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_housing_resources_one_manager"),
        ),
        sa.CheckConstraint("beds >= 0", name=op.f("ck_housing_resources_beds_non_negative")),
        sa.CheckConstraint(
            "beds_taken >= 0 AND beds_taken <= beds",
            name=op.f("ck_housing_resources_beds_taken_range"),
        ),
        sa.CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
            name=op.f("ck_housing_resources_age_range"),
        ),
        sa.CheckConstraint(
            "min_stay_months IS NULL OR max_stay_months IS NULL OR min_stay_months <= max_stay_months",
            name=op.f("ck_housing_resources_stay_range"),
        ),
        sa.CheckConstraint(
            "monthly_cost_eur IS NULL OR monthly_cost_eur >= 0",
            name=op.f("ck_housing_resources_cost_non_negative"),
        ),
        sa.CheckConstraint(
            "site_id IS NULL OR employer_id IS NOT NULL",
            name=op.f("ck_housing_resources_site_of_employer"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["training_centres.id"],
            name=op.f("fk_housing_resources_centre_id_training_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
            name=op.f("fk_housing_resources_commune_insee_communes"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_housing_resources_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_housing_resources_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_resources")),
    )
    with op.batch_alter_table("housing_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_resources_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_housing_resources_commune_insee"), ["commune_insee"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_housing_resources_employer_id"), ["employer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_housing_resources_site_id"), ["site_id"], unique=False)

    op.create_table(
        "housing_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_housing_periods_period_order")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["housing_resources.id"],
            name=op.f("fk_housing_periods_resource_id_housing_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_periods")),
    )
    with op.batch_alter_table("housing_periods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_periods_resource_id"), ["resource_id"], unique=False
        )

    op.execute(
        "INSERT INTO housing_resources (name, kind, employer_id, site_id, commune_insee,"
        " address, beds, beds_taken, monthly_cost_eur, aids, apprentices_only, notes,"
        " published, created_at, updated_at)"
        " SELECT s.name, CASE h.kind WHEN 'studio_on_site' THEN 'esms_room' ELSE h.kind END,"
        " s.employer_id, s.id, s.commune_insee, s.address, h.beds, 0, h.monthly_cost_eur, '[]',"
        " false, h.notes, false, s.created_at, s.created_at"
        " FROM housings h JOIN sites s ON s.id = h.site_id ORDER BY h.id"
    )
    with op.batch_alter_table("housings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housings_site_id"))

    op.drop_table("housings")


def downgrade() -> None:
    op.create_table(
        "housings",
        sa.Column("id", sa.INTEGER(), nullable=False),
        sa.Column("site_id", sa.INTEGER(), nullable=False),
        sa.Column("kind", sa.VARCHAR(length=32), nullable=False),
        sa.Column("beds", sa.INTEGER(), nullable=False),
        sa.Column("monthly_cost_eur", sa.INTEGER(), nullable=True),
        sa.Column("notes", sa.VARCHAR(length=500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('studio_on_site', 'fjt', 'host_family', 'other')",
            name=op.f("ck_housings_housing_kind"),
        ),
        sa.CheckConstraint("beds >= 0", name=op.f("ck_housings_beds_non_negative")),
        sa.CheckConstraint(
            "monthly_cost_eur IS NULL OR monthly_cost_eur >= 0",
            name=op.f("ck_housings_cost_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_housings_site_id_sites"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housings")),
    )
    with op.batch_alter_table("housings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_housings_site_id"), ["site_id"], unique=False)
    op.execute(
        "INSERT INTO housings (site_id, kind, beds, monthly_cost_eur, notes)"
        " SELECT site_id, CASE kind WHEN 'esms_room' THEN 'studio_on_site'"
        " WHEN 'fjt' THEN 'fjt' WHEN 'host_family' THEN 'host_family' ELSE 'other' END,"
        " beds, monthly_cost_eur, notes FROM housing_resources"
        " WHERE site_id IS NOT NULL ORDER BY id"
    )

    with op.batch_alter_table("housing_periods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_periods_resource_id"))

    op.drop_table("housing_periods")
    with op.batch_alter_table("housing_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_resources_site_id"))
        batch_op.drop_index(batch_op.f("ix_housing_resources_employer_id"))
        batch_op.drop_index(batch_op.f("ix_housing_resources_commune_insee"))
        batch_op.drop_index(batch_op.f("ix_housing_resources_centre_id"))

    op.drop_table("housing_resources")
