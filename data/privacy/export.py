"""Tell a person what Passerelle holds on them (RGPD access): every place of the registry.

The export walks the same places as the erasure (:data:`data.privacy.registry.HOLDINGS`): the
person, the account, the request, the pairs with the employers' answers and reasons, the
coordinators' notes, the mails sent to them, opt-outs, the links and tokens issued for them, and
every consultation of their data (pages and API, coordinators and employers). Keys and values are
French; enum values are put in words by the presentation layer's ``label`` (data.presentation).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.models import (
    MATCH_SUBJECT,
    PAIR_SUBJECT,
    AuditEntry,
    Candidate,
    CheckinCall,
    DiscoveryMatch,
    DiscoveryWish,
    LibraryResource,
    Questionnaire,
    Role,
    Suggestion,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    User,
)
from data.models.auth import ApiToken, LoginToken, RateLimitWindow
from data.models.mail import (
    ActionToken,
    MailOptOut,
    NotifiedLibraryResource,
    NotifiedSession,
    OutboxMessage,
    OutboxStatus,
    UnsubscribeToken,
)
from data.models.users import EmailChange
from data.operations import audit
from data.operations._common import load
from data.operations.cv import cv_of
from data.operations.suggestions import OBJECT_TYPE as PAIR
from data.presentation import EVENT_LABELS, FIELD_LABELS, event_state
from data.presentation import label as presentation_label
from data.presentation.questionnaires import CANDIDATE_SIDE
from data.presentation.reasons import CANDIDATE, reasons_for

from .erasure import CAUSE_LABELS, ERASURE_ACTION, REQUEST_ACTIONS, ErasureCause
from .person import Person, find_person
from .registry import AUDIT_FREE_TEXT_KEYS, HOLDINGS

__all__ = ["Label", "export_candidate_data"]

#: Turns an enum member into its French words (``data.presentation.label``).
Label = Callable[[object], str]

#: What each line of a pair's history records, in words (the candidate reads "Votre réponse").
ACTION_LABELS = {**EVENT_LABELS, "candidate_interest": "Votre réponse"}
OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: "En attente d'envoi",
    OutboxStatus.SENDING: "En cours d'envoi",
    OutboxStatus.SENT: "Envoyé",
    OutboxStatus.DEAD: "Non distribué",
    OutboxStatus.SUPPRESSED: "Non envoyé",
}
ACTION_TOKEN_LABELS = {"still_looking": "« Toujours en recherche ? »"}
API = "par l'API"
PAGE = "sur le site"
SOME_TOOL = "Un outil connecté"
SYSTEM = "Passerelle (traitement automatique)"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_candidate_data(
    session: Session, candidate: Candidate | int, *, label: Label = presentation_label
) -> dict[str, Any]:
    """Return everything Passerelle holds on a candidate, as a JSON-ready dict (RGPD access)."""
    candidate = load(session, Candidate, candidate, "Candidat")
    person = find_person(session, candidate)
    data: dict[str, Any] = {
        "ce_fichier": [f"{h.label} : {h.erasure} en cas d'effacement." for h in HOLDINGS],
        "candidat": {
            "prenom": candidate.first_name,
            "nom": candidate.last_name,
            "email": candidate.email,
            "telephone": candidate.phone,
            "presentation": candidate.presentation,
            "cv": _cv(candidate),
            "consentement_le": _iso(candidate.consent_at),
            "frequence_des_mails": label(candidate.notify_frequency),
            "inscrit_le": _iso(candidate.created_at),
            "derniere_activite_le": _iso(candidate.last_activity_at),
            "anonymise_le": _iso(candidate.anonymised_at),
        },
        "compte": _account(session, candidate, label),
        "demande": _request(candidate, label),
        "mises_en_relation": _pairs(session, person, label),
        "decouvertes": _discoveries(session, candidate, person, label),
        "consultations": _consultations(session, person, label),
        "courriels": _mails(session, person),
        "desabonnements": _optouts(session, person),
        "dates_limites_annoncees": _announced_deadlines(session, person),
        "nouveautes_de_la_mallette_annoncees": _announced_library(session, person),
        "liens_et_jetons": _tokens(session, person),
        "tentatives_de_connexion_comptees": _rate_counters(session, person),
        "effacements": _erasures(session, person),
    }
    return data


def _discoveries(
    session: Session, candidate: Candidate, person: Person, label: Label
) -> dict[str, Any]:
    """The person's asks for a discovery, their discoveries, and the questionnaires' answers."""
    wishes = session.scalars(
        select(DiscoveryWish)
        .where(DiscoveryWish.candidate_id == candidate.id)
        .order_by(DiscoveryWish.id)
    )
    matches = session.scalars(
        select(DiscoveryMatch)
        .where(DiscoveryMatch.id.in_(person.discovery_ids))
        .order_by(DiscoveryMatch.id)
    )
    answers = session.scalars(
        select(Questionnaire)
        .where(
            Questionnaire.subject_type == MATCH_SUBJECT,
            Questionnaire.subject_id.in_(person.discovery_ids),
        )
        .order_by(Questionnaire.id)
    )
    return {
        "demandes": [
            {
                "metier": w.metier_code,
                "commune": w.commune_insee,
                "distance_max_km": w.max_distance_km,
                "libre_du": _iso(w.free_from),
                "libre_au": _iso(w.free_until),
                "age": label(w.age_band),
                "etat": label(w.status),
            }
            for w in wishes
        ],
        "decouvertes": [
            {
                "metier": m.day.metier_code,
                "structure": m.day.employer.name,
                "du": _iso(m.day.starts_on),
                "au": _iso(m.day.ends_on),
                "etape": label(m.status),
                "motif": m.reason,
            }
            for m in matches
        ],
        "questionnaires": [
            {
                "cote": q.side,
                "envoye_a": q.recipient,
                "envoye_le": _iso(q.sent_at),
                "repondu_le": _iso(q.answered_at),
                "reponses": q.answers,
            }
            for q in answers
        ],
    }


def _cv(candidate: Candidate) -> dict[str, Any] | None:
    """The CV as the export lists it: its size and date (the file is in the person's space)."""
    cv = cv_of(candidate)
    if cv is None:
        return None
    return {
        "format": "PDF",
        "taille_octets": cv.size,
        "depose_le": _iso(cv.uploaded_at),
        "ou_le_telecharger": "Votre espace, page « Mes informations »",
    }


def _account(session: Session, candidate: Candidate, label: Label) -> dict[str, Any] | None:
    user = session.scalar(select(User).where(User.candidate_id == candidate.id))
    if user is None:
        return None
    return {
        "email": user.email,
        "role": label(user.role),
        "actif": user.is_active,
        "cree_le": _iso(user.created_at),
        "derniere_connexion_le": _iso(user.last_login_at),
        "nouveautes_de_la_mallette_demandees_le": _iso(user.library_news_since),
    }


def _request(candidate: Candidate, label: Label) -> dict[str, Any] | None:
    request = candidate.request
    if request is None:
        return None
    return {
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
        "centre_de_formation_ou_vous_etes_inscrit": (
            request.training_centre.name if request.training_centre is not None else None
        ),
        "statut": label(request.status),
        "creee_le": _iso(request.created_at),
        "modifiee_le": _iso(request.updated_at),
    }


def _who(entry: AuditEntry, label: Label) -> str:
    """Say who wrote an audit line: a role, the employer's structure, the API token."""
    actor = entry.actor
    role = entry.details.get("role")
    via_api = entry.details.get("via") == audit.API
    if actor is not None:
        who = label(actor.role)
        if actor.role == Role.EMPLOYER and actor.employer is not None:
            who = f"{who} : {actor.employer.name}"
    elif role in set(Role):
        who = label(Role(role))
    elif via_api:
        who = SOME_TOOL
    else:
        return SYSTEM
    if via_api:
        token = entry.details.get("api_token_id")
        return f"{who}, {API}" + (f" (jeton n° {token})" if token is not None else "")
    return f"{who}, {PAGE}"


def _pairs(session: Session, person: Person, label: Label) -> list[dict[str, Any]]:
    if not person.pair_ids:
        return []
    histories = audit.entries_for_many(session, PAIR, list(person.pair_ids))
    pairs = []
    for s in session.scalars(
        select(Suggestion).where(Suggestion.id.in_(person.pair_ids)).order_by(Suggestion.id)
    ):
        offer = s.offer
        pairs.append(
            {
                "offre": {
                    "structure": offer.site.employer.name,
                    "site": offer.site.name,
                    "commune": offer.site.commune.name,
                    "metier": offer.metier.label,
                },
                "score": s.score,
                "distance_km": s.distance_km,
                "raisons": reasons_for(s, CANDIDATE),
                "statut": label(s.status),
                "raison_du_refus": s.rejection_reason,
                "reponse_de_l_employeur": label(s.employer_interest) or None,
                "raison_de_l_employeur": s.employer_reason,
                "interet_du_candidat": label(s.candidate_interest) or None,
                # The pair's story (issue 15): interview, contract, rupture.
                "entretien_le": _iso(s.interview_on),
                "entretien_heure": s.interview_time.strftime("%H:%M") if s.interview_time else None,
                "entretien_lieu": s.interview_place,
                "contrat_signe_le": _iso(s.contract_signed_on),
                "contrat_debut_le": _iso(s.contract_start_on),
                "contrat_type": label(s.contract_kind) or None,
                "centre_de_formation": s.training_centre,
                # The engine's proposed centre for the pair (issue 16) and its intake.
                "centre_de_formation_propose": (
                    s.proposed_centre.name if s.proposed_centre is not None else None
                ),
                "rentree_proposee": _iso(s.proposed_intake_on),
                "contrat_rompu_le": _iso(s.broken_on),
                "motif_de_la_rupture": s.broken_reason,
                "creee_le": _iso(s.created_at),
                "statut_change_le": _iso(s.status_changed_at),
                "historique": [_history_line(e, label) for e in histories[s.id]],
                # The contract's check-ins (issue 19), both sides, and the calls after them.
                **_checkins(session, s.id),
            }
        )
    return pairs


def _checkins(session: Session, pair_id: int) -> dict[str, Any]:
    """A pair's check-ins (the structure's without its address) and the coordination's calls."""
    found = session.scalars(
        select(Questionnaire)
        .where(Questionnaire.subject_type == PAIR_SUBJECT, Questionnaire.subject_id == pair_id)
        .order_by(Questionnaire.id)
    )
    calls = session.scalars(
        select(CheckinCall).where(CheckinCall.suggestion_id == pair_id).order_by(CheckinCall.id)
    )
    return {
        "questionnaires_de_suivi": [
            {
                "questionnaire": q.purpose,
                "cote": q.side,
                "envoye_a": q.recipient if q.side == CANDIDATE_SIDE else None,
                "envoye_le": _iso(q.sent_at),
                "repondu_le": _iso(q.answered_at),
                "reponses": q.answers,
            }
            for q in found
        ],
        "appels_de_suivi": [{"le": _iso(c.called_at), "note": c.note} for c in calls],
    }


def _history_line(entry: AuditEntry, label: Label) -> dict[str, Any]:
    """One line of a pair's history: when, what, by whom, and the text typed (answer, note)."""
    line: dict[str, Any] = {
        "le": _iso(entry.at),
        "quoi": ACTION_LABELS.get(entry.action, entry.action),
        "par": _who(entry, label),
    }
    for key in ("from", "to"):
        value = entry.details.get(key)
        if value:
            line["de" if key == "from" else "vers"] = _state_label(entry.action, value, label)
    texts = [entry.details[k] for k in AUDIT_FREE_TEXT_KEYS if entry.details.get(k)]
    if texts:
        line["texte"] = " ".join(texts)
    return line


def _state_label(action: str, value: str, label: Label) -> str:
    return label(event_state(action, value))


def _consultations(session: Session, person: Person, label: Label) -> list[dict[str, Any]]:
    accesses = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == audit.ACCESS_ACTION,
            AuditEntry.object_type == audit.CANDIDATE,
            AuditEntry.object_id == person.candidate_id,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return [
        {
            "le": _iso(entry.at),
            "par": _who(entry, label),
            "champs": [FIELD_LABELS.get(f, f) for f in entry.details.get("fields", [])],
        }
        for entry in accesses
    ]


def _mails(session: Session, person: Person) -> list[dict[str, Any]]:
    to_person = []
    if person.addresses:
        to_person.append(func.lower(OutboxMessage.recipient).in_(person.addresses))
    if person.user_ids:
        to_person.append(OutboxMessage.user_id.in_(person.user_ids))
    if not to_person:
        return []
    rows = session.scalars(
        select(OutboxMessage)
        .where(or_(*to_person))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    return [
        {
            "a": m.recipient,
            "objet": m.subject,
            "prepare_le": _iso(m.created_at),
            "envoye_le": _iso(m.sent_at),
            "etat": OUTBOX_STATUS_LABELS.get(m.status, m.status.value),
            "texte": m.text or None,
        }
        for m in rows
    ]


def _optouts(session: Session, person: Person) -> list[dict[str, Any]]:
    if not person.addresses:
        return []
    rows = session.scalars(
        select(MailOptOut).where(MailOptOut.email.in_(person.addresses)).order_by(MailOptOut.email)
    )
    return [
        {"adresse": o.email, "le": _iso(o.created_at), "effet": "plus aucun courriel facultatif"}
        for o in rows
    ]


def _announced_library(session: Session, person: Person) -> list[dict[str, Any]]:
    """The mallette's resources a digest told the person of (the last version told), and when."""
    if not person.addresses:
        return []
    rows = session.execute(
        select(NotifiedLibraryResource.notified_at, LibraryResource.title)
        .join(LibraryResource, LibraryResource.id == NotifiedLibraryResource.resource_id)
        .where(NotifiedLibraryResource.recipient.in_(person.addresses))
        .order_by(NotifiedLibraryResource.notified_at, NotifiedLibraryResource.resource_id)
    )
    return [{"fiche": title, "annoncee_le": _iso(at)} for at, title in rows]


def _announced_deadlines(session: Session, person: Person) -> list[dict[str, Any]]:
    """The training sessions whose closing deadline a digest told the person of, and when."""
    if not person.addresses:
        return []
    rows = session.execute(
        select(NotifiedSession.notified_at, TrainingCentre.name, TrainingSession)
        .join(TrainingSession, TrainingSession.id == NotifiedSession.session_id)
        .join(TrainingProgramme, TrainingProgramme.id == TrainingSession.programme_id)
        .join(TrainingCentre, TrainingCentre.id == TrainingProgramme.centre_id)
        .where(NotifiedSession.recipient.in_(person.addresses))
        .order_by(NotifiedSession.notified_at, NotifiedSession.session_id)
    )
    return [
        {
            "centre": centre,
            "debut_de_la_session": _iso(intake.start_date),
            "date_limite": _iso(intake.application_deadline),
            "annoncee_le": _iso(at),
        }
        for at, centre, intake in rows
    ]


def _tokens(session: Session, person: Person) -> dict[str, list[dict[str, Any]]]:
    """List the links and tokens issued for the person (never a secret: only hashes are kept)."""
    sign_in = []
    if person.user_ids:
        sign_in = [
            {
                "cree_le": _iso(t.created_at),
                "expire_le": _iso(t.expires_at),
                "utilise_le": _iso(t.used_at),
            }
            for t in session.scalars(
                select(LoginToken)
                .where(LoginToken.user_id.in_(person.user_ids))
                .order_by(LoginToken.created_at, LoginToken.id)
            )
        ]
    api = [
        {
            "numero": t.id,
            "libelle": t.label,
            "cree_le": _iso(t.created_at),
            "derniere_utilisation_le": _iso(t.last_used_at),
            "revoque_le": _iso(t.revoked_at),
        }
        for t in session.scalars(
            select(ApiToken)
            .where(ApiToken.candidate_id == person.candidate_id)
            .order_by(ApiToken.id)
        )
    ]
    unsubscribe = []
    if person.addresses:
        unsubscribe = [
            {"adresse": t.email, "cree_le": _iso(t.created_at)}
            for t in session.scalars(
                select(UnsubscribeToken)
                .where(UnsubscribeToken.email.in_(person.addresses))
                .order_by(UnsubscribeToken.created_at)
            )
        ]
    answers = []
    if person.request_id is not None:
        answers = [
            {
                "question": ACTION_TOKEN_LABELS.get(t.purpose, t.purpose),
                "cree_le": _iso(t.created_at),
                "expire_le": _iso(t.expires_at),
                "repondu_le": _iso(t.answered_at),
            }
            for t in session.scalars(
                select(ActionToken)
                .where(
                    ActionToken.purpose.in_(REQUEST_ACTIONS),
                    ActionToken.object_id == person.request_id,
                )
                .order_by(ActionToken.created_at)
            )
        ]
    address_changes = []
    if person.user_ids:
        address_changes = [
            {
                "ancienne_adresse": c.old_email,
                "nouvelle_adresse": c.new_email,
                "demande_le": _iso(c.created_at),
                "expire_le": _iso(c.expires_at),
                "utilise_le": _iso(c.used_at),
            }
            for c in session.scalars(
                select(EmailChange)
                .where(EmailChange.user_id.in_(person.user_ids))
                .order_by(EmailChange.created_at, EmailChange.id)
            )
        ]
    return {
        "liens_de_connexion": sign_in,
        "changements_d_adresse": address_changes,
        "jetons_api": api,
        "liens_de_desabonnement": unsubscribe,
        "liens_de_reponse": answers,
    }


def _rate_counters(session: Session, person: Person) -> int:
    if not person.addresses:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(RateLimitWindow.count), 0)).where(
            RateLimitWindow.key_hash.in_(person.rate_key_hashes)
        )
    )
    return int(total or 0)


def _erasures(session: Session, person: Person) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == ERASURE_ACTION,
            AuditEntry.object_type == audit.CANDIDATE,
            AuditEntry.object_id == person.candidate_id,
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    out = []
    for entry in rows:
        cause = entry.details.get("cause")
        why = CAUSE_LABELS.get(ErasureCause(cause)) if cause in set(ErasureCause) else None
        out.append({"le": _iso(entry.at), "pourquoi": why})
    return out
