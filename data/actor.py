"""Who acts, and through which channel: the value every acting operation takes.

A person acts through the pages (their user), a client through the API (its token), the
scheduler through a job, an operator through a command; each operation that records who acted
(the audit log, ``status_changed_by_id``, ``decided_by_id``) takes one :class:`Actor` and writes
it the same way. In an audit line the user goes to ``actor_id``; the channel, when it is not the
pages, goes to ``details["via"]`` with the token's id (``api_token_id``) or the job's name
(``job``), so that lines written before this value existed read the same.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from data.models import Role, User

__all__ = ["Actor", "Channel", "STAFF_ROLES", "SYSTEM"]

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})


class Channel(enum.StrEnum):
    """How an action reached Passerelle."""

    PAGE = "page"
    API = "api"
    JOB = "job"
    CLI = "cli"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The one who acts: a user, an API token, a job or the system, with the channel.

    Build it with :meth:`user`, :meth:`token`, :meth:`job`, :meth:`system` or :meth:`visitor`.
    ``role``, ``employer_id`` and ``candidate_id`` tell what the actor may act for (a user's or a
    token's); a job and the system act for the platform.
    """

    channel: Channel
    user_id: int | None = None
    token_id: int | None = None
    job_name: str | None = None
    role: Role | None = None
    employer_id: int | None = None
    candidate_id: int | None = None

    @classmethod
    def user(cls, user: User, channel: Channel = Channel.PAGE) -> Actor:
        """Return a signed-in person acting through ``channel`` (the pages by default)."""
        return cls(
            channel=Channel(channel),
            user_id=user.id,
            role=user.role,
            employer_id=user.employer_id,
            candidate_id=user.candidate_id,
        )

    @classmethod
    def token(
        cls,
        token_id: int,
        role: Role,
        *,
        employer_id: int | None = None,
        candidate_id: int | None = None,
        user_id: int | None = None,
    ) -> Actor:
        """Return an API client acting with the token ``token_id`` and its role's rights.

        ``user_id``: the account the token acts for, when it names one (its audit lines then
        name that user too).
        """
        return cls(
            channel=Channel.API,
            user_id=user_id,
            token_id=token_id,
            role=Role(role),
            employer_id=employer_id,
            candidate_id=candidate_id,
        )

    @classmethod
    def job(cls, name: str) -> Actor:
        """Return the scheduled job ``name`` acting for the platform."""
        return cls(channel=Channel.JOB, job_name=name)

    @classmethod
    def system(cls, channel: Channel = Channel.SYSTEM) -> Actor:
        """Return the platform itself (the engine, a command, a migration): no person."""
        return cls(channel=Channel(channel))

    @classmethod
    def visitor(cls) -> Actor:
        """Return someone not signed in, on the public pages (a sign-up, a request to join)."""
        return cls(channel=Channel.PAGE)

    @property
    def is_staff(self) -> bool:
        """Tell whether the actor is a coordinator or an admin (by user or by token)."""
        return self.role in STAFF_ROLES

    @property
    def is_person(self) -> bool:
        """Tell whether a user or a token acts (not a job nor the system)."""
        return self.user_id is not None or self.token_id is not None

    def may_act_for_employer(self, employer_id: int) -> bool:
        """Tell whether the actor may act for this employer: staff, the platform, or its own."""
        if not self.is_person or self.is_staff:
            return True
        return self.role == Role.EMPLOYER and self.employer_id == employer_id

    def may_act_for_candidate(self, candidate_id: int) -> bool:
        """Tell whether the actor may act for this candidate: staff, the platform, or itself."""
        if not self.is_person or self.is_staff:
            return True
        return self.role == Role.CANDIDATE and self.candidate_id == candidate_id

    def audit_details(self) -> dict[str, Any]:
        """Return what an audit line's ``details`` record of the actor (nothing for the pages)."""
        if self.channel == Channel.API:
            role = {"role": self.role.value} if self.role is not None else {}
            return {"via": Channel.API.value, "api_token_id": self.token_id, **role}
        if self.channel == Channel.JOB:
            return {"via": Channel.JOB.value, "job": self.job_name}
        if self.channel == Channel.CLI:
            return {"via": Channel.CLI.value}
        return {}


#: The platform itself, for operations whose callers may name no one (tests, fixtures, jobs).
SYSTEM = Actor.system()
