"""The housing survey (issue 17): campaigns, their filters, sending once, reminders, answers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.mail import unsubscribe, unsubscribe_token_for
from data.models import (
    HousingAnswer,
    HousingKind,
    HousingResource,
    HousingSurvey,
    HousingSurveyInvite,
    HousingSurveyLink,
    Role,
    StructureCheck,
    StructureKind,
)
from data.models.mail import OutboxMessage
from data.operations import housing_survey as ops
from tests.data import factories as f

LYON = "69123"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LINK_RE = re.compile(r"/logement/recensement/([A-Za-z0-9_\-]+)")


@pytest.fixture
def coordinator(session: Session) -> Actor:
    return Actor.user(f.make_user(session, Role.COORDINATOR))


def _mails(session: Session, kind: str = ops.INVITE_KIND) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


def token_in(mail: OutboxMessage) -> str:
    """The survey link's token a mail carries (text and HTML carry the same)."""
    found = LINK_RE.search(mail.text)
    assert found is not None, mail.text
    assert found.group(0) in (mail.html or "")
    return found.group(1)


def _token_of(session: Session, employer_id: int, kind: str = ops.INVITE_KIND) -> str:
    employer_mails = [m for m in _mails(session, kind) if m.key.split(":")[2] == str(employer_id)]
    return token_in(employer_mails[-1])


def _survey(session: Session, coordinator: Actor, **kw: object) -> HousingSurvey:
    values: dict[str, object] = {"title": "Recensement de décembre"}
    values.update(kw)
    return ops.create_survey(session, coordinator, now=NOW, **values)  # type: ignore[arg-type]


def _invites(session: Session, survey: HousingSurvey) -> list[HousingSurveyInvite]:
    return list(
        session.scalars(
            select(HousingSurveyInvite)
            .where(HousingSurveyInvite.survey_id == survey.id)
            .order_by(HousingSurveyInvite.employer_id)
        )
    )


# --- Whom a campaign asks -----------------------------------------------------------------------


def test_filters_choose_structures_by_kind_place_and_housing(
    session: Session, coordinator: Actor
) -> None:
    ehpad = f.make_employer(session, kind=StructureKind.EHPAD)
    f.make_site(session, ehpad, commune_insee=f.BOURG)
    ime = f.make_employer(session, kind=StructureKind.IME)
    f.make_site(session, ime, commune_insee=f.OYONNAX)
    housed = f.make_employer(session, kind=StructureKind.EHPAD)
    f.make_site(session, housed, beds=2)  # declares housing already
    lyon = f.make_employer(session, kind=StructureKind.MECS)
    f.make_site(session, lyon, commune_insee=LYON)
    suspended = f.make_employer(session, check_status=StructureCheck.SUSPENDED)
    f.make_site(session, suspended)
    mine = {ehpad.id, ime.id, housed.id, lyon.id, suspended.id}

    def chosen(**kw: object) -> set[int]:
        filters = ops.parse_filters(session, **kw)  # type: ignore[arg-type]
        ids = set(session.scalars(ops.target_query(filters))) & mine
        return ids

    assert chosen() == {ehpad.id, ime.id, housed.id, lyon.id}  # never the suspended one
    assert chosen(structure_kinds=["ehpad"]) == {ehpad.id, housed.id}
    assert chosen(departements="69") == {lyon.id}
    assert chosen(departements="01, 69", structure_kinds=["ime", "mecs"]) == {ime.id, lyon.id}
    assert chosen(communes="Oyonnax") == {ime.id}
    assert chosen(communes=f"{f.BOURG}\nLyon") >= {ehpad.id, lyon.id}
    assert housed.id not in chosen(without_housing=True)
    assert chosen(without_housing=True, departements="01") == {ehpad.id, ime.id}


