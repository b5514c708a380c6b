"""discovery: the discovery days of issue 18, and the questionnaires answered by mail link

Revision ID: 0029_discovery
Revises: 0028_legal_rules
Create Date: 2026-12-04 16:17:47

A structure's discovery days, a person's wish, the matches the engine proposes and coordinators
review; and the generic single-use questionnaires (the discovery's feedback, issue 19's
check-ins later).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_discovery"
down_revision: str | Sequence[str] | None = "0028_legal_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
        sa.UniqueConstraint(
            "purpose",
            "subject_type",
            "subject_id",
            "side",
            name=op.f("uq_questionnaires_purpose_subject_type_subject_id_side"),
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_questionnaires_token_hash")),
    )
    op.create_index("ix_questionnaires_subject", "questionnaires", ["subject_type", "subject_id"])

    op.create_table(
        "discovery_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("places_taken", sa.Integer(), nullable=False),
        sa.Column("host_name", sa.String(length=200), nullable=False),
        sa.Column("host_role", sa.String(length=200), nullable=True),
        sa.Column("meeting_time", sa.Time(), nullable=True),
        sa.Column("meeting_place", sa.String(length=300), nullable=True),
        sa.Column("what_to_bring", sa.String(length=1000), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column(
            "status", _enum("discovery_day_status", "open", "closed", "cancelled"), nullable=False
        ),
        *_stamps(),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_discovery_days_dates_in_order")),
        sa.CheckConstraint("places >= 1", name=op.f("ck_discovery_days_places_positive")),
        sa.CheckConstraint(
            "places_taken >= 0 AND places_taken <= places",
            name=op.f("ck_discovery_days_places_taken_range"),
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"],
            ["employers.id"],
            name=op.f("fk_discovery_days_employer_id_employers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["metier_code"], ["metiers.code"], name=op.f("fk_discovery_days_metier_code_metiers")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_discovery_days_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_days")),
    )
    for column in ("employer_id", "metier_code", "site_id"):
        op.create_index(op.f(f"ix_discovery_days_{column}"), "discovery_days", [column])

    op.create_table(
        "discovery_wishes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("max_distance_km", sa.Integer(), nullable=False),
        sa.Column("free_from", sa.Date(), nullable=False),
        sa.Column("free_until", sa.Date(), nullable=False),
        sa.Column(
            "age_band",
            _enum("discovery_age_band", "16-17", "18-20", "21-25", "26+"),
            nullable=False,
        ),
        sa.Column("status", _enum("discovery_wish_status", "active", "closed"), nullable=False),
        *_stamps(),
        sa.CheckConstraint(
            "free_until >= free_from", name=op.f("ck_discovery_wishes_dates_in_order")
        ),
        sa.CheckConstraint(
            "max_distance_km BETWEEN 1 AND 300", name=op.f("ck_discovery_wishes_max_distance_range")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_discovery_wishes_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee"],
            name=op.f("fk_discovery_wishes_commune_insee_communes"),
        ),
        sa.ForeignKeyConstraint(
            ["metier_code"], ["metiers.code"], name=op.f("fk_discovery_wishes_metier_code_metiers")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_discovery_wishes_request_id_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_wishes")),
    )
    for column in ("candidate_id", "metier_code", "request_id"):
        op.create_index(op.f(f"ix_discovery_wishes_{column}"), "discovery_wishes", [column])

    op.create_table(
        "discovery_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wish_id", sa.Integer(), nullable=False),
        sa.Column("day_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("engine_version", sa.String(length=32), nullable=False),
        sa.Column(
            "origin", _enum("discovery_origin", "engine", "manual", "candidate"), nullable=False
        ),
        sa.Column(
            "status",
            _enum("discovery_match_status", "proposed", "rejected", "planned", "done", "cancelled"),
            nullable=False,
        ),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        *_stamps(),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "score >= 0 AND score <= 1", name=op.f("ck_discovery_matches_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["day_id"],
            ["discovery_days.id"],
            name=op.f("fk_discovery_matches_day_id_discovery_days"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_changed_by_id"],
            ["users.id"],
            name=op.f("fk_discovery_matches_status_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["wish_id"],
            ["discovery_wishes.id"],
            name=op.f("fk_discovery_matches_wish_id_discovery_wishes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_matches")),
        sa.UniqueConstraint("wish_id", "day_id", name=op.f("uq_discovery_matches_wish_id_day_id")),
    )
    for column in ("day_id", "status", "wish_id"):
        op.create_index(op.f(f"ix_discovery_matches_{column}"), "discovery_matches", [column])


def downgrade() -> None:
    op.drop_table("discovery_matches")
    op.drop_table("discovery_wishes")
    op.drop_table("discovery_days")
    op.drop_table("questionnaires")
