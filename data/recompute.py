"""The bridge between the database and the engine: recompute the suggestions.

:func:`recompute_suggestions` reads the active requests and the published offers with places
left, runs :func:`matching.suggest`, and writes the union of both top-k lists into the
``suggestions`` table:

* a pair the engine returns and the table lacks is inserted (``proposed``, origin ``engine``);
* a pair the table has gets the new score, distance, criteria, reasons and engine version, and
  ``stale = False``; its status never changes: a pair already approved, rejected or further on
  is never proposed again as new;
* an engine pair still ``proposed`` that the engine no longer returns becomes ``stale``.

Rows are never deleted. The function flushes; the caller (a job run, a request) commits.

Safe when it overlaps other writers: on PostgreSQL two recomputations take turns (a
transaction-scoped advisory lock, taken before anything is read; SQLite's transactions already
take turns, see :mod:`data.db`); a pair that someone else inserted meanwhile (a coordinator's
manual pair) is left as it is (``ON CONFLICT DO NOTHING``), and only a pair still proposed is
made stale.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    bindparam,
    func,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from data.db import rows_changed
from data.models import (
    OPEN_OFFER,
    AgeBand,
    Commune,
    HousingResource,
    HousingSource,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
    TrainingCentre,
    TrainingProgramme,
    employer_training_centres,
    utcnow,
)
from data.reference import read_metiers
from matching import (
    ENGINE_VERSION,
    Exclusion,
    Match,
    MetierReferential,
    OfferIn,
    Params,
    Programme,
    RequestIn,
    Tutor,
    score_pair,
    score_pairs,
    suggest,
)
from matching import HousingResource as HousingIn
from matching import TrainingCentre as CentreIn

__all__ = [
    "RecomputeReport",
    "EngineInputs",
    "tutor_inputs",
    "centre_inputs",
    "engine_id",
    "housing_inputs",
    "engine_inputs",
    "match_values",
    "DECIDED_COLUMNS",
    "offer_input",
    "request_input",
    "read_requests",
    "read_offers",
    "named_masters",
    "score_request_offer",
    "recompute_suggestions",
    "plan_suggestions",
    "apply_plan",
    "SuggestionPlan",
    "PairTable",
    "SUGGESTION_PAIRS",
    "write_pairs",
    "insert_pairs",
    "id_chunks",
    "update_rows",
    "make_stale",
    "take_turn",
    "shipped_referential",
    "training_records",
]

_CHUNK = 500  # ids per IN (...) clause
#: PostgreSQL advisory lock that recomputations take in turn ("PREC").
RECOMPUTE_LOCK_KEY = 0x5052_4543


@dataclass(frozen=True)
class RecomputeReport:
    """What a recomputation did: rows created, updated, made stale; inputs it scored."""

    created: int
    updated: int
    staled: int
    requests: int
    offers: int
    engine_version: str = ENGINE_VERSION


@lru_cache(maxsize=1)
def shipped_referential() -> MetierReferential:
    """The métier referential of the shipped reference data, built once per process."""
    return MetierReferential.from_records(read_metiers())


def engine_id(db_id: int) -> str:
    """Give the engine a database id as text whose order is the numeric order.

    The engine breaks ties by id as text: unpadded, "10" would come before "9", and which pairs
    make a top-k would depend on how many digits the ids happen to have.

    >>> engine_id(9) < engine_id(10)
    True
    >>> int(engine_id(42))
    42
    """
    return f"{db_id:012d}"


@dataclass(frozen=True)
class EngineInputs:
    """What the engine reads of the database: requests, offers, training centres and housing.

    ``centres`` is None when no centre is known at all: the engine then scores as it did before
    centres existed (no training criterion), rather than telling every pair that no centre
    prepares its diploma. ``housing`` likewise is None when no published resource has a free
    bed: only the offers' own beds then house a candidate, as before resources existed.
    ``tutors``: the maîtres d'apprentissage the offers name, with their capacities
    (:mod:`data.operations.masters`); None when no offer names one (or no legal limit is in
    force): the engine then ignores the offers' tutors, as before masters existed.
    """

    requests: list[RequestIn]
    offers: list[OfferIn]
    centres: list[CentreIn] | None
    housing: list[HousingIn] | None = None
    tutors: list[Tutor] | None = None


def engine_inputs(session: Session, referential: MetierReferential) -> EngineInputs:
    """Active requests with a resolved métier, published offers with a place left, as engine input.

    Ids are the database ids as strings; places are the places left; an offer is placed at its
    site's commune, a request at its own commune; the training centres come with them
    (:func:`centre_inputs`), and each offer with the centres its employer works with.
    """
    requests = read_requests(session, referential)
    offers = read_offers(session, referential)
    centres = centre_inputs(session, referential)
    housing = housing_inputs(session)
    tutors = tutor_inputs(session, named_masters(offers))
    return EngineInputs(requests, offers, centres or None, housing or None, tutors or None)


def read_requests(
    session: Session, referential: MetierReferential, *where: ColumnElement[bool]
) -> list[RequestIn]:
    """The active requests (those matching ``where`` too) as engine input, by id.

    A request none of whose métiers the referential knows is left out: it is reported to the
    candidate, never matched. Read as plain rows (no ORM objects): the re-matching of one
    changed offer reads a thousand requests in a few milliseconds.
    """
    # One row per resolved métier of each request.
    result = session.connection().execute(
        select(
            RequestMetier.position,
            RequestMetier.metier_code,
            Request.id,
            Commune.latitude,
            Commune.longitude,
            Request.max_distance_km,
            Request.needs_housing,
            Request.accepts_relocation,
            Request.has_licence,
            Request.available_from,
            Request.diploma_level,
            Request.training_centre_id,
            # As text: an AgeBand is a StrEnum, equal to it; the enum's processing per row was
            # a tenth of the reading.
            type_coerce(Request.age_band, String),
        )
        .join(Request, Request.id == RequestMetier.request_id)
        .join(Commune, Commune.insee == Request.commune_insee)
        .where(
            Request.status == RequestStatus.ACTIVE, RequestMetier.metier_code.is_not(None), *where
        )
    )
    # Fetched at once (row by row costs a fetch per row), and put in the candidate's order
    # here: SQLite sorted these wide rows in a temporary B-tree, a third of the query's time.
    rows = sorted(result.all(), key=itemgetter(2, 0))  # (request id, position)
    out: list[RequestIn] = []
    codes: list[str] = []
    values: Any = None
    for _position, code, *request in rows:
        if values is not None and request[0] != values[0]:
            if codes:
                out.append(_request_in(values[0], tuple(codes), *values[1:]))
            codes = []
        values = request
        if code is not None and code in referential and code not in codes:
            codes.append(code)
    if values is not None and codes:
        out.append(_request_in(values[0], tuple(codes), *values[1:]))
    return out


#: An offer as :func:`read_offers` reads it: the values of :func:`_offer_in`, its employer's id.
_OfferRow = tuple[
    int, str, float, float, int, int, bool, bool, date | None, int | None, int | None, int
]


def read_offers(
    session: Session, referential: MetierReferential, *where: ColumnElement[bool]
) -> list[OfferIn]:
    """The published offers with a place left (those matching ``where`` too) as engine input,
    by id, each with the centres its employer works with; an offer of a métier the engine does
    not know is left out."""
    rows: Sequence[_OfferRow] = (
        session.connection()
        .execute(
            select(
                Offer.id,
                Offer.metier_code,
                Commune.latitude,
                Commune.longitude,
                Offer.places - Offer.places_filled,
                Offer.housing_beds,
                Offer.licence_required,
                Offer.night_work,
                Offer.start_date,
                Offer.partner_centre_id,
                Offer.master_id,
                Site.employer_id,
            )
            .join(Site, Site.id == Offer.site_id)
            .join(Commune, Commune.insee == Site.commune_insee)
            .where(*OPEN_OFFER, *where)
            .order_by(Offer.id)
        )
        .all()
    )
    works_with = _employers_centres(session, {row[-1] for row in rows})
    return [
        _offer_in(*row[:11], works_with.get(row[11], ())) for row in rows if row[1] in referential
    ]


def named_masters(offers: Sequence[OfferIn]) -> list[int]:
    """The database ids of the maîtres d'apprentissage these offers name."""
    return sorted({int(o.tutor) for o in offers if o.tutor is not None})


