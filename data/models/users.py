"""Accounts: who signs in, with which role, and on whose behalf."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .candidates import Candidate
from .employers import Employer

__all__ = ["Role", "User", "EmailChange"]


class Role(enum.StrEnum):
    """What a user is to Passerelle; each role sees only what it must."""

    EMPLOYER = "employer"
    CANDIDATE = "candidate"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class User(Base):
    """A person who signs in: employers and candidates by mailed link, staff with password+TOTP."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'employer' AND employer_id IS NOT NULL AND candidate_id IS NULL)"
            " OR (role = 'candidate' AND candidate_id IS NOT NULL AND employer_id IS NULL)"
            " OR (role IN ('coordinator', 'admin')"
            " AND employer_id IS NULL AND candidate_id IS NULL)",
            name="role_link",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    employer_id: Mapped[int | None] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[int | None] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on sign-out-everywhere, password change or deactivation: every older session dies.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # The mallette's news in this person's digests (opt-in): when they asked for them (none: not
    # asked); a digest tells of the resources published or updated since (issue 18).
    library_news_since: Mapped[datetime | None]

    # employers.checked_by_id points back here: name the key this relationship follows.
    employer: Mapped[Employer | None] = relationship(foreign_keys=[employer_id])
    candidate: Mapped[Candidate | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class EmailChange(Base):
    """A sign-in address change waiting for its confirmation link (mailed to the new address).

    The link is single-use and expires; only the SHA-256 of its random value is kept. The address
    of the account changes only when the link is followed (``data.operations.account_email``).
    """

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    old_email: Mapped[str] = mapped_column(String(254))
    new_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
