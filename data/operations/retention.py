"""Personal data over time (RGPD): anonymise, delete on request, export everything held."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.mail.contacts import contact_key
from data.mail.outbox import withdraw
from data.models import AuditEntry, Candidate, NotifyFrequency, Suggestion, User

from ._common import load, now_or_utc
from .audit import ACCESS_ACTION, CANDIDATE

__all__ = [
    "ANONYMOUS_NAME",
    "anonymise_candidate",
    "delete_candidate",
    "export_candidate_data",
]

ANONYMOUS_NAME = "Anonyme"
ACCOUNT_GONE = "compte supprimé"


def _withdraw_mails(session: Session, candidate: Candidate) -> None:
    """Drop the mails not sent yet to the candidate (and its account), and those about them."""
    pair_ids = (
        session.scalars(select(Suggestion.id).where(Suggestion.request_id == candidate.request.id))
        if candidate.request is not None
        else []
    )
    accounts = session.scalars(select(User.email).where(User.candidate_id == candidate.id))
    withdraw(
        session,
        recipients=[e for e in (candidate.email, *accounts) if e],
        keys=[contact_key(i) for i in pair_ids],
        reason=ACCOUNT_GONE,
    )


def anonymise_candidate(session: Session, candidate: Candidate | int, now: datetime) -> Candidate:
    """Erase a candidate's identity but keep the statistics of their request.

    Names become a placeholder, e-mail and phone are erased, mails stop, the account is deleted.
    The request's commune, métiers, status and the pairs stay, so the counts still hold.
    Idempotent: an anonymised candidate keeps its first anonymisation date.
    """
    candidate = load(session, Candidate, candidate, "Candidat")
    stamp = now_or_utc(now)
    _withdraw_mails(session, candidate)
    if candidate.anonymised_at is None:
        candidate.anonymised_at = stamp
    candidate.first_name = ANONYMOUS_NAME
    candidate.last_name = ANONYMOUS_NAME
    candidate.email = None
    candidate.phone = None
    candidate.notify_frequency = NotifyFrequency.NEVER
    for user in session.scalars(select(User).where(User.candidate_id == candidate.id)):
        session.delete(user)
    session.flush()
    return candidate


def delete_candidate(session: Session, candidate: Candidate | int) -> None:
    """Delete a candidate for good (« supprimer mon compte »): account, request, pairs.

    Mails not sent yet to them, or about them (contact mails to employers), are dropped.

    The audit lines stay: they hold no identity, only who did what to which pair, when.
    """
    candidate = load(session, Candidate, candidate, "Candidat")
    _withdraw_mails(session, candidate)
    for user in session.scalars(select(User).where(User.candidate_id == candidate.id)):
        session.delete(user)
    if candidate.request is not None:
        # Through the ORM so that loaded pairs leave the session too (the FK would cascade anyway).
        for suggestion in session.scalars(
            select(Suggestion).where(Suggestion.request_id == candidate.request.id)
        ):
            session.delete(suggestion)
    session.delete(candidate)
    session.flush()


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_candidate_data(session: Session, candidate: Candidate | int) -> dict[str, Any]:
    """Return everything Passerelle holds on a candidate, as a JSON-ready dict (RGPD access)."""
    candidate = load(session, Candidate, candidate, "Candidat")
    data: dict[str, Any] = {
        "candidat": {
            "prenom": candidate.first_name,
            "nom": candidate.last_name,
            "email": candidate.email,
            "telephone": candidate.phone,
            "consentement_le": _iso(candidate.consent_at),
            "frequence_des_mails": candidate.notify_frequency.value,
            "inscrit_le": _iso(candidate.created_at),
            "derniere_activite_le": _iso(candidate.last_activity_at),
            "anonymise_le": _iso(candidate.anonymised_at),
        },
        "compte": None,
        "demande": None,
        "mises_en_relation": [],
        "consultations": [],
    }
    user = session.scalar(select(User).where(User.candidate_id == candidate.id))
    if user is not None:
        data["compte"] = {
            "email": user.email,
            "role": user.role.value,
            "actif": user.is_active,
            "cree_le": _iso(user.created_at),
            "derniere_connexion_le": _iso(user.last_login_at),
        }
    request = candidate.request
    if request is not None:
        data["demande"] = {
            "metiers": [
                {"saisi": m.text, "metier": m.metier.label if m.metier else None}
                for m in request.metiers
            ],
            "commune": {"insee": request.commune.insee, "nom": request.commune.name},
            "distance_max_km": request.max_distance_km,
            "permis": request.has_licence,
            "voiture": request.has_car,
            "besoin_de_logement": request.needs_housing,
            "accepte_de_demenager": request.accepts_relocation,
            "disponible_le": _iso(request.available_from),
            "niveau_de_diplome": request.diploma_level,
            "statut": request.status.value,
            "creee_le": _iso(request.created_at),
            "modifiee_le": _iso(request.updated_at),
        }
        suggestions = session.scalars(
            select(Suggestion).where(Suggestion.request_id == request.id).order_by(Suggestion.id)
        )
        for s in suggestions:
            offer = s.offer
            data["mises_en_relation"].append(
                {
                    "offre": {
                        "structure": offer.site.employer.name,
                        "site": offer.site.name,
                        "commune": offer.site.commune.name,
                        "metier": offer.metier.label,
                    },
                    "score": s.score,
                    "distance_km": s.distance_km,
                    "raisons": list(s.reasons),
                    "statut": s.status.value,
                    "interet_du_candidat": s.candidate_interest.value
                    if s.candidate_interest
                    else None,
                    "creee_le": _iso(s.created_at),
                    "statut_change_le": _iso(s.status_changed_at),
                }
            )
    # Who looked at their data: the person has a right to know the recipients.
    accesses = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == ACCESS_ACTION,
            AuditEntry.object_type == CANDIDATE,
            AuditEntry.object_id == candidate.id,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    for entry in accesses:
        data["consultations"].append(
            {
                "le": _iso(entry.at),
                "par": entry.actor.role.value if entry.actor else None,
                "champs": list(entry.details.get("fields", [])),
            }
        )
    return data