def tutor_inputs(session: Session, master_ids: Sequence[int]) -> list[Tutor]:
    """The maîtres d'apprentissage of ``master_ids`` with their capacities, as engine input;
    empty when there are none or no legal limit is in force (no capacity is known)."""
    from data.queries.masters import master_capacities

    if not master_ids:
        return []
    capacities = master_capacities(session, list(master_ids))
    if capacities is None:
        return []
    return [Tutor(engine_id(i), capacities[i]) for i in master_ids if i in capacities]


def housing_inputs(session: Session, *, today: date | None = None) -> list[HousingIn]:
    """The published housing resources with a free bed, as engine input, by id.

    A resource on a site is left out: its beds are the site's, which the offers of the site
    reserve (``Offer.housing_beds``). The free beds are the beds less those taken (let by its
    manager, or by a signed pair: :mod:`data.operations.beds`); a resource whose every
    availability period has ended (in France, ``today``) is left out.
    """
    from data.operations._common import local_today

    day = today or local_today()
    rows = session.scalars(
        select(HousingResource)
        .where(HousingResource.published.is_(True), HousingResource.site_id.is_(None))
        .options(joinedload(HousingResource.commune), selectinload(HousingResource.periods))
        .order_by(HousingResource.id)
    ).all()
    out: list[HousingIn] = []
    for r in rows:
        free = r.beds_free
        ended = r.periods and all(p.ends_on is not None and p.ends_on < day for p in r.periods)
        if free > 0 and not ended:
            out.append(
                HousingIn(
                    id=engine_id(r.id),
                    name=r.name,
                    kind=r.kind.value,
                    lat=r.commune.latitude,
                    lon=r.commune.longitude,
                    beds=free,
                    monthly_cost_eur=r.monthly_cost_eur,
                )
            )
    return out


