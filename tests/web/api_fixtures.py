"""Fixtures of the JSON API tests: bearer tokens for each role, and a client that sends them.

Built on the web fixtures (``app``, ``world`` in tests/web/conftest.py). Import what a test module
needs: ``from tests.web.api_fixtures import ApiClient, api, tokens  # noqa: F401``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from data import auth as data_auth
from data.models import Request, Role
from tests.data import factories as f

__all__ = ["ApiClient", "Tokens", "api", "tokens", "ROLES"]

# The columns of the role x endpoint matrix. "candidate_page" is the world's candidate signed in
# on the pages, whose cookie the API ignores; "candidate" is that candidate's API token, and
# "other_candidate" the token of another candidate, who has a request of their own.
ROLES = (
    "anonymous",
    "candidate_page",
    "candidate",
    "other_candidate",
    "employer",
    "other_employer",
    "coordinator",
    "admin",
)


@dataclass
class Tokens:
    """Raw bearer tokens of each role (employer and candidate ones bound to the world's)."""

    candidate: str
    other_candidate: str
    employer: str
    other_employer: str
    coordinator: str
    admin: str
    other_request: Request  # the other candidate's request (no pair)

    def for_role(self, role: str) -> str | None:
        """Return the token of a matrix column (None for anonymous and candidate_page)."""
        token = getattr(self, role, None)
        return token if isinstance(token, str) else None


@pytest.fixture
def tokens(session: Session, world: Any) -> Tokens:
    """Create a token per role, as `flask tokens create` does, and commit them."""

    def make(
        role: Role,
        employer_id: int | None = None,
        candidate_id: int | None = None,
        user_id: int | None = None,
    ) -> str:
        _, raw = data_auth.create_api_token(
            session,
            role=role,
            employer_id=employer_id,
            candidate_id=candidate_id,
            user_id=user_id,
            label="test",
        )
        return raw

    other = world.other_employer_user.employer_id
    other_candidate = f.make_candidate(
        session, first_name="Noé", last_name="Garnier", phone="07 98 76 54 32"
    )
    other_request = f.make_request(session, other_candidate, commune_insee=f.OYONNAX)
    result = Tokens(
        candidate=make(Role.CANDIDATE, candidate_id=world.request.candidate_id),
        other_candidate=make(Role.CANDIDATE, candidate_id=other_candidate.id),
        employer=make(Role.EMPLOYER, world.employer.id),
        other_employer=make(Role.EMPLOYER, other),
        coordinator=make(Role.COORDINATOR, user_id=world.coordinator.id),
        admin=make(Role.ADMIN, user_id=world.admin.id),
        other_request=other_request,
    )
    session.commit()
    return result


class ApiClient:
    """A test client that sends a bearer token (or none) and JSON bodies."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        headers.update(extra or {})
        return headers

    def call(
        self,
        method: str,
        url: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> TestResponse:
        """Send one request; ``json`` (when not None) is the body."""
        if json is not None:
            kw["json"] = json
        return self.client.open(url, method=method, headers=self._headers(headers), **kw)

    def get(self, url: str, **kw: Any) -> TestResponse:
        return self.call("GET", url, **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.call("POST", url, json, **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.call("PATCH", url, json, **kw)


@pytest.fixture
def api(app: Flask, tokens: Tokens, world: Any) -> Any:
    """Return ``api(role)``: a client for a matrix column (see :data:`ROLES`)."""
    from tests.web.conftest import sign_in

    def make(role: str) -> ApiClient:
        client = app.test_client()
        if role == "candidate_page":
            sign_in(client, world.candidate_user)
        return ApiClient(client, tokens.for_role(role))

    return make
