"""Discovery days (issue 18): a structure's days, a person's ask, the review and the days' life.

The pipeline is the apprenticeship's: the engine proposes matches (:mod:`data.discovery_engine`),
a coordinator approves or rejects each; approving plans it, takes one place of the day and
queues both contact mails in the same transaction (:func:`data.mail.contacts.queue_discovery_mails`,
exactly once by the outbox's key); a planned discovery is then done (the job, the day after its
last day) or cancelled (with a reason) by the coordination, the person or the structure. Every
change is a line of the audit log, as for the pairs.

Places are never over-booked: a place is taken by ``UPDATE discovery_days SET places_taken =
places_taken + 1 WHERE id = :id AND status = 'open' AND places_taken < places`` checked by its row
count (the guarded counter of :mod:`.beds` and an offer's places); on PostgreSQL the second of two
concurrent approvals waits for the first, then matches no row. The match's own status is a
compare-and-set (:func:`._common.update_if`), so one decision wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.db import rows_changed
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.mail.compose import default_base_url
from data.mail.contacts import EMPLOYER_SIDE, queue_discovery_cancelled_mails, queue_discovery_mails
from data.mail.recipients import candidate_recipient, employer_recipients
from data.models import (
    MATCH_SUBJECT,
    MAX_DISCOVERY_DAYS,
    AgeBand,
    Candidate,
    DiscoveryDay,
    DiscoveryDayStatus,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    DiscoveryWishStatus,
    Employer,
    Questionnaire,
    Request,
    Role,
    Site,
    SuggestionOrigin,
)
from data.presentation.formatters import date_short, period_fr
from data.presentation.questionnaires import CANDIDATE_SIDE, DISCOVERY, STRUCTURE_SIDE
from matching import distance_km

from . import audit
from ._common import load, local_today, now_or_utc, update_if
from .questionnaires import send_questionnaire
from .validation import (
    ErrorCollector,
    clean_commune,
    clean_date,
    clean_enum,
    clean_id,
    clean_int,
    clean_metier,
    clean_text,
)

__all__ = [
    "DAY_FIELDS",
    "WISH_FIELDS",
    "MATCH_OBJECT",
    "MATCH_TRANSITIONS",
    "NO_PLACE_LEFT",
    "TAKEN",
    "approve_match",
    "cancel_day",
    "cancel_match",
    "close_day",
    "close_wish",
    "create_day",
    "create_manual_match",
    "create_wish",
    "finish_past_discoveries",
    "mark_done",
    "reject_match",
    "request_values_from_wish",
    "send_due_questionnaires",
    "stop_discoveries_of",
    "update_day",
    "wish_values_from_request",
]

M = DiscoveryMatchStatus
#: The fields of a structure's form of discovery days.
DAY_FIELDS = (
    "site_id",
    "metier_code",
    "starts_on",
    "ends_on",
    "places",
    "host_name",
    "host_role",
    "meeting_time",
    "meeting_place",
    "what_to_bring",
    "notes",
)
#: The fields of a person's ask (the commune is its INSEE code here; pages resolve the text).
WISH_FIELDS = (
    "metier_code",
    "commune_insee",
    "max_distance_km",
    "free_from",
    "free_until",
    "age_band",
)
MAX_PLACES = 20
MAX_WISH_DISTANCE_KM = 300
#: How far ahead a person may say they are free (a school year and a bit).
MAX_WISH_SPAN_DAYS = 400
MAX_REASON = 1000
MATCH_OBJECT = MATCH_SUBJECT
DAY_OBJECT = "discovery_day"
STATUS_CHANGE = "status_change"
MATCH_TRANSITIONS: dict[DiscoveryMatchStatus, frozenset[DiscoveryMatchStatus]] = {
    M.PROPOSED: frozenset({M.PLANNED, M.REJECTED}),
    M.REJECTED: frozenset(),
    M.PLANNED: frozenset({M.DONE, M.CANCELLED}),
    M.DONE: frozenset(),
    M.CANCELLED: frozenset(),
}

NO_PLACE_LEFT = "Cette journée de découverte n'a plus de place, ou n'est plus ouverte."
TAKEN = "Cette découverte vient d'être traitée par quelqu'un d'autre."
REASON_REQUIRED = "Dites pourquoi en quelques mots."
STAFF_ONLY = "Seule l'équipe de coordination examine les découvertes."
NOT_YOURS = "Cette découverte ne vous concerne pas."
OWN_SITE = "Choisissez l'un de vos établissements."
TIME_FORMAT = "Heure attendue, par exemple 08:30."
DAY_NOT_OPEN = "Ces journées ne sont plus ouvertes : elles ne peuvent plus être modifiées."
WISH_EXISTS = "Vous avez déjà une demande de découverte en cours pour ce métier."
CANCELLED_WITH_DAY = "Journées annulées par la structure."
_TIME_RE = re.compile(r"^(\d{1,2})[:hH](\d{2})?$")


# --- The structure's days -----------------------------------------------------------------------


def _clean_time(value: object, field: str) -> time | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return value
    match = _TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValidationError({field: [TIME_FORMAT]})
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValidationError({field: [TIME_FORMAT]})
    return time(hour, minute)


def _clean_day(
    session: Session,
    employer: Employer,
    values: Mapping[str, Any],
    today: date,
    *,
    taken: int = 0,
) -> dict[str, Any]:
    """Check a form of discovery days; return the columns, or raise every field's message."""
    errors = ErrorCollector()
    site_id = errors.run(clean_id, values.get("site_id") or None, "site_id")
    if site_id is not None:
        site = session.get(Site, site_id)
        if site is None or site.employer_id != employer.id:
            errors.add("site_id", OWN_SITE)
    metier = errors.run(clean_metier, session, values.get("metier_code"), "metier_code")
    starts_on = errors.run(
        clean_date, values.get("starts_on"), "starts_on", required=True, min_value=today
    )
    ends_on = errors.run(clean_date, values.get("ends_on"), "ends_on", required=True)
    if starts_on is not None and ends_on is not None:
        last = starts_on + timedelta(days=MAX_DISCOVERY_DAYS - 1)
        if ends_on < starts_on:
            errors.add("ends_on", "Le dernier jour ne peut pas précéder le premier.")
        elif ends_on > last:
            errors.add(
                "ends_on",
                f"Une découverte dure de un à {MAX_DISCOVERY_DAYS} jours : le dernier jour est "
                f"au plus le {date_short(last)}.",
            )
    places = errors.run(
        clean_int, values.get("places"), "places", min_value=max(1, taken), max_value=MAX_PLACES
    )
    result = {
        "site_id": site_id,
        "metier_code": metier.code if metier is not None else None,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "places": places,
        "host_name": errors.run(clean_text, values.get("host_name"), "host_name"),
        "host_role": errors.run(clean_text, values.get("host_role"), "host_role", required=False),
        "meeting_time": errors.run(_clean_time, values.get("meeting_time"), "meeting_time"),
        "meeting_place": errors.run(
            clean_text, values.get("meeting_place"), "meeting_place", required=False, max_length=300
        ),
        "what_to_bring": errors.run(
            clean_text,
            values.get("what_to_bring"),
            "what_to_bring",
            required=False,
            max_length=1000,
            multiline=True,
        ),
        "notes": errors.run(
            clean_text,
            values.get("notes"),
            "notes",
            required=False,
            max_length=2000,
            multiline=True,
        ),
    }
    errors.raise_if_any()
    return result


