"""A synthetic demo dataset of any size, for load tests: the Ain and the départements around it.

``flask --app web demo --scale offers=10000,requests=50000`` fills an empty database with:

* employers (one per three offers or so) shaped like the hand-written demo's structures (their
  kind and the métiers they hire for, so EHPADs and aide-soignant offers dominate as they do in
  the sector), their sites at real communes of the Ain and of the neighbouring départements
  (01, 38, 39, 69, 71, 73, 74), drawn by département share then by population;
* their offers: places, start dates, durations, housing, licence, nights and weekends as in the
  demo; mostly published, a few drafts, closed and filled;
* candidates and their requests, living at such communes too, with métiers typed the way people
  type them (resolved against the referential, a few left unresolved), radii, housing needs;
* the staff accounts of the demo, everyone's account, the suggestions of the engine
  (:func:`data.recompute.recompute_suggestions`) and a share of pairs approved by the
  coordinator.

Everything says it is demo data: « ... de démonstration n° 123 » names, e-mail addresses under
``demo.example.org`` (a reserved domain). Deterministic for a seed and a day. Rows are written
with bulk ``INSERT``s (executemany), not object by object: 10,000 offers and 50,000 requests load
in about a minute (see benchmarks/README.md). Into a database that already has employers it
loads nothing, as :func:`data.demo.load_demo` does. The caller commits.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from data import demo
from data import operations as ops
from data.actor import Actor
from data.errors import Conflict, ValidationError
from data.models import (
    Candidate,
    Commune,
    ContractKind,
    Employer,
    HousingKind,
    HousingResource,
    Metier,
    NotifyFrequency,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Role,
    Site,
    StructureCheck,
    StructureKind,
    Suggestion,
    SuggestionStatus,
    User,
)
from data.operations.metiers import metier_referential
from data.recompute import recompute_suggestions

__all__ = [
    "DEPARTEMENT_SHARES",
    "EMAIL_DOMAIN",
    "MAX_SCALE",
    "load_scaled_demo",
    "parse_scale",
]

T = TypeVar("T")

EMAIL_DOMAIN = "demo.example.org"
#: Where records are, by département (per cent): the Ain's platform, and the people around it.
DEPARTEMENT_SHARES: dict[str, int] = {
    "01": 60,
    "69": 10,
    "74": 8,
    "38": 7,
    "71": 6,
    "39": 5,
    "73": 4,
}
MAX_SCALE = 1_000_000
OFFERS_PER_EMPLOYER = 3
SITES_PER_EMPLOYER = ((1, 70), (2, 20), (3, 10))
OFFER_STATUSES = (
    (OfferStatus.PUBLISHED, 85),
    (OfferStatus.DRAFT, 5),
    (OfferStatus.CLOSED, 5),
    (OfferStatus.FILLED, 5),
)
REQUEST_STATUSES = (
    (RequestStatus.ACTIVE, 92),
    (RequestStatus.PAUSED, 5),
    (RequestStatus.CLOSED, 3),
)
HOUSING_KINDS = (
    (HousingKind.ESMS_ROOM, 4),
    (HousingKind.FJT, 3),
    (HousingKind.HOST_FAMILY, 1),
)
NOTIFY = (
    NotifyFrequency.DAILY,
    NotifyFrequency.DAILY,
    NotifyFrequency.WEEKLY,
    NotifyFrequency.IMMEDIATE,
    NotifyFrequency.NEVER,
)
#: Active candidates were last seen within this many days (the reminders ask after 60).
RECENT_ACTIVITY_DAYS = 50
RADII = (10, 15, 20, 25, 30, 30, 30, 40, 50, 60, 80, 100)
#: One request in this many gets its best pair approved by the coordinator.
APPROVED_ONE_IN = 100
_CHUNK = 5000
KIND_LABELS = {
    StructureKind.EHPAD: "EHPAD",
    StructureKind.RESIDENCE_AUTONOMIE: "Résidence autonomie",
    StructureKind.IME: "IME",
    StructureKind.ITEP: "ITEP",
    StructureKind.MAS: "MAS",
    StructureKind.FAM: "FAM",
    StructureKind.FOYER_HEBERGEMENT: "Foyer d'hébergement",
    StructureKind.FOYER_VIE: "Foyer de vie",
    StructureKind.ESAT: "ESAT",
    StructureKind.SESSAD: "SESSAD",
    StructureKind.MECS: "MECS",
    StructureKind.CRECHE: "Crèche",
    StructureKind.SAAD: "Service d'aide à domicile",
    StructureKind.SSIAD: "SSIAD",
    StructureKind.CHRS: "CHRS",
    StructureKind.SERVICE_SOCIAL: "Service social",
    StructureKind.HOPITAL: "Hôpital local",
    StructureKind.GROUPE: "Association",
}
PHONE_PREFIXES = {"01": "04 74", "38": "04 76", "39": "03 84", "69": "04 78", "71": "03 85"}
PHONE_PREFIXES |= {"73": "04 79", "74": "04 50"}


def parse_scale(value: str) -> dict[str, int]:
    """Read ``offers=N,requests=M`` (either may be left out: 0); raise ValidationError if bad.

    >>> parse_scale("offers=10000,requests=50000")
    {'offers': 10000, 'requests': 50000}
    """
    counts = {"offers": 0, "requests": 0}
    for part in filter(None, (p.strip() for p in value.split(","))):
        key, sep, number = part.partition("=")
        key = key.strip()
        if not sep or key not in counts or not number.strip().isdigit():
            raise ValidationError(
                {"scale": ["Échelle attendue sous la forme offers=10000,requests=50000."]}
            )
        counts[key] = int(number)
    if not any(counts.values()) or max(counts.values()) > MAX_SCALE:
        raise ValidationError({"scale": [f"Indiquez entre 1 et {MAX_SCALE} offres ou demandes."]})
    return counts


def _chunks(rows: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in bulk (executemany, in chunks); return their new ids, in order."""
    ids: list[int] = []
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    for chunk in _chunks(rows):
        ids.extend(session.scalars(stmt, list(chunk)).all())
    return ids


