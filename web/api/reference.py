"""``/api/v1/communes`` and ``/api/v1/metiers``: the reference data, read only."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE

from data import queries
from data.errors import NotFound
from data.models import Commune, Metier
from data.operations import metier_resolver
from data.operations.communes import (
    COMMUNE_NOT_FOUND,
    ambiguous_message,
    commune_label,
    commune_match,
)
from web.db import get_session

from .base import api_blueprint, errors
from .common import page_out
from .schemas import (
    INSEE_PATTERN,
    CommunePage,
    CommuneQuery,
    CommuneResolution,
    CommuneResolveQuery,
    CommuneSchema,
    MetierPage,
    MetierQuery,
    MetierSchema,
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
        "label": commune_label(c),
        "departement": c.departement,
        "postal_codes": c.postal_codes.split(),
        "latitude": c.latitude,
        "longitude": c.longitude,
        "population": c.population,
    }


@communes.route("", methods=["GET"], endpoint="list")
@communes.arguments(CommuneQuery, location="query", unknown=RAISE)
@communes.response(200, CommunePage)
@errors(communes, 422)
def list_communes(query: dict[str, Any]) -> dict[str, Any]:
    """Search communes: ``q`` (what a person types, the likeliest first), ``postal_code``,
    ``insee``, ``departement``; without ``q``, the most populated first."""
    page = queries.commune_page(
        get_session(),
        query["page"],
        query["page_size"],
        q=query.get("q"),
        postal_code=query.get("postal_code"),
        insee=query.get("insee"),
        departement=query.get("departement"),
        clamp=False,
    )
    return page_out(page, _commune)


@communes.route("/resolve", methods=["GET"], endpoint="resolve")
@communes.arguments(CommuneResolveQuery, location="query", unknown=RAISE)
@communes.response(200, CommuneResolution)
@errors(communes, 422)
def resolve_commune(query: dict[str, Any]) -> dict[str, Any]:
    """Tell which commune a typed text designates, as the forms read it (``commune`` None:
    several to choose from, or none)."""
    text = query["q"]
    match = commune_match(get_session(), text)
    message = None
    if match.commune is None:
        message = ambiguous_message(text, match.choices) if match.choices else COMMUNE_NOT_FOUND
    return {
        "text": text,
        "commune": _commune(match.commune) if match.commune is not None else None,
        "choices": [_commune(c) for c in match.choices],
        "message": message,
    }


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
        "rome": None if m.rome is None else list(m.rome),
        "synonyms": list(m.synonyms or []),
        "abbreviations": list(m.abbreviations or []),
        "related": list(m.related or []),
        "priority": bool(m.priority),
    }


@metiers.route("", methods=["GET"], endpoint="list")
@metiers.arguments(MetierQuery, location="query", unknown=RAISE)
@metiers.response(200, MetierPage)
@errors(metiers, 422)
def list_metiers(query: dict[str, Any]) -> dict[str, Any]:
    """List the métiers of the referential, by label (``priority``: the plan's eight, or not)."""
    page = queries.metier_page(
        get_session(),
        query["page"],
        query["page_size"],
        priority=query.get("priority"),
        clamp=False,
    )
    return page_out(page, _metier)


@metiers.route("/resolve", methods=["GET"], endpoint="resolve")
@metiers.arguments(ResolveQuery, location="query", unknown=RAISE)
@metiers.response(200, ResolutionSchema)
@errors(metiers, 422)
def resolve_metier(query: dict[str, Any]) -> dict[str, Any]:
    """Tell what the platform makes of a text typed for a métier (``code`` None: unresolved,
    with ``suggestions``); the coordinators' mappings count, as on the forms."""
    referential = metier_resolver(get_session())
    r = referential.resolve(query["q"])
    suggested = referential.suggest(r.text) if r.code is None else ()
    return {
        "text": r.text,
        "code": r.code,
        "label": referential.label(r.code) if r.code is not None else None,
        "score": float(r.score),
        "method": r.method,
        "ambiguous": bool(r.ambiguous),
        "alternatives": list(r.alternatives),
        "note": r.note,
        "suggestions": [{"code": c, "label": referential.label(c)} for c in suggested],
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
