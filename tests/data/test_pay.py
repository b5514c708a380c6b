"""The apprentice's pay (issue 18): the grid and the SMIC as dated rows, the estimate, the admins'
additions, and the law for minors carried into the suggestions."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import AgeBand, PayGridRow, Role, RuleKey, SmicValue
from data.operations.pay import ADMINS_ONLY, add_legal_rule, add_pay_grid_row, add_smic_value
from data.queries.pay import (
    offer_budget,
    pay_estimate,
    rule_in_force,
    rule_value,
    smic_in_force,
)
from data.recompute import recompute_suggestions
from data.reference import (
    load_reference,
    read_apprentice_aids,
    read_legal_rules,
    read_pay_grid,
    read_smic,
)

from . import factories as f
from .test_recompute import BOURG, NOW, offer, request, rows

#: Code du travail, article D6222-26, as the issue states it: percent of the SMIC by year.
GRID = {
    AgeBand.UNDER_18: (27, 39, 55),
    AgeBand.FROM_18: (43, 51, 67),
    AgeBand.FROM_21: (53, 61, 78),
    AgeBand.FROM_26: (100, 100, 100),
}
ADMIN = Actor(channel=Actor.system().channel, user_id=None, role=Role.ADMIN)
#: A SMIC for the tests only, after the shipped ones (data/reference/smic.csv).
TEST_SMIC = {
    "monthly_eur": "1800,00",
    "hourly_eur": "11,87",
    "valid_from": "2031-01-01",
    "source": "Montant d'essai",
}
#: The shipped SMIC in force from 1 January 2026, in euros a month.
SMIC_2026 = Decimal("1823.03")


def percent_of(amount: Decimal, percent: int) -> Decimal:
    """``percent`` % of ``amount``, to the cent (half up, as payslips round)."""
    return (amount * percent / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_the_shipped_grid_is_the_code_du_travail_s() -> None:
    shipped = {(r["age_band"], r["contract_year"]): r["percent"] for r in read_pay_grid()}
    assert shipped == {
        (band, year + 1): Decimal(p) for band, ps in GRID.items() for year, p in enumerate(ps)
    }
    assert {r["valid_from"] for r in read_pay_grid()} == {date(2019, 1, 1)}
    assert all("D6222-26" in r["source"] for r in read_pay_grid())
    # Each shipped SMIC names its décret; the monthly amount is the hourly one for 35 hours a
    # week (151,67 hours a month), to the cent.
    smic = read_smic()
    assert [r["valid_from"] for r in smic] == [date(2024, 11, 1), date(2026, 1, 1)]
    assert [r["hourly_cents"] for r in smic] == [1188, 1202]
    for row in smic:
        monthly = Decimal(row["hourly_cents"]) * 35 * 52 / 12
        assert row["monthly_cents"] == monthly.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert "Décret n°" in row["source"]
    # Aids are listed with their amount, conditions, source and the date it was read.
    aids = read_apprentice_aids()
    assert aids and all(a[k] for a in aids for k in ("name", "amount", "conditions", "source"))
    assert all(a["source_date"] for a in aids)


def test_load_reference_keeps_one_grid_and_the_rows_admins_added(session: Session) -> None:
    add_pay_grid_row(
        session,
        ADMIN,
        {
            "age_band": "16-17",
            "contract_year": "1",
            "percent": "30",
            "valid_from": "2030-01-01",
            "source": "Décret d'essai",
        },
    )
    load_reference(session)
    load_reference(session)
    assert session.scalar(select(func.count()).select_from(PayGridRow)) == 13


@pytest.mark.parametrize("band", list(AgeBand))
def test_each_band_and_year_against_the_grid(session: Session, band: AgeBand) -> None:
    estimate = pay_estimate(session, band, date(2026, 6, 1))
    assert [y.contract_year for y in estimate.years] == [1, 2, 3]
    assert [int(y.percent) for y in estimate.years] == list(GRID[band])
    # The shipped SMIC of 2026 times the percent, to the cent.
    assert [y.monthly_gross for y in estimate.years] == [
        percent_of(SMIC_2026, p) for p in GRID[band]
    ]
    assert estimate.smic_monthly == SMIC_2026
    assert all(y.valid_from == date(2019, 1, 1) for y in estimate.years)


def test_the_row_in_force_is_the_latest_from_on_or_before_the_day(session: Session) -> None:
    # Before the first shipped SMIC: the percents, and no amount is made up.
    without = pay_estimate(session, AgeBand.UNDER_18, date(2024, 10, 31))
    assert without.smic is None and [int(y.percent) for y in without.years] == [27, 39, 55]
    assert [y.monthly_gross for y in without.years] == [None, None, None]
    add_smic_value(
        session,
        ADMIN,
        {**TEST_SMIC, "monthly_eur": "1 900", "hourly_eur": "12.53", "valid_from": "01/01/2027"},
    )
    add_pay_grid_row(
        session,
        ADMIN,
        {
            "age_band": "16-17",
            "contract_year": "1",
            "percent": "30,5",
            "valid_from": "2027-01-01",
            "source": "Décret d'essai",
        },
    )
    assert smic_in_force(session, date(2024, 10, 31)) is None
    in_2025 = smic_in_force(session, date(2025, 12, 31))
    assert in_2025 is not None and in_2025.monthly_cents == 180180
    before = pay_estimate(session, AgeBand.UNDER_18, date(2026, 12, 31))
    on = pay_estimate(session, AgeBand.UNDER_18, date(2027, 1, 1))
    assert before.smic is not None and before.smic.monthly_cents == 182303
    # 27 %, 39 %, 55 % of 1 823,03 €.
    assert [y.monthly_gross for y in before.years] == [
        Decimal("492.22"),
        Decimal("710.98"),
        Decimal("1002.67"),
    ]
    assert on.smic is not None and (on.smic.monthly_cents, on.smic.hourly_cents) == (190000, 1253)
    assert on.years[0].percent == Decimal("30.5") and on.years[0].source == "Décret d'essai"
    assert [y.monthly_gross for y in on.years] == [
        Decimal("579.50"),
        Decimal("741.00"),
        Decimal("1045.00"),
    ]
    # Before the grid of 2019: no row in force.
    assert pay_estimate(session, AgeBand.FROM_26, date(2018, 12, 31)).years == ()


def test_only_admins_add_rows_and_history_is_never_rewritten(session: Session) -> None:
    coordinator = Actor(channel=Actor.system().channel, user_id=None, role=Role.COORDINATOR)
    for who in (coordinator, Actor.visitor()):
        with pytest.raises(PermissionDenied, match=ADMINS_ONLY):
            add_smic_value(session, who, TEST_SMIC)
        with pytest.raises(PermissionDenied):
            add_pay_grid_row(session, who, {"age_band": "16-17"})
    add_smic_value(session, ADMIN, TEST_SMIC)
    with pytest.raises(ValidationError) as exc:
        add_smic_value(session, ADMIN, {**TEST_SMIC, "monthly_eur": "1900"})
    assert exc.value.errors == {"valid_from": ["Un montant du SMIC existe déjà à cette date."]}
    with pytest.raises(ValidationError) as exc:
        add_smic_value(
            session,
            ADMIN,
            {"monthly_eur": "beaucoup", "hourly_eur": "0", "valid_from": "demain", "source": " "},
        )
    assert set(exc.value.errors) == {"monthly_eur", "hourly_eur", "valid_from", "source"}
    assert exc.value.errors["monthly_eur"] == ["Montant en euros attendu, par exemple 1823,03."]
    with pytest.raises(ValidationError) as exc:
        add_pay_grid_row(
            session,
            ADMIN,
            {
                "age_band": "15",
                "contract_year": "4",
                "percent": "-3",
                "valid_from": "2019-01-01",
                "source": "x",
            },
        )
    assert set(exc.value.errors) == {"age_band", "contract_year", "percent"}
    with pytest.raises(ValidationError) as exc:
        add_pay_grid_row(
            session,
            ADMIN,
            {
                "age_band": "18-20",
                "contract_year": "2",
                "percent": "60",
                "valid_from": "2019-01-01",
                "source": "x",
            },
        )
    assert "valid_from" in exc.value.errors
    assert session.scalar(select(func.count()).select_from(SmicValue)) == len(read_smic()) + 1
    assert session.scalar(select(func.count()).select_from(PayGridRow)) == 12


def test_a_minor_s_request_never_gets_a_night_work_offer(session: Session) -> None:
    night = offer(session, BOURG, "aide-soignant", night_work=True)
    day = offer(session, BOURG, "aide-soignant")
    minor = request(session, BOURG, "aide-soignant", age_band=AgeBand.UNDER_18)
    adult = request(session, BOURG, "aide-soignant", age_band=AgeBand.FROM_18)
    unsaid = request(session, BOURG, "aide-soignant")
    session.flush()
    recompute_suggestions(session, now=NOW)
    got = set(rows(session))
    assert (minor.id, day.id) in got and (minor.id, night.id) not in got
    assert {(adult.id, night.id), (unsaid.id, night.id)} <= got


def test_the_budget_of_a_candidate_on_an_offer(session: Session) -> None:
    resource = f.make_housing_resource(session, monthly_cost_eur=380)
    o = f.make_offer(session)
    req = f.make_request(session, age_band="18-20", needs_housing=True)
    assert req.age_band == AgeBand.FROM_18
    budget = offer_budget(session, req, o, date(2026, 6, 1))
    assert budget is not None and budget.housing_source is None and budget.housing_cost is None
    assert budget.left == (None, None, None)
    f.make_suggestion(session, req, o, housing_source="resource", proposed_housing_id=resource.id)
    session.expire_all()
    budget = offer_budget(session, req, o, date(2026, 6, 1))
    assert budget is not None and budget.housing_cost == Decimal(380)
    # 43 %, 51 %, 67 % of the SMIC of 2026 less 380 €.
    assert budget.left == tuple(percent_of(SMIC_2026, p) - 380 for p in (43, 51, 67))
    assert budget.left == (Decimal("403.90"), Decimal("549.75"), Decimal("841.43"))
    req.age_band = None
    assert offer_budget(session, req, o, date(2026, 6, 1)) is None


def test_the_shipped_rules_of_the_apprenticeship_and_their_sources() -> None:
    rules = {r["key"]: r for r in read_legal_rules()}
    # Every rule the code reads ships, with its article (issue 19).
    assert set(rules) == set(RuleKey)
    assert {k: Decimal(r["value"]) for k, r in rules.items()} == {
        RuleKey.PAID_LEAVE_DAYS_PER_MONTH: Decimal("2.5"),
        RuleKey.TRIAL_DAYS: 45,
        RuleKey.OPCO_DEPOSIT_DAYS: 5,
        RuleKey.MASTER_MAX_APPRENTICES: 2,
        RuleKey.MASTER_EXTRA_REPEATING: 1,
        RuleKey.EXAM_LEAVE_DAYS: 5,
    }
    articles = {
        RuleKey.TRIAL_DAYS: "L6222-18",
        RuleKey.OPCO_DEPOSIT_DAYS: "D6224-1",
        RuleKey.MASTER_MAX_APPRENTICES: "R6223-6",
        RuleKey.MASTER_EXTRA_REPEATING: "R6223-6",
        RuleKey.EXAM_LEAVE_DAYS: "L6222-35",
        RuleKey.PAID_LEAVE_DAYS_PER_MONTH: "L3141-3",
    }
    assert all(articles[k] in r["source"] for k, r in rules.items())


def test_a_rule_in_force_on_a_day_and_admins_only_add_to_it(session: Session) -> None:
    assert rule_value(session, RuleKey.TRIAL_DAYS, date(2026, 12, 4)) == 45
    assert rule_in_force(session, RuleKey.TRIAL_DAYS, date(2015, 8, 18)) is None
    later = {
        "key": "master_max_apprentices",
        "value": "3",
        "valid_from": "2030-01-01",
        "source": "Décret d'essai",
    }
    with pytest.raises(PermissionDenied, match=ADMINS_ONLY):
        add_legal_rule(session, Actor.visitor(), later)
    add_legal_rule(session, ADMIN, later)
    assert rule_value(session, RuleKey.MASTER_MAX_APPRENTICES, date(2029, 12, 31)) == 2
    assert rule_value(session, RuleKey.MASTER_MAX_APPRENTICES, date(2030, 1, 1)) == 3
    with pytest.raises(ValidationError) as exc:
        add_legal_rule(session, ADMIN, later)
    assert exc.value.errors == {
        "valid_from": ["Une valeur de cette règle existe déjà à cette date."]
    }
    with pytest.raises(ValidationError) as exc:
        add_legal_rule(
            session, ADMIN, {"key": "jours", "value": "-1", "valid_from": "x", "source": ""}
        )
    assert set(exc.value.errors) == {"key", "value", "valid_from", "source"}
    assert exc.value.errors["value"] == ["Nombre attendu, par exemple 45 ou 2,5."]
    # Loading the reference again keeps the row the admin added.
    load_reference(session)
    assert rule_value(session, RuleKey.MASTER_MAX_APPRENTICES, date(2030, 1, 1)) == 3
