"""``/api/v1/indicators``: the observatory's public figures (issue 20), as on its page and in its
open-data files: the same tables, protected by the same statistical secret."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import RAISE, fields

from data.observatory.opendata import LICENSE, table_json, table_schema
from data.observatory.publish import publication
from data.observatory.tables import Table
from data.queries.pages import Page
from web.db import get_session

from .base import ANONYMOUS_OR_TOKEN, api_blueprint, errors
from .common import page_out
from .fields import ListOf, Text, length
from .schemas import Base, PageQuery, PaginationSchema

bp = api_blueprint(
    "indicators",
    "/indicators",
    "The observatory's public figures: the tables of its page and open-data files, each with "
    'its Table Schema fields; a count held back by the statistical secret is "secret".',
    public_reads=True,
)


class IndicatorFieldSchema(Base):
    name = fields.String(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True)
    description = fields.String()
    unit = fields.String()


class IndicatorTableSchema(Base):
    key = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    updated_on = fields.Date(allow_none=True)
    fields_ = fields.List(fields.Nested(IndicatorFieldSchema), data_key="fields", required=True)
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True)))


class IndicatorPeriodSchema(Base):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class IndicatorLicenceSchema(Base):
    name = fields.String(required=True)
    title = fields.String(required=True)
    path = fields.String(required=True)


class IndicatorQuery(PageQuery):
    """Page through the tables, or ask for one by its key."""

    table = Text(
        validate=length(1, 80),
        metadata={"description": "A table's key (the open-data file's name), e.g. entonnoir."},
    )


IndicatorPage = Base.from_dict(
    {
        "items": ListOf(fields.Nested(IndicatorTableSchema), required=True),
        "pagination": fields.Nested(PaginationSchema, required=True),
        "period": fields.Nested(IndicatorPeriodSchema, allow_none=True, required=True),
        "updated_on": fields.Date(allow_none=True, required=True),
        "licence": fields.Nested(IndicatorLicenceSchema, required=True),
    },
    name="IndicatorPage",
)


@bp.route("", methods=["GET"], endpoint="list")
@bp.doc(security=ANONYMOUS_OR_TOKEN)
@bp.arguments(IndicatorQuery, location="query", unknown=RAISE)
@bp.response(200, IndicatorPage)
@errors(bp, 422)
def list_indicators(query: dict[str, Any]) -> dict[str, Any]:
    """The observatory's public tables over the twelve last closed months (none before the
    first month is over), in the order of its page; ``table``: that table only."""
    pub = publication(get_session())
    tables = [t for t in pub.tables.values() if query.get("table") in (None, t.key)]
    size, number = query["page_size"], query["page"]
    page = Page(tables[(number - 1) * size : number * size], number, size, len(tables))
    return {
        **page_out(page, _table),
        "period": {"start": pub.period[0], "end": pub.period[1]} if pub.period else None,
        "updated_on": pub.updated_on,
        "licence": LICENSE,
    }


def _table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "description": table.description,
        "updated_on": table.updated_on,
        "fields_": table_schema(table)["fields"],
        "rows": json.loads(table_json(table)),
    }