def test_a_campaign_is_created_with_its_filter_and_bad_input_is_refused(
    session: Session, coordinator: Actor
) -> None:
    survey = _survey(
        session,
        coordinator,
        message="Merci de répondre avant Noël.",
        closes_on="2026-12-20",
        structure_kinds=["ehpad"],
        departements="01",
        without_housing=True,
    )
    assert survey.sent_at is None and survey.closes_on == date(2026, 12, 20)
    assert ops.survey_state(survey, NOW) == "draft"
    assert ops.SurveyFilters.from_json(survey.filters) == ops.SurveyFilters(
        (StructureKind.EHPAD,), ("01",), (), True
    )
    with pytest.raises(ValidationError) as refused:
        ops.create_survey(
            session,
            coordinator,
            title="",
            closes_on="2026-11-01",  # in the past
            structure_kinds=["château"],
            departements="1000",
            communes="Nulle-Part-sur-Rien",
            now=NOW,
        )
    assert set(refused.value.errors) == {
        "title",
        "closes_on",
        "structure_kinds",
        "departements",
        "communes",
    }
    assert all("Département" in m for m in refused.value.errors["departements"])
    with pytest.raises(PermissionDenied):
        ops.create_survey(session, Actor.user(f.make_user(session, Role.EMPLOYER)), title="x")


# --- Sending, exactly once ----------------------------------------------------------------------


def test_sending_queues_one_mail_per_structure_once(session: Session, coordinator: Actor) -> None:
    a = f.make_employer(session, kind=StructureKind.ITEP)
    b = f.make_employer(session, kind=StructureKind.ITEP)
    staff = f.make_user(session, Role.EMPLOYER, employer=b)  # b's mails go to its account
    survey = _survey(session, coordinator, structure_kinds=["itep"])

    sent = ops.send_survey(session, coordinator, survey, base_url="https://p.example", now=NOW)
    assert (sent.queued, sent.already_sent) == (2, False)
    mails = _mails(session)
    assert sorted(m.recipient for m in mails) == sorted([a.contact_email, staff.email])
    assert all(m.unsubscribe_token for m in mails)  # optional: List-Unsubscribe, opt-outs apply
    assert "pouvez-vous loger un apprenti" in mails[0].subject
    assert "https://p.example/logement/recensement/" in mails[0].text
    assert "Ne plus recevoir de messages de Passerelle" in mails[0].text
    assert [i.recipient for i in _invites(session, survey)] == [a.contact_email, staff.email]
    # Only the hash of each link is stored.
    token = token_in(mails[0])
    assert session.get(HousingSurveyLink, token) is None
    assert ops.find_invite(session, token) is not None

    again = ops.send_survey(session, coordinator, survey, now=NOW)
    assert again.already_sent and again.queued == 0
    assert len(_mails(session)) == 2 and len(_invites(session, survey)) == 2


def test_a_campaign_past_its_closing_day_is_not_sent(session: Session, coordinator: Actor) -> None:
    f.make_employer(session, kind=StructureKind.ESAT)
    survey = _survey(session, coordinator, structure_kinds=["esat"], closes_on="2026-12-10")
    with pytest.raises(Conflict) as refused:
        ops.send_survey(session, coordinator, survey, now=datetime(2026, 12, 11, 9, tzinfo=UTC))
    assert str(refused.value) == ops.PAST_CLOSING_DAY
    assert survey.sent_at is None and _invites(session, survey) == []


def test_an_address_that_opted_out_is_not_asked(session: Session, coordinator: Actor) -> None:
    kept = f.make_employer(session, kind=StructureKind.FAM)
    gone = f.make_employer(session, kind=StructureKind.FAM)
    unsubscribe(session, unsubscribe_token_for(session, gone.contact_email))
    none = f.make_employer(session, kind=StructureKind.FAM)
    none.contact_email = ""  # an address lost (the forms require one): nobody to mail
    survey = _survey(session, coordinator, structure_kinds=["fam"])

    sent = ops.send_survey(session, coordinator, survey, now=NOW)

    assert (sent.queued, sent.opted_out, sent.no_address) == (1, 1, 1)
    assert [m.recipient for m in _mails(session)] == [kept.contact_email]
    assert [i.employer_id for i in _invites(session, survey)] == [kept.id]
    assert none.id not in {i.employer_id for i in _invites(session, survey)}


