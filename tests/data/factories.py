"""Factory helpers for tests: build valid objects through the real operations, with overrides.

Each ``make_*`` takes the test's ``session`` and keyword overrides and returns the flushed object;
whatever it needs and is not given (an employer for a site, a site for an offer...) it makes too.

    offer = make_offer(session, places=2, housing_beds=1)   # a published offer, site with 1 bed
    request = make_request(session, metiers=["AES"], commune_insee="01283")
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import Actor
from data.models import (
    Candidate,
    ContractKind,
    Employer,
    HousingKind,
    HousingPeriod,
    HousingResource,
    Offer,
    Request,
    Role,
    Site,
    StructureCheck,
    StructureKind,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
    TrainingCentre,
    User,
)
from data.operations import training as training_ops
from data.operations._common import local_today
from data.operations.validation import luhn_check_digit

__all__ = [
    "BOURG",
    "OYONNAX",
    "fake_siret",
    "unique_email",
    "make_employer",
    "make_site",
    "make_offer",
    "make_candidate",
    "make_request",
    "make_user",
    "make_suggestion",
    "make_centre",
    "make_housing_resource",
    "assert_nothing_pending",
]

BOURG = "01053"  # Bourg-en-Bresse
OYONNAX = "01283"

_seq = itertools.count(1)


def _next() -> int:
    return next(_seq)


def fake_siret(n: int | None = None) -> str:
    """Return a valid SIRET (both keys right) that no real structure is likely to hold."""
    n = _next() if n is None else n
    base = f"99{n:06d}"
    siren = base + luhn_check_digit(base)
    nic = "0001"
    return siren + nic + luhn_check_digit(siren + nic)


def unique_email(prefix: str = "personne") -> str:
    """Return an e-mail address no other factory call returned in this process."""
    return f"{prefix}.{_next()}@example.org"


def make_employer(session: Session, **overrides: Any) -> Employer:
    """Create an employer (an EHPAD by default) with a valid, unused SIRET."""
    n = _next()
    values: dict[str, Any] = {
        "name": f"EHPAD Les Tilleuls {n}",
        "siret": fake_siret(n),
        "kind": StructureKind.EHPAD,
        "contact_name": "Claire Martin",
        "contact_email": f"direction.{n}@example.org",
        "contact_phone": "04 74 00 00 00",
        # Checked by the coordination: its offers are published at once (moderation's tests
        # make structures to check on purpose).
        "check_status": StructureCheck.CHECKED,
    }
    values.update(overrides)
    return ops.create_employer(session, **values)


def make_site(
    session: Session, employer: Employer | None = None, *, beds: int = 0, **overrides: Any
) -> Site:
    """Create a site (in Bourg-en-Bresse by default); ``beds`` > 0 adds a studio on site."""
    employer = employer if employer is not None else make_employer(session)
    values: dict[str, Any] = {"name": f"Site {_next()}", "commune_insee": BOURG}
    values.update(overrides)
    site = ops.add_site(session, employer, **values)
    if beds:
        ops.set_site_housing(
            session, site, kind=HousingKind.ESMS_ROOM, beds=beds, monthly_cost_eur=250
        )
    return site


def make_offer(
    session: Session, site: Site | None = None, *, publish: bool = True, **overrides: Any
) -> Offer:
    """Create an offer for an aide-soignant, published unless ``publish=False``.

    A site is made if none is given, with as many beds as ``housing_beds`` asks for.
    """
    if site is None:
        site = make_site(session, beds=int(overrides.get("housing_beds", 0) or 0))
    values: dict[str, Any] = {
        "site_id": site.id,
        "metier_code": "aide-soignant",
        "contract": ContractKind.APPRENTISSAGE,
        "places": 1,
        "start_date": local_today() + timedelta(days=60),
        "duration_months": 18,
        "description": "Apprentissage en EHPAD, équipe de jour, tutrice aide-soignante.",
        "tutor_name": "Sophie Bernard",
        "tutor_role": "Aide-soignante",
    }
    values.update(overrides)
    offer = ops.create_offer(session, site.employer, **values)
    if publish:
        ops.publish_offer(session, offer, now=values.get("now"))
    return offer


def make_candidate(session: Session, **overrides: Any) -> Candidate:
    """Create a consenting candidate with a unique e-mail."""
    values: dict[str, Any] = {
        "first_name": "Léa",
        "last_name": "Dupont",
        "email": unique_email("lea.dupont"),
        "consent": True,
    }
    values.update(overrides)
    return ops.create_candidate(session, **values)


def make_request(session: Session, candidate: Candidate | None = None, **overrides: Any) -> Request:
    """Create an active request (aide-soignant, from Bourg-en-Bresse, 30 km) for a candidate."""
    candidate = candidate if candidate is not None else make_candidate(session)
    values: dict[str, Any] = {
        "metiers": ["aide-soignante"],
        "commune_insee": BOURG,
        "max_distance_km": 30,
    }
    values.update(overrides)
    return ops.create_request(session, candidate, **values).request


def make_user(session: Session, role: Role | str = Role.COORDINATOR, **overrides: Any) -> User:
    """Create a user; an employer or candidate user gets its employer or candidate made too."""
    role = Role(role)
    values: dict[str, Any] = {"email": unique_email(role.value)}
    if role == Role.EMPLOYER and "employer" not in overrides:
        values["employer"] = make_employer(session)
    if role == Role.CANDIDATE and "candidate" not in overrides:
        values["candidate"] = make_candidate(session)
    values.update(overrides)
    return ops.create_user(session, role=role, **values)


def make_suggestion(
    session: Session,
    request: Request | None = None,
    offer: Offer | None = None,
    **overrides: Any,
) -> Suggestion:
    """Insert a pair as the engine would (origin engine, status proposed unless overridden)."""
    request = request if request is not None else make_request(session)
    offer = offer if offer is not None else make_offer(session)
    values: dict[str, Any] = {
        "request": request,
        "offer": offer,
        "score": 0.8,
        "distance_km": 0.0,
        "criteria": {"metier": {"score": 1.0, "weight": 0.6, "reason": "Même métier"}},
        "reasons": ["Même métier"],
        "engine_version": "test",
        "origin": SuggestionOrigin.ENGINE,
        "status": SuggestionStatus.PROPOSED,
    }
    values.update(overrides)
    suggestion = Suggestion(**values)
    session.add(suggestion)
    session.flush()
    return suggestion


def make_centre(
    session: Session,
    *,
    metier: str | None = "aide-soignant",
    intakes: tuple[date, ...] = (date(2027, 1, 4),),
    by_apprenticeship: bool = True,
    **overrides: Any,
) -> TrainingCentre:
    """Create a training centre (an IFAS in Bourg-en-Bresse), with a programme of ``metier``
    (none when None) and one session per date of ``intakes``."""
    actor = Actor.system()
    values: dict[str, Any] = {"name": f"Centre {_next()}", "kind": "ifas_ifsi", "commune": BOURG}
    values.update(overrides)
    centre = training_ops.create_centre(session, actor, **values)
    if metier is not None:
        programme = training_ops.create_programme(
            session, actor, centre, metier=metier, by_apprenticeship=by_apprenticeship
        )
        for start in intakes:
            training_ops.create_session(session, actor, programme, start_date=start)
    return centre


def make_housing_resource(
    session: Session,
    *,
    periods: tuple[tuple[date, date | None], ...] = (),
    **overrides: Any,
) -> HousingResource:
    """Insert a published foyer de jeunes travailleurs of a partner in Bourg-en-Bresse (5 beds,
    none taken, 380 € a month), with one period per (start, end or None) of ``periods``.

    Made with the model directly: the inventory's operations check what the tests set on purpose.
    """
    n = _next()
    values: dict[str, Any] = {
        "name": f"Foyer de jeunes travailleurs {n}",
        "kind": HousingKind.FJT,
        "partner_name": f"Association Habitat Jeunes {n}",
        "commune_insee": BOURG,
        "beds": 5,
        "beds_taken": 0,
        "monthly_cost_eur": 380,
        "published": True,
    }
    values.update(overrides)
    resource = HousingResource(**values)
    resource.periods = [HousingPeriod(starts_on=s, ends_on=e) for s, e in periods]
    session.add(resource)
    session.flush()
    return resource


def pair_of(session: Session, offer: Offer, request: Request) -> Suggestion:
    """Return the suggestion of ``request`` and ``offer`` (it must exist)."""
    found = session.scalar(
        select(Suggestion).where(
            Suggestion.offer_id == offer.id, Suggestion.request_id == request.id
        )
    )
    assert found is not None
    return found


def assert_nothing_pending(session: Session) -> None:
    """Assert a failed operation left nothing to flush and the session still answers."""
    assert not session.new, session.new
    assert not session.dirty, session.dirty
    assert not session.deleted, session.deleted
    assert session.scalar(select(literal(1))) == 1
