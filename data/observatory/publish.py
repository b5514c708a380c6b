"""The observatory's published tables: what the public page, the open-data files and the API show.

Every public figure comes from the monthly snapshots (:mod:`data.observatory.snapshots`): the
twelve last closed months stored (the *period*), and the stocks stored with the last of them.
The figures change once a month, when a month is stored; between two, every page, file and
answer shows the same numbers (they are computed once per snapshot and kept in memory).

Territories: the Ain's intercommunalities (EPCI, :func:`data.reference.epci_of`); a commune
outside the Ain counts under « Hors de l'Ain ». Métiers: the referential's labels.

The statistical secret (:mod:`data.observatory.secret`) protects each indicator that counts
people: its counts by month, by métier and territory over the period, and their totals are one
cube (month x métier x territory) whose published figures are protected together, so that no
suppressed count can be recomputed from any published total, in any table. The coordinators'
tables are the same, unprotected (``protect=False``): they see every record anyway.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import Commune, Metier, ObservatorySnapshot
from data.queries.contracts import months_after
from data.reference import epci_of, read_epcis

from .indicators import FLOWS, FUNNEL, INDICATORS, MEDIANS, Cell, MonthFigures
from .snapshots import MARKER, stored_months, stored_stocks
from .tables import SECRET, Column, ColumnType, Table
from .tables import Cell as TableCell

__all__ = [
    "ALL",
    "LICENCE",
    "OUTSIDE",
    "PERIOD_MONTHS",
    "Publication",
    "publication",
    "subset",
    "territory_labels",
]

#: How many closed months the published period covers.
PERIOD_MONTHS = 12
#: The code and label of a margin (every métier, every territory).
ALL = ("ensemble", "Ensemble")
#: The territory of the communes outside the Ain.
OUTSIDE = ("hors-ain", "Hors de l'Ain")
#: A median is published when more values than this stand behind it (the secret's threshold).
MIN_MEDIAN_VALUES = 10

SOURCES = (
    "Passerelle, plateforme de rapprochement des offres et demandes d'apprentissage du "
    "Département de l'Ain : instantanés mensuels de ses propres données.",
    "Territoires : intercommunalités de l'Ain (DGCL, INSEE, COG 2026, via Etalab, Licence "
    "Ouverte 2.0).",
)
#: The licence of the open-data files.
LICENCE = {
    "name": "etalab-2.0",
    "title": "Licence Ouverte / Open Licence version 2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
}

Protector = Callable[
    [Mapping[tuple[str, ...], int], Sequence[tuple[bool, ...]]], dict[tuple[str, ...], int | None]
]


@dataclass(frozen=True)
class Publication:
    """The observatory's tables of one period, by key, in the order pages list them."""

    period: tuple[date, date] | None
    updated_on: date | None
    tables: dict[str, Table]

    def __getitem__(self, key: str) -> Table:
        return self.tables[key]


def _territory(insee: str) -> str:
    return epci_of(insee) or OUTSIDE[0]


def territory_labels() -> dict[str, str]:
    """The territories' codes and names, the Ain's EPCI by name, then « Hors de l'Ain »."""
    labels = {e.code: e.name for e in sorted(read_epcis(), key=lambda e: e.name)}
    labels[OUTSIDE[0]] = OUTSIDE[1]
    return labels


def _metier_labels(session: Session) -> dict[str, str]:
    rows = session.execute(select(Metier.code, Metier.label).order_by(Metier.label))
    labels = {code: label for code, label in rows}
    labels[""] = "Métier non précisé"
    return labels


def _period(session: Session) -> tuple[date, date] | None:
    last = session.scalar(
        select(func.max(ObservatorySnapshot.month)).where(ObservatorySnapshot.indicator == MARKER)
    )
    if last is None:
        return None
    return months_after(last, 1 - PERIOD_MONTHS), last


def _cube(months: Mapping[date, MonthFigures], key: str) -> dict[tuple[str, ...], int]:
    """The indicator ``key`` as a cube (month ISO, métier, territory) -> count."""
    cube: Counter[tuple[str, ...]] = Counter()
    for month, figures in months.items():
        for (metier, commune), n in figures.flows.get(key, Counter()).items():
            cube[(month.isoformat(), metier, _territory(commune))] += n
    return dict(cube)


