"""Moderation: a new structure's offers wait for its check, a suspension holds them back, one
offer is withdrawn and reopened; each action is audited with its reason and mails the people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import operations as ops
from data import queries
from data.actor import Actor
from data.errors import Conflict, ValidationError
from data.models import (
    AWAITING_REVIEW,
    OPEN_OFFER,
    AuditEntry,
    Employer,
    Offer,
    OfferStatus,
    Request,
    Role,
    StructureCheck,
    Suggestion,
    SuggestionStatus,
)
from data.models.mail import OutboxMessage
from data.operations import moderation as mod
from data.platform_settings import get_structures_check, set_structures_check
from data.queries.moderation import moderation_history, structure_rows
from data.recompute import recompute_suggestions
from tests.data import factories as f

BASE = "http://localhost"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _coordinator(session: Session) -> Actor:
    return Actor.user(f.make_user(session, Role.COORDINATOR))


def _new_structure(session: Session) -> tuple[Employer, Offer]:
    """A structure just signed up (to check), one account, a site, an offer it published."""
    user = f.make_user(session, Role.EMPLOYER)
    employer = user.employer
    assert employer is not None
    employer.check_status = StructureCheck.TO_CHECK
    offer = f.make_offer(session, f.make_site(session, employer))
    return employer, offer


def _open_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Offer.id).where(*OPEN_OFFER)))


def _mails(session: Session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def _lines(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_new_structure_publishes_only_once_checked(session: Session) -> None:
    employer, offer = _new_structure(session)
    assert offer.status is OfferStatus.PENDING_CHECK and offer.published_at is None
    assert not offer.is_open and offer.id not in _open_ids(session)
    assert queries.find_offer(session, queries.PUBLIC, offer.id) is None
    assert queries.today(session, NOW).structures_to_check == 1
    [row] = structure_rows(session, StructureCheck.TO_CHECK)
    assert (row.employer, row.sites, row.waiting, row.accounts) == (employer, 1, 1, 1)

    me = _coordinator(session)
    result = mod.check_structure(session, employer, me, base_url=BASE, now=NOW)
    assert result.offers == [offer] and result.mails == 1
    assert (employer.check_status, employer.checked_at, employer.checked_by_id) == (
        StructureCheck.CHECKED,
        NOW,
        me.user_id,
    )
    assert (offer.status, offer.published_at) == (OfferStatus.PUBLISHED, NOW)
    assert offer.is_open and offer.id in _open_ids(session)
    assert queries.today(session, NOW).structures_to_check == 0
    [mail] = _mails(session, "structure_checked")
    assert "1 offre qui attendait cette vérification est publiée" in mail.text
    [line] = _lines(session, "structure_checked")
    assert (line.object_id, line.actor_id, line.details["offers"]) == (
        employer.id,
        me.user_id,
        [offer.id],
    )
    # Checked once: a second coordinator's click is told, nothing changes.
    with pytest.raises(Conflict, match="déjà vérifiée"):
        mod.check_structure(session, employer, me, base_url=BASE)
    # Its next offers are published at once.
    assert f.make_offer(session, offer.site).status is OfferStatus.PUBLISHED


def test_the_rule_none_publishes_at_once_and_frees_the_waiting_offers(session: Session) -> None:
    employer, waiting = _new_structure(session)
    assert get_structures_check(session) == "before_publication"
    with pytest.raises(ValidationError):
        set_structures_check(session, "sometimes")
    set_structures_check(session, "none", _coordinator(session), now=NOW)
    assert get_structures_check(session) == "none"
    assert (waiting.status, waiting.published_at) == (OfferStatus.PUBLISHED, NOW)
    assert f.make_offer(session, waiting.site).status is OfferStatus.PUBLISHED
    # The structure still waits in the queue, to check afterwards.
    assert employer.check_status is StructureCheck.TO_CHECK
    assert [e.details["after"] for e in _lines(session, "settings.structures_check")] == [
        {"mode": "none"}
    ]


def test_suspending_holds_the_offers_back_keeps_the_pairs_and_reinstating_frees_them(
    session: Session,
) -> None:
    offer = f.make_offer(session)
    employer = offer.site.employer
    f.make_user(session, Role.EMPLOYER, employer=employer)
    other = f.make_offer(session, offer.site)
    req = f.make_request(session)
    pair = f.make_suggestion(session, req, offer, status=SuggestionStatus.APPROVED)
    proposed = f.make_suggestion(session, f.make_request(session), other, score=0.9)
    me = _coordinator(session)

    with pytest.raises(ValidationError) as info:
        mod.suspend_structure(session, employer, me, "  ", base_url=BASE)
    assert info.value.errors == {"reason": ["Indiquez le motif de la suspension."]}
    assert employer.check_status is StructureCheck.CHECKED and offer.is_open

    result = mod.suspend_structure(
        session, employer, me, "SIRET d'une autre structure.", base_url=BASE, now=NOW
    )
    assert (result.live_pairs, len(result.offers), result.mails) == (1, 2, 1)
    assert employer.suspended_reason == "SIRET d'une autre structure."
    assert {offer.status, other.status} == {OfferStatus.SUSPENDED}
    assert not (_open_ids(session) & {offer.id, other.id})
    # The review queue no longer holds its suggestions; the approved pair is kept as it was.
    waiting = session.scalars(
        select(Suggestion.id)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(*AWAITING_REVIEW)
    ).all()
    assert proposed.id not in waiting
    assert pair.status is SuggestionStatus.APPROVED
    # The engine stops proposing them.
    recompute_suggestions(session, now=NOW)
    session.refresh(proposed)
    assert proposed.stale
    [mail] = _mails(session, "structure_suspended")
    assert "« SIRET d'une autre structure. »" in mail.text
    assert "2 offres ne sont plus proposées" in mail.text
    [line] = _lines(session, "structure_suspended")
    assert (line.details["reason"], line.details["live_pairs"]) == (
        "SIRET d'une autre structure.",
        1,
    )
    # A suspended structure publishes nothing, and is not suspended twice.
    draft = f.make_offer(session, offer.site, publish=False)
    with pytest.raises(Conflict, match="suspendue"):
        ops.publish_offer(session, draft)
    assert draft.status is OfferStatus.DRAFT
    with pytest.raises(Conflict):
        mod.suspend_structure(session, employer, me, "Encore", base_url=BASE)
    with pytest.raises(Conflict, match="rétablissez"):
        mod.check_structure(session, employer, me, base_url=BASE)

    result = mod.reinstate_structure(session, employer, me, base_url=BASE, now=NOW)
    assert (employer.check_status, employer.suspended_reason) == (StructureCheck.CHECKED, None)
    assert {offer.status, other.status} == {OfferStatus.PUBLISHED}
    assert {offer.id, other.id} <= _open_ids(session)
    assert len(_mails(session, "structure_reinstated")) == 1
    with pytest.raises(Conflict, match="n'est pas suspendue"):
        mod.reinstate_structure(session, employer, me, base_url=BASE)


def test_one_offer_withdrawn_then_reopened_with_its_reasons(session: Session) -> None:
    offer = f.make_offer(session)
    me = _coordinator(session)
    with pytest.raises(ValidationError) as info:
        mod.unpublish_offer(session, offer, me, "", base_url=BASE)
    assert info.value.errors == {"reason": ["Indiquez le motif du retrait de l'offre."]}
    with pytest.raises(ValidationError):
        mod.unpublish_offer(session, offer, me, "x" * 1001, base_url=BASE)
    assert offer.status is OfferStatus.PUBLISHED

    mod.unpublish_offer(session, offer, me, "Offre en double.", base_url=BASE, now=NOW)
    assert offer.status is OfferStatus.WITHDRAWN and offer.id not in _open_ids(session)
    # The employer cannot publish it again by themselves; they may still close it.
    with pytest.raises(Exception, match="passage"):
        ops.publish_offer(session, offer)
    with pytest.raises(Conflict):
        mod.unpublish_offer(session, offer, me, "Encore", base_url=BASE)
    with pytest.raises(ValidationError) as info:
        mod.reopen_offer(session, offer, me, None, base_url=BASE)
    assert info.value.errors == {"reason": ["Indiquez le motif de la réouverture de l'offre."]}

    mod.reopen_offer(session, offer, me, "Offre corrigée.", base_url=BASE, now=NOW)
    assert offer.status is OfferStatus.PUBLISHED and offer.id in _open_ids(session)
    with pytest.raises(Conflict, match="rouverte"):
        mod.reopen_offer(session, offer, me, "Encore", base_url=BASE)
    assert [(e.action, e.details["reason"]) for e in _lines(session, "offer_withdrawn")] == [
        ("offer_withdrawn", "Offre en double.")
    ]
    assert [e.details["to"] for e in _lines(session, "offer_reopened")] == ["published"]
    assert "« Offre en double. »" in _mails(session, "offer_withdrawn")[0].text
    history = moderation_history(session, offer.site.employer)
    assert [e.action for e in history] == ["offer_withdrawn", "offer_reopened"]


def test_an_offer_reopened_while_its_structure_waits_waits_too(session: Session) -> None:
    employer, offer = _new_structure(session)
    me = _coordinator(session)
    mod.unpublish_offer(session, offer, me, "Description à revoir.", base_url=BASE)
    mod.reopen_offer(session, offer, me, "Description revue.", base_url=BASE)
    assert offer.status is OfferStatus.PENDING_CHECK
    assert "dès que votre structure aura été vérifiée" in _mails(session, "offer_reopened")[0].text
    mod.check_structure(session, employer, me, base_url=BASE)
    assert offer.status is OfferStatus.PUBLISHED


def test_factories_and_sign_ups_start_where_they_should(session: Session) -> None:
    assert f.make_employer(session).check_status is StructureCheck.CHECKED
    signed_up = ops.create_employer(
        session,
        name="Foyer des Tilleuls",
        siret=f.fake_siret(),
        kind="foyer_vie",
        contact_name="Jeanne Roux",
        contact_email=f.unique_email("jeanne"),
    )
    session.flush()
    assert signed_up.check_status is StructureCheck.TO_CHECK
