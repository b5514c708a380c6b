"""The load benchmark's visitors, for locust (started by ``benchmarks/bench_load.py``).

One kind of user mixing what people do, each request named for the report: the health check
(the baseline), the public offer search by commune and distance, an offer page, a candidate's
suggestions (their dashboard), the coordinator's review queue, and the API lists with a
coordinator's token. What to ask for (offer ids, communes, cookies, tokens) comes from the JSON
plan that ``bench_load`` writes and names in ``PASSERELLE_BENCH_PLAN``.

Signed-in pages carry a session cookie signed with the server's secret key, as the tests sign in
(``tests/web/conftest.py`` writes the same session: user id, session version, start time); the
server checks it against the database on every request exactly as for a browser.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from locust import HttpUser, between, task

with open(os.environ["PASSERELLE_BENCH_PLAN"], encoding="utf-8") as _f:
    PLAN: dict[str, Any] = json.load(_f)

WAIT = PLAN.get("wait", [0.5, 2.0])


class Visitor(HttpUser):
    """Someone using Passerelle: a mix of the public, candidates, coordinators and API clients."""

    wait_time = between(*WAIT)

    def _get(self, url: str, name: str, **kwargs: Any) -> None:
        with self.client.get(url, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif response.url and "/connexion" in response.url:
                response.failure("redirected to sign-in")
        self.client.cookies.clear()  # each request says who it is; nothing carries over

    @task(3)
    def healthz(self) -> None:
        self._get("/healthz", "healthz")

    @task(4)
    def search(self) -> None:
        commune = random.choice(PLAN["communes"])
        distance = random.choice((10, 20, 30, 50, 80))
        query = f"/offres?commune={commune}&distance={distance}"
        if random.random() < 0.4:
            query += f"&metier={random.choice(PLAN['metiers'])}"
        if random.random() < 0.2:
            query += "&page=2"
        self._get(query, "offres: search by commune and distance")

    @task(4)
    def offer(self) -> None:
        self._get(f"/offres/{random.choice(PLAN['offers'])}", "offres/<id>: offer page")

    @task(2)
    def candidate(self) -> None:
        cookie = random.choice(PLAN["candidate_cookies"])
        self._get("/candidat/", "candidat: suggestions", headers={"Cookie": cookie})

    @task(2)
    def queue(self) -> None:
        query = "/coordination/suggestions"
        if random.random() < 0.3:
            query += f"?page={random.randint(2, 20)}"
        self._get(
            query, "coordination/suggestions: review queue", headers={"Cookie": PLAN["staff"]}
        )

    def _api(self, path: str) -> None:
        url = f"/api/v1/{path}?page={random.randint(1, 20)}&page_size=50"
        self._get(url, f"api/v1/{path}", headers=PLAN["bearer"])

    @task(1)
    def api_offers(self) -> None:
        self._api("offers")

    @task(1)
    def api_suggestions(self) -> None:
        self._api("suggestions")

    @task(1)
    def api_requests(self) -> None:
        self._api("requests")
