"""The links put in mails are routes of the real app, with their methods.

``data.mail.links`` cannot ask the web app for its URLs (``data`` never imports ``web``), so it
declares each path with the endpoint that answers it per HTTP method; this test holds it to the
app's ``url_map``: a renamed or removed route fails here, not in people's mailboxes.
"""

from __future__ import annotations

import string

import pytest
from flask import Flask, url_for

from data.mail.links import LINKS, url
from data.mail.outbox import unsubscribe_url

#: A sample value for each parameter of a link's path.
SAMPLES: dict[str, object] = {
    "offer_id": 7,
    "centre_id": 3,
    "resource_id": 5,
    "day_id": 4,
    "kit_id": 6,
    "code": "aide-soignant",
    "token": "AbC-123_xyz",
}


def _params(path: str) -> dict[str, object]:
    names = [name for _, name, _, _ in string.Formatter().parse(path) if name]
    return {name: SAMPLES[name] for name in names}


@pytest.mark.parametrize("name", sorted(LINKS))
def test_every_mail_link_is_a_route_of_the_app_with_its_methods(app: Flask, name: str) -> None:
    link = LINKS[name]
    params = _params(link.path)
    path = link.path.format(**params)
    assert link.endpoints, name
    adapter = app.url_map.bind("localhost")
    for method, endpoint in link.endpoints.items():
        matched, args = adapter.match(path, method=method)
        assert (matched, args) == (endpoint, params), (name, method)
        rule = next(r for r in app.url_map.iter_rules(endpoint) if method in (r.methods or ()))
        assert rule.rule.count("<") == len(params), (name, rule.rule)
        with app.test_request_context():
            assert url_for(endpoint, **params) == path, (name, method)
    assert url("http://localhost/", name, **params) == f"http://localhost{path}"


def test_the_unsubscribe_header_link_takes_the_one_click_post(app: Flask) -> None:
    """RFC 8058: the mail client POSTs to the List-Unsubscribe URL, the person GETs it."""
    link = unsubscribe_url("http://localhost", "AbC-123_xyz").removeprefix("http://localhost")
    adapter = app.url_map.bind("localhost")
    assert adapter.match(link, method="POST")[0] == "public.unsubscribe"
    assert adapter.match(link, method="GET")[0] == "public.unsubscribe_page"