def test_reminders_go_to_those_who_did_not_answer_once_per_round(
    session: Session, coordinator: Actor
) -> None:
    answered, silent, opted = (f.make_employer(session, kind=StructureKind.MAS) for _ in range(3))
    survey = _survey(session, coordinator, structure_kinds=["mas"])
    with pytest.raises(Conflict):  # not sent yet
        ops.remind_survey(session, coordinator, survey, round_number=1, now=NOW)
    ops.send_survey(session, coordinator, survey, now=NOW)
    ops.answer_survey(session, _token_of(session, answered.id), {"answer": "no"}, now=NOW)
    unsubscribe(session, unsubscribe_token_for(session, opted.contact_email))

    later = NOW + timedelta(days=7)
    done = ops.remind_survey(session, coordinator, survey, round_number=1, now=later)
    assert (done.queued, done.opted_out, done.already_sent) == (1, 1, False)
    reminders = _mails(session, ops.REMINDER_KIND)
    assert [m.recipient for m in reminders] == [silent.contact_email]
    assert "Rappel" in reminders[0].subject

    twice = ops.remind_survey(session, coordinator, survey, round_number=1, now=later)
    assert twice.already_sent and len(_mails(session, ops.REMINDER_KIND)) == 1

    ops.remind_survey(session, coordinator, survey, round_number=2, now=later)
    assert len(_mails(session, ops.REMINDER_KIND)) == 2
    invite = next(i for i in _invites(session, survey) if i.employer_id == silent.id)
    assert (invite.reminders, invite.reminded_at) == (2, later)
    # Each reminder has a link of its own; the invitation's still opens the form.
    first, last = _token_of(session, silent.id), _token_of(session, silent.id, ops.REMINDER_KIND)
    assert first != last
    assert ops.find_invite(session, first) is ops.find_invite(session, last) is invite


# --- Answering ----------------------------------------------------------------------------------


def _sent_to_one(session: Session, coordinator: Actor, **kw: object) -> tuple[str, object]:
    employer = f.make_employer(session, kind=StructureKind.CHRS, name="CHRS Le Phare")
    survey = _survey(session, coordinator, structure_kinds=["chrs"], **kw)
    ops.send_survey(session, coordinator, survey, now=NOW)
    return _token_of(session, employer.id), employer


def test_a_yes_creates_one_unpublished_resource_and_an_edit_updates_it(
    session: Session, coordinator: Actor
) -> None:
    token, employer = _sent_to_one(session, coordinator)
    site = f.make_site(session, employer, commune_insee=f.OYONNAX, address="3 rue des Lilas")
    answer = {
        "answer": "yes",
        "housing_kind": "fjt",
        "beds": "2",
        "monthly_cost_eur": "380",
        "notes": "Chambres meublées, à 5 minutes à pied.",
        "contact_name": "Claire Martin",
        "contact_phone": "04 74 00 00 00",
    }
    invite = ops.answer_survey(session, token, answer, now=NOW)
    assert invite.answer == HousingAnswer.YES and invite.answered_at == NOW
    resource = invite.resource
    assert resource is not None and not resource.published
    assert resource.employer_id == employer.id and resource.site_id is None  # off-site
    assert resource.commune_insee == f.OYONNAX  # the structure's first site's commune
    assert (resource.kind, resource.beds, resource.monthly_cost_eur) == (HousingKind.FJT, 2, 380)
    assert resource.name == "Logement proposé par CHRS Le Phare"

    later = NOW + timedelta(days=1)
    edited = ops.answer_survey(
        session, token, {**answer, "beds": "3", "site_id": str(site.id)}, now=later
    )
    assert (edited.answered_at, edited.updated_at) == (NOW, later)
    # The site named: its commune and address, but never on it (its beds are the engine's).
    assert edited.resource is resource and resource.beds == 3 and edited.site_id == site.id
    assert resource.site_id is None and resource.address == site.address
    assert resource.name == f"Logement proposé par CHRS Le Phare – {site.name}"
    resources = session.scalar(
        select(func.count(HousingResource.id)).where(HousingResource.employer_id == employer.id)
    )
    assert resources == 1

    # Once published by the coordination, an edit of the answer leaves it as published.
    resource.published = True
    ops.answer_survey(session, token, {**answer, "beds": "9"}, now=later)
    assert resource.beds == 3


