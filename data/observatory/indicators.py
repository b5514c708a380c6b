"""The observatory's indicators, each defined once: name, formula, unit, source, and its query.

Every figure the observatory publishes, the open-data files export, the API returns, and the
coordinators' dashboard and weekly mail print is computed here, so that they cannot disagree.

Three kinds of indicators:

- **flows** (:data:`Kind.FLOW`): what happened in a month, counted at the finest grain (the
  month, the métier, the commune); the territories (EPCI, the département) are sums of communes;
- **medians** (:data:`Kind.MEDIAN`): the median of a duration or distance over the month's
  contracts, at the département's level, with the number of values behind it;
- **stocks** (:data:`Kind.STOCK`): what stands on a day (open places, active requests, housing
  needs), by métier and commune.

A month is a calendar month in Europe/Paris. A record's métier is its offer's (for pairs and
contracts) or its request's first choice (for requests); its commune is the offer's site's or the
request's. :data:`UNKNOWN` ("") stands for a métier a request names in its own words only.
``people`` says whether an indicator counts people (candidates, pairs): the statistical secret
holds back its small counts when it is published (:mod:`data.observatory.secret`).
"""

from __future__ import annotations

import enum
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from data.models import (
    OPEN_OFFER,
    SIGNED_STATUSES,
    AuditEntry,
    DiscoveryDay,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    Offer,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.operations._common import PARIS
from data.queries.contracts import LASTING_MONTHS, TRIAL_DAYS, months_after
from data.queries.coordination import (
    contract_counts,
    pairs_by_status,
    requests_without_suggestion,
    today,
    unhoused_conditions,
)

__all__ = [
    "DATED",
    "FLOWS",
    "FUNNEL",
    "INDICATORS",
    "MEDIANS",
    "STOCKS",
    "MonthFigures",
    "iter_cells",
    "totals",
    "UNKNOWN",
    "Cell",
    "Indicator",
    "Kind",
    "OperationalFigures",
    "dated_figures",
    "first_day",
    "monthly_figures",
    "months_between",
    "operational_figures",
    "stock_figures",
]

#: A métier or commune not known (a request's métier in its own words only).
UNKNOWN = ""
#: The finest grain of a figure: (métier code, commune INSEE code).
Cell = tuple[str, str]


class Kind(enum.StrEnum):
    """How an indicator adds up: flows over months and places, stocks on a day, medians not."""

    FLOW = "flow"
    STOCK = "stock"
    MEDIAN = "median"


@dataclass(frozen=True)
class Indicator:
    """One indicator: ``key`` in code and snapshots, ``file_key`` in files (French), the French
    ``title`` and ``unit``, its ``definition`` (the formula, in French) and ``source`` (the
    records it reads)."""

    key: str
    file_key: str
    title: str
    unit: str
    definition: str
    source: str
    kind: Kind
    people: bool


def _indicator(*args: object, **kwargs: object) -> tuple[str, Indicator]:
    ind = Indicator(*args, **kwargs)  # type: ignore[arg-type]
    return ind.key, ind


_PAIRS = "Passerelle : les rapprochements entre une demande et une offre, et leur suivi"
_OFFERS = "Passerelle : les offres d'apprentissage publiées par les structures"
_REQUESTS = "Passerelle : les demandes déposées par les candidats"
_STAGES = "Passerelle : le journal des changements d'étape des binômes"
_DISCOVERY = "Passerelle : les journées découverte et leurs participants"

#: Every indicator, in the order pages and files list them.
INDICATORS: dict[str, Indicator] = dict(
    [
        _indicator(
            "offers_published",
            "offres_publiees",
            "Offres publiées",
            "offres",
            "Nombre d'offres publiées dans le mois (date de première publication).",
            _OFFERS,
            Kind.FLOW,
            False,
        ),
        _indicator(
            "places_published",
            "places_publiees",
            "Places publiées",
            "places",
            "Somme des places des offres publiées dans le mois.",
            _OFFERS,
            Kind.FLOW,
            False,
        ),
        _indicator(
            "requests_created",
            "demandes_deposees",
            "Demandes déposées",
            "demandes",
            "Nombre de demandes déposées dans le mois ; métier : le premier choix de la demande ; "
            "territoire : la commune de la personne.",
            _REQUESTS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "suggestions_made",
            "rapprochements_proposes",
            "Rapprochements proposés",
            "rapprochements",
            "Nombre de rapprochements entre une demande et une offre proposés dans le mois "
            "(calcul ou coordination) ; métier et territoire : ceux de l'offre.",
            _PAIRS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "approvals",
            "rapprochements_valides",
            "Rapprochements validés",
            "rapprochements",
            "Nombre de rapprochements validés par la coordination dans le mois.",
            _STAGES,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "contacts",
            "mises_en_relation",
            "Mises en relation",
            "binômes",
            "Nombre de binômes mis en relation dans le mois.",
            _STAGES,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "interviews",
            "entretiens",
            "Entretiens",
            "binômes",
            "Nombre de binômes passés à l'étape « entretien » dans le mois.",
            _STAGES,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "contracts_signed",
            "contrats_signes",
            "Contrats d'apprentissage signés via la plateforme",
            "contrats",
            "Nombre de contrats signés dans le mois (date de signature), rompus depuis ou non.",
            _PAIRS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "running_45_days",
            "contrats_en_cours_45_jours",
            "Contrats en cours au 45e jour",
            "contrats",
            f"Nombre de contrats dont le {TRIAL_DAYS}e jour depuis le début tombe dans le mois "
            "et qui n'étaient pas rompus ce jour-là.",
            _PAIRS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "running_6_months",
            "contrats_en_cours_6_mois",
            "Contrats en cours à 6 mois",
            "contrats",
            f"Nombre de contrats dont les {LASTING_MONTHS} mois depuis le début tombent dans le "
            "mois et qui n'étaient pas rompus ce jour-là.",
            _PAIRS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "contracts_broken",
            "ruptures",
            "Ruptures de contrat",
            "contrats",
            "Nombre de contrats rompus dans le mois (date de la rupture).",
            _PAIRS,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "discovery_done",
            "decouvertes_realisees",
            "Journées découverte réalisées",
            "participants",
            "Nombre de participations à des journées découverte terminées dans le mois "
            "(dernier jour) ; métier et territoire : ceux des journées.",
            _DISCOVERY,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "discovery_then_request",
            "decouvertes_suivies_d_une_demande",
            "Découvertes suivies d'une demande d'apprentissage",
            "participants",
            "Parmi les participations terminées dans le mois, celles dont la personne a une "
            "demande d'apprentissage déposée depuis le premier jour de la découverte.",
            _DISCOVERY,
            Kind.FLOW,
            True,
        ),
        _indicator(
            "days_to_contract",
            "delai_median_demande_contrat",
            "Délai médian de la demande au contrat",
            "jours",
            "Médiane, sur les contrats signés dans le mois, du nombre de jours entre le dépôt "
            "de la demande et la signature.",
            _PAIRS,
            Kind.MEDIAN,
            True,
        ),
        _indicator(
            "distance_to_contract",
            "distance_mediane_contrat",
            "Distance médiane entre domicile et structure",
            "km",
            "Médiane, sur les contrats signés dans le mois, de la distance entre la commune de la "
            "personne et celle de la structure (à vol d'oiseau).",
            _PAIRS,
            Kind.MEDIAN,
            True,
        ),
        _indicator(
            "open_places",
            "places_ouvertes",
            "Places ouvertes",
            "places",
            "Places encore libres des offres publiées, au jour du calcul.",
            _OFFERS,
            Kind.STOCK,
            False,
        ),
        _indicator(
            "active_requests",
            "demandes_actives",
            "Demandes actives",
            "demandes",
            "Demandes en cours de recherche au jour du calcul ; métier : le premier choix.",
            _REQUESTS,
            Kind.STOCK,
            True,
        ),
        _indicator(
            "housing_needed",
            "besoins_de_logement",
            "Besoins de logement",
            "demandes",
            "Demandes actives de personnes qui ont besoin d'un logement, au jour du calcul.",
            _REQUESTS,
            Kind.STOCK,
            True,
        ),
        _indicator(
            "housing_unmet",
            "besoins_de_logement_non_couverts",
            "Besoins de logement non couverts",
            "demandes",
            "Parmi les besoins de logement, les personnes dont aucun rapprochement en cours "
            "n'est logé (par la structure ou un logement proche de l'offre).",
            _REQUESTS,
            Kind.STOCK,
            True,
        ),
    ]
)

FLOWS = tuple(k for k, i in INDICATORS.items() if i.kind is Kind.FLOW)
MEDIANS = tuple(k for k, i in INDICATORS.items() if i.kind is Kind.MEDIAN)
STOCKS = tuple(k for k, i in INDICATORS.items() if i.kind is Kind.STOCK)
#: The conversion funnel, from a request to a contract that lasts, in order.
FUNNEL = (
    "requests_created",
    "suggestions_made",
    "approvals",
    "contacts",
    "interviews",
    "contracts_signed",
    "running_45_days",
)


def first_day(day: date) -> date:
    """The first day of ``day`` 's month.

    >>> first_day(date(2026, 2, 17))
    datetime.date(2026, 2, 1)
    """
    return day.replace(day=1)


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months from ``start`` 's to ``end`` 's, both included.

    >>> months_between(date(2025, 11, 30), date(2026, 1, 2))
    [datetime.date(2025, 11, 1), datetime.date(2025, 12, 1), datetime.date(2026, 1, 1)]
    """
    months, month = [], first_day(start)
    while month <= end:
        months.append(month)
        month = months_after(month, 1)
    return months


def _local_day(moment: datetime) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARIS).date()


def _bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first moments in Paris, as UTC datetimes."""
    start = datetime.combine(month, time(0), PARIS).astimezone(UTC)
    end = datetime.combine(months_after(month, 1), time(0), PARIS).astimezone(UTC)
    return start, end


def _first_metier() -> Select[str | None]:
    """The request's first choice of métier (a correlated subquery)."""
    return (
        select(RequestMetier.metier_code)
        .where(RequestMetier.request_id == Request.id)
        .order_by(RequestMetier.position)
        .limit(1)
        .correlate(Request)
    )


def _cell(metier: str | None, commune: str | None) -> Cell:
    return (metier or UNKNOWN, commune or UNKNOWN)


@dataclass
class MonthFigures:
    """One month's figures: each flow by cell, each median with its number of values."""

    month: date
    flows: dict[str, Counter[Cell]] = field(default_factory=dict)
    medians: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    def total(self, key: str) -> int:
        """The flow ``key`` over every cell."""
        return sum(self.flows.get(key, Counter()).values())


#: The flows and medians dated by a day that people enter (a contract's signing, start or break,
#: a discovery's last day) rather than by the moment it is recorded: they may be recorded after
#: their month is stored, so the stored months are revised (:mod:`.snapshots`).
DATED = (
    "contracts_signed",
    "contracts_broken",
    "running_45_days",
    "running_6_months",
    "discovery_done",
    "discovery_then_request",
    "days_to_contract",
    "distance_to_contract",
)


class _Months:
    """The months computed at once: their figures, their bounds, and ``add`` to count an event."""

    def __init__(self, months: Iterable[date], keys: tuple[str, ...]) -> None:
        wanted = sorted({first_day(m) for m in months})
        self.result = {m: MonthFigures(m, {k: Counter() for k in keys}) for m in wanted}
        if wanted:
            self.lo, _ = _bounds(wanted[0])
            _, self.hi = _bounds(wanted[-1])
            self.day_lo, self.day_hi = _local_day(self.lo), _local_day(self.hi)

    def add(
        self,
        key: str,
        when: date | datetime | None,
        metier: str | None,
        commune: str | None,
        n: int = 1,
    ) -> None:
        if when is None:
            return
        day = _local_day(when) if isinstance(when, datetime) else when
        figures = self.result.get(first_day(day))
        if figures is not None:
            figures.flows[key][_cell(metier, commune)] += n


def dated_figures(session: Session, months: Iterable[date]) -> dict[date, MonthFigures]:
    """Compute the :data:`DATED` flows and medians of each month in ``months`` from the records."""
    frame = _Months(months, tuple(k for k in DATED if k in FLOWS))
    if frame.result:
        _contract_flows(session, frame.day_lo, frame.day_hi, frame.result, frame.add)
        _discovery_flows(session, frame.day_lo, frame.day_hi, frame.add)
    return frame.result


def monthly_figures(session: Session, months: Iterable[date]) -> dict[date, MonthFigures]:
    """Compute every flow and median of each month in ``months`` (first days) from the records."""
    frame = _Months(months, FLOWS)
    result = frame.result
    if not result:
        return result
    lo, hi, add = frame.lo, frame.hi, frame.add

    offer_place = (Offer.metier_code, Site.commune_insee)
    for published, metier, commune, places in session.execute(
        select(Offer.published_at, *offer_place, Offer.places)
        .join(Site, Site.id == Offer.site_id)
        .where(Offer.published_at >= lo, Offer.published_at < hi)
    ):
        add("offers_published", published, metier, commune)
        add("places_published", published, metier, commune, places)

    for created, metier, commune in session.execute(
        select(Request.created_at, _first_metier().scalar_subquery(), Request.commune_insee).where(
            Request.created_at >= lo, Request.created_at < hi
        )
    ):
        add("requests_created", created, metier, commune)

    for created, metier, commune in session.execute(
        select(Suggestion.created_at, *offer_place)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .join(Site, Site.id == Offer.site_id)
        .where(Suggestion.created_at >= lo, Suggestion.created_at < hi)
    ):
        add("suggestions_made", created, metier, commune)

    _stage_flows(session, lo, hi, add)
    _contract_flows(session, frame.day_lo, frame.day_hi, result, add)
    _discovery_flows(session, frame.day_lo, frame.day_hi, add)
    return result


#: The stages whose first reaching is counted, from the audit log's status changes.
_STAGE_FLOWS = {
    SuggestionStatus.APPROVED.value: "approvals",
    SuggestionStatus.CONTACTED.value: "contacts",
    SuggestionStatus.INTERVIEW.value: "interviews",
}


def _stage_flows(session: Session, lo: datetime, hi: datetime, add: Callable[..., None]) -> None:
    """Count each pair once per stage, in the month it first reached it (a stage reached before
    ``lo`` is not counted again; a change undone, the same day, never happened)."""
    from data.operations.pairs import STAGE_UNDONE
    from data.operations.suggestions import OBJECT_TYPE, STATUS_CHANGE

    rows = session.execute(
        select(
            AuditEntry.id,
            AuditEntry.action,
            AuditEntry.at,
            AuditEntry.object_id,
            AuditEntry.details,
        )
        .where(
            AuditEntry.action.in_((STATUS_CHANGE, STAGE_UNDONE)),
            AuditEntry.object_type == OBJECT_TYPE,
            AuditEntry.at < hi,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    undone = {(d or {}).get("undone") for _, action, _, _, d in rows if action == STAGE_UNDONE}
    first: dict[tuple[int, str], datetime] = {}
    for entry_id, action, at, pair_id, details in rows:
        if action != STATUS_CHANGE or entry_id in undone or pair_id is None:
            continue
        target = _STAGE_FLOWS.get(str((details or {}).get("to")))
        if target is not None:
            first.setdefault((pair_id, target), at)
    reached = {k: at for k, at in first.items() if at >= lo}
    if not reached:
        return
    places = {
        pair_id: (metier, commune)
        for pair_id, metier, commune in session.execute(
            select(Suggestion.id, Offer.metier_code, Site.commune_insee)
            .join(Offer, Offer.id == Suggestion.offer_id)
            .join(Site, Site.id == Offer.site_id)
            .where(Suggestion.id.in_({pair for pair, _ in reached}))
        )
    }
    for (pair_id, key), at in reached.items():
        metier, commune = places.get(pair_id, (None, None))
        add(key, at, metier, commune)


def _contract_flows(
    session: Session,
    day_lo: date,
    day_hi: date,
    result: dict[date, MonthFigures],
    add: Callable[..., None],
) -> None:
    """Contracts signed, broken, running at their milestones, and the month's medians."""
    durations: dict[date, list[float]] = defaultdict(list)
    distances: dict[date, list[float]] = defaultdict(list)
    earliest_start = months_after(day_lo, -LASTING_MONTHS) - timedelta(days=1)
    rows = session.execute(
        select(
            Suggestion.status,
            Suggestion.contract_signed_on,
            Suggestion.contract_start_on,
            Suggestion.broken_on,
            Suggestion.distance_km,
            Request.created_at,
            Offer.metier_code,
            Site.commune_insee,
        )
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .join(Site, Site.id == Offer.site_id)
        .where(Suggestion.status.in_(SIGNED_STATUSES))
    )
    for status, signed, start, broken_on, km, requested, metier, commune in rows:
        is_broken = status == SuggestionStatus.BROKEN
        if signed is not None and day_lo <= signed < day_hi:
            add("contracts_signed", signed, metier, commune)
            month = first_day(signed)
            durations[month].append(float((signed - _local_day(requested)).days))
            if km is not None:
                distances[month].append(float(km))
        if is_broken and broken_on is not None and day_lo <= broken_on < day_hi:
            add("contracts_broken", broken_on, metier, commune)
        if start is None or start < earliest_start:
            continue
        milestones = {
            "running_45_days": start + timedelta(days=TRIAL_DAYS),
            "running_6_months": months_after(start, LASTING_MONTHS),
        }
        for key, day in milestones.items():
            if not day_lo <= day < day_hi:
                continue
            if not is_broken or (broken_on is not None and broken_on >= day):
                add(key, day, metier, commune)
    for month, figures in result.items():
        figures.medians["days_to_contract"] = _median(durations.get(month, []))
        figures.medians["distance_to_contract"] = _median(distances.get(month, []))


def _median(values: list[float]) -> tuple[float | None, int]:
    return (statistics.median(values) if values else None), len(values)


def _discovery_flows(
    session: Session, day_lo: date, day_hi: date, add: Callable[..., None]
) -> None:
    """The discovery days done, and those the person followed with a request."""
    later_request = (
        select(Request.id)
        .where(
            Request.candidate_id == DiscoveryWish.candidate_id,
            Request.created_at >= DiscoveryDay.starts_on,
        )
        .exists()
    )
    rows = session.execute(
        select(
            DiscoveryDay.ends_on,
            DiscoveryDay.starts_on,
            DiscoveryDay.metier_code,
            Site.commune_insee,
            DiscoveryWish.candidate_id,
            later_request,
        )
        .select_from(DiscoveryMatch)
        .join(DiscoveryDay, DiscoveryDay.id == DiscoveryMatch.day_id)
        .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
        .join(Site, Site.id == DiscoveryDay.site_id)
        .where(
            DiscoveryMatch.status == DiscoveryMatchStatus.DONE,
            DiscoveryDay.ends_on >= day_lo,
            DiscoveryDay.ends_on < day_hi,
        )
    )
    for ends_on, _starts_on, metier, commune, _candidate, followed in rows:
        add("discovery_done", ends_on, metier, commune)
        if followed:
            add("discovery_then_request", ends_on, metier, commune)


def stock_figures(session: Session) -> dict[str, Counter[Cell]]:
    """Count what stands now: open places, active requests, housing needs met or not."""
    stocks: dict[str, Counter[Cell]] = {k: Counter() for k in STOCKS}
    for metier, commune, free in session.execute(
        select(Offer.metier_code, Site.commune_insee, Offer.places - Offer.places_filled)
        .join(Site, Site.id == Offer.site_id)
        .where(*OPEN_OFFER)
    ):
        stocks["open_places"][_cell(metier, commune)] += max(int(free or 0), 0)
    for metier, commune in session.execute(
        select(_first_metier().scalar_subquery(), Request.commune_insee).where(
            Request.status == RequestStatus.ACTIVE
        )
    ):
        stocks["active_requests"][_cell(metier, commune)] += 1
    for metier, commune, unmet in session.execute(
        select(
            _first_metier().scalar_subquery(),
            Request.commune_insee,
            and_(*unhoused_conditions()),
        ).where(Request.status == RequestStatus.ACTIVE, Request.needs_housing.is_(True))
    ):
        stocks["housing_needed"][_cell(metier, commune)] += 1
        if unmet:
            stocks["housing_unmet"][_cell(metier, commune)] += 1
    return stocks


@dataclass(frozen=True)
class OperationalFigures:
    """The coordination's figures of the day, as the dashboard and the weekly mail print them:
    both read them here, from the dashboard's own queries (``data.queries.coordination``)."""

    review_queue: int
    pairs_by_status: tuple[tuple[SuggestionStatus, int], ...]
    contracts_signed: int
    contracts_broken: int
    #: Open offers that no live suggestion reaches, oldest first (the first few), and how many.
    lonely_offers: int
    lonely: tuple[Offer, ...]
    #: Active requests needing housing that no live suggestion with a bed reaches.
    housing_unsolved: int
    #: Active requests that no live suggestion reaches.
    requests_without: int


def operational_figures(
    session: Session, now: datetime, *, priority_only: bool = False
) -> OperationalFigures:
    """Count the suggestions to review, the pairs by stage, the contracts, the offers and
    requests no suggestion reaches, the unsolved housing needs (the plan's priority métiers only
    when ``priority_only``)."""
    day = today(session, now, priority_only=priority_only)
    signed, broken = contract_counts(session, priority_only=priority_only)
    return OperationalFigures(
        review_queue=day.to_review,
        pairs_by_status=tuple(pairs_by_status(session, priority_only=priority_only)),
        contracts_signed=signed,
        contracts_broken=broken,
        lonely_offers=day.lonely_offers,
        lonely=tuple(day.lonely),
        housing_unsolved=day.housing_unsolved,
        requests_without=requests_without_suggestion(session),
    )


def totals(cells: Mapping[Cell, int] | Counter[Cell]) -> int:
    """The sum of a figure over its cells."""
    return sum(cells.values())


def iter_cells(figures: Mapping[str, Counter[Cell]]) -> Iterator[tuple[str, Cell, int]]:
    """Every (indicator, cell, value) of a set of figures, in a stable order."""
    for key in sorted(figures):
        for cell in sorted(figures[key]):
            yield key, cell, figures[key][cell]
