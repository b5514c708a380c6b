"""library: the « mallette numérique » of the work-study programme (issue 18)

Revision ID: 0023_library
Revises: 0022_metier_sheets
Create Date: 2026-12-04 14:47:54

The resources, their audiences, métiers and versions, and each signed-in reader's last visit.
The French full-text search: on PostgreSQL the ``unaccent`` extension and a GIN-indexed
``tsvector`` column; on SQLite an FTS5 table (accents removed by its tokenizer). The use cases keep both in step with each edit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_library"
down_revision: str | Sequence[str] | None = "0022_metier_sheets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: The SQLite search table (data.models.library.SQLITE_FTS_TABLE; a migration keeps its name).
FTS_TABLE = "library_fts"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Shared by the database; never dropped by the downgrade (others may use it).
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.create_table(
        "library_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=600), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "legal",
                "funding",
                "training",
                "internship",
                "tools",
                name="library_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=300), nullable=True),
        sa.Column("up_to_date_on", sa.Date(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("pdf_file", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "search_vector",
            sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_library_resources_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_library_resources_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_resources")),
    )
    with op.batch_alter_table("library_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_library_resources_category"), ["category"], unique=False
        )
        batch_op.create_index(
            "ix_library_resources_search_vector",
            ["search_vector"],
            unique=False,
            postgresql_using="gin",
        )

    op.create_table(
        "library_visits",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_library_visits_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_library_visits")),
    )
    op.create_table(
        "library_resource_audiences",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "employers",
                "candidates",
                "tutors",
                "centres",
                "coordinators",
                name="library_audience",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resources.id"],
            name=op.f("fk_library_resource_audiences_resource_id_library_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "resource_id", "audience", name=op.f("pk_library_resource_audiences")
        ),
    )
    op.create_table(
        "library_resource_metiers",
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("metier_code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["metier_code"],
            ["metiers.code"],
            name=op.f("fk_library_resource_metiers_metier_code_metiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resources.id"],
            name=op.f("fk_library_resource_metiers_resource_id_library_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "resource_id", "metier_code", name=op.f("pk_library_resource_metiers")
        ),
    )
    with op.batch_alter_table("library_resource_metiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_library_resource_metiers_metier_code"), ["metier_code"], unique=False
        )

    op.create_table(
        "library_resource_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=600), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_library_resource_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["library_resources.id"],
            name=op.f("fk_library_resource_versions_resource_id_library_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_resource_versions")),
    )
    with op.batch_alter_table("library_resource_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_library_resource_versions_resource_id"), ["resource_id"], unique=False
        )

    if dialect == "sqlite":
        # The rowid is the resource's id; column weights: title, summary, body (bm25).
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, summary, body,"
            " tokenize='unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    with op.batch_alter_table("library_resource_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_resource_versions_resource_id"))

    op.drop_table("library_resource_versions")
    with op.batch_alter_table("library_resource_metiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_library_resource_metiers_metier_code"))

    op.drop_table("library_resource_metiers")
    op.drop_table("library_resource_audiences")
    op.drop_table("library_visits")
    with op.batch_alter_table("library_resources", schema=None) as batch_op:
        batch_op.drop_index("ix_library_resources_search_vector", postgresql_using="gin")
        batch_op.drop_index(batch_op.f("ix_library_resources_category"))

    op.drop_table("library_resources")
