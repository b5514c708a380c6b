"""Candidates' requests as each audience may read them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import Request, RequestMetier, RequestStatus

from .audience import COORDINATOR, Audience
from .pages import Page, paginate

__all__ = [
    "REQUESTS_BY_CREATION",
    "REQUESTS_BY_ID",
    "RequestSearch",
    "active_requests",
    "find_request",
    "request_page",
    "request_query",
    "requests_by_id",
]

REQUESTS_BY_CREATION: tuple[Any, ...] = (Request.created_at.desc(), Request.id.desc())
REQUESTS_BY_ID: tuple[Any, ...] = (Request.id,)


@dataclass(frozen=True)
class RequestSearch:
    """Filters of a request list."""

    status: RequestStatus | None = None
    metier: str | None = None
    commune_insee: str | None = None
    needs_housing: bool | None = None


def request_query(audience: Audience) -> Select[Request]:
    """Return the requests ``audience`` may read, with their candidate, commune and métiers.

    Coordinators read every request, a candidate their own; employers and anyone none (employers
    meet candidates only through the suggestions of their offers).
    """
    stmt = select(Request).options(
        joinedload(Request.candidate),
        joinedload(Request.commune),
        selectinload(Request.metiers).joinedload(RequestMetier.metier),
    )
    if audience.is_candidate:
        return stmt.where(Request.candidate_id == audience.candidate_id)
    if not audience.is_coordinator:
        return stmt.where(false())
    return stmt


def request_page(
    session: Session,
    audience: Audience,
    number: int,
    size: int,
    search: RequestSearch | None = None,
    *,
    order: tuple[Any, ...] = REQUESTS_BY_CREATION,
    clamp: bool = True,
) -> Page[Request]:
    """Return one page of the requests ``audience`` may read, filtered, in ``order``."""
    search = search or RequestSearch()
    stmt = request_query(audience)
    if search.status is not None:
        stmt = stmt.where(Request.status == search.status)
    if search.metier is not None:
        stmt = stmt.where(Request.metiers.any(RequestMetier.metier_code == search.metier))
    if search.commune_insee is not None:
        stmt = stmt.where(Request.commune_insee == search.commune_insee)
    if search.needs_housing is not None:
        stmt = stmt.where(Request.needs_housing.is_(search.needs_housing))
    return paginate(session, stmt.order_by(*order), number, size, clamp=clamp)


def find_request(session: Session, audience: Audience, request_id: int) -> Request | None:
    """Return the request if ``audience`` may read it, else None."""
    return session.scalar(request_query(audience).where(Request.id == request_id))


def active_requests(session: Session) -> list[Request]:
    """Return the active requests, newest first (to pair one by hand)."""
    stmt = (
        request_query(COORDINATOR)
        .where(Request.status == RequestStatus.ACTIVE)
        .order_by(*REQUESTS_BY_CREATION)
    )
    return list(session.scalars(stmt).unique())


def requests_by_id(session: Session, ids: Iterable[int]) -> dict[int, Request]:
    """Return the requests of ``ids`` (coordinators' reach), by id."""
    stmt = request_query(COORDINATOR).where(Request.id.in_(list(ids)))
    return {r.id: r for r in session.scalars(stmt).unique()}
