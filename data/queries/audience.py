"""Who reads: the audience a query answers for decides which rows it returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Audience", "COORDINATOR", "PUBLIC"]

Reach = Literal["public", "candidate", "employer", "coordinator"]


@dataclass(frozen=True)
class Audience:
    """The reader of a query: anyone, one candidate, one employer, or the coordinators.

    Anyone (and a candidate) sees the published offers; a candidate its own request and the pairs
    of it that the review rule shows the parties; an employer its own offers and the pairs of them
    the rule shows; coordinators (and admins) everything.
    """

    reach: Reach
    candidate_id: int | None = None
    employer_id: int | None = None

    @classmethod
    def candidate(cls, candidate_id: int) -> Audience:
        """Return the audience of one candidate."""
        return cls("candidate", candidate_id=candidate_id)

    @classmethod
    def employer(cls, employer_id: int) -> Audience:
        """Return the audience of one employer."""
        return cls("employer", employer_id=employer_id)

    @property
    def is_coordinator(self) -> bool:
        """Tell whether the reader sees everything (coordinators and admins)."""
        return self.reach == "coordinator"

    @property
    def is_employer(self) -> bool:
        """Tell whether the reader acts for one employer."""
        return self.reach == "employer"

    @property
    def is_candidate(self) -> bool:
        """Tell whether the reader acts for one candidate."""
        return self.reach == "candidate"

    @property
    def is_party(self) -> bool:
        """Tell whether the reader is one side of pairs (a candidate or an employer)."""
        return self.reach in ("candidate", "employer")


#: Anyone, signed in or not: what the public pages show.
PUBLIC = Audience("public")
#: Coordinators and admins: every row.
COORDINATOR = Audience("coordinator")