def _employers_centres(
    session: Session, employer_ids: Collection[int] | None = None
) -> dict[int, tuple[str, ...]]:
    """The engine ids of the centres each employer works with (of ``employer_ids`` only if
    given), by employer id."""
    out: dict[int, list[str]] = {}
    links = employer_training_centres.c
    stmt = select(links.employer_id, links.centre_id).order_by(links.employer_id, links.centre_id)
    chunks = [None] if employer_ids is None else list(id_chunks(employer_ids))
    for chunk in chunks:
        for employer_id, centre_id in session.execute(
            stmt if chunk is None else stmt.where(links.employer_id.in_(chunk))
        ):
            out.setdefault(employer_id, []).append(engine_id(centre_id))
    return {k: tuple(v) for k, v in out.items()}


def _centres(session: Session) -> Sequence[TrainingCentre]:
    # The read layer's one query of centres (imported here: data.queries imports this module).
    from data.queries.training import centre_query

    return session.scalars(centre_query().order_by(TrainingCentre.id)).all()


def _intakes(programme: TrainingProgramme, since: date | None) -> list[date]:
    return sorted(
        s.start_date for s in programme.sessions if since is None or s.start_date >= since
    )


def centre_inputs(
    session: Session, referential: MetierReferential, *, since: date | None = None
) -> list[CentreIn]:
    """Every training centre as engine input: its programmes by apprenticeship and their intakes.

    A programme of a métier the engine does not know is left out; a centre without any
    programme by apprenticeship stays (a candidate may be enrolled there, an employer may name
    it): the engine then says that it does not prepare the offer's diploma.
    """
    return [
        CentreIn(
            id=engine_id(c.id),
            name=c.name,
            lat=c.commune.latitude,
            lon=c.commune.longitude,
            commune=c.commune.name,
            programmes=tuple(
                Programme(metier=p.metier_code, intakes=tuple(_intakes(p, since)))
                for p in c.programmes
                if p.by_apprenticeship and p.metier_code in referential
            ),
        )
        for c in _centres(session)
    ]