class _Places:
    """Communes of the Ain and around, drawn by département share, then by population."""

    def __init__(self, session: Session, rng: random.Random) -> None:
        self.rng = rng
        rows = session.execute(
            select(Commune.insee, Commune.departement, Commune.name, Commune.population)
            .where(Commune.departement.in_(DEPARTEMENT_SHARES), Commune.population > 0)
            .order_by(Commune.insee)
        ).all()
        self.names = {r.insee: r.name for r in rows}
        self.departement = {r.insee: r.departement for r in rows}
        self.by_dep: dict[str, tuple[list[str], list[int]]] = {}
        for r in rows:
            codes, weights = self.by_dep.setdefault(r.departement, ([], []))
            codes.append(r.insee)
            weights.append(r.population)
        missing = set(DEPARTEMENT_SHARES) - set(self.by_dep)
        if missing:
            raise Conflict("Chargez d'abord les données de référence (communes).")
        self.deps = list(DEPARTEMENT_SHARES)
        self.dep_weights = list(DEPARTEMENT_SHARES.values())

    def draw(self, departement: str | None = None) -> str:
        dep = departement or self.rng.choices(self.deps, self.dep_weights)[0]
        codes, weights = self.by_dep[dep]
        return self.rng.choices(codes, weights)[0]


def load_scaled_demo(
    session: Session,
    *,
    offers: int,
    requests: int,
    seed: int = 1,
    today: date | None = None,
    suggestions: bool = True,
) -> dict[str, int]:
    """Load ``offers`` offers and ``requests`` requests (and all around them); return the counts.

    Loads nothing and returns zeros into a database that has employers. The reference data must
    be loaded first. ``suggestions=False`` leaves the engine's work to the scheduler.
    """
    counts = dict.fromkeys(demo.DEMO_COUNTS_KEYS, 0)
    clock = demo.begin_demo(session, seed=seed, today=today)
    if clock is None:
        return counts
    rng, today, base, past = clock.rng, clock.today, clock.base, clock.past
    places = _Places(session, rng)

    coordinator = ops.create_user(
        session, email=demo.COORDINATOR_EMAIL, role=Role.COORDINATOR, display_name="Coordination"
    )
    ops.create_user(session, email=demo.ADMIN_EMAIL, role=Role.ADMIN, display_name="Administration")
    counts["users"] += 2

    if offers:
        _employers_and_offers(session, rng, places, offers, today, past, counts)
    if requests:
        _candidates_and_requests(session, rng, places, requests, today, past, counts)
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        session.execute(text("ANALYZE"))  # fresh statistics before the engine's queries
    if suggestions:
        report = recompute_suggestions(session, now=base - timedelta(days=1))
        counts["suggestions"] = report.created
        if postgresql:  # a million new rows: the planner must know before the first page
            session.execute(text("ANALYZE suggestions"))
        counts["pairs"] = _approve_some(session, coordinator, requests, base)
    return counts


