"""The housing survey (issue 17, « recenser »): create a campaign, send it, remind, answer, close.

Coordinators ask every structure (or a filtered set: kinds, départements, communes, only those
without housing declared) whether it can house an apprentice. Sending queues one mail per
structure through the outbox; answering needs no sign-in: the link's token is the authority, and
only its SHA-256 is stored (:func:`data.auth.hash_secret`). An answer is editable until the
campaign closes (its closing day has passed, or a coordinator closed it).

Exactly once: a campaign is sent by the one transaction that stamps ``sent_at`` (a conditional
``UPDATE``, :func:`update_if`); its invitations are unique per (campaign, structure) and inserted
with ``ON CONFLICT DO NOTHING``; each mail is unique in the outbox on (recipient, kind, key).
A reminder round is numbered: the round the page showed is the one the click sends, a second
click (or a second coordinator) finds it sent already.

The mails are optional mails in the house's sense (:func:`data.mail.queue_mail`): a request from
the coordination, not a mail the structure waits for. They carry the unsubscribe link, are not
queued to an address that opted out, and are dropped at send time if it opts out meanwhile.

An answer « oui » with beds creates (then keeps up to date) one unpublished
:class:`HousingResource` of the structure, which the coordination checks before publishing it.
It is never put *on* a site (``site_id``), even when the answer names one: a site's resources are
its beds at once, published or not (``Site.housing_beds``, the engine's on-site capacity), and the
site's form keeps one per kind; an unchecked answer must not change either. When a site is named,
the resource takes its commune and address and the invitation keeps the site; the coordination
moves the beds onto the site in the inventory if it sees fit. Once published, later edits of the
answer no longer change the resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.auth import hash_secret, new_token
from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.mail.compose import default_base_url, queue_mail
from data.mail.links import url
from data.mail.optout import is_opted_out
from data.mail.outbox import insert_for
from data.mail.recipients import DEFAULT_EMPLOYER_FREQUENCY, Recipient, employer_recipients
from data.models import (
    MAX_HOUSING_BEDS,
    Commune,
    Employer,
    HousingAnswer,
    HousingKind,
    HousingResource,
    HousingSurvey,
    HousingSurveyInvite,
    HousingSurveyLink,
    Site,
    StructureCheck,
    StructureKind,
)
from data.presentation.formatters import percent, plural

from . import audit
from ._common import load, local_today, now_or_utc, update_if
from .communes import resolve_commune
from .validation import (
    REQUIRED,
    ErrorCollector,
    clean_date,
    clean_email,
    clean_enum,
    clean_id,
    clean_int,
    clean_phone,
    clean_text,
)

__all__ = [
    "ANSWER_FIELDS",
    "AUTO_REMINDER_DAYS",
    "CLOSED",
    "PAST_CLOSING_DAY",
    "INVITE_KIND",
    "REMINDER_KIND",
    "SurveyFilters",
    "SendResult",
    "RemindResult",
    "SurveyStats",
    "answer_survey",
    "close_survey",
    "create_survey",
    "due_for_reminder",
    "find_invite",
    "is_open",
    "parse_filters",
    "preview_count",
    "remind_survey",
    "resource_name",
    "send_survey",
    "survey_state",
    "survey_stats",
    "target_query",
]

#: The outbox kinds of the survey's mails (their key names the campaign and the structure).
INVITE_KIND = "housing_survey"
REMINDER_KIND = "housing_survey_reminder"
#: The fields of the answer form, as the page and the operation name them.
ANSWER_FIELDS = (
    "answer",
    "housing_kind",
    "beds",
    "monthly_cost_eur",
    "site_id",
    "commune",
    "notes",
    "contact_name",
    "contact_email",
    "contact_phone",
)
#: Days after sending when the structures that did not answer get one reminder by themselves
#: (the job ``housing_survey_reminders``), unless a coordinator reminded them already.
AUTO_REMINDER_DAYS = 10
#: The most a month of housing may cost in an answer (beyond, a typing slip).
MAX_MONTHLY_COST_EUR = 5000
CLOSED = "Ce recensement est clos : les réponses ne peuvent plus être modifiées."
PAST_CLOSING_DAY = (
    "La date de clôture de ce recensement est passée : créez-en un autre pour l'envoyer."
)
STAFF_ONLY = "Seule l'équipe de coordination gère les recensements."
SURVEY_OBJECT = "housing_survey"
_DEPARTEMENT_RE = re.compile(r"^(\d{2}|2[AB]|97\d)$")


def _staff(actor: Actor, *, job: bool = False) -> None:
    """Let staff act (and the scheduled jobs, where ``job``); refuse anyone else."""
    if not (actor.is_staff or (job and actor.channel == Channel.JOB)):
        raise PermissionDenied(STAFF_ONLY)


# --- Whom a campaign asks -----------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyFilters:
    """Which structures a campaign asks; empty: every structure that is not suspended."""

    kinds: tuple[StructureKind, ...] = ()
    departements: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()  # INSEE codes
    without_housing: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the filter as the campaign stores it."""
        return {
            "kinds": [k.value for k in self.kinds],
            "departements": list(self.departements),
            "communes": list(self.communes),
            "without_housing": self.without_housing,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SurveyFilters:
        """Read back a stored filter (unknown kinds are ignored)."""
        data = data or {}
        known = {k.value for k in StructureKind}
        kinds = tuple(StructureKind(k) for k in data.get("kinds", []) if k in known)
        return cls(
            kinds=kinds,
            departements=tuple(data.get("departements", [])),
            communes=tuple(data.get("communes", [])),
            without_housing=bool(data.get("without_housing", False)),
        )


def parse_filters(
    session: Session,
    *,
    structure_kinds: Iterable[object] = (),
    departements: str | Sequence[str] = "",
    communes: str | Sequence[str] = "",
    without_housing: bool = False,
    errors: ErrorCollector | None = None,
) -> SurveyFilters:
    """Turn the form's filter (kinds; départements and communes as typed, one per line or
    separated by commas or semicolons) into a :class:`SurveyFilters`; raises ValidationError."""
    collector = errors if errors is not None else ErrorCollector()
    kinds: list[StructureKind] = []
    for value in structure_kinds:
        kind = collector.run(clean_enum, value, StructureKind, "structure_kinds")
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    codes: list[str] = []
    for text in _split(departements):
        code = text.upper()
        if not _DEPARTEMENT_RE.match(code):
            collector.add("departements", f"Département non reconnu : « {text[:20]} ».")
        elif code not in codes:
            codes.append(code)
    insee: list[str] = []
    for text in _split(communes):
        commune = collector.run(resolve_commune, session, text, "communes")
        if commune is not None and commune.insee not in insee:
            insee.append(commune.insee)
    if errors is None:
        collector.raise_if_any()
    return SurveyFilters(tuple(kinds), tuple(codes), tuple(insee), bool(without_housing))


def _split(value: str | Sequence[str]) -> list[str]:
    parts = re.split(r"[\n;,]", value) if isinstance(value, str) else list(value)
    return [p.strip() for p in parts if p and p.strip()][:200]


def target_query(filters: SurveyFilters) -> Select[Any]:
    """Return the ids of the structures a campaign with ``filters`` asks, in id order.

    A suspended structure is never asked. A structure is in a commune or a département when one of
    its sites is.
    """
    stmt = select(Employer.id).where(Employer.check_status != StructureCheck.SUSPENDED)
    if filters.kinds:
        stmt = stmt.where(Employer.kind.in_(list(filters.kinds)))
    places = []
    if filters.communes:
        places.append(Site.commune_insee.in_(list(filters.communes)))
    if filters.departements:
        places.append(
            Site.commune_insee.in_(
                select(Commune.insee).where(Commune.departement.in_(list(filters.departements)))
            )
        )
    if places:
        stmt = stmt.where(exists().where(Site.employer_id == Employer.id, or_(*places)))
    if filters.without_housing:
        stmt = stmt.where(~exists().where(HousingResource.employer_id == Employer.id))
    return stmt.order_by(Employer.id)


def preview_count(session: Session, filters: SurveyFilters) -> int:
    """Count the structures a campaign with ``filters`` would ask."""
    sub = target_query(filters).order_by(None).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


# --- A campaign ---------------------------------------------------------------------------------


def create_survey(
    session: Session,
    actor: Actor,
    *,
    title: object,
    message: object = None,
    closes_on: object = None,
    structure_kinds: Iterable[object] = (),
    departements: str | Sequence[str] = "",
    communes: str | Sequence[str] = "",
    without_housing: bool = False,
    now: datetime | None = None,
) -> HousingSurvey:
    """Create a campaign (not sent yet); raises ValidationError with every field's message."""
    _staff(actor)
    at = now_or_utc(now)
    errors = ErrorCollector()
    title_value = errors.run(clean_text, title, "title", max_length=200)
    message_value = errors.run(
        clean_text, message, "message", required=False, max_length=2000, multiline=True
    )
    closes = errors.run(clean_date, closes_on, "closes_on", min_value=local_today(at))
    filters = parse_filters(
        session,
        structure_kinds=structure_kinds,
        departements=departements,
        communes=communes,
        without_housing=without_housing,
        errors=errors,
    )
    errors.raise_if_any()
    survey = HousingSurvey(
        title=title_value,
        message=message_value,
        closes_on=closes,
        filters=filters.as_json(),
        created_by_id=actor.user_id,
        created_at=at,
    )
    session.add(survey)
    session.flush()
    audit.record(session, actor, "housing_survey_create", SURVEY_OBJECT, survey.id, now=at)
    return survey


def is_open(survey: HousingSurvey, now: datetime | None = None) -> bool:
    """Tell whether the campaign takes answers: sent, not closed, its closing day not past."""
    if survey.sent_at is None or survey.closed_at is not None:
        return False
    return survey.closes_on is None or local_today(now) <= survey.closes_on


def survey_state(survey: HousingSurvey, now: datetime | None = None) -> str:
    """Return where the campaign stands: "draft" (not sent), "open" or "closed" (by hand, or its
    closing day past); :data:`data.presentation.labels.SURVEY_STATE_LABELS` names them."""
    if survey.closed_at is not None:
        return "closed"
    if survey.sent_at is None:
        return "draft"
    return "open" if is_open(survey, now) else "closed"


@dataclass
class SendResult:
    """What sending a campaign did: mails queued, structures left out and why."""

    queued: int = 0
    opted_out: int = 0
    no_address: int = 0
    already_sent: bool = False


def _recipient(session: Session, employer: Employer) -> tuple[Recipient | None, bool]:
    """Return the first of the structure's recipients who did not opt out, and whether some
    recipient was left out for having opted out."""
    opted = False
    for recipient in employer_recipients(session, employer):
        try:
            if is_opted_out(session, recipient.email):
                opted = True
                continue
        except ValidationError:  # an address stored before the checks: nobody to mail there
            continue
        return recipient, opted
    return None, opted


def _new_link(session: Session, invite_id: int, at: datetime) -> str:
    """Store the hash of a fresh token for ``invite_id``; return the token (for the mail only)."""
    raw = new_token()
    session.add(HousingSurveyLink(token_hash=hash_secret(raw), invite_id=invite_id, created_at=at))
    return raw


def _context(survey: HousingSurvey, employer: Employer, raw: str, base: str) -> dict[str, Any]:
    return {
        "structure": employer.name,
        "title": survey.title,
        "survey_message": survey.message,
        "closes_on": survey.closes_on,
        "link": url(base, "housing_survey", token=raw),
    }


def send_survey(
    session: Session,
    actor: Actor,
    survey: HousingSurvey | int,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> SendResult:
    """Send the campaign: one invitation and one mail per structure it asks; flushes only.

    Only the first call sends (``already_sent`` for the others, even at the same instant). A
    structure whose every address opted out, or that has none, is not asked (counted).
    """
    _staff(actor)
    survey = load(session, HousingSurvey, survey, "Recensement")
    at = now_or_utc(now)
    if survey.closed_at is not None:
        raise Conflict(CLOSED)
    if survey.sent_at is None and survey.closes_on is not None:
        if local_today(at) > survey.closes_on:
            raise Conflict(PAST_CLOSING_DAY)
    if not update_if(session, survey, HousingSurvey.sent_at.is_(None), sent_at=at):
        return SendResult(already_sent=True)
    base = default_base_url(base_url)
    result = SendResult()
    filters = SurveyFilters.from_json(survey.filters)
    insert = insert_for(session)
    for employer in session.scalars(
        select(Employer).where(Employer.id.in_(target_query(filters).order_by(None)))
    ):
        recipient, opted = _recipient(session, employer)
        if recipient is None:
            if opted:
                result.opted_out += 1
            else:
                result.no_address += 1
            continue
        invite_id = session.scalar(
            insert(HousingSurveyInvite.__table__)
            .values(
                survey_id=survey.id,
                employer_id=employer.id,
                recipient=recipient.email,
                sent_at=at,
                reminders=0,
            )
            .on_conflict_do_nothing(index_elements=["survey_id", "employer_id"])
            .returning(HousingSurveyInvite.id)
        )
        if invite_id is None:
            continue
        raw = _new_link(session, invite_id, at)
        queued = queue_mail(
            session,
            recipient,
            kind=INVITE_KIND,
            key=f"housing_survey:{survey.id}:{employer.id}",
            template="housing_survey",
            base_url=base,
            now=at,
            **_context(survey, employer, raw, base),
        )
        result.queued += queued is not None
    session.flush()
    audit.record(
        session,
        actor,
        "housing_survey_send",
        SURVEY_OBJECT,
        survey.id,
        {"queued": result.queued, "opted_out": result.opted_out},
        now=at,
    )
    return result


@dataclass
class RemindResult:
    """What a reminder round did."""

    queued: int = 0
    opted_out: int = 0
    already_sent: bool = False


def remind_survey(
    session: Session,
    actor: Actor,
    survey: HousingSurvey | int,
    *,
    round_number: int,
    base_url: str | None = None,
    now: datetime | None = None,
) -> RemindResult:
    """Send reminder round ``round_number`` to the structures that did not answer; flushes only.

    ``round_number`` is the round the page offered (sent rounds + 1): a second click, or a second
    coordinator, finds it sent and changes nothing. Those who answered are not reminded, nor an
    address that opted out. Each reminder carries a link of its own (the first stays valid).
    The job of automatic reminders may call it too (round 1 only, :func:`due_for_reminder`).
    """
    _staff(actor, job=True)
    survey = load(session, HousingSurvey, survey, "Recensement")
    at = now_or_utc(now)
    if not is_open(survey, at):
        raise Conflict(
            CLOSED if survey.sent_at is not None else "Ce recensement n'est pas encore envoyé."
        )
    if round_number < 1 or not update_if(
        session,
        survey,
        HousingSurvey.reminder_rounds == round_number - 1,
        reminder_rounds=round_number,
    ):
        return RemindResult(already_sent=True)
    base = default_base_url(base_url)
    result = RemindResult()
    invites = session.scalars(
        select(HousingSurveyInvite)
        .where(
            HousingSurveyInvite.survey_id == survey.id,
            HousingSurveyInvite.answered_at.is_(None),
        )
        .order_by(HousingSurveyInvite.id)
    )
    for invite in invites:
        if is_opted_out(session, invite.recipient):
            result.opted_out += 1
            continue
        raw = _new_link(session, invite.id, at)
        queued = queue_mail(
            session,
            Recipient(invite.recipient, None, DEFAULT_EMPLOYER_FREQUENCY),
            kind=REMINDER_KIND,
            key=f"housing_survey:{survey.id}:{invite.employer_id}:{round_number}",
            template="housing_survey_reminder",
            base_url=base,
            now=at,
            sent_on=invite.sent_at,
            **_context(survey, invite.employer, raw, base),
        )
        if queued is not None:
            invite.reminders += 1
            invite.reminded_at = at
            result.queued += 1
    session.flush()
    audit.record(
        session,
        actor,
        "housing_survey_remind",
        SURVEY_OBJECT,
        survey.id,
        {"round": round_number, "queued": result.queued},
        now=at,
    )
    return result


def due_for_reminder(session: Session, now: datetime | None = None) -> list[int]:
    """Return the open campaigns sent :data:`AUTO_REMINDER_DAYS` ago or more that nobody
    reminded yet (their first round is the automatic one)."""
    at = now_or_utc(now)
    found = session.scalars(
        select(HousingSurvey)
        .where(
            HousingSurvey.sent_at <= at - timedelta(days=AUTO_REMINDER_DAYS),
            HousingSurvey.closed_at.is_(None),
            HousingSurvey.reminder_rounds == 0,
        )
        .order_by(HousingSurvey.id)
    )
    return [s.id for s in found if is_open(s, at)]


def close_survey(
    session: Session, actor: Actor, survey: HousingSurvey | int, *, now: datetime | None = None
) -> bool:
    """Close the campaign: its links show the answers, read-only; False if it was closed."""
    _staff(actor)
    survey = load(session, HousingSurvey, survey, "Recensement")
    at = now_or_utc(now)
    if not update_if(session, survey, HousingSurvey.closed_at.is_(None), closed_at=at):
        return False
    audit.record(session, actor, "housing_survey_close", SURVEY_OBJECT, survey.id, now=at)
    return True


# --- The answer ---------------------------------------------------------------------------------


def find_invite(session: Session, token: str | None) -> HousingSurveyInvite | None:
    """Return the invitation a link's token opens, or None (unknown, malformed)."""
    if not token or len(token) > 64:
        return None
    link = session.get(HousingSurveyLink, hash_secret(token))
    return link.invite if link is not None else None


def resource_name(employer: Employer, site: Site | None = None) -> str:
    """The name of the resource an answer « oui » makes for ``employer`` (near ``site``)."""
    name = f"Logement proposé par {employer.name}"
    return (f"{name} – {site.name}" if site is not None else name)[:200]


def answer_survey(
    session: Session,
    token: str,
    values: dict[str, Any],
    *,
    now: datetime | None = None,
) -> HousingSurveyInvite:
    """Record (or change) a structure's answer given through a link; flushes only.

    Raises NotFound for a token that opens nothing, Conflict (:data:`CLOSED`) once the campaign
    is closed, ValidationError with every field's message for bad input (nothing written).
    """
    invite = find_invite(session, token)
    if invite is None:
        raise NotFound("Recensement", None)
    at = now_or_utc(now)
    if not is_open(invite.survey, at):
        raise Conflict(CLOSED)
    employer = invite.employer
    errors = ErrorCollector()
    answer = errors.run(clean_enum, values.get("answer"), HousingAnswer, "answer")
    wants_details = answer in (HousingAnswer.YES, HousingAnswer.MAYBE)
    kind = errors.run(
        clean_enum,
        values.get("housing_kind") or None,
        HousingKind,
        "housing_kind",
        required=answer == HousingAnswer.YES,
    )
    beds = errors.run(
        clean_int,
        values.get("beds"),
        "beds",
        min_value=1 if answer == HousingAnswer.YES else 0,
        max_value=MAX_HOUSING_BEDS,
        required=answer == HousingAnswer.YES,
    )
    cost = errors.run(
        clean_int,
        values.get("monthly_cost_eur"),
        "monthly_cost_eur",
        min_value=0,
        max_value=MAX_MONTHLY_COST_EUR,
        required=False,
    )
    site = _answer_site(session, employer, values.get("site_id"), errors)
    commune = _answer_commune(session, employer, site, values.get("commune"), errors)
    if answer == HousingAnswer.YES and commune is None and not errors.has("commune"):
        errors.add("commune", REQUIRED)
    notes = errors.run(
        clean_text, values.get("notes"), "notes", required=False, max_length=1000, multiline=True
    )
    contact_name = errors.run(
        clean_text, values.get("contact_name"), "contact_name", required=False
    )
    contact_email = errors.run(
        clean_email, values.get("contact_email") or None, "contact_email", required=False
    )
    contact_phone = errors.run(clean_phone, values.get("contact_phone"), "contact_phone")
    errors.raise_if_any()
    invite.answer = answer
    invite.kind = kind if wants_details else None
    invite.beds = beds if wants_details else None
    invite.monthly_cost_eur = cost if wants_details else None
    invite.site = site if wants_details else None
    invite.commune = commune if wants_details else None
    invite.notes = notes
    invite.contact_name = contact_name
    invite.contact_email = contact_email
    invite.contact_phone = contact_phone
    if invite.answered_at is None:
        invite.answered_at = at
    invite.updated_at = at
    if answer == HousingAnswer.YES and beds:
        _feed_inventory(session, invite)
    session.flush()
    return invite


def _answer_site(
    session: Session, employer: Employer, value: object, errors: ErrorCollector
) -> Site | None:
    site_id = errors.run(clean_id, value or None, "site_id", required=False)
    if site_id is None:
        return None
    site = session.get(Site, site_id)
    if site is None or site.employer_id != employer.id:
        errors.add("site_id", "Choisissez l'un de vos établissements, ou aucun.")
        return None
    return site


def _answer_commune(
    session: Session,
    employer: Employer,
    site: Site | None,
    value: object,
    errors: ErrorCollector,
) -> Commune | None:
    """The housing's commune: the site's when one is named, else the one typed, else the
    structure's first site's."""
    if site is not None:
        return site.commune
    if isinstance(value, str) and value.strip():
        return errors.run(resolve_commune, session, value, "commune")
    first = session.scalar(
        select(Site).where(Site.employer_id == employer.id).order_by(Site.id).limit(1)
    )
    return first.commune if first is not None else None


def _feed_inventory(session: Session, invite: HousingSurveyInvite) -> None:
    """Create or update the structure's one unpublished resource made by this answer."""
    resource = invite.resource
    if resource is not None and resource.published:
        return  # the coordination checked and published it: the answer no longer changes it
    assert invite.kind is not None and invite.beds is not None and invite.commune is not None
    site = invite.site
    values: dict[str, Any] = {
        "name": resource_name(invite.employer, site),
        "kind": invite.kind,
        "commune_insee": invite.commune.insee,
        "address": site.address if site is not None else None,
        "beds": invite.beds,
        "monthly_cost_eur": invite.monthly_cost_eur,
        "contact_name": invite.contact_name,
        "contact_email": invite.contact_email,
        "contact_phone": invite.contact_phone,
        "notes": invite.notes[:500] if invite.notes else None,
    }
    if resource is None:
        resource = HousingResource(
            employer_id=invite.employer_id,
            beds_taken=0,
            aids=[],
            published=False,
            **values,
        )
        session.add(resource)
        invite.resource = resource
        return
    for key, value in values.items():
        setattr(resource, key, value)
    resource.beds_taken = min(resource.beds_taken, resource.beds)


# --- The coordinators' figures ------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyStats:
    """A campaign and its figures: invitations sent, answered, by answer."""

    survey: HousingSurvey
    sent: int
    answered: int
    yes: int
    beds: int

    @property
    def rate(self) -> float | None:
        """The share of invitations answered (None before any is sent)."""
        return self.answered / self.sent if self.sent else None

    @property
    def rate_text(self) -> str:
        """The response rate as coordinators read it: « 12 réponses sur 40 (30 %) »."""
        if not self.sent:
            return "Aucune invitation envoyée"
        answered = plural(self.answered, "réponse", "réponses")
        return f"{answered} sur {self.sent} ({percent(self.rate)})"


def survey_stats(session: Session, surveys: Iterable[HousingSurvey]) -> list[SurveyStats]:
    """Return each campaign with its figures, in one query."""
    found = list(surveys)
    if not found:
        return []
    i = HousingSurveyInvite
    rows = session.execute(
        select(
            i.survey_id,
            func.count(i.id),
            func.count(i.answered_at),
            func.count(i.id).filter(i.answer == HousingAnswer.YES),
            func.coalesce(func.sum(i.beds).filter(i.answer == HousingAnswer.YES), 0),
        )
        .where(i.survey_id.in_([s.id for s in found]))
        .group_by(i.survey_id)
    ).all()
    by_id = {r[0]: r[1:] for r in rows}
    return [SurveyStats(s, *(int(v or 0) for v in by_id.get(s.id, (0, 0, 0, 0)))) for s in found]