def training_records(
    session: Session, *, since: date | None = None, by_apprenticeship: bool = True
) -> list[dict[str, Any]]:
    """Return every centre as the engine's ``--training`` file lists it.

    ``{"id", "name", "commune": INSEE, "lat", "lon", "programmes": [{"metier": CODE,
    "intakes": ["YYYY-MM-DD", ...]}]}``: the programmes by apprenticeship (unless
    ``by_apprenticeship`` is False), their sessions starting on or after ``since`` (all when
    None), earliest first; centres ordered by id.
    """
    return [
        {
            "id": c.id,
            "name": c.name,
            "commune": c.commune_insee,
            "lat": c.commune.latitude,
            "lon": c.commune.longitude,
            "programmes": [
                {"metier": p.metier_code, "intakes": [d.isoformat() for d in _intakes(p, since)]}
                for p in c.programmes
                if p.by_apprenticeship or not by_apprenticeship
            ],
        }
        for c in _centres(session)
    ]


def request_input(r: Request, referential: MetierReferential) -> RequestIn | None:
    """One request as engine input; None when none of its métiers is in the referential."""
    codes = tuple(c for c in r.metier_codes if c in referential)
    if not codes:
        return None
    return _request_in(
        r.id,
        codes,
        r.commune.latitude,
        r.commune.longitude,
        r.max_distance_km,
        r.needs_housing,
        r.accepts_relocation,
        r.has_licence,
        r.available_from,
        r.diploma_level,
        r.training_centre_id,
        r.age_band,
    )


@lru_cache(maxsize=100_000)
def _request_in(
    request_id: int,
    codes: tuple[str, ...],
    lat: float,
    lon: float,
    max_km: int,
    needs_housing: bool,
    accepts_relocation: bool,
    has_licence: bool,
    available_from: date | None,
    diploma_level: int | None,
    training_centre_id: int | None,
    age_band: AgeBand | None,
) -> RequestIn:
    """The one mapping of a request's values to the engine's input (rows or objects).

    Remembered (the input is frozen): the re-matching of an offer in a town reads a thousand
    requests, most of them as they were the last time, and building (validating) their input
    was most of its time (:mod:`data.incremental`)."""
    return RequestIn(
        id=engine_id(request_id),
        metiers=codes,
        lat=lat,
        lon=lon,
        max_km=float(max_km),
        needs_housing=needs_housing,
        accepts_relocation=accepts_relocation,
        has_licence=has_licence,
        available_from=available_from,
        diploma_level=diploma_level,
        training_centre=_engine_id_or_none(training_centre_id),
        # The law for minors: no night work (Code du travail, L3163-2); the band says minor.
        minor=age_band == AgeBand.UNDER_18,
    )


def _engine_id_or_none(db_id: int | None) -> str | None:
    return None if db_id is None else engine_id(db_id)


def offer_input(
    o: Offer, referential: MetierReferential, employer_centres: Sequence[str] | None = None
) -> OfferIn | None:
    """One offer as engine input (its places left); None when the engine lacks its métier.

    ``employer_centres``: the engine ids of the centres its employer works with (read from the
    offer's employer when not given).
    """
    if o.metier_code not in referential:
        return None
    return _offer_in(
        o.id,
        o.metier_code,
        o.site.commune.latitude,
        o.site.commune.longitude,
        o.places_left,
        o.housing_beds,
        o.licence_required,
        o.night_work,
        o.start_date,
        o.partner_centre_id,
        o.master_id,
        tuple(
            employer_centres
            if employer_centres is not None
            else (engine_id(c.id) for c in o.site.employer.training_centres)
        ),
    )


