"""The observatory (issue 20): the public page, the open-data files, and the coordinators' page.

Every figure comes from :mod:`data.observatory`: the public page, the files and the API show the
same tables, protected by the statistical secret; the coordinators read them unprotected, with
the current month's provisional figures and the figures of their dashboard.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, render_template, url_for

from data.observatory.indicators import FLOWS, INDICATORS, monthly_figures, operational_figures
from data.observatory.opendata import PackageInfo, file_names, package_file
from data.observatory.publish import ALL, SOURCES, Publication, publication, subset
from data.operations._common import local_today
from web.db import get_session
from web.sessions import STAFF, role_required

bp = Blueprint("observatory", __name__)

#: The data package's description of itself.
PACKAGE = PackageInfo(
    name="passerelle-observatoire",
    title="Observatoire de l'apprentissage dans le social et le médico-social (Ain)",
    description=(
        "Les chiffres de Passerelle, la plateforme du Département de l'Ain qui rapproche offres "
        "et demandes d'apprentissage dans les métiers du social et du médico-social : offres, "
        "demandes, rapprochements, contrats et leur durée, tension par métier et territoire."
    ),
    sources=SOURCES,
)

#: The charts drawn from the monthly series, each with its own key (one chart per key).
SERIES_VIEWS = (
    ("series-parcours", "Demandes, rapprochements et contrats, mois par mois"),
    ("series-offres", "Offres et places publiées, mois par mois"),
    ("series-contrats", "Contrats signés, en cours au 45e jour et à 6 mois, ruptures"),
    ("series-durees", "Délai médian de la demande au contrat, distance médiane"),
    ("series-decouvertes", "Journées découverte et demandes qui ont suivi"),
)

#: The media type of each kind of file.
MEDIA_TYPES = {".csv": "text/csv; charset=utf-8", ".json": "application/json; charset=utf-8"}


def _figures(pub: Publication) -> dict[str, object]:
    """The tables the pages draw: the publication's, and a few views of them for the charts."""
    tables: dict[str, object] = dict(pub.tables)
    series = pub.tables.get("series-mensuelles")
    if series is not None:
        for key, title in SERIES_VIEWS:
            tables[key] = subset(series, key, title, lambda r: True)
    places = pub.tables.get("tension-par-territoire")
    if places is not None:
        tables["logement-par-territoire"] = subset(
            places, "logement-par-territoire", "Besoins de logement par territoire", lambda r: True
        )
    by_place = pub.tables.get("indicateurs-par-metier-et-territoire")
    if by_place is not None:
        metier, territory = by_place.index("code_metier"), by_place.index("code_territoire")
        tables["par-metier"] = subset(
            by_place,
            "par-metier",
            "Par métier, sur douze mois",
            lambda r: r[territory] == ALL[0] and r[metier] != ALL[0],
        )
        tables["par-territoire"] = subset(
            by_place,
            "par-territoire",
            "Par territoire, sur douze mois",
            lambda r: r[metier] == ALL[0] and r[territory] != ALL[0],
        )
    return tables


def _downloads(pub: Publication) -> dict[str, str]:
    """Each published table's CSV file, by table key."""
    return {
        key: url_for("observatory.file", name=file_names(table).csv)
        for key, table in pub.tables.items()
    }


@bp.get("/observatoire")
def public() -> str:
    pub = publication(get_session())
    return render_template(
        "observatory/public.html",
        pub=pub,
        tables=_figures(pub),
        downloads=_downloads(pub),
        indicators=INDICATORS,
        staff=False,
    )


@bp.get("/donnees-ouvertes")
def opendata() -> str:
    pub = publication(get_session())
    files = [
        (
            table.title,
            table.description,
            url_for("observatory.file", name=names.csv),
            url_for("observatory.file", name=names.json),
            url_for("observatory.file", name=names.schema),
            table.updated_on,
        )
        for table in pub.tables.values()
        for names in (file_names(table),)
    ]
    return render_template(
        "observatory/opendata.html",
        pub=pub,
        files=files,
        package_url=url_for("observatory.file", name="datapackage.json") if files else None,
    )


@bp.get("/donnees-ouvertes/<name>")
def file(name: str) -> Response:
    pub = publication(get_session())
    content = package_file(list(pub.tables.values()), PACKAGE, name) if pub.tables else None
    if content is None:
        abort(404)
    suffix = name[name.rfind(".") :]
    return Response(
        content,
        mimetype=MEDIA_TYPES[suffix],
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.get("/coordination/observatoire")
@role_required(*STAFF)
def coordination() -> str:
    session = get_session()
    pub = publication(session, protect=False)
    now = datetime.now(UTC)
    this_month = local_today(now).replace(day=1)
    current = monthly_figures(session, [this_month])[this_month]
    return render_template(
        "observatory/coordination.html",
        pub=pub,
        tables=_figures(pub),
        downloads={
            key: url_for("observatory.coordination_file", name=file_names(t).csv)
            for key, t in pub.tables.items()
        },
        indicators=INDICATORS,
        current=[(INDICATORS[k], current.total(k)) for k in FLOWS],
        this_month=this_month,
        figures=operational_figures(session, now),
        staff=True,
    )


@bp.get("/coordination/observatoire/fichiers/<name>")
@role_required(*STAFF)
def coordination_file(name: str) -> Response:
    pub = publication(get_session(), protect=False)
    tables = list(pub.tables.values())
    content = package_file(tables, PACKAGE, name) if name.endswith(".csv") else None
    if content is None:
        abort(404)
    return Response(
        content,
        mimetype=MEDIA_TYPES[".csv"],
        headers={"Content-Disposition": f'attachment; filename="coordination-{name}"'},
    )
