"""What each side is told of where its request or offer stands (:mod:`data.standing`), in French.

One sentence per :class:`data.standing.Status`; a stage under way is named by its label
(:data:`data.presentation.labels.LABELS`), then what happens next.
"""

from __future__ import annotations

from collections.abc import Callable

from data.models import SuggestionStatus
from data.standing import Standing, Status

from .formatters import plural
from .labels import label

__all__ = ["REVIEW_NOTES", "STANDING_LABELS", "standing_sentences"]


def _within(s: Standing) -> str:
    if s.minutes is None:
        return "prochainement"
    return "d'ici " + plural(s.minutes, "minute", "minutes")


def _stage(status: SuggestionStatus, then: str) -> Callable[[Standing], str]:
    # The stage is named by its label in the pair lists, then what happens next.
    return lambda s: f"{label(status)} : {then}"


def _in_review(s: Standing) -> str:
    if s.in_review == 1:
        return (
            "1 proposition est en cours d'examen par l'équipe de coordination. "
            "Elle vous sera montrée ici si elle est approuvée."
        )
    return (
        f"{s.in_review} propositions sont en cours d'examen par l'équipe de coordination. "
        "Elles vous seront montrées ici si elles sont approuvées."
    )


def _proposed(kind: str, kinds: str) -> Callable[[Standing], str]:
    def sentence(s: Standing) -> str:
        if s.proposed == 1:
            return f"1 {kind} vous est proposée : dites-nous si elle vous intéresse."
        return f"{s.proposed} {kinds} vous sont proposées : dites-nous si elles vous intéressent."

    return sentence


# How each side is told where its item stands: one sentence per status (data.standing.Status).
_SHARED: dict[Status, Callable[[Standing], str]] = {Status.IN_REVIEW: _in_review}

STANDING_LABELS: dict[str, dict[Status, Callable[[Standing], str]]] = {
    "candidate": {
        **_SHARED,
        Status.PAUSED: lambda s: (
            "Votre demande est en pause : aucune offre ne vous est proposée. "
            "Réactivez-la pour recevoir de nouveau des propositions."
        ),
        Status.CLOSED: lambda s: (
            "Votre demande est close : aucune offre ne vous est proposée. "
            "Réactivez-la si vous cherchez de nouveau."
        ),
        Status.MATCHED: lambda s: (
            f"{label(SuggestionStatus.CONTRACT_SIGNED)} : votre demande a abouti, aucune autre "
            "offre ne vous est proposée. Réactivez-la si vous cherchez de nouveau."
        ),
        Status.CONTRACT_BROKEN: lambda s: (
            f"{label(SuggestionStatus.BROKEN)} : aucune offre ne vous est proposée pour "
            "l'instant. Si vous cherchez un autre employeur, réactivez votre demande : de "
            "nouvelles offres vous seront proposées."
        ),
        Status.APPROVED: _stage(
            SuggestionStatus.APPROVED,
            "les coordonnées de l'employeur vous sont envoyées par courriel et figurent "
            "ci-dessous : prenez contact avec l'employeur.",
        ),
        Status.CONTACTED: _stage(
            SuggestionStatus.CONTACTED,
            "l'employeur et vous êtes en relation. L'étape suivante est l'entretien.",
        ),
        Status.INTERVIEW: _stage(
            SuggestionStatus.INTERVIEW,
            "après l'entretien, l'équipe de coordination enregistre la signature du contrat "
            "ou la fin de cette mise en relation.",
        ),
        Status.PENDING: lambda s: f"Vos propositions d'offres seront calculées {_within(s)}.",
        Status.PROPOSED: _proposed("offre", "offres"),
        Status.NO_MATCH: lambda s: (
            "Aucune offre ne correspond pour l'instant à votre demande dans un rayon de "
            f"{s.radius_km} km. Élargir la distance de votre recherche peut vous en faire "
            "découvrir."
        ),
    },
    "employer": {
        **_SHARED,
        Status.DRAFT: lambda s: (
            "Brouillon : publiez l'offre pour qu'elle soit proposée aux candidats."
        ),
        Status.WAITING_CHECK: lambda s: (
            "En attente de vérification : l'équipe de coordination vérifie votre structure "
            "avant la publication de ses premières offres. L'offre sera publiée dès cette "
            "vérification faite, et un courriel vous préviendra."
        ),
        Status.SUSPENDED: lambda s: (
            "Votre structure est suspendue par l'équipe de coordination : l'offre n'est plus "
            "proposée aux candidats. Les mises en relation en cours sont conservées."
        ),
        Status.WITHDRAWN: lambda s: (
            "Offre retirée par l'équipe de coordination : elle n'est plus proposée aux "
            "candidats. Le motif vous a été envoyé par courriel ; corrigez l'offre et "
            "contactez l'équipe de coordination pour la rouvrir."
        ),
        Status.CLOSED: lambda s: (
            "Offre fermée : elle n'est plus proposée aux candidats. "
            "Dupliquez-la pour en publier une nouvelle."
        ),
        Status.EXPIRED: lambda s: (
            "Offre expirée : elle n'est plus proposée aux candidats. "
            "Dupliquez-la pour en publier une nouvelle."
        ),
        Status.FILLED: lambda s: (
            "Toutes les places sont pourvues : l'offre n'est plus proposée aux candidats."
        ),
        Status.TUTOR_FULL: lambda s: (
            f"Le maître d'apprentissage de cette offre, {s.tutor}, n'a plus de place : il ou "
            "elle encadre déjà autant d'apprentis que la loi le permet. L'offre n'est plus "
            "proposée aux candidats ; choisissez un autre maître d'apprentissage dans l'offre, "
            "ou elle le sera de nouveau dès qu'une place se libère."
        ),
        Status.APPROVED: _stage(
            SuggestionStatus.APPROVED,
            "les coordonnées du candidat vous sont envoyées par courriel et figurent sur la "
            "page de l'offre : prenez contact avec cette personne.",
        ),
        Status.CONTACTED: _stage(
            SuggestionStatus.CONTACTED,
            "le candidat et vous êtes en relation. L'étape suivante est l'entretien.",
        ),
        Status.INTERVIEW: _stage(
            SuggestionStatus.INTERVIEW,
            "après l'entretien, l'équipe de coordination enregistre la signature du contrat "
            "ou la fin de cette mise en relation.",
        ),
        Status.PENDING: lambda s: (
            f"Les candidatures à vous proposer pour cette offre seront calculées {_within(s)}."
        ),
        Status.PROPOSED: _proposed("candidature", "candidatures"),
        Status.NO_MATCH: lambda s: (
            "Aucune demande de candidat ne correspond pour l'instant à cette offre. "
            "Chaque nouvelle demande lui est comparée."
        ),
    },
}

#: Said after "will be computed" and "nothing matches": who sees the suggestions first.
REVIEW_NOTES = {
    "approval": "L'équipe de coordination examine chaque proposition avant de vous la montrer.",
    "auto": (
        "Les propositions qui correspondent le mieux vous sont montrées aussitôt ; "
        "l'équipe de coordination examine les autres avant de vous les montrer."
    ),
}
_NOTED = (Status.PENDING, Status.NO_MATCH)


def standing_sentences(standing: Standing, side: str, *, note: bool = True) -> list[str]:
    """Return what to tell ``side`` ("candidate", "employer") of an item: its status first.

    With ``note``, who sees the suggestions first, when the item waits for them.
    """
    labels = STANDING_LABELS[side]
    sentences = [labels[status](standing) for status in (standing.status, *standing.also)]
    if note and standing.status in _NOTED:
        sentences.append(REVIEW_NOTES[standing.review_mode])
    return sentences