@lru_cache(maxsize=100_000)
def _offer_in(
    offer_id: int,
    metier: str,
    lat: float,
    lon: float,
    places_left: int,
    housing_beds: int,
    licence_required: bool,
    night_work: bool,
    start: date | None,
    partner_centre_id: int | None,
    master_id: int | None,
    employer_centres: tuple[str, ...],
) -> OfferIn:
    """The one mapping of an offer's values to the engine's input (rows or objects); remembered
    as :func:`_request_in` is."""
    return OfferIn(
        id=engine_id(offer_id),
        metier=metier,
        lat=lat,
        lon=lon,
        places=places_left,
        housing_beds=housing_beds,
        licence_required=licence_required,
        night_work=night_work,
        start=start,
        training_centre=_engine_id_or_none(partner_centre_id),
        tutor=_engine_id_or_none(master_id),
        employer_centres=tuple(employer_centres),
    )


def score_request_offer(
    request: Request,
    offer: Offer,
    *,
    params: Params | None = None,
    referential: MetierReferential | None = None,
) -> Match | Exclusion | None:
    """Score one pair as a recomputation would: the engine's Match, or the Exclusion ruling it out.

    None when the request or the offer has no métier the engine knows (never matched).
    """
    ref = referential or shipped_referential()
    request_in, offer_in = request_input(request, ref), offer_input(offer, ref)
    if request_in is None or offer_in is None:
        return None
    session = object_session(request)
    centres = centre_inputs(session, ref) if session is not None else []
    housing = housing_inputs(session) if session is not None else []
    named = [offer.master_id] if offer.master_id is not None else []
    tutors = tutor_inputs(session, named) if session is not None else []
    return score_pair(
        request_in,
        offer_in,
        ref,
        params or Params(),
        centres=centres or None,
        housing=housing or None,
        tutors=tutors or None,
    )


def id_chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    """The ids in order, in slices short enough for one ``IN (...)`` clause."""
    ordered = sorted(set(ids))
    for i in range(0, len(ordered), _CHUNK):
        yield ordered[i : i + _CHUNK]


#: What a recomputation decides of a pair: the columns it writes (:func:`match_values`, the
#: lists holding it) and its status (what it never changes, whether proposed or decided on).
#: A full recomputation and the incremental re-matching must leave them equal.
DECIDED_COLUMNS = (
    "status",
    "stale",
    "in_request_list",
    "in_offer_list",
    "score",
    "distance_km",
    "criteria",
    "reasons",
    "engine_version",
    "proposed_centre_id",
    "proposed_centre_km",
    "proposed_intake_on",
    "housing_source",
    "proposed_housing_id",
    "proposed_housing_km",
)


def match_values(m: Match) -> dict[str, Any]:
    """The columns of a suggestion row that the engine's match gives (score, reasons, ...)."""
    d = m.to_dict()
    training, housing = m.training, m.housing
    return {
        "score": min(1.0, max(0.0, m.score)),
        "distance_km": m.distance_km,
        "criteria": d["criteria"],
        "reasons": d["reasons"],
        "engine_version": ENGINE_VERSION,
        "stale": False,
        "proposed_centre_id": None if training is None else int(training.centre_id),
        "proposed_centre_km": None if training is None else round(training.distance_km, 1),
        "proposed_intake_on": None if training is None else training.intake,
        "housing_source": None if housing is None else HousingSource(housing.source),
        "proposed_housing_id": (
            None if housing is None or housing.resource_id is None else int(housing.resource_id)
        ),
        "proposed_housing_km": None if housing is None else round(housing.distance_km, 1),
    }


