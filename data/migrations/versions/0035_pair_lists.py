"""which top-k lists hold an engine pair, for incremental re-matching (issue 21)

Revision ID: 0035_pair_lists
Revises: 0034_plan
Create Date: 2026-12-04 22:30:00

``suggestions.in_request_list`` and ``suggestions.in_offer_list``: the pair is among its
request's best offers, among its offer's best requests; a partial index on each list (its
pairs by score), which the incremental re-matching reads the ends of;
``requests.rematched_at`` and ``offers.rematched_at``: when the record's suggestions were
last re-matched on their own (what a page tells of a change then: it is already matched). The re-matching job's watermark is
dropped, so that the next run is a full one and sets them on every pair.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035_pair_lists"
down_revision: str | Sequence[str] | None = "0034_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATERMARK_KEY = "rematch.watermark"


def upgrade() -> None:
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        for column in ("in_request_list", "in_offer_list"):
            batch_op.add_column(
                sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
            )
    for side, other in (("request", "offer"), ("offer", "request")):
        op.create_index(
            f"ix_suggestions_{side}_list",
            "suggestions",
            [f"{side}_id", "score", f"{other}_id"],
            sqlite_where=sa.text(f"in_{side}_list = 1"),
            postgresql_where=sa.text(f"in_{side}_list"),
        )
    for table in ("requests", "offers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("rematched_at", sa.DateTime(timezone=True), nullable=True)
            )
    settings = sa.table("platform_settings", sa.column("key", sa.String))
    op.execute(settings.delete().where(settings.c.key == WATERMARK_KEY))


def downgrade() -> None:
    for table in ("offers", "requests"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("rematched_at")
    op.drop_index("ix_suggestions_offer_list", table_name="suggestions")
    op.drop_index("ix_suggestions_request_list", table_name="suggestions")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("in_offer_list")
        batch_op.drop_column("in_request_list")
