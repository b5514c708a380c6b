"""The question sets of the questionnaires answered by mail link (``data.models.questionnaires``).

Each set is named by its purpose and the side that answers it, and says everything people read:
the mail's subject and first sentence, the page's title, each question with its choices, the
free text's label. The discovery days (issue 18) ask three questions of each side; issue 19's
check-ins add their sets here, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANSWER_SCALE",
    "COMMENT",
    "DISCOVERY",
    "Question",
    "QuestionSet",
    "QUESTION_SETS",
    "question_set",
]

#: The purpose of the discovery days' feedback, and its two sides.
DISCOVERY = "discovery"
CANDIDATE_SIDE = "candidate"
STRUCTURE_SIDE = "structure"
#: The key of the free text every questionnaire ends with.
COMMENT = "comment"

#: The four answers of every question so far (a middle answer would say nothing).
ANSWER_SCALE: tuple[tuple[str, str], ...] = (
    ("yes", "Oui"),
    ("rather_yes", "Plutôt oui"),
    ("rather_no", "Plutôt non"),
    ("no", "Non"),
)


@dataclass(frozen=True)
class Question:
    """One question: its key in the answers, its words, its choices (value, words)."""

    key: str
    text: str
    choices: tuple[tuple[str, str], ...] = ANSWER_SCALE

    def choice_label(self, value: object) -> str:
        """The words of an answer given (« » when none)."""
        return dict(self.choices).get(str(value), "") if value is not None else ""


@dataclass(frozen=True)
class QuestionSet:
    """What one side is asked for one purpose, and the words around it."""

    purpose: str
    side: str
    title: str
    mail_subject: str
    mail_intro: str
    questions: tuple[Question, ...]
    comment_label: str = "Un mot de plus ? (facultatif)"


QUESTION_SETS: dict[tuple[str, str], QuestionSet] = {
    (DISCOVERY, CANDIDATE_SIDE): QuestionSet(
        DISCOVERY,
        CANDIDATE_SIDE,
        title="Votre découverte du métier",
        mail_subject="Votre avis sur votre découverte du métier",
        mail_intro="Vos journées de découverte sont terminées : trois questions, sans vous "
        "connecter, pour nous dire comment elles se sont passées.",
        questions=(
            Question("liked", "La découverte vous a-t-elle plu ?"),
            Question("go_on", "Envisagez-vous un apprentissage dans ce métier ?"),
            Question("welcome", "Avez-vous été bien accueilli ou accueillie ?"),
        ),
    ),
    (DISCOVERY, STRUCTURE_SIDE): QuestionSet(
        DISCOVERY,
        STRUCTURE_SIDE,
        title="La découverte du métier dans votre structure",
        mail_subject="Votre avis sur la découverte du métier accueillie",
        mail_intro="Les journées de découverte que vous avez accueillies sont terminées : trois "
        "questions, sans vous connecter, pour nous dire comment elles se sont passées.",
        questions=(
            Question("punctual", "La personne était-elle présente et ponctuelle ?"),
            Question("recommend", "Lui recommanderiez-vous ce métier ?"),
            Question("ready", "Seriez-vous prêts à l'accueillir en apprentissage ?"),
        ),
    ),
}


def question_set(purpose: str, side: str) -> QuestionSet:
    """Return the question set of ``purpose`` for ``side``; KeyError for one that is not.

    >>> question_set("discovery", "candidate").questions[0].key
    'liked'
    """
    return QUESTION_SETS[(purpose, side)]