@dataclass(frozen=True)
class SuggestionPlan:
    """The engine's pairs, computed from what was read; :func:`apply_plan` writes them."""

    pairs: dict[tuple[int, int], Match]
    requests: int
    offers: int
    #: The listed pairs: in the request's list, in the offer's list (the others were decided).
    lists: dict[tuple[int, int], tuple[bool, bool]] = field(default_factory=dict)


def take_turn(session: Session, key: int = RECOMPUTE_LOCK_KEY) -> None:
    """PostgreSQL: wait for any other recomputation's transaction to end (SQLite: see data.db)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def plan_suggestions(
    session: Session,
    *,
    top_k: int = 20,
    params: Params | None = None,
    referential: MetierReferential | None = None,
) -> SuggestionPlan:
    """Read the engine's inputs and run it; only reads (a read-only transaction is enough).

    Besides both top-k lists, the plan re-scores the pairs already decided on (approved,
    rejected, further on) that left the lists but whose request and offer are still open: their
    numbers then follow the request (a widened radius) and the engine, like every other pair of
    the request, and a farther offer of it never reads as scoring better on distance.
    """
    ref = referential or shipped_referential()
    p = params or Params()
    inputs = engine_inputs(session, ref)
    requests, offers, centres = inputs.requests, inputs.offers, inputs.centres
    housing, tutors = inputs.housing, inputs.tutors
    result = suggest(
        requests, offers, ref, p, top_k=top_k, centres=centres, housing=housing, tutors=tutors
    )
    pairs: dict[tuple[int, int], Match] = {}
    held: tuple[set[tuple[int, int]], set[tuple[int, int]]] = (set(), set())
    for listed_by, lists in zip(held, (result.by_request, result.by_offer), strict=True):
        for key in lists:
            for m in lists[key]:
                pair = (int(m.request_id), int(m.offer_id))
                pairs.setdefault(pair, m)
                listed_by.add(pair)
    in_lists = {pair: (pair in held[0], pair in held[1]) for pair in pairs}
    decided = _decided_pairs(session, requests, offers, pairs)
    scored_pairs = score_pairs(
        requests, offers, decided, ref, p, centres=centres, housing=housing, tutors=tutors
    )
    for scored in scored_pairs:
        if isinstance(scored, Match):  # a pair now excluded keeps the numbers it was decided on
            pairs[(int(scored.request_id), int(scored.offer_id))] = scored
    return SuggestionPlan(pairs, len(requests), len(offers), in_lists)


def _decided_pairs(
    session: Session,
    requests: Sequence[RequestIn],
    offers: Sequence[OfferIn],
    listed: dict[tuple[int, int], Match],
) -> list[tuple[str, str]]:
    """The engine ids of the decided engine pairs of these requests and offers, not listed."""
    request_ids = {int(r.id) for r in requests}
    offer_ids = {int(o.id) for o in offers}
    rows = session.execute(
        select(Suggestion.request_id, Suggestion.offer_id)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(
            Suggestion.status != SuggestionStatus.PROPOSED,
            Suggestion.origin == SuggestionOrigin.ENGINE,  # a pair by hand keeps its own
            Request.status == RequestStatus.ACTIVE,
            *OPEN_OFFER,
        )
        .order_by(Suggestion.id)
    ).all()
    return [
        (engine_id(r), engine_id(o))
        for r, o in rows
        if (r, o) not in listed and r in request_ids and o in offer_ids
    ]


def _still_open(session: Session, plan: SuggestionPlan) -> dict[tuple[int, int], Match]:
    """Drop the pairs whose request or offer closed or vanished since the plan was made.

    On PostgreSQL the rows kept are locked (``FOR KEY SHARE``) until the commit, so that none is
    deleted under the new pairs.
    """
    share = session.get_bind().dialect.name == "postgresql"
    request_ids = {r for r, _ in plan.pairs}
    offer_ids = {o for _, o in plan.pairs}
    open_requests: set[int] = set()
    open_offers: set[int] = set()
    for chunk in id_chunks(request_ids):
        stmt = select(Request.id).where(
            Request.id.in_(chunk), Request.status == RequestStatus.ACTIVE
        )
        open_requests.update(
            session.scalars(stmt.with_for_update(key_share=True) if share else stmt)
        )
    for chunk in id_chunks(offer_ids):
        stmt = select(Offer.id).where(Offer.id.in_(chunk), Offer.status == OfferStatus.PUBLISHED)
        open_offers.update(session.scalars(stmt.with_for_update(key_share=True) if share else stmt))
    return {
        (r, o): m for (r, o), m in plan.pairs.items() if r in open_requests and o in open_offers
    }


@dataclass(frozen=True)
class PairTable:
    """A table of engine pairs with a review (suggestions, discovery matches): its two keys and
    the values of a pair the engine proposes."""

    model: type[Any]
    left: str  # the request's side: "request_id", "wish_id"
    right: str  # the offer's side: "offer_id", "day_id"
    proposed: Any  # the status of a pair awaiting review
    engine: Any = SuggestionOrigin.ENGINE  # the origin of the engine's pairs


SUGGESTION_PAIRS = PairTable(Suggestion, "request_id", "offer_id", SuggestionStatus.PROPOSED)


def write_pairs(
    session: Session,
    table: PairTable,
    rows: dict[tuple[int, int], dict[str, Any]],
    listed: Collection[tuple[int, int]],
    *,
    now: datetime,
) -> tuple[int, int, int]:
    """Upsert the engine's pairs into ``table``; return (created, updated, made stale); flushes.

    ``rows``: the values of each pair to write (those still open); ``listed``: every pair the
    engine returned. A new pair is inserted as proposed (``ON CONFLICT DO NOTHING``: a pair
    someone inserted meanwhile is left as it is); an existing one gets the new values, its
    status untouched (a pair decided on is never proposed again); an engine pair still proposed
    that the engine no longer lists becomes stale.
    """
    model = table.model
    left, right = getattr(model, table.left), getattr(model, table.right)
    cols = (model.id, left, right)
    existing: dict[tuple[int, int], int] = {}
    for chunk in id_chunks({a for a, _ in rows}):
        for found in session.execute(select(*cols).where(left.in_(chunk))):
            existing[(found[1], found[2])] = found[0]
    proposed = session.execute(
        select(*cols).where(
            model.status == table.proposed,
            model.origin == table.engine,
            or_(model.stale.is_(False), model.stale.is_(None)),
        )
    ).all()
    new_rows: dict[tuple[int, int], dict[str, Any]] = {}
    updates: list[dict[str, Any]] = []
    for (a, b), values in sorted(rows.items()):
        row_id = existing.get((a, b))
        if row_id is None:
            new_rows[(a, b)] = values
        else:
            updates.append({"id": row_id, **values, "updated_at": now})
    keep = set(listed)
    stale_ids = sorted(row[0] for row in proposed if (row[1], row[2]) not in keep)
    created = insert_pairs(session, table, new_rows, now=now)
    update_rows(session, model, updates)
    staled = make_stale(session, table, stale_ids, now=now)
    # Bulk statements bypass the identity map: reload any row of the table the session holds.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model):
            session.expire(obj)
    session.flush()
    return created, len(updates), staled


def insert_pairs(
    session: Session,
    table: PairTable,
    rows: dict[tuple[int, int], dict[str, Any]],
    *,
    now: datetime,
) -> int:
    """Insert the engine's new pairs, proposed, with their values; return how many were.

    ``ON CONFLICT DO NOTHING``: a pair someone inserted meanwhile is left as it is.
    """
    if not rows:
        return 0
    model = table.model
    new_rows = [
        {
            table.left: a,
            table.right: b,
            **values,
            "origin": table.engine,
            "status": table.proposed,
            "created_at": now,
            "updated_at": now,
            "status_changed_at": now,
        }
        for (a, b), values in sorted(rows.items())
    ]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    columns = model.__table__
    stmt = (  # Core, not the ORM's bulk insert: less Python per row
        insert(columns)
        .on_conflict_do_nothing(index_elements=[table.left, table.right])
        .returning(columns.c.id)
    )
    created = 0
    for group in _by_keys(new_rows).values():  # executemany needs the same keys in every row
        created += len(session.connection().execute(stmt, group).all())
    return created


def _by_keys(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Group rows by the set of their keys, in order."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(tuple(sorted(row)), []).append(row)
    return out


def update_rows(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> int:
    """Update rows of ``model`` by id (each dict: ``id`` and the columns it sets); return how
    many. One executemany per set of columns, in Core rather than the ORM's bulk update by
    primary key (less Python per row); the callers expire what the session holds of them."""
    columns = model.__table__
    for keys, group in _by_keys(rows).items():
        stmt = (
            update(columns)
            .where(columns.c.id == bindparam("_id"))
            .values({k: bindparam(k) for k in keys if k != "id"})
        )
        session.connection().execute(stmt, [{"_id": row["id"], **row} for row in group])
    return len(rows)


def make_stale(session: Session, table: PairTable, ids: Sequence[int], *, now: datetime) -> int:
    """Make these pairs stale, those still proposed; return how many were."""
    model = table.model
    staled = 0
    for chunk in id_chunks(ids):
        result = session.execute(
            update(model)
            # The status wrapped: a bare ``status = ?`` makes SQLite (without statistics) walk
            # the status index, every proposed pair, rather than pick the few ids.
            .where(model.id.in_(chunk), func.coalesce(model.status, None) == table.proposed)
            .values(stale=True, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        staled += rows_changed(result)
    return staled


def apply_plan(
    session: Session, plan: SuggestionPlan, *, now: datetime | None = None
) -> RecomputeReport:
    """Write a plan's pairs into the suggestions table (see the module docstring); flush only."""
    now = now or utcnow()
    take_turn(session)
    session.flush()
    pairs = _still_open(session, plan)
    unlisted = (False, False)
    _clear_lists(session, {key for key in pairs if plan.lists.get(key, unlisted) != unlisted})
    created, updated, staled = write_pairs(
        session,
        SUGGESTION_PAIRS,
        {
            key: match_values(m) | _list_flags(plan.lists.get(key, unlisted))
            for key, m in pairs.items()
        },
        plan.pairs.keys(),
        now=now,
    )
    return RecomputeReport(
        created=created,
        updated=updated,
        staled=staled,
        requests=plan.requests,
        offers=plan.offers,
    )


