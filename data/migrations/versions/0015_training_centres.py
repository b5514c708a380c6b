"""training centres: centres, their programmes and sessions, employers' centres (issue 16)

Revision ID: 0015_training_centres
Revises: 0014_candidate_cv
Create Date: 2026-12-04 04:15:27

``training_centres`` (name, kind, commune, address, website, contact, public transport),
``training_programmes`` (a centre's métier, diploma, by apprenticeship or not, duration, rhythm),
``training_sessions`` (a programme's intakes: dates, places, application window, selection),
``employer_training_centres`` (the centres an employer works with); ``offers.partner_centre_id``
and ``requests.training_centre_id`` name a centre, and fall back to none when it is deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_training_centres"
down_revision: str | Sequence[str] | None = "0014_candidate_cv"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "ifas_ifsi",
                "travail_social",
                "greta",
                "afpa",
                "cfa",
                "prive",
                "autre",
                name="centre_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column(
            "public_transport",
            sa.Enum(
                "yes",
                "no",
                "unknown",
                name="transit_access",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
            name=op.f("fk_training_centres_commune_insee_communes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_centres")),
    )
    with op.batch_alter_table("training_centres", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_centres_commune_insee"), ["commune_insee"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_centres_name"), ["name"], unique=False)

    op.create_table(
        "employer_training_centres",
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["training_centres.id"],
            name=op.f("fk_employer_training_centres_centre_id_training_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_employer_training_centres_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "employer_id", "centre_id", name=op.f("pk_employer_training_centres")
        ),
    )
    with op.batch_alter_table("employer_training_centres", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employer_training_centres_centre_id"), ["centre_id"], unique=False
        )

    op.create_table(
        "training_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.Column("diploma", sa.String(length=200), nullable=True),
        sa.Column("by_apprenticeship", sa.Boolean(), nullable=False),
        sa.Column("duration_months", sa.Integer(), nullable=True),
        sa.Column("rhythm", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_months IS NULL OR duration_months BETWEEN 1 AND 60",
            name=op.f("ck_training_programmes_duration_range"),
        ),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["training_centres.id"],
            name=op.f("fk_training_programmes_centre_id_training_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metier_code"],
            ["metiers.code"],
            name=op.f("fk_training_programmes_metier_code_metiers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_programmes")),
    )
    with op.batch_alter_table("training_programmes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_programmes_centre_id"), ["centre_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_programmes_metier_code"), ["metier_code"], unique=False
        )

    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("apprenticeship_places", sa.Integer(), nullable=True),
        sa.Column("applications_open_on", sa.Date(), nullable=True),
        sa.Column("application_deadline", sa.Date(), nullable=True),
        sa.Column("selection_dates", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "applications_open_on IS NULL OR application_deadline IS NULL OR application_deadline >= applications_open_on",
            name=op.f("ck_training_sessions_deadline_after_opening"),
        ),
        sa.CheckConstraint(
            "apprenticeship_places IS NULL OR apprenticeship_places >= 0",
            name=op.f("ck_training_sessions_places_non_negative"),
        ),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_training_sessions_end_after_start"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["training_programmes.id"],
            name=op.f("fk_training_sessions_programme_id_training_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_sessions_application_deadline"),
            ["application_deadline"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_training_sessions_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_sessions_start_date"), ["start_date"], unique=False
        )

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_centre_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_offers_partner_centre_id"), ["partner_centre_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_offers_partner_centre_id_training_centres"),
            "training_centres",
            ["partner_centre_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_centre_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_requests_training_centre_id"), ["training_centre_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_requests_training_centre_id_training_centres"),
            "training_centres",
            ["training_centre_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_requests_training_centre_id_training_centres"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_requests_training_centre_id"))
        batch_op.drop_column("training_centre_id")

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_offers_partner_centre_id_training_centres"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_offers_partner_centre_id"))
        batch_op.drop_column("partner_centre_id")

    with op.batch_alter_table("training_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_sessions_start_date"))
        batch_op.drop_index(batch_op.f("ix_training_sessions_programme_id"))
        batch_op.drop_index(batch_op.f("ix_training_sessions_application_deadline"))

    op.drop_table("training_sessions")
    with op.batch_alter_table("training_programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_programmes_metier_code"))
        batch_op.drop_index(batch_op.f("ix_training_programmes_centre_id"))

    op.drop_table("training_programmes")
    with op.batch_alter_table("employer_training_centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employer_training_centres_centre_id"))

    op.drop_table("employer_training_centres")
    with op.batch_alter_table("training_centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_centres_name"))
        batch_op.drop_index(batch_op.f("ix_training_centres_commune_insee"))

    op.drop_table("training_centres")
