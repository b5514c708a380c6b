"""The question sets of the questionnaires answered by mail link (``data.models.questionnaires``).

Each set is named by its purpose and the side that answers it, and says everything people read:
the mail's subject and first sentence, the page's title, each question with its choices, the
free text's label, and which answers say that things go badly (``Question.bad``). The
discovery days (issue 18) ask three questions of each side; the check-ins of a contract's first
days (issue 19) ask three of each side at day 15 and again at day 40.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ANSWER_SCALE",
    "CHECKIN_DAYS",
    "CHECKIN_PURPOSES",
    "COMMENT",
    "GOING_SCALE",
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
#: How things go, for the check-ins' first question.
GOING_SCALE: tuple[tuple[str, str], ...] = (
    ("good", "Bien"),
    ("rather_good", "Plutôt bien"),
    ("rather_bad", "Plutôt mal"),
    ("bad", "Mal"),
)
#: The answers of each scale that say things go badly (the free text alone never does).
BAD_ANSWERS = frozenset({"rather_no", "no", "rather_bad", "bad"})

#: The days of a contract at which both sides are asked how it goes, and each one's purpose.
CHECKIN_DAYS = (15, 40)
CHECKIN_PURPOSES: dict[int, str] = {day: f"checkin_{day}" for day in CHECKIN_DAYS}


@dataclass(frozen=True)
class Question:
    """One question: its key in the answers, its words, its choices (value, words)."""

    key: str
    text: str
    choices: tuple[tuple[str, str], ...] = ANSWER_SCALE
    #: The answers that say things go badly (a check-in puts the pair on the « to call » list).
    bad: frozenset[str] = frozenset()

    def is_bad(self, value: object) -> bool:
        """Whether an answer given says things go badly."""
        return value in self.bad

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

    def bad_answers(self, answers: dict[str, object] | None) -> tuple[Question, ...]:
        """The questions whose answer says things go badly (none before an answer)."""
        given = answers or {}
        return tuple(q for q in self.questions if q.is_bad(given.get(q.key)))


def _checkin_sets(day: int) -> dict[tuple[str, str], QuestionSet]:
    """The check-in of day ``day`` of a contract, for the apprentice and for the structure."""
    purpose = CHECKIN_PURPOSES[day]
    when = f"le point au {day}e jour du contrat"
    comment = "Une difficulté, une question, un mot de plus ? (facultatif)"
    return {
        (purpose, CANDIDATE_SIDE): QuestionSet(
            purpose,
            CANDIDATE_SIDE,
            title=f"Votre apprentissage : {when}",
            mail_subject=f"Votre apprentissage : {when}",
            mail_intro="Votre contrat d'apprentissage a commencé il y a quelques semaines : "
            "trois questions, sans vous connecter, pour nous dire comment il se passe. Si "
            "quelque chose ne va pas, l'équipe de coordination vous appellera.",
            questions=(
                Question("going", "Comment se passent vos débuts ?", GOING_SCALE, BAD_ANSWERS),
                Question(
                    "supported",
                    "Vous sentez-vous bien accompagné ou accompagnée par votre maître "
                    "d'apprentissage ?",
                    bad=BAD_ANSWERS,
                ),
                Question("carry_on", "Souhaitez-vous poursuivre ce contrat ?", bad=BAD_ANSWERS),
            ),
            comment_label=comment,
        ),
        (purpose, STRUCTURE_SIDE): QuestionSet(
            purpose,
            STRUCTURE_SIDE,
            title=f"Votre apprenti ou apprentie : {when}",
            mail_subject=f"Votre apprenti ou apprentie : {when}",
            mail_intro="Le contrat d'apprentissage a commencé il y a quelques semaines : trois "
            "questions, sans vous connecter, pour nous dire comment il se passe. Si quelque "
            "chose ne va pas, l'équipe de coordination vous appellera.",
            questions=(
                Question(
                    "going",
                    "Comment se passent les débuts de votre apprenti ou apprentie ?",
                    GOING_SCALE,
                    BAD_ANSWERS,
                ),
                Question(
                    "supported",
                    "Le maître d'apprentissage a-t-il le temps de l'accompagner ?",
                    bad=BAD_ANSWERS,
                ),
                Question("carry_on", "Souhaitez-vous poursuivre ce contrat ?", bad=BAD_ANSWERS),
            ),
            comment_label=comment,
        ),
    }


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
    **_checkin_sets(CHECKIN_DAYS[0]),
    **_checkin_sets(CHECKIN_DAYS[1]),
}


def question_set(purpose: str, side: str) -> QuestionSet:
    """Return the question set of ``purpose`` for ``side``; KeyError for one that is not.

    >>> question_set("discovery", "candidate").questions[0].key
    'liked'
    """
    return QUESTION_SETS[(purpose, side)]