#: What the tables publish of each flow's cube: the months' totals (the series), the métier x
#: territory cells over the period, their margins and the total.
FLOW_MASKS: tuple[tuple[bool, bool, bool], ...] = (
    (True, False, False),
    (False, True, True),
    (False, True, False),
    (False, False, True),
    (False, False, False),
)
#: What the tables publish of each stock's cube (métier x territory): its cells are not
#: published, only by territory, by métier and the total.
STOCK_MASKS: tuple[tuple[bool, bool], ...] = ((False, True), (True, False), (False, False))


def _sums(
    cube: Mapping[tuple[str, ...], int], masks: Sequence[tuple[bool, ...]]
) -> dict[tuple[str, ...], int | None]:
    """Every published figure of ``cube``, unprotected: each mask's sums (dropped dimensions
    hold :data:`ALL`'s code)."""
    out: Counter[tuple[str, ...]] = Counter()
    for key, n in cube.items():
        for mask in masks:
            out[tuple(k if keep else ALL[0] for k, keep in zip(key, mask, strict=True))] += n
    return dict(out)


def _protect_secret(
    cube: Mapping[tuple[str, ...], int], masks: Sequence[tuple[bool, ...]]
) -> dict[tuple[str, ...], int | None]:
    """Every published figure of ``cube``, ``None`` where the statistical secret holds it back."""
    from .secret import TOTAL, protect

    if not cube:
        return {}
    shown = protect(cube, masks)
    return {
        tuple(ALL[0] if k == TOTAL else k for k in key): (None if value is SECRET else value)
        for key, value in shown.items()
    }


def publication(session: Session, *, protect: bool = True) -> Publication:
    """Build the observatory's tables from the snapshots (protected by the statistical secret
    unless ``protect`` is False)."""
    period = _period(session)
    if period is None:
        return Publication(None, None, {})
    start, end = period
    months = stored_months(session, start, end)
    start = min(months, default=start)  # the platform's first month, when it is younger
    stocks = stored_stocks(session, end)
    protector: Protector = _protect_secret if protect else _sums
    metiers = _metier_labels(session)
    territories = territory_labels()
    updated_on = months_after(end, 1)
    flows: dict[str, dict[tuple[str, ...], int | None]] = {}
    for key in FLOWS:
        cube = _cube(months, key)
        flows[key] = (protector if INDICATORS[key].people else _sums)(cube, FLOW_MASKS)
    tables = [
        _series(months, flows, updated_on),
        _by_territory(flows, metiers, territories, updated_on),
        _funnel(flows, updated_on, start, end),
    ]
    if stocks is not None:
        tables.extend(_stock_tables(stocks, protector, metiers, territories, end))
    if not protect:  # the coordinators' own: by commune, where the secret would hide nearly all
        tables.append(_by_commune(session, months, territories, updated_on))
    return Publication((start, end), updated_on, {t.key: t for t in tables})


def _by_commune(
    session: Session,
    months: Mapping[date, MonthFigures],
    territories: Mapping[str, str],
    updated_on: date,
) -> Table:
    """Every flow over the period by commune (all métiers), for the coordinators only."""
    sums: dict[str, Counter[str]] = {}
    for figures in months.values():
        for key, cells in figures.flows.items():
            for (_, commune), n in cells.items():
                sums.setdefault(commune, Counter())[key] += n
    names: dict[str, str] = {
        insee: name
        for insee, name in session.execute(
            select(Commune.insee, Commune.name).where(Commune.insee.in_(sums))
        )
    }
    rows: list[tuple[TableCell, ...]] = [
        (
            insee,
            names.get(insee, insee),
            territories.get(_territory(insee), OUTSIDE[1]),
            *[sums[insee][k] for k in FLOWS],
        )
        for insee in sorted(sums, key=lambda c: (names.get(c, c), c))
    ]
    return Table(
        "indicateurs-par-commune",
        "Par commune, sur douze mois",
        "Les indicateurs des douze derniers mois écoulés, par commune (tous métiers) : réservé "
        "à la coordination, sans secret statistique.",
        (
            Column("code_commune", "Code INSEE de la commune", ColumnType.STRING, dimension=True),
            Column("commune", "Commune", ColumnType.STRING, dimension=True),
            Column("territoire", "Intercommunalité", ColumnType.STRING, dimension=True),
            *_count_columns(FLOWS),
        ),
        tuple(rows),
        updated_on,
        SOURCES,
    )