def test_an_answer_is_checked_field_by_field(session: Session, coordinator: Actor) -> None:
    token, _employer = _sent_to_one(session, coordinator)
    with pytest.raises(ValidationError) as refused:
        ops.answer_survey(session, token, {"answer": "yes", "commune": "Nulle-Part"}, now=NOW)
    assert set(refused.value.errors) == {"housing_kind", "beds", "commune"}
    with pytest.raises(ValidationError) as refused:
        ops.answer_survey(session, token, {"answer": "perhaps"}, now=NOW)
    assert set(refused.value.errors) == {"answer"}
    invite = ops.find_invite(session, token)
    assert invite is not None and invite.answered_at is None  # nothing written

    # « Non » and « peut-être » make no resource.
    ops.answer_survey(session, token, {"answer": "maybe", "beds": "1"}, now=NOW)
    assert invite.resource_id is None and invite.answer == HousingAnswer.MAYBE


def test_an_unknown_token_opens_nothing(session: Session, coordinator: Actor) -> None:
    _sent_to_one(session, coordinator)
    assert ops.find_invite(session, "pas-un-jeton") is None
    assert ops.find_invite(session, "x" * 500) is None
    with pytest.raises(NotFound):
        ops.answer_survey(session, "pas-un-jeton", {"answer": "no"}, now=NOW)


def test_a_closed_campaign_takes_no_more_answers(session: Session, coordinator: Actor) -> None:
    token, _employer = _sent_to_one(session, coordinator, closes_on="2026-12-10")
    invite = ops.answer_survey(session, token, {"answer": "no"}, now=NOW)
    after_last_day = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    assert not ops.is_open(invite.survey, after_last_day)
    with pytest.raises(Conflict) as closed:
        ops.answer_survey(session, token, {"answer": "maybe"}, now=after_last_day)
    assert str(closed.value) == ops.CLOSED

    assert ops.survey_state(invite.survey, NOW) == "open"
    assert ops.survey_state(invite.survey, after_last_day) == "closed"

    token2, _ = _sent_to_one(session, coordinator)
    survey = ops.find_invite(session, token2).survey  # type: ignore[union-attr]
    assert ops.close_survey(session, coordinator, survey, now=NOW)
    assert ops.survey_state(survey, NOW) == "closed"
    assert not ops.close_survey(session, coordinator, survey, now=NOW)  # closed already
    with pytest.raises(Conflict):
        ops.answer_survey(session, token2, {"answer": "no"}, now=NOW)
    with pytest.raises(Conflict):
        ops.remind_survey(session, coordinator, survey, round_number=1, now=NOW)
    assert invite.answer == HousingAnswer.NO


def test_the_response_rate_reads_answered_over_sent(session: Session, coordinator: Actor) -> None:
    employers = [f.make_employer(session, kind=StructureKind.SESSAD) for _ in range(4)]
    survey = _survey(session, coordinator, structure_kinds=["sessad"])
    assert ops.survey_stats(session, [survey])[0].rate_text == "Aucune invitation envoyée"
    ops.send_survey(session, coordinator, survey, now=NOW)
    ops.answer_survey(
        session,
        _token_of(session, employers[0].id),
        {"answer": "yes", "housing_kind": "esms_room", "beds": "2", "commune": "Bourg-en-Bresse"},
        now=NOW,
    )
    ops.answer_survey(session, _token_of(session, employers[1].id), {"answer": "no"}, now=NOW)
    stats = ops.survey_stats(session, [survey])[0]
    assert (stats.sent, stats.answered, stats.yes, stats.beds) == (4, 2, 1, 2)
    assert stats.rate_text == "2 réponses sur 4 (50 %)"
