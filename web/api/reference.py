"""``/api/v1/communes`` and ``/api/v1/metiers``: the reference data, read only."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE
from sqlalchemy import func, or_, select

from data.errors import NotFound
from data.models import Commune, Metier
from data.operations import metier_referential
from web.db import get_session

from .base import api_blueprint, errors
from .common import paginate_query
from .schemas import (
    INSEE_PATTERN,
    CommunePage,
    CommuneQuery,
    CommuneSchema,
    MetierPage,
    MetierSchema,
    PageQuery,
    ResolutionSchema,
    ResolveQuery,
)

_INSEE_RE = re.compile(INSEE_PATTERN)
_METIER_CODE_RE = re.compile(r"^[a-z0-9-]{1,64}$")

communes = api_blueprint(
    "communes",
    "/communes",
    "Communes of France (INSEE gazetteer): search by name, postal code or INSEE code.",
)
metiers = api_blueprint(
    "metiers",
    "/metiers",
    "Métiers of the sector, and what the engine makes of a text typed for one.",
)


def _commune(c: Commune) -> dict[str, Any]:
    return {
        "insee": c.insee,
        "name": c.name,
        "departement": c.departement,
        "postal_codes": c.postal_codes.split(),
        "latitude": c.latitude,
        "longitude": c.longitude,
        "population": c.population,
    }


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


@communes.route("", methods=["GET"], endpoint="list")
@communes.arguments(CommuneQuery, location="query", unknown=RAISE)
@communes.response(200, CommunePage)
@errors(communes, 422)
def list_communes(query: dict[str, Any]) -> dict[str, Any]:
    """Search communes: ``q`` (start of the name, any case), ``postal_code``, ``insee``,
    ``departement``; the most populated first."""
    stmt = select(Commune)
    if "q" in query:
        text = query["q"].strip().lower()
        # Names are written with hyphens ("Saint-Denis-lès-Bourg"): accept spaces for them.
        variants = {text, text.replace(" ", "-")}
        stmt = stmt.where(
            or_(*(func.lower(Commune.name).like(_like_prefix(v), escape="\\") for v in variants))
        )
    if "postal_code" in query:
        stmt = stmt.where(Commune.postal_codes.contains(query["postal_code"]))
    if "insee" in query:
        stmt = stmt.where(Commune.insee == query["insee"])
    if "departement" in query:
        stmt = stmt.where(Commune.departement == query["departement"])
    stmt = stmt.order_by(Commune.population.desc().nulls_last(), Commune.insee)
    return paginate_query(get_session(), stmt, query["page"], query["page_size"], _commune)


@communes.route("/<string(length=5):insee>", methods=["GET"], endpoint="detail")
@communes.response(200, CommuneSchema)
@errors(communes, 404)
def get_commune(insee: str) -> dict[str, Any]:
    """Read one commune by its INSEE code."""
    commune = get_session().get(Commune, insee) if _INSEE_RE.match(insee) else None
    if commune is None:
        raise NotFound("Commune", insee)
    return _commune(commune)


def _metier(m: Metier) -> dict[str, Any]:
    return {
        "code": m.code,
        "label": m.label,
        "label_feminine": m.label_feminine,
        "diploma_code": m.diploma_code,
        "diploma_label": m.diploma_label,
        "level": m.level,
        "entry_level_min": m.entry_level_min,
        "rome": list(m.rome or []),
        "synonyms": list(m.synonyms or []),
        "abbreviations": list(m.abbreviations or []),
        "related": list(m.related or []),
    }


@metiers.route("", methods=["GET"], endpoint="list")
@metiers.arguments(PageQuery, location="query", unknown=RAISE)
@metiers.response(200, MetierPage)
@errors(metiers, 422)
def list_metiers(query: dict[str, Any]) -> dict[str, Any]:
    """List the métiers of the referential, by label."""
    stmt = select(Metier).order_by(Metier.label, Metier.code)
    return paginate_query(get_session(), stmt, query["page"], query["page_size"], _metier)


@metiers.route("/resolve", methods=["GET"], endpoint="resolve")
@metiers.arguments(ResolveQuery, location="query", unknown=RAISE)
@metiers.response(200, ResolutionSchema)
@errors(metiers, 422)
def resolve_metier(query: dict[str, Any]) -> dict[str, Any]:
    """Tell what the engine makes of a text typed for a métier (``code`` None: unresolved)."""
    referential = metier_referential()
    r = referential.resolve(query["q"])
    return {
        "text": r.text,
        "code": r.code,
        "label": referential.label(r.code) if r.code is not None else None,
        "score": float(r.score),
        "method": r.method,
        "ambiguous": bool(r.ambiguous),
        "alternatives": list(r.alternatives),
        "note": r.note,
    }


@metiers.route("/<string(maxlength=64):code>", methods=["GET"], endpoint="detail")
@metiers.response(200, MetierSchema)
@errors(metiers, 404)
def get_metier(code: str) -> dict[str, Any]:
    """Read one métier by its code."""
    metier = get_session().get(Metier, code) if _METIER_CODE_RE.match(code) else None
    if metier is None:
        raise NotFound("Métier", code)
    return _metier(metier)