def _count_columns(keys: Iterable[str]) -> list[Column]:
    return [
        Column(
            INDICATORS[k].file_key,
            INDICATORS[k].title,
            ColumnType.INTEGER,
            INDICATORS[k].definition,
            INDICATORS[k].unit,
        )
        for k in keys
    ]


def _value(figures: Mapping[tuple[str, ...], int | None], key: tuple[str, ...]) -> TableCell:
    if key not in figures:
        return 0
    value = figures[key]
    return SECRET if value is None else value


def _series(
    months: Mapping[date, MonthFigures],
    flows: Mapping[str, Mapping[tuple[str, ...], int | None]],
    updated_on: date,
) -> Table:
    columns = [
        Column("mois", "Mois", ColumnType.DATE, "Premier jour du mois.", dimension=True),
        *_count_columns(FLOWS),
        *[
            Column(
                INDICATORS[k].file_key,
                INDICATORS[k].title,
                ColumnType.NUMBER,
                f"{INDICATORS[k].definition} Publiée quand plus de {MIN_MEDIAN_VALUES} contrats "
                "la fondent.",
                INDICATORS[k].unit,
            )
            for k in MEDIANS
        ],
    ]
    rows = []
    for month in sorted(months):
        figures = months[month]
        medians: list[TableCell] = []
        for key in MEDIANS:
            median, n = figures.medians.get(key, (None, 0))
            medians.append(
                None if median is None else (round(median, 1) if n > MIN_MEDIAN_VALUES else SECRET)
            )
        rows.append(
            (
                month,
                *[_value(flows[k], (month.isoformat(), ALL[0], ALL[0])) for k in FLOWS],
                *medians,
            )
        )
    return Table(
        "series-mensuelles",
        "Évolution mois par mois",
        "Les indicateurs de la plateforme pour chacun des douze derniers mois écoulés, "
        "pour tout le département.",
        tuple(columns),
        tuple(rows),
        updated_on,
        SOURCES,
    )


#: The columns that say which métier a row is about.
METIER_COLUMNS = (
    Column(
        "code_metier",
        "Code du métier",
        ColumnType.STRING,
        "« ensemble » : tous les métiers.",
        dimension=True,
    ),
    Column("metier", "Métier", ColumnType.STRING, dimension=True),
)
#: The columns that say which territory a row is about.
TERRITORY_COLUMNS = (
    Column(
        "code_territoire",
        "Code du territoire",
        ColumnType.STRING,
        "SIREN de l'intercommunalité ; « hors-ain » : hors de l'Ain ; « ensemble » : "
        "tous les territoires.",
        dimension=True,
    ),
    Column("territoire", "Territoire", ColumnType.STRING, dimension=True),
)


def _by_territory(
    flows: Mapping[str, Mapping[tuple[str, ...], int | None]],
    metiers: Mapping[str, str],
    territories: Mapping[str, str],
    updated_on: date,
) -> Table:
    keys: set[tuple[str, str]] = set()
    for figures in flows.values():
        keys.update((m, t) for (month, m, t) in figures if month == ALL[0])
    metier_names = {**metiers, ALL[0]: ALL[1]}
    territory_names = {**territories, ALL[0]: ALL[1]}

    def order(key: tuple[str, str]) -> tuple[int, str, int, str]:
        m, t = key
        return (
            m == ALL[0],
            metier_names.get(m, m),
            t == ALL[0],
            territory_names.get(t, t),
        )

    rows = [
        (
            m,
            metier_names.get(m, m),
            t,
            territory_names.get(t, t),
            *[_value(flows[k], (ALL[0], m, t)) for k in FLOWS],
        )
        for m, t in sorted(keys, key=order)
    ]
    return Table(
        "indicateurs-par-metier-et-territoire",
        "Par métier et par territoire, sur douze mois",
        "Les indicateurs des douze derniers mois écoulés, par métier et par intercommunalité, "
        "avec les totaux (« Ensemble »).",
        (*METIER_COLUMNS, *TERRITORY_COLUMNS, *_count_columns(FLOWS)),
        tuple(rows),
        updated_on,
        SOURCES,
    )


