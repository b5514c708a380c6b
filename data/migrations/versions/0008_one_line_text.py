"""one-line text: clean the names and addresses stored before the input rule (issue 12)

Revision ID: 0008_one_line_text
Revises: 0007_api_token_account
Create Date: 2026-12-03 12:40:00

Since issue 12 a one-line field (a name, an address) refuses control characters, so that it can
never add a line to a mail. Values stored before may hold line breaks: each control character
becomes a space (runs of spaces become one). There is nothing to undo on downgrade.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_one_line_text"
down_revision: str | Sequence[str] | None = "0007_api_token_account"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The one-line text columns people fill in (data/operations: clean_text without multiline).
ONE_LINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "candidates": ("first_name", "last_name"),
    "employers": ("name", "contact_name"),
    "sites": ("name", "address"),
    "offers": ("diploma", "tutor_name", "tutor_role"),
    "structure_join_requests": ("name",),
    "users": ("display_name",),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def one_line(value: str) -> str:
    """Return ``value`` with each run of control characters and spaces made one space."""
    return " ".join(_CONTROL.sub(" ", value).split())


def upgrade() -> None:
    conn = op.get_bind()
    for table_name, columns in ONE_LINE_COLUMNS.items():
        table = sa.table(table_name, sa.column("id", sa.Integer), *map(sa.column, columns))
        for column in columns:
            rows = conn.execute(
                sa.select(table.c.id, table.c[column]).where(table.c[column].isnot(None))
            )
            changed = [
                {"row_id": row_id, "value": one_line(value)}
                for row_id, value in rows
                if _CONTROL.search(value)
            ]
            if changed:
                conn.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("row_id"))
                    .values({column: sa.bindparam("value")}),
                    changed,
                )


def downgrade() -> None:
    pass
