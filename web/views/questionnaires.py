"""Questionnaires answered by a single-use mail link, without signing in (issue 18's discovery
feedback; issue 19's check-ins). The link's token is the authority; once answered, the page
shows the answers read-only. After the discovery's candidate side, the page offers to turn the
discovery into an apprenticeship request: a link into the candidate's space, so that the
request is made by the signed-in person (a mail link never signs anyone in).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from data.errors import Conflict, NotFound, ValidationError
from data.models import MATCH_SUBJECT, PAIR_SUBJECT, DiscoveryMatch, Questionnaire, Suggestion
from data.operations import questionnaires as ops
from data.operations.checkins import checkin_about
from data.presentation.formatters import period_fr
from data.presentation.questionnaires import (
    CANDIDATE_SIDE,
    CHECKIN_PURPOSES,
    COMMENT,
    DISCOVERY,
    QuestionSet,
    question_set,
)
from web.db import get_session
from web.forms import values

bp = Blueprint("questionnaires", __name__, url_prefix="/questionnaire")


def _found(token: str) -> Questionnaire:
    found = ops.find_questionnaire(get_session(), token)
    if found is None:
        abort(404)
    return found


#: The day of the contract each check-in's purpose asks about (issue 19).
CHECKIN_DAY = {purpose: day for day, purpose in CHECKIN_PURPOSES.items()}
#: What a check-in's page says once answered.
CHECKIN_FOLLOW_UP = (
    "Si l'une de vos réponses signale une difficulté, l'équipe de coordination vous appellera "
    "dans les prochains jours."
)


def _checkin_pair(found: Questionnaire) -> Suggestion | None:
    """The pair a check-in is about (None for another questionnaire, or a pair gone)."""
    if found.purpose not in CHECKIN_DAY or found.subject_type != PAIR_SUBJECT:
        return None
    return get_session().get(Suggestion, found.subject_id)


def _follow_up(found: Questionnaire) -> str | None:
    """What the page offers once answered: a discovery's candidate turns it into a request (a
    link); a check-in says what happens to its answers (no link)."""
    discovery = (DISCOVERY, MATCH_SUBJECT, CANDIDATE_SIDE)
    if (found.purpose, found.subject_type, found.side) != discovery:
        return None
    match = get_session().get(DiscoveryMatch, found.subject_id)
    if match is None:
        return None
    return url_for("discovery_candidate.to_request", match_id=match.id)


def _about(found: Questionnaire) -> str | None:
    """What the questions are about, in a line (a discovery: its métier, structure and days; a
    check-in: the contract's métier, apprentice, structure, start and day)."""
    pair = _checkin_pair(found)
    if pair is not None:
        return checkin_about(pair, CHECKIN_DAY[found.purpose])
    if (found.purpose, found.subject_type) != (DISCOVERY, MATCH_SUBJECT):
        return None
    match = get_session().get(DiscoveryMatch, found.subject_id)
    if match is None:
        return None
    day = match.day
    return (
        f"{day.metier.label} chez {day.employer.name} ({day.site.commune.name}), "
        f"{period_fr(day.starts_on, day.ends_on)}."
    )


def _page(
    found: Questionnaire, questions: QuestionSet, form: dict[str, Any], errors: dict[str, Any]
) -> str:
    return render_template(
        "questionnaires/form.html",
        found=found,
        about=_about(found),
        questions=questions,
        form=form,
        errors=errors,
        comment=COMMENT,
        follow_up=_follow_up(found) if found.answered_at else None,
        checkin_follow_up=(
            CHECKIN_FOLLOW_UP if found.answered_at and found.purpose in CHECKIN_DAY else None
        ),
    )


@bp.get("/<token>")
def form(token: str) -> str:
    """The questions, or the answers given (read-only) once answered."""
    found = _found(token)
    questions = question_set(found.purpose, found.side)
    return _page(found, questions, dict(found.answers or {}), {})


@bp.post("/<token>")
def answer(token: str) -> Response | tuple[str, int]:
    """Record the answers, once (CSRF-checked like every form; the token names the subject)."""
    session = get_session()
    found = _found(token)
    questions = question_set(found.purpose, found.side)
    form_values = values([*(q.key for q in questions.questions), COMMENT])
    try:
        ops.answer_questionnaire(session, token, form_values)
    except ValidationError as exc:
        session.rollback()
        return _page(found, questions, form_values, exc.errors), 400
    except (Conflict, NotFound) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, Conflict) else ops.ALREADY_ANSWERED, "info")
        return redirect(url_for(".form", token=token))
    session.commit()
    flash("Merci : vos réponses sont enregistrées.", "success")
    return redirect(url_for(".form", token=token))