def _for_employer(actor: Actor, employer_id: int) -> None:
    if not actor.may_act_for_employer(employer_id):
        raise PermissionDenied("Ces journées de découverte sont celles d'une autre structure.")


def create_day(
    session: Session,
    actor: Actor,
    employer: Employer | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> DiscoveryDay:
    """Open discovery days on one of the structure's sites; flushes only."""
    employer = load(session, Employer, employer, "Structure")
    _for_employer(actor, employer.id)
    at = now_or_utc(now)
    columns = _clean_day(session, employer, values, local_today(at))
    day = DiscoveryDay(
        employer_id=employer.id,
        places_taken=0,
        status=DiscoveryDayStatus.OPEN,
        created_at=at,
        updated_at=at,
        **columns,
    )
    session.add(day)
    session.flush()
    audit.record(session, actor, "created", DAY_OBJECT, day.id, now=at)
    return day


def update_day(
    session: Session,
    actor: Actor,
    day: DiscoveryDay | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> DiscoveryDay:
    """Change open discovery days; never fewer places than the discoveries planned."""
    day = load(session, DiscoveryDay, day, "Journées de découverte")
    _for_employer(actor, day.employer_id)
    if day.status == DiscoveryDayStatus.CANCELLED:
        raise Conflict(DAY_NOT_OPEN)
    at = now_or_utc(now)
    today = min(local_today(at), day.starts_on)  # days already begun keep their first day
    columns = _clean_day(session, day.employer, values, today, taken=day.places_taken)
    # The places are checked again against what the database holds (an approval meanwhile).
    places = columns["places"]
    if not update_if(session, day, DiscoveryDay.places_taken <= places, updated_at=at, **columns):
        raise ValidationError({"places": [f"La valeur doit être au moins {day.places_taken}."]})
    audit.record(session, actor, "updated", DAY_OBJECT, day.id, now=at)
    return day


def close_day(
    session: Session,
    actor: Actor,
    day: DiscoveryDay | int,
    *,
    reopen: bool = False,
    now: datetime | None = None,
) -> DiscoveryDay:
    """Stop taking asks for these days (the planned ones stay), or take them again."""
    day = load(session, DiscoveryDay, day, "Journées de découverte")
    _for_employer(actor, day.employer_id)
    seen, target = (
        (DiscoveryDayStatus.CLOSED, DiscoveryDayStatus.OPEN)
        if reopen
        else (DiscoveryDayStatus.OPEN, DiscoveryDayStatus.CLOSED)
    )
    at = now_or_utc(now)
    if not update_if(session, day, DiscoveryDay.status == seen, status=target, updated_at=at):
        raise Conflict(DAY_NOT_OPEN)
    audit.record(session, actor, "reopened" if reopen else "closed", DAY_OBJECT, day.id, now=at)
    return day


def cancel_day(
    session: Session,
    actor: Actor,
    day: DiscoveryDay | int,
    reason: object,
    *,
    now: datetime | None = None,
) -> int:
    """Cancel the days: their planned and proposed discoveries are cancelled with them (the
    reason said to the coordination); returns how many discoveries were cancelled."""
    day = load(session, DiscoveryDay, day, "Journées de découverte")
    _for_employer(actor, day.employer_id)
    text = _reason(reason)
    at = now_or_utc(now)
    if not update_if(
        session,
        day,
        DiscoveryDay.status != DiscoveryDayStatus.CANCELLED,
        status=DiscoveryDayStatus.CANCELLED,
        updated_at=at,
    ):
        raise Conflict(DAY_NOT_OPEN)
    audit.record(session, actor, "cancelled", DAY_OBJECT, day.id, {"reason": text}, now=at)
    cancelled = 0
    matches = session.scalars(
        select(DiscoveryMatch)
        .where(
            DiscoveryMatch.day_id == day.id,
            DiscoveryMatch.status.in_([M.PROPOSED, M.PLANNED]),
        )
        .order_by(DiscoveryMatch.id)
    ).all()
    for match in matches:
        target = M.CANCELLED if match.status == M.PLANNED else M.REJECTED
        _move(session, match, match.status, target, actor, f"{CANCELLED_WITH_DAY} {text}", at)
        cancelled += 1
    return cancelled


# --- The person's ask ---------------------------------------------------------------------------


def _clean_wish(session: Session, values: Mapping[str, Any], today: date) -> dict[str, Any]:
    errors = ErrorCollector()
    metier = errors.run(clean_metier, session, values.get("metier_code"), "metier_code")
    commune = errors.run(clean_commune, session, values.get("commune_insee"), "commune")
    distance = errors.run(
        clean_int,
        values.get("max_distance_km"),
        "max_distance_km",
        min_value=1,
        max_value=MAX_WISH_DISTANCE_KM,
    )
    free_from = errors.run(
        clean_date,
        values.get("free_from"),
        "free_from",
        required=True,
        min_value=today,
        max_value=today + timedelta(days=MAX_WISH_SPAN_DAYS),
    )
    free_until = errors.run(clean_date, values.get("free_until"), "free_until", required=True)
    if free_from is not None and free_until is not None and free_until < free_from:
        errors.add("free_until", "La fin de vos disponibilités ne peut pas précéder leur début.")
    elif free_from is not None and free_until is not None:
        if free_until > free_from + timedelta(days=MAX_WISH_SPAN_DAYS):
            errors.add("free_until", "Indiquez une période de moins d'un an.")
    age_band = errors.run(clean_enum, values.get("age_band") or None, AgeBand, "age_band")
    errors.raise_if_any()
    return {
        "metier_code": metier.code if metier is not None else None,
        "commune_insee": commune.insee if commune is not None else None,
        "max_distance_km": distance,
        "free_from": free_from,
        "free_until": free_until,
        "age_band": age_band,
    }


def wish_values_from_request(request: Request | None) -> dict[str, str]:
    """The ask's form as a request fills it: its first métier, commune, distance, age band."""
    if request is None:
        return {"max_distance_km": "30"}
    codes = request.metier_codes
    return {
        "metier_code": codes[0] if codes else "",
        "commune_insee": request.commune_insee,
        "max_distance_km": str(min(request.max_distance_km, MAX_WISH_DISTANCE_KM)),
        "age_band": request.age_band.value if request.age_band else "",
    }


def create_wish(
    session: Session,
    actor: Actor,
    candidate: Candidate | int,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> DiscoveryWish:
    """Record a person's ask for a discovery (from their request when they have one)."""
    candidate = load(session, Candidate, candidate, "Candidat")
    if not actor.may_act_for_candidate(candidate.id):
        raise PermissionDenied(NOT_YOURS)
    if candidate.anonymised_at is not None:
        raise Conflict("Ce dossier a été anonymisé : il ne peut plus être modifié.")
    at = now_or_utc(now)
    columns = _clean_wish(session, values, local_today(at))
    existing = session.scalar(
        select(DiscoveryWish.id).where(
            DiscoveryWish.candidate_id == candidate.id,
            DiscoveryWish.metier_code == columns["metier_code"],
            DiscoveryWish.status == DiscoveryWishStatus.ACTIVE,
        )
    )
    if existing is not None:
        raise ValidationError({"metier_code": [WISH_EXISTS]})
    wish = DiscoveryWish(
        candidate_id=candidate.id,
        request_id=candidate.request.id if candidate.request is not None else None,
        status=DiscoveryWishStatus.ACTIVE,
        created_at=at,
        updated_at=at,
        **columns,
    )
    session.add(wish)
    candidate.last_activity_at = at
    session.flush()
    return wish


def close_wish(
    session: Session, actor: Actor, wish: DiscoveryWish | int, *, now: datetime | None = None
) -> bool:
    """Stop asking: the engine proposes nothing more (planned discoveries stay, to cancel apart)."""
    wish = load(session, DiscoveryWish, wish, "Demande de découverte")
    if not actor.may_act_for_candidate(wish.candidate_id):
        raise PermissionDenied(NOT_YOURS)
    at = now_or_utc(now)
    return update_if(
        session,
        wish,
        DiscoveryWish.status == DiscoveryWishStatus.ACTIVE,
        status=DiscoveryWishStatus.CLOSED,
        updated_at=at,
    )


def request_values_from_wish(wish: DiscoveryWish) -> dict[str, str]:
    """The apprenticeship request's form as a discovery fills it (the person checks, confirms)."""
    return {
        "metier_1": wish.metier.label,
        "commune_insee": wish.commune_insee,
        "max_distance_km": str(wish.max_distance_km),
        "age_band": wish.age_band.value,
    }


# --- Review and stages --------------------------------------------------------------------------


def _reason(value: object) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({"reason": [REASON_REQUIRED]})
    text = clean_text(value, "reason", max_length=MAX_REASON, multiline=True)
    assert text is not None
    return text


def _take_place(session: Session, day_id: int, at: datetime) -> bool:
    """Take one place of the day while it is open and has one left (guarded counter)."""
    taken = DiscoveryDay.places_taken
    result = session.execute(
        update(DiscoveryDay)
        .where(
            DiscoveryDay.id == day_id,
            DiscoveryDay.status == DiscoveryDayStatus.OPEN,
            taken < DiscoveryDay.places,
        )
        .values(places_taken=taken + 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    _expire_day(session, day_id)
    return rows_changed(result) == 1


def _free_place(session: Session, day_id: int, at: datetime) -> None:
    taken = DiscoveryDay.places_taken
    session.execute(
        update(DiscoveryDay)
        .where(DiscoveryDay.id == day_id, taken > 0)
        .values(places_taken=taken - 1, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    _expire_day(session, day_id)


def _expire_day(session: Session, day_id: int) -> None:
    # Bulk statements bypass the identity map: a loaded day reads its places again.
    day = session.identity_map.get(session.identity_key(DiscoveryDay, day_id))
    if day is not None:
        session.expire(day, ["places_taken", "updated_at"])


def _move(
    session: Session,
    match: DiscoveryMatch,
    seen: DiscoveryMatchStatus,
    target: DiscoveryMatchStatus,
    actor: Actor,
    reason: str | None,
    at: datetime,
    *,
    person_leaving: bool = False,
) -> None:
    """Compare-and-set the status, free the place a planned discovery leaves (and tell the sides
    that did not cancel it), write the audit. ``person_leaving``: the person's data is being
    erased; only the structure is told, without the person's name."""
    if target not in MATCH_TRANSITIONS[seen]:
        raise InvalidTransition("Découverte", seen, target)
    values: dict[str, Any] = {
        "status": target,
        "status_changed_at": at,
        "status_changed_by_id": actor.user_id,
        "updated_at": at,
    }
    if reason is not None:
        values["reason"] = reason
    if not update_if(session, match, DiscoveryMatch.status == seen, **values):
        raise Conflict(TAKEN)
    details: dict[str, Any] = {"from": seen.value, "to": target.value}
    if reason:
        details["reason"] = reason
    if seen == M.PLANNED and target == M.CANCELLED:
        _free_place(session, match.day_id, at)
        details["place"] = "freed"
        # The sides that did not cancel are told (a day cancelled by its structure tells the
        # person; the person's cancelling tells the structure; the coordination's, both).
        by = CANDIDATE_SIDE if person_leaving else _side_of(actor, match)
        queue_discovery_cancelled_mails(
            session, match, by=by, now=at, name_the_person=not person_leaving
        )
    audit.record(session, actor, STATUS_CHANGE, MATCH_OBJECT, match.id, details, now=at)


def _side_of(actor: Actor, match: DiscoveryMatch) -> str | None:
    """The side of a discovery ``actor`` acts for: the person, the structure, or None (the
    coordination, a job)."""
    if actor.role == Role.CANDIDATE and actor.candidate_id == match.wish.candidate_id:
        return CANDIDATE_SIDE
    if actor.role == Role.EMPLOYER and actor.employer_id == match.day.employer_id:
        return EMPLOYER_SIDE
    return None


def _staff(actor: Actor, *, job: bool = False) -> None:
    if not (actor.is_staff or (job and actor.channel in (Channel.JOB, Channel.SYSTEM))):
        raise PermissionDenied(STAFF_ONLY)


def _expected(match: DiscoveryMatch, expected: DiscoveryMatchStatus | str | None) -> None:
    if expected is not None and match.status != DiscoveryMatchStatus(expected):
        raise Conflict(TAKEN)


def approve_match(
    session: Session,
    match: DiscoveryMatch | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    base_url: str | None = None,
    expected: DiscoveryMatchStatus | str | None = None,
) -> DiscoveryMatch:
    """Approve a proposed discovery: it is planned, one place of the day is taken, and both
    contact mails are queued, all in this transaction (nothing of it when a place is missing).
    The ask is answered: its other proposals leave the review queue (stale)."""
    _staff(actor)
    match = load(session, DiscoveryMatch, match, "Découverte")
    _expected(match, expected)
    at = now_or_utc(now)
    if match.status != M.PROPOSED:
        raise InvalidTransition("Découverte", match.status, M.PLANNED)
    with session.begin_nested():  # the place, the status and the mails: all or nothing
        if not _take_place(session, match.day_id, at):
            raise Conflict(NO_PLACE_LEFT)
        _move(session, match, M.PROPOSED, M.PLANNED, actor, None, at)
        queue_discovery_mails(session, match, base_url=default_base_url(base_url), now=at)
        _answered(session, match, at)
    return match


def _answered(session: Session, match: DiscoveryMatch, at: datetime) -> None:
    """A discovery planned answers its ask: the ask's other proposals become stale (the engine
    proposes nothing more for it while one is planned or done, see data.discovery_engine)."""
    session.execute(
        update(DiscoveryMatch)
        .where(
            DiscoveryMatch.wish_id == match.wish_id,
            DiscoveryMatch.id != match.id,
            DiscoveryMatch.status == M.PROPOSED,
        )
        .values(stale=True, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )


MANUAL_REASON = "Découverte proposée à la main par la coordination"
WISH_NOT_ACTIVE = "Cette demande de découverte n'est plus en cours."


def create_manual_match(
    session: Session,
    wish: DiscoveryWish | int,
    day: DiscoveryDay | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    base_url: str | None = None,
) -> DiscoveryMatch:
    """Plan a discovery by hand: a match of origin ``manual``, approved at once (a place taken,
    both mails queued), as a pair made by hand is. A wish and days matched already (whatever
    the status) are a conflict: act on that match instead."""
    _staff(actor)
    wish = load(session, DiscoveryWish, wish, "Demande de découverte")
    day = load(session, DiscoveryDay, day, "Journées de découverte")
    errors = ErrorCollector()
    if wish.status != DiscoveryWishStatus.ACTIVE:
        errors.add("wish_id", WISH_NOT_ACTIVE)
    if day.status != DiscoveryDayStatus.OPEN or day.places_left < 1:
        errors.add("day_id", NO_PLACE_LEFT)
    errors.raise_if_any()
    existing = session.scalar(
        select(DiscoveryMatch.id).where(
            DiscoveryMatch.wish_id == wish.id, DiscoveryMatch.day_id == day.id
        )
    )
    if existing is not None:
        raise Conflict(f"Cette découverte existe déjà (n° {existing}).")
    at = now_or_utc(now)
    home, place = wish.commune, day.site.commune
    km = float(distance_km(home.latitude, home.longitude, place.latitude, place.longitude))
    match = DiscoveryMatch(
        wish_id=wish.id,
        day_id=day.id,
        score=0.0,
        distance_km=round(km, 1),
        criteria={},
        reasons=[f"À {km:.0f} km de la commune de la personne", MANUAL_REASON],
        engine_version="manual",
        origin=SuggestionOrigin.MANUAL,
        status=M.PROPOSED,
        stale=False,
        created_at=at,
        updated_at=at,
        status_changed_at=at,
    )
    try:
        with session.begin_nested():
            session.add(match)
            session.flush()
    except IntegrityError:  # the same wish and days, by someone else at the same instant
        raise Conflict(TAKEN) from None
    audit.record(session, actor, "created", MATCH_OBJECT, match.id, {"origin": "manual"}, now=at)
    return approve_match(session, match, actor, now=at, base_url=base_url)


def reject_match(
    session: Session,
    match: DiscoveryMatch | int,
    actor: Actor,
    reason: object,
    *,
    now: datetime | None = None,
    expected: DiscoveryMatchStatus | str | None = None,
) -> DiscoveryMatch:
    """Reject a proposed discovery; the reason is required."""
    _staff(actor)
    match = load(session, DiscoveryMatch, match, "Découverte")
    _expected(match, expected)
    _move(session, match, match.status, M.REJECTED, actor, _reason(reason), now_or_utc(now))
    return match


def cancel_match(
    session: Session,
    match: DiscoveryMatch | int,
    actor: Actor,
    reason: object,
    *,
    now: datetime | None = None,
) -> DiscoveryMatch:
    """Cancel a planned discovery (the coordination, the person, or the structure); its place
    is free again; the reason is required."""
    match = load(session, DiscoveryMatch, match, "Découverte")
    person = actor.role == Role.CANDIDATE and actor.candidate_id == match.wish.candidate_id
    structure = actor.role == Role.EMPLOYER and actor.employer_id == match.day.employer_id
    if not (actor.is_staff or person or structure):
        raise PermissionDenied(NOT_YOURS)
    _move(session, match, match.status, M.CANCELLED, actor, _reason(reason), now_or_utc(now))
    return match


def mark_done(
    session: Session,
    match: DiscoveryMatch | int,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> DiscoveryMatch:
    """Mark a planned discovery done (the coordination, or the job after its last day)."""
    _staff(actor, job=True)
    match = load(session, DiscoveryMatch, match, "Découverte")
    _move(session, match, match.status, M.DONE, actor, None, now_or_utc(now))
    return match


def stop_discoveries_of(
    session: Session, candidate_id: int, actor: Actor, reason: str, *, now: datetime | None = None
) -> int:
    """Stop a person's discoveries when their data is erased: planned ones cancelled (their
    place freed), proposed ones rejected, asks closed; returns how many discoveries stopped."""
    at = now_or_utc(now)
    stopped = 0
    matches = session.scalars(
        select(DiscoveryMatch)
        .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
        .where(
            DiscoveryWish.candidate_id == candidate_id,
            DiscoveryMatch.status.in_([M.PROPOSED, M.PLANNED]),
        )
        .order_by(DiscoveryMatch.id)
    ).all()
    for match in matches:
        target = M.CANCELLED if match.status == M.PLANNED else M.REJECTED
        _move(session, match, match.status, target, actor, reason, at, person_leaving=True)
        stopped += 1
    session.execute(
        update(DiscoveryWish)
        .where(
            DiscoveryWish.candidate_id == candidate_id,
            DiscoveryWish.status == DiscoveryWishStatus.ACTIVE,
        )
        .values(status=DiscoveryWishStatus.CLOSED, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )
    return stopped


# --- After the days: the job's two steps --------------------------------------------------------


def finish_past_discoveries(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """Mark done every planned discovery whose last day is over (in France); return how many."""
    at = now_or_utc(now)
    ids = session.scalars(
        select(DiscoveryMatch.id)
        .join(DiscoveryDay, DiscoveryDay.id == DiscoveryMatch.day_id)
        .where(DiscoveryMatch.status == M.PLANNED, DiscoveryDay.ends_on < local_today(at))
        .order_by(DiscoveryMatch.id)
    ).all()
    done = 0
    for match_id in ids:
        try:
            with session.begin_nested():
                mark_done(session, match_id, actor, now=at)
        except Conflict:  # cancelled meanwhile: nothing to do
            continue
        done += 1
    return done


def send_due_questionnaires(
    session: Session, *, base_url: str | None = None, now: datetime | None = None
) -> int:
    """Send both sides' questionnaires of every done discovery that has not had them; return
    how many were queued (each is sent once, whatever the runs: :func:`send_questionnaire`)."""
    at = now_or_utc(now)
    base = default_base_url(base_url)
    asked = select(Questionnaire.subject_id).where(
        Questionnaire.purpose == DISCOVERY, Questionnaire.subject_type == MATCH_OBJECT
    )
    matches = session.scalars(
        select(DiscoveryMatch)
        .where(DiscoveryMatch.status == M.DONE, DiscoveryMatch.id.not_in(asked))
        .order_by(DiscoveryMatch.id)
    ).all()
    sent = 0
    for match in matches:
        day, wish = match.day, match.wish
        about = (
            f"Découverte du métier « {day.metier.label} » chez {day.employer.name}, "
            f"{period_fr(day.starts_on, day.ends_on)}."
        )
        sides = [(CANDIDATE_SIDE, candidate_recipient(session, wish.candidate))]
        staff = employer_recipients(session, day.employer)
        sides.append((STRUCTURE_SIDE, staff[0] if staff else None))
        for side, recipient in sides:
            if recipient is None:
                continue
            found = send_questionnaire(
                session,
                recipient,
                purpose=DISCOVERY,
                subject_type=MATCH_OBJECT,
                subject_id=match.id,
                side=side,
                base_url=base,
                now=at,
                about=about,
            )
            sent += found is not None
    return sent