def _list_flags(flags: tuple[bool, bool]) -> dict[str, bool]:
    return {"in_request_list": flags[0], "in_offer_list": flags[1]}


def _clear_lists(session: Session, keep: Collection[tuple[int, int]]) -> None:
    """Say that no list holds any pair but those of ``keep`` any more (the engine's lists)."""
    held = session.execute(
        select(Suggestion.id, Suggestion.request_id, Suggestion.offer_id).where(
            or_(Suggestion.in_request_list.is_(True), Suggestion.in_offer_list.is_(True))
        )
    ).all()
    gone = [row[0] for row in held if (row[1], row[2]) not in keep]
    for chunk in id_chunks(gone):
        session.execute(
            update(Suggestion)
            .where(Suggestion.id.in_(chunk))
            .values(**_list_flags((False, False)))
            .execution_options(synchronize_session=False)
        )


def recompute_suggestions(
    session: Session,
    *,
    now: datetime | None = None,
    top_k: int = 20,
    params: Params | None = None,
    referential: MetierReferential | None = None,
) -> RecomputeReport:
    """Run the engine on the database and upsert the suggestions; flush, never commit.

    One transaction: :func:`plan_suggestions` then :func:`apply_plan`. See the module docstring
    for what happens to new, existing and vanished pairs.
    """
    take_turn(session)  # before reading: the other recomputation's pairs are then visible
    plan = plan_suggestions(session, top_k=top_k, params=params, referential=referential)
    return apply_plan(session, plan, now=now)