def _employers_and_offers(
    session: Session,
    rng: random.Random,
    places: _Places,
    offers: int,
    today: date,
    past: Any,
    counts: dict[str, int],
) -> None:
    """Write employers, their sites and housing, their accounts and ``offers`` offers."""
    n_employers = max(1, round(offers / OFFERS_PER_EMPLOYER))
    diplomas = {
        code: diploma for code, diploma in session.execute(select(Metier.code, Metier.diploma_code))
    }
    used_sirets: set[str] = set()
    specs = [rng.choice(demo.EMPLOYERS) for _ in range(n_employers)]
    employer_rows, homes = [], []
    for n, spec in enumerate(specs, start=1):
        home = places.draw()
        homes.append(home)
        dep = places.departement[home]
        contact = rng.choice(demo.CONTACT_NAMES)
        joined = past(120, 400)
        employer_rows.append(
            {
                "name": f"{KIND_LABELS.get(spec.kind, 'Structure')} de démonstration n° {n}",
                "siret": demo.draw_siret(rng, used_sirets),
                "kind": spec.kind,
                "contact_name": contact,
                "contact_email": f"structure-{n}@{EMAIL_DOMAIN}",
                "contact_phone": demo.draw_phone(rng, PHONE_PREFIXES.get(dep, "04 74")),
                "created_at": joined,
                "updated_at": joined,
                # Demo structures are checked: their offers are published (moderation).
                "check_status": StructureCheck.CHECKED,
                "checked_at": joined,
            }
        )
    employer_ids = _insert(session, Employer, employer_rows)
    counts["employers"] = len(employer_ids)
    _insert(
        session,
        User,
        [
            {
                "email": row["contact_email"],
                "role": Role.EMPLOYER,
                "employer_id": employer_id,
                "display_name": row["contact_name"],
            }
            for employer_id, row in zip(employer_ids, employer_rows, strict=True)
        ],
    )
    counts["users"] += len(employer_ids)

    site_rows, site_owner = [], []
    for n, (employer_id, home) in enumerate(zip(employer_ids, homes, strict=True), start=1):
        how_many = rng.choices(*zip(*SITES_PER_EMPLOYER, strict=True))[0]
        for k in range(how_many):
            insee = home if k == 0 else places.draw(places.departement[home])
            site_rows.append(
                {
                    "employer_id": employer_id,
                    "name": f"Site de démonstration n° {n}-{k + 1} ({places.names[insee]})",
                    "commune_insee": insee,
                    "created_at": employer_rows[n - 1]["created_at"],
                }
            )
            site_owner.append(n - 1)
    site_ids = _insert(session, Site, site_rows)
    counts["sites"] = len(site_ids)

    beds: dict[int, int] = {}
    housing_rows = []
    for site_id, owner, site_row in zip(site_ids, site_owner, site_rows, strict=True):
        housed = any(s.housing for s in specs[owner].sites)
        if rng.random() < (0.5 if housed else 0.08):
            n_beds = rng.choice((1, 1, 2, 2, 3))
            beds[site_id] = n_beds
            housing_rows.append(
                {
                    "site_id": site_id,
                    "employer_id": site_row["employer_id"],
                    "name": site_row["name"],
                    "commune_insee": site_row["commune_insee"],
                    "kind": demo.weighted_choice(rng, tuple(HOUSING_KINDS)),
                    "beds": n_beds,
                    "beds_taken": 0,
                    "aids": [],
                    "apprentices_only": False,
                    "published": False,
                    "monthly_cost_eur": rng.choice((150, 200, 250, 280, 350, 390, 420, 460)),
                }
            )
    _insert(session, HousingResource, housing_rows)

    sites_of: dict[int, list[tuple[int, str]]] = {}
    for site_id, owner, row in zip(site_ids, site_owner, site_rows, strict=True):
        sites_of.setdefault(owner, []).append((site_id, row["commune_insee"]))
    # Every employer has an offer; the others go to employers in proportion to their sites.
    owners = list(range(n_employers))
    weights = [len(sites_of[o]) for o in owners]
    offer_owner = owners[:offers] + rng.choices(owners, weights, k=max(0, offers - n_employers))
    offer_rows = []
    for owner in offer_owner:
        spec = specs[owner]
        metier = rng.choice(spec.metiers)
        site_id, insee = rng.choice(sites_of[owner])
        status = demo.weighted_choice(rng, tuple(OFFER_STATUSES))
        created = past(20, 120)
        home_care = demo.is_home_care(spec.kind, metier)
        site_beds = beds.get(site_id, 0)
        n_places = rng.choice((1, 1, 1, 1, 2, 2, 3))
        offer_rows.append(
            {
                "site_id": site_id,
                "metier_code": metier,
                "diploma": diplomas[metier],
                "contract": ContractKind.PROFESSIONNALISATION
                if rng.random() < 0.12
                else ContractKind.APPRENTISSAGE,
                "places": n_places,
                "places_filled": n_places if status == OfferStatus.FILLED else 0,
                "start_date": demo.first_of_month(today, rng.randint(1, 8)),
                "duration_months": rng.choice(demo.DURATIONS[metier]),
                "housing_beds": min(site_beds, rng.choice((1, 1, 2)))
                if site_beds and rng.random() < 0.8
                else 0,
                "licence_required": home_care,
                "night_work": spec.kind in demo.ROUND_THE_CLOCK
                and metier in (demo.AS, demo.AES)
                and rng.random() < 0.3,
                "weekend_work": spec.kind in demo.ROUND_THE_CLOCK and rng.random() < 0.7,
                "tutor_name": f"{rng.choice(demo.FIRST_NAMES[:28])} {rng.choice(demo.LAST_NAMES)}",
                "tutor_role": demo.TUTOR_ROLES[metier],
                "description": (
                    f"Offre de démonstration à {places.names[insee]}. {demo.TASKS[metier]}"
                    + (" Permis B indispensable." if home_care else "")
                ),
                "status": status,
                "created_at": created,
                "updated_at": created,
                "published_at": None
                if status == OfferStatus.DRAFT
                else created + timedelta(days=rng.randint(0, 5)),
                "closed_at": past(1, 15)
                if status in (OfferStatus.CLOSED, OfferStatus.FILLED)
                else None,
            }
        )
    counts["offers"] = len(_insert(session, Offer, offer_rows))
    counts["offers_published"] = sum(r["status"] == OfferStatus.PUBLISHED for r in offer_rows)


