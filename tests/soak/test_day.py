"""The soak: Passerelle's processes through scripted days of people, then the invariants.

The short form (one day, about half a minute) runs in ``make test`` on each backend. The long form
repeats days, each with new people, until ``SOAK_MINUTES`` have passed, checking the invariants
after each (``make soak``; see tests/soak/README.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from tests.soak.harness import Service
from tests.soak.invariants import check_all
from tests.soak.scenario import People, Record, run_day, set_up_staff

pytestmark = pytest.mark.soak


def test_days_of_passerelle_keep_every_invariant(make_service: Callable[..., Service]) -> None:
    service = make_service().start()
    record = Record()
    people = People(service, record)
    staff = set_up_staff(people)
    since = time.time()
    minutes = float(os.environ.get("SOAK_MINUTES") or 0)
    end = time.monotonic() + minutes * 60
    exits: list[int] = []
    day = 0
    while True:
        day += 1
        run_day(people, staff, day)
        late: list[str] = []
        try:
            service.wait_for_quiet(time.time(), service.jobs_started_at)
        except AssertionError as exc:  # the invariants below tell what is missing
            late.append(str(exc))
        exits.append(service.stop_jobs())
        problems = late + check_all(service, record, exits, staff.coordinators[0], since)
        assert not problems, f"day {day}, broken invariants:\n" + "\n".join(problems)
        if time.monotonic() >= end:
            break
        service.start_jobs()  # the next morning
