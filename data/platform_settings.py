"""Settings coordinators change at run time, starting with the review rule for suggestions.

The review rule says which suggestions candidates and employers may see (and be mailed):

* ``"approval"`` (the default): only pairs a coordinator approved;
* ``"auto"``: also unreviewed pairs scoring at least ``min_score``.

Rejected pairs are never shown; later stages of an approved pair (contacted, interview, signed)
stay visible to both sides.

Beside it, the structures' check (:func:`get_structures_check`) says when a new structure's offers
are published:

* ``"before_publication"`` (the default): once a coordinator checked the structure; until then
  its offers wait, « en attente de vérification » (:mod:`data.operations.moderation`);
* ``"none"``: at once; the structures still wait in the coordinators' queue, to check afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session

from data.actor import SYSTEM, Actor
from data.errors import ValidationError
from data.models import SHOWN_TO_PARTIES, Suggestion, SuggestionStatus, utcnow
from data.models.mail import PlatformSetting

__all__ = [
    "REVIEW_MODES",
    "REVIEW_RULE_KEY",
    "DEFAULT_REVIEW_RULE",
    "ReviewRule",
    "get_review_rule",
    "set_review_rule",
    "visible_to_parties",
    "STRUCTURES_CHECK_KEY",
    "STRUCTURES_CHECK_MODES",
    "DEFAULT_STRUCTURES_CHECK",
    "get_structures_check",
    "set_structures_check",
]

REVIEW_MODES = ("approval", "auto")
REVIEW_RULE_KEY = "review_rule"


@dataclass(frozen=True)
class ReviewRule:
    """Which suggestions the parties see: approved only, or also unreviewed ones above a score."""

    mode: Literal["approval", "auto"] = "approval"
    min_score: float = 0.75

    def validate(self) -> None:
        """Raise ValidationError (French messages) unless the rule is well formed."""
        errors: dict[str, list[str]] = {}
        if self.mode not in REVIEW_MODES:
            errors["mode"] = ["Choisissez « approbation » ou « automatique »."]
        score = self.min_score
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            errors["min_score"] = ["Le score minimal doit être compris entre 0 et 1."]
        if errors:
            raise ValidationError(errors)

    def shows(self, status: SuggestionStatus, score: float, stale: bool = False) -> bool:
        """Tell whether a suggestion with this status and score is visible (Python twin of SQL).

        >>> ReviewRule("auto", 0.6).shows(SuggestionStatus.PROPOSED, 0.7)
        True
        >>> ReviewRule("approval").shows(SuggestionStatus.PROPOSED, 0.99)
        False
        """
        if status in SHOWN_TO_PARTIES:
            return True
        return (
            self.mode == "auto"
            and status == SuggestionStatus.PROPOSED
            and not stale
            and score >= self.min_score
        )


DEFAULT_REVIEW_RULE = ReviewRule()


def get_review_rule(session: Session) -> ReviewRule:
    """Return the review rule in force (the default until a coordinator sets one)."""
    row = session.get(PlatformSetting, REVIEW_RULE_KEY)
    if row is None or not isinstance(row.value, dict):
        return DEFAULT_REVIEW_RULE
    try:
        rule = ReviewRule(mode=row.value["mode"], min_score=float(row.value["min_score"]))
        rule.validate()
    except (KeyError, TypeError, ValueError):
        return DEFAULT_REVIEW_RULE
    return rule


def set_review_rule(
    session: Session,
    rule: ReviewRule,
    actor: Actor = SYSTEM,
    *,
    now: datetime | None = None,
) -> None:
    """Store a new review rule and log who changed it (the system by default); flushes only."""
    rule.validate()
    value = {"mode": rule.mode, "min_score": float(rule.min_score)}
    _store(session, REVIEW_RULE_KEY, value, actor, now or utcnow())


def _store(session: Session, key: str, value: dict[str, Any], actor: Actor, now: datetime) -> None:
    """Write setting ``key`` (inserted the first time) and log who changed it from what to
    what (audit action ``settings.<key>``); flushes only."""
    row = session.get(PlatformSetting, key)
    before = row.value if row is not None else None
    if row is None:
        row = PlatformSetting(key=key, value=value)
        session.add(row)
    row.value = value
    row.updated_at = now
    row.updated_by_id = actor.user_id
    # Imported here: data.operations reads the settings from this module (a cycle at import).
    from data.operations import audit

    audit.record(
        session,
        actor,
        f"settings.{key}",
        "settings",
        None,
        {"before": before, "after": value},
        now=now,
    )
    session.flush()


def visible_to_parties(rule: ReviewRule) -> ColumnElement[bool]:
    """Return the SQL condition on :class:`Suggestion` for pairs candidates and employers see."""
    reviewed = Suggestion.status.in_(SHOWN_TO_PARTIES)
    if rule.mode != "auto":
        return reviewed
    automatic = and_(
        Suggestion.status == SuggestionStatus.PROPOSED,
        Suggestion.stale.is_(False),
        Suggestion.score >= rule.min_score,
    )
    return or_(reviewed, automatic)


# --- The structures' check --------------------------------------------------------------------

STRUCTURES_CHECK_KEY = "structures_check"
#: ``before_publication``: a new structure's offers wait for its check; ``none``: published at once.
STRUCTURES_CHECK_MODES = ("before_publication", "none")
DEFAULT_STRUCTURES_CHECK = "before_publication"


def get_structures_check(session: Session) -> str:
    """Return the structures' check in force (the default until an admin sets one)."""
    row = session.get(PlatformSetting, STRUCTURES_CHECK_KEY)
    value = row.value.get("mode") if row is not None and isinstance(row.value, dict) else None
    return value if value in STRUCTURES_CHECK_MODES else DEFAULT_STRUCTURES_CHECK


def set_structures_check(
    session: Session,
    mode: str,
    actor: Actor = SYSTEM,
    *,
    now: datetime | None = None,
) -> None:
    """Store the structures' check and log who changed it; flushes only.

    Turning it to ``none`` publishes the offers that waited for a check (not those of a suspended
    structure, nor those a coordinator withdrew): the rule then says they need none.
    """
    if mode not in STRUCTURES_CHECK_MODES:
        raise ValidationError(
            {"mode": ["Choisissez « avant publication » ou « sans vérification préalable »."]}
        )
    now = now or utcnow()
    _store(session, STRUCTURES_CHECK_KEY, {"mode": mode}, actor, now)
    # Imported here: data.operations reads the settings from this module (a cycle at import).
    from data.operations import moderation

    if mode == "none":
        moderation.publish_waiting_offers(session, actor, now=now)
