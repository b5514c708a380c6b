"""Sign-in links, sign-in rate limits, TOTP replay guard and API tokens (owned by the web service).

Secrets are never stored: a sign-in link or an API token is kept as the SHA-256 of its random value,
and rate-limit keys as the SHA-256 of what they count (an email, an address).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .candidates import Candidate
from .employers import Employer
from .users import Role, User

__all__ = ["LoginToken", "RateLimitWindow", "TotpUse", "ApiToken"]


class LoginToken(Base):
    """A single-use sign-in link mailed to an employer or a candidate."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RateLimitWindow(Base):
    """How many attempts one key made in one fixed time window (shared by every web worker)."""

    __tablename__ = "rate_limit_windows"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class TotpUse(Base):
    """The last TOTP time step a staff member used: a code is accepted once (RFC 6238 §5.2)."""

    __tablename__ = "totp_uses"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    last_step: Mapped[int] = mapped_column(Integer)


class ApiToken(Base):
    """A bearer token of the JSON API, created by an admin; it has exactly the rights of its role.

    An employer token is bound to one employer, a candidate token to one candidate, staff tokens
    to neither (the same rule as :class:`~data.models.users.User`'s ``role_link``). Deleting the
    employer or the candidate deletes its tokens.

    A coordinator or admin token also names the staff account it acts for (``user_id``,
    ``staff_account``): it stops with that account (disabled, deleted or given another role). An
    employer token may name one account of its structure, and then stops with it too. Staff tokens
    made before accounts were named were revoked by migration 0007.
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "(role = 'employer' AND employer_id IS NOT NULL AND candidate_id IS NULL)"
            " OR (role = 'candidate' AND candidate_id IS NOT NULL AND employer_id IS NULL)"
            " OR (role IN ('coordinator', 'admin')"
            " AND employer_id IS NULL AND candidate_id IS NULL)",
            name="role_link",
        ),
        CheckConstraint(
            "role NOT IN ('coordinator', 'admin') OR user_id IS NOT NULL OR revoked_at IS NOT NULL",
            name="staff_account",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    employer_id: Mapped[int | None] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    employer: Mapped[Employer | None] = relationship()
    candidate: Mapped[Candidate | None] = relationship()
    user: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.role}>"