def _candidates_and_requests(
    session: Session,
    rng: random.Random,
    places: _Places,
    requests: int,
    today: date,
    past: Any,
    counts: dict[str, int],
) -> None:
    """Write ``requests`` candidates, their requests, the métiers as typed, and their accounts."""
    referential = metier_referential()
    resolved: dict[str, str | None] = {}

    def resolve(text: str) -> str | None:
        if text not in resolved:
            resolved[text] = referential.resolve(text).code
        return resolved[text]

    candidate_rows, request_rows, typed = [], [], []
    for n in range(1, requests + 1):
        first, last = rng.choice(demo.FIRST_NAMES), rng.choice(demo.LAST_NAMES)
        joined = past(1, 300)
        status = demo.weighted_choice(rng, tuple(REQUEST_STATUSES))
        active = joined + timedelta(minutes=rng.randint(2, 30))
        if status == RequestStatus.ACTIVE:
            # People still looking come back now and then (and the reminders keep them doing so).
            active = max(active, past(0, RECENT_ACTIVITY_DAYS))
        candidate_rows.append(
            {
                "first_name": first,
                "last_name": last,
                "email": f"{demo.slug(first)}.{demo.slug(last)}.{n}@{EMAIL_DOMAIN}",
                "phone": demo.draw_mobile(rng) if rng.random() < 0.6 else None,
                "consent_at": joined,
                "notify_frequency": rng.choice(NOTIFY),
                "created_at": joined,
                "last_activity_at": active,
            }
        )
        wanted = demo.weighted_choice(rng, demo.METIER_WEIGHTS)
        metiers = [wanted]
        if rng.random() < 0.45:
            metiers.append(rng.choice(demo.SECOND_CHOICE[wanted]))
        texts = [rng.choice(demo.TYPED[m]) for m in dict.fromkeys(metiers)]
        if rng.random() < 0.08:
            texts.append(rng.choice(demo.UNRESOLVED))
        typed.append(texts)
        home = places.draw()
        far = not home.startswith(demo.AIN)
        licence = rng.random() < 0.65
        request_rows.append(
            {
                "commune_insee": home,
                "max_distance_km": rng.choice(RADII),
                "has_licence": licence,
                "has_car": licence and rng.random() < 0.75,
                "needs_housing": rng.random() < (0.6 if far else 0.15),
                "accepts_relocation": rng.random() < (0.7 if far else 0.2),
                "available_from": demo.first_of_month(today, rng.randint(0, 7))
                if rng.random() < 0.8
                else None,
                "diploma_level": rng.choice(demo.DIPLOMA_LEVELS[wanted])
                if rng.random() < 0.9
                else None,
                "status": status,
                "created_at": joined + timedelta(minutes=rng.randint(2, 30)),
                "updated_at": active,
            }
        )
    candidate_ids = _insert(session, Candidate, candidate_rows)
    counts["candidates"] = len(candidate_ids)
    for row, candidate_id in zip(request_rows, candidate_ids, strict=True):
        row["candidate_id"] = candidate_id
    request_ids = _insert(session, Request, request_rows)
    counts["requests"] = len(request_ids)
    metier_rows = [
        {"request_id": request_id, "position": position, "text": t, "metier_code": resolve(t)}
        for request_id, texts in zip(request_ids, typed, strict=True)
        for position, t in enumerate(texts)
    ]
    for chunk in _chunks(metier_rows):
        session.execute(insert(RequestMetier), list(chunk))
    counts["unresolved_metiers"] = sum(r["metier_code"] is None for r in metier_rows)
    user_rows = [
        {
            "email": row["email"],
            "role": Role.CANDIDATE,
            "candidate_id": candidate_id,
            "display_name": f"{row['first_name']} {row['last_name']}",
        }
        for row, candidate_id in zip(candidate_rows, candidate_ids, strict=True)
    ]
    for chunk in _chunks(user_rows):
        session.execute(insert(User), list(chunk))
    counts["users"] += len(user_rows)


