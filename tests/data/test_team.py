"""Several people per structure, an offer's contact person, and the sign-in address change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth
from data import operations as ops
from data.actor import SYSTEM, Actor
from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.mail.recipients import offer_contact, offer_recipients
from data.models import AuditEntry, Role, SuggestionStatus, User, utcnow
from data.models.mail import OutboxMessage
from data.operations import account_email, team
from tests.data.factories import (
    make_candidate,
    make_offer,
    make_request,
    make_site,
    make_suggestion,
    make_user,
)

LINK = re.compile(r"(https?://\S+/(?:connexion/lien|compte/adresse)/[\w-]+)")


def _mails(session: Session, to: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)
        )
    )


def _actions(session: Session, object_type: str) -> list[str]:
    stmt = select(AuditEntry.action).where(AuditEntry.object_type == object_type)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def _token(mail: OutboxMessage) -> str:
    found = LINK.search(mail.text)
    assert found is not None, mail.text
    return found.group(1).rsplit("/", 1)[1]


def test_invite_creates_the_colleague_and_queues_a_sign_in_link(session: Session) -> None:
    owner = make_user(session, Role.EMPLOYER, display_name="Agnès Roux")
    employer = owner.employer
    assert employer is not None
    me = Actor.user(owner)
    user = team.invite_colleague(
        session, me, employer, name=" Bruno Petit ", email="Bruno@Example.org"
    )
    assert (user.email, user.display_name, user.employer_id) == (
        "bruno@example.org",
        "Bruno Petit",
        employer.id,
    )
    assert [u.id for u in team.team_members(session, employer)] == [owner.id, user.id]
    (mail,) = _mails(session, "bruno@example.org")
    assert employer.name in mail.subject and "Agnès Roux vous invite" in mail.text
    assert mail.unsubscribe_token is None  # not optional: the person waits for it
    # The link signs the colleague in, once.
    assert auth.consume_login_link(session, _token(mail)).id == user.id
    assert _actions(session, team.TEAM_OBJECT) == ["team_invite"]

    # An address already an account's is refused in French, without saying whose; nothing made.
    stranger = make_user(session, Role.CANDIDATE)
    for taken in (stranger.email, "BRUNO@example.org"):
        with pytest.raises(ValidationError) as exc:
            team.invite_colleague(session, me, employer, name="X", email=taken)
        assert exc.value.errors == {"email": [team.EMAIL_TAKEN]}
    with pytest.raises(ValidationError) as exc:
        team.invite_colleague(session, me, employer, name="", email="pas-une-adresse")
    assert set(exc.value.errors) == {"name", "email"}
    # Another structure's person may not invite into this one.
    other = make_user(session, Role.EMPLOYER)
    with pytest.raises(PermissionDenied):
        team.invite_colleague(session, Actor.user(other), employer, name="Y", email="y@ex.org")
    assert len(team.team_members(session, employer)) == 2


def test_an_invitation_link_works_for_days_and_says_until_when(session: Session) -> None:
    owner = make_user(session, Role.EMPLOYER)
    employer = owner.employer
    assert employer is not None
    sent_at = datetime(2026, 3, 3, 22, 30, tzinfo=UTC)  # 23:30 in Paris, a Tuesday
    user = team.invite_colleague(
        session, Actor.user(owner), employer, name="Inès Vidal", email="ines@ex.org", now=sent_at
    )
    (mail,) = _mails(session, "ines@ex.org")
    # INVITATION_DAYS (7) later, to the end of that Paris day, which the mail names.
    assert "valable jusqu'au mardi 10 mars 2026 inclus" in mail.text
    assert "jusqu'au mardi 10 mars 2026 inclus" in mail.html
    raw = _token(mail)
    assert auth.peek_login_link(session, raw, now=sent_at + timedelta(days=1))
    assert auth.peek_login_link(session, raw, now=datetime(2026, 3, 10, 22, 59, tzinfo=UTC))
    assert not auth.peek_login_link(session, raw, now=datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
    with pytest.raises(auth.InvalidLink, match="Ce lien de connexion n'est plus valable."):
        auth.consume_login_link(session, raw, now=sent_at + timedelta(days=8))
    assert auth.consume_login_link(session, raw, now=sent_at + timedelta(days=1)).id == user.id
    # An ordinary sign-in link of the same person still lasts 15 minutes.
    ordinary = auth.create_login_link(session, user, now=sent_at)
    assert auth.peek_login_link(session, ordinary, now=sent_at + timedelta(minutes=14))
    assert not auth.peek_login_link(session, ordinary, now=sent_at + timedelta(minutes=16))
    # Another number of days (the setting, passed by the web): the mail follows.
    team.invite_colleague(
        session,
        Actor.user(owner),
        employer,
        name="Jules Noir",
        email="jules@ex.org",
        valid_days=2,
        now=sent_at,
    )
    (short,) = _mails(session, "jules@ex.org")
    assert "valable jusqu'au jeudi 5 mars 2026 inclus" in short.text
    assert not auth.peek_login_link(session, _token(short), now=sent_at + timedelta(days=3))


def test_remove_closes_the_account_and_its_offers_fall_back_to_the_structure(
    session: Session,
) -> None:
    owner = make_user(session, Role.EMPLOYER)
    employer = owner.employer
    assert employer is not None
    colleague = team.invite_colleague(
        session, Actor.user(owner), employer, name="Chloé Blanc", email="chloe@example.org"
    )
    offer = make_offer(session, make_site(session, employer))
    team.set_offer_contact(session, offer, colleague.id)
    link = auth.create_login_link(session, colleague)
    _, raw = auth.create_api_token(
        session, role=Role.EMPLOYER, employer_id=employer.id, user_id=colleague.id
    )
    version = colleague.session_version
    assert [r.email for r in offer_recipients(session, offer)] == ["chloe@example.org"]

    team.remove_colleague(session, Actor.user(owner), employer, colleague.id)
    session.expire_all()
    assert not colleague.is_active and colleague.session_version == version + 1
    assert auth.session_user(session, colleague.id, version) is None
    assert not auth.peek_login_link(session, link)
    assert auth.authenticate_api_token(session, raw) is None
    assert offer.contact_user_id is None
    assert [r.email for r in offer_recipients(session, offer)] == [owner.email]
    assert [u.id for u in team.team_members(session, employer)] == [owner.id]
    assert _actions(session, team.TEAM_OBJECT) == ["team_invite", "team_remove"]

    # The last person stays; a removed one is gone; another structure's person is unknown here.
    with pytest.raises(Conflict, match="dernière personne"):
        team.remove_colleague(session, Actor.user(owner), employer, owner)
    with pytest.raises(NotFound):
        team.remove_colleague(session, Actor.user(owner), employer, colleague.id)
    other = make_user(session, Role.EMPLOYER)
    with pytest.raises(NotFound):
        team.remove_colleague(session, Actor.user(owner), employer, other.id)
    # Inviting the removed person again says what to do.
    with pytest.raises(ValidationError) as exc:
        team.invite_colleague(
            session, Actor.user(owner), employer, name="Chloé", email="chloe@example.org"
        )
    assert exc.value.errors == {"email": [team.FORMER_COLLEAGUE]}


def test_the_offer_contact_is_a_person_of_its_structure_and_gets_the_offer_mails(
    session: Session,
) -> None:
    owner = make_user(session, Role.EMPLOYER, display_name="Denise Roy")
    employer = owner.employer
    assert employer is not None
    colleague = make_user(session, Role.EMPLOYER, employer=employer, display_name="Émile Faure")
    offer = make_offer(session, make_site(session, employer))
    # Nobody named: the structure's people, and its declared contact for candidates.
    assert {r.email for r in offer_recipients(session, offer)} == {owner.email, colleague.email}
    assert offer_contact(session, offer).email == employer.contact_email

    stranger = make_user(session, Role.EMPLOYER)
    candidate = make_user(session, Role.CANDIDATE)
    for wrong in (stranger.id, candidate.id, 0, "abc", True, 2**40):
        with pytest.raises(ValidationError) as exc:
            team.set_offer_contact(session, offer, wrong)
        assert exc.value.errors == {"contact_user_id": [team.NOT_A_COLLEAGUE]}
    team.set_offer_contact(session, offer, str(colleague.id))
    assert offer.contact_user_id == colleague.id

    # The approval's contact mails: the employer side to the contact only, and the candidate
    # told whom to write to.
    request = make_request(session, make_candidate(session))
    pair = make_suggestion(session, request, offer)
    ops.approve_suggestion(session, pair, SYSTEM)
    kinds = {
        m.recipient
        for m in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "contact_employer")
        )
    }
    assert kinds == {colleague.email}
    (to_candidate,) = _mails(session, request.candidate.email)
    assert "Émile Faure" in to_candidate.text and colleague.email in to_candidate.text
    assert pair.status == SuggestionStatus.APPROVED

    team.set_offer_contact(session, offer, None)
    assert offer.contact_user_id is None


def test_a_new_address_changes_only_once_its_link_is_followed(session: Session) -> None:
    user = make_user(session, Role.CANDIDATE)
    candidate = user.candidate
    assert candidate is not None
    old, record_old = user.email, candidate.email
    version = user.session_version
    change = account_email.request_email_change(
        session, Actor.user(user), user, " Nouvelle@Example.org "
    )
    assert change.new_email == "nouvelle@example.org"
    # Nothing changed yet; the new address has the link, the old one a notice.
    assert user.email == old and candidate.email == record_old
    (confirm,) = _mails(session, "nouvelle@example.org")
    (notice,) = _mails(session, old)
    assert "va changer" in notice.subject and "nouvelle@example.org" in notice.text
    assert "Si ce n'est pas vous" in notice.text
    raw = _token(confirm)
    assert account_email.peek_email_change(session, raw) == "nouvelle@example.org"
    assert account_email.pending_email_change(session, user) is change

    account_email.confirm_email_change(session, raw)
    session.expire_all()
    assert user.email == "nouvelle@example.org" and candidate.email == "nouvelle@example.org"
    assert user.session_version == version + 1
    changed = [m for m in _mails(session, old) if m.kind == "email_changed"]
    assert len(changed) == 1 and "a changé" in changed[0].subject
    # Single use.
    with pytest.raises(ValidationError):
        account_email.confirm_email_change(session, raw)
    assert _actions(session, account_email.ACCOUNT_OBJECT) == [
        "email_change_requested",
        "email_change_confirmed",
    ]
    assert auth.find_link_user(session, "nouvelle@example.org") is not None
    assert auth.find_link_user(session, old) is None


def test_an_address_in_use_or_an_expired_link_is_refused(session: Session) -> None:
    user = make_user(session, Role.EMPLOYER)
    other = make_user(session, Role.COORDINATOR)
    record = make_candidate(session)  # a candidate's record without an account yet
    me = Actor.user(user)
    for taken in (other.email, record.email.upper()):
        with pytest.raises(ValidationError) as exc:
            account_email.request_email_change(session, me, user, taken)
        assert exc.value.errors == {"email": [account_email.ADDRESS_TAKEN]}
        assert other.email not in str(exc.value.errors)
    with pytest.raises(ValidationError) as exc:
        account_email.request_email_change(session, me, user, user.email.upper())
    assert exc.value.errors == {"email": [account_email.SAME_ADDRESS]}
    with pytest.raises(Conflict):
        account_email.request_email_change(session, Actor.user(other), other, "x@ex.org")

    start = utcnow()
    account_email.request_email_change(session, me, user, "a@example.org", now=start)
    first = _token(_mails(session, "a@example.org")[0])
    account_email.request_email_change(session, me, user, "b@example.org", now=start)
    second = _token(_mails(session, "b@example.org")[0])
    # A newer request kills the older link; a link dies after its time.
    assert account_email.peek_email_change(session, first) is None
    late = start + account_email.EMAIL_CHANGE_TTL + timedelta(seconds=1)
    with pytest.raises(ValidationError):
        account_email.confirm_email_change(session, second, now=late)
    # Taken meanwhile by someone else: refused when followed, address unchanged.
    make_user(session, Role.CANDIDATE, email="b@example.org")
    with pytest.raises(ValidationError) as exc:
        account_email.confirm_email_change(session, second, now=start)
    assert exc.value.errors == {"email": [account_email.ADDRESS_TAKEN]}
    assert session.scalar(select(User.email).where(User.id == user.id)) == user.email


def test_address_changes_asked_too_often_are_refused_for_an_hour(session: Session) -> None:
    user = make_user(session, Role.EMPLOYER)
    me, start = Actor.user(user), utcnow()
    for n in range(account_email.MAX_REQUESTS_PER_HOUR):
        account_email.request_email_change(session, me, user, f"n{n}@example.org", now=start)
    with pytest.raises(Conflict, match="Trop de demandes"):
        account_email.request_email_change(session, me, user, "encore@example.org", now=start)
    assert _mails(session, "encore@example.org") == []
    later = start + timedelta(hours=1, seconds=1)
    account_email.request_email_change(session, me, user, "encore@example.org", now=later)
