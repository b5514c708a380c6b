"""The housing survey's campaigns and their invitations, as the coordinators' pages list them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from data.models import HousingSurvey, HousingSurveyInvite

__all__ = ["survey_invites", "surveys"]


def surveys(session: Session) -> list[HousingSurvey]:
    """Every campaign, newest first."""
    stmt = select(HousingSurvey).order_by(HousingSurvey.created_at.desc(), HousingSurvey.id.desc())
    return list(session.scalars(stmt))


def survey_invites(session: Session, survey_id: int) -> list[HousingSurveyInvite]:
    """A campaign's invitations with their structure, commune and site: answers first."""
    return list(
        session.scalars(
            select(HousingSurveyInvite)
            .options(
                joinedload(HousingSurveyInvite.employer),
                joinedload(HousingSurveyInvite.commune),
                joinedload(HousingSurveyInvite.site),
            )
            .where(HousingSurveyInvite.survey_id == survey_id)
            .order_by(HousingSurveyInvite.answered_at.is_(None), HousingSurveyInvite.id)
        )
    )