def _approve_some(session: Session, coordinator: User, requests: int, base: datetime) -> int:
    """Approve, as the coordinator would, the best pair of one request in a hundred or so."""
    wanted = max(1, requests // APPROVED_ONE_IN) if requests else 0
    rows = session.execute(
        select(Suggestion.id, Suggestion.request_id, Suggestion.offer_id)
        .where(Suggestion.status == SuggestionStatus.PROPOSED)
        .order_by(Suggestion.score.desc(), Suggestion.id)
        .limit(wanted * 20)
    ).all()
    chosen = list(_distinct_pairs(rows, wanted))
    for suggestion_id in chosen:
        ops.change_suggestion_status(
            session,
            suggestion_id,
            SuggestionStatus.APPROVED,
            Actor.user(coordinator),
            now=base - timedelta(hours=2),
        )
    session.flush()
    return len(chosen)


def _distinct_pairs(rows: Iterable[Any], wanted: int) -> Iterator[int]:
    """Yield suggestion ids, best first, no request and no offer twice, at most ``wanted``."""
    seen_requests: set[int] = set()
    seen_offers: set[int] = set()
    for row in rows:
        if wanted <= 0:
            return
        if row.request_id in seen_requests or row.offer_id in seen_offers:
            continue
        seen_requests.add(row.request_id)
        seen_offers.add(row.offer_id)
        wanted -= 1
        yield row.id
