"""housing survey: campaigns asking structures whether they can house an apprentice (issue 17)

Revision ID: 0019_housing_survey
Revises: 0018_housing_resources
Create Date: 2026-12-04 13:33:14

``housing_surveys``: the campaigns (title, message, the filter that chose the structures, sent,
closing day, closed, reminder rounds); ``housing_survey_invites``: one structure asked by one
campaign (unique), where the mail went, its reminders and its answer; ``housing_survey_links``:
the SHA-256 of each mailed link's token. New tables only: the downgrade drops them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_housing_survey"
down_revision: str | Sequence[str] | None = "0018_housing_resources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "housing_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminder_rounds", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_housing_surveys_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_surveys")),
    )
    op.create_table(
        "housing_survey_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "answer",
            sa.Enum(
                "yes",
                "no",
                "maybe",
                name="housing_answer",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
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
                name="housing_survey_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("beds", sa.Integer(), nullable=True),
        sa.Column("monthly_cost_eur", sa.Integer(), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.String(length=1000), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "beds IS NULL OR beds >= 0", name=op.f("ck_housing_survey_invites_beds_non_negative")
        ),
        sa.CheckConstraint(
            "monthly_cost_eur IS NULL OR monthly_cost_eur >= 0",
            name=op.f("ck_housing_survey_invites_cost_non_negative"),
        ),
        sa.CheckConstraint(
            "reminders >= 0", name=op.f("ck_housing_survey_invites_reminders_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
            name=op.f("fk_housing_survey_invites_commune_insee_communes"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_housing_survey_invites_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["housing_resources.id"],
            name=op.f("fk_housing_survey_invites_resource_id_housing_resources"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_housing_survey_invites_site_id_sites"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["housing_surveys.id"],
            name=op.f("fk_housing_survey_invites_survey_id_housing_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_housing_survey_invites")),
        sa.UniqueConstraint(
            "survey_id", "employer_id", name=op.f("uq_housing_survey_invites_survey_id_employer_id")
        ),
    )
    with op.batch_alter_table("housing_survey_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_survey_invites_employer_id"), ["employer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_housing_survey_invites_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "housing_survey_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invite_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invite_id"],
            ["housing_survey_invites.id"],
            name=op.f("fk_housing_survey_links_invite_id_housing_survey_invites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_housing_survey_links")),
    )
    with op.batch_alter_table("housing_survey_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_housing_survey_links_invite_id"), ["invite_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("housing_survey_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_survey_links_invite_id"))

    op.drop_table("housing_survey_links")
    with op.batch_alter_table("housing_survey_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_housing_survey_invites_survey_id"))
        batch_op.drop_index(batch_op.f("ix_housing_survey_invites_employer_id"))

    op.drop_table("housing_survey_invites")
    op.drop_table("housing_surveys")