def _funnel(
    flows: Mapping[str, Mapping[tuple[str, ...], int | None]],
    updated_on: date,
    start: date,
    end: date,
) -> Table:
    total = (ALL[0], ALL[0], ALL[0])
    rows = [(n + 1, INDICATORS[k].title, _value(flows[k], total)) for n, k in enumerate(FUNNEL)]
    return Table(
        "entonnoir",
        "De la demande au contrat qui dure",
        "Le parcours sur les douze derniers mois écoulés : demandes déposées, rapprochements "
        "proposés puis validés, mises en relation, entretiens, contrats signés, contrats en "
        "cours au 45e jour.",
        (
            Column("ordre", "Ordre", ColumnType.INTEGER, "Rang de l'étape.", dimension=True),
            Column("etape", "Étape", ColumnType.STRING, dimension=True),
            Column(
                "nombre",
                "Nombre",
                ColumnType.INTEGER,
                "Nombre sur la période : demandes, rapprochements, binômes ou contrats selon "
                "l'étape (chaque étape compte des personnes : le secret statistique s'applique).",
            ),
        ),
        tuple(rows),
        updated_on,
        SOURCES,
    )


def _stock_tables(
    stocks: Mapping[str, Counter[Cell]],
    protector: Protector,
    metiers: Mapping[str, str],
    territories: Mapping[str, str],
    month: date,
) -> list[Table]:
    updated_on = months_after(month, 1)
    figures: dict[str, dict[tuple[str, ...], int | None]] = {}
    for key, cells in stocks.items():
        cube: Counter[tuple[str, ...]] = Counter()
        for (metier, commune), n in cells.items():
            cube[(metier, _territory(commune))] += n
        protect_it = protector if INDICATORS[key].people else _sums
        figures[key] = protect_it(dict(cube), STOCK_MASKS)
    stock_keys = ("open_places", "active_requests", "housing_needed", "housing_unmet")
    tension = Column(
        "tension",
        "Tension",
        ColumnType.NUMBER,
        "Demandes actives par place ouverte (vide quand aucune place n'est ouverte).",
        "demandes par place",
    )

    def rows_for(keys: Iterable[tuple[str, str, tuple[str, str]]]) -> list[tuple[TableCell, ...]]:
        rows = []
        for code, name, (m, t) in keys:
            values = [_value(figures[k], (m, t)) for k in stock_keys]
            places, requests = values[0], values[1]
            ratio: TableCell = None
            if requests is SECRET:
                ratio = SECRET
            elif isinstance(places, int) and places > 0 and isinstance(requests, int):
                ratio = round(requests / places, 2)
            rows.append((code, name, *values, ratio))
        return rows

    present_t = {t for f in figures.values() for (_, t) in f}
    present_m = {m for f in figures.values() for (m, _) in f}
    by_territory = [
        (t, territories.get(t, t), (ALL[0], t)) for t in territories if t in present_t
    ] + [(ALL[0], ALL[1], (ALL[0], ALL[0]))]
    by_metier = [(m, metiers.get(m, m), (m, ALL[0])) for m in metiers if m in present_m] + [
        (ALL[0], ALL[1], (ALL[0], ALL[0]))
    ]
    columns = _count_columns(stock_keys)
    description = (
        "Au 1er jour du mois qui suit le dernier mois écoulé : places ouvertes, demandes "
        "actives, besoins de logement, et la tension (demandes actives par place ouverte)."
    )
    return [
        Table(
            "tension-par-territoire",
            "Tension par territoire",
            description,
            (
                *TERRITORY_COLUMNS,
                *columns,
                tension,
            ),
            tuple(rows_for(by_territory)),
            updated_on,
            SOURCES,
        ),
        Table(
            "tension-par-metier",
            "Tension par métier",
            description,
            (
                *METIER_COLUMNS,
                *columns,
                tension,
            ),
            tuple(rows_for(by_metier)),
            updated_on,
            SOURCES,
        ),
    ]


def subset(
    table: Table, key: str, title: str, keep: Callable[[Sequence[TableCell]], bool]
) -> Table:
    """Return ``table`` 's rows that ``keep`` keeps, as a table of its own (for a chart)."""
    return replace(table, key=key, title=title, rows=tuple(r for r in table.rows if keep(r)))
