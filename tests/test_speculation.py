"""Unit tests of :mod:`siting.speculation` on small hand-made registers.

Every expected value below is worked out by hand from the rules of the national
steering committee: licences run 3 years, an office must open within 6 months of
issue, no transfer within 5 years, rural applicants need an associate degree and
urban ones a bachelor's, veterans first in every queue.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from siting.speculation import (
    Rules,
    first_come_first_served,
    holder_findings,
    outcome_measures,
    reference_date,
    register_audit,
    screen_applications,
    speculative_flags,
)

D = dt.date
TODAY = D(2024, 3, 19)
RULES = Rules()  # 5 years no transfer, open within 6 months, 3-year licences


def offices_frame(rows: list[dict]) -> pd.DataFrame:
    """An office register as the loader returns it (dates as ``datetime.date`` or None)."""
    base = {"unit_code": "U1", "setting": "urban", "status": "active", "opening_date": None,
            "transfer_dates": (), "last_renewal_date": None, "holder_hash": None}
    return pd.DataFrame([{**base, **row} for row in rows])


def applications_frame(rows: list[dict]) -> pd.DataFrame:
    """Applications as the loader returns them, with ``plan_unit`` added as the plan does."""
    base = {"setting": "urban", "veteran": False, "education": "bachelor", "resident_unit_code": None,
            "application_date": D(2023, 6, 1)}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    if "plan_unit" not in frame:
        frame["plan_unit"] = frame["unit_code"]
    return frame


# --------------------------------------------------------------------------- register audit

AUDIT_OFFICES = offices_frame([
    # clean: issued 14 months ago, opened after a month
    dict(licence_id="L01", issue_date=D(2023, 1, 1), opening_date=D(2023, 2, 1), holder_hash="h01"),
    # expired: issued 5 years ago, never renewed
    dict(licence_id="L02", issue_date=D(2019, 1, 1), opening_date=D(2019, 3, 1), holder_hash="h02"),
    # renewed 21 months ago: still valid
    dict(licence_id="L03", issue_date=D(2019, 1, 1), opening_date=D(2019, 3, 1), last_renewal_date=D(2022, 6, 1)),
    # opened 8 months after issue: late
    dict(licence_id="L04", issue_date=D(2022, 1, 1), opening_date=D(2022, 9, 1), last_renewal_date=D(2023, 12, 1), holder_hash="h04"),
    # never opened, issued 14 months ago
    dict(licence_id="L05", issue_date=D(2023, 1, 1), status="not_opened", holder_hash="h05"),
    # never opened, but issued only 11 weeks ago: still within the deadline
    dict(licence_id="L06", issue_date=D(2024, 1, 1), status="not_opened"),
    # transferred 17 months after issue (renewed, so not expired)
    dict(licence_id="L07", issue_date=D(2020, 1, 1), opening_date=D(2020, 2, 1), transfer_dates=(D(2021, 6, 1),),
         last_renewal_date=D(2023, 1, 1), holder_hash="h07"),
    # transferred 6 years after issue: allowed
    dict(licence_id="L08", issue_date=D(2015, 1, 1), opening_date=D(2015, 2, 1), transfer_dates=(D(2021, 1, 1), D(2022, 1, 1)),
         last_renewal_date=D(2023, 6, 1)),
    # cancelled: neither expired nor "not opened", whatever its dates
    dict(licence_id="L09", issue_date=D(2015, 1, 1), status="cancelled"),
    # opened 181 days after issue (5.95 months): in time
    dict(licence_id="L10", issue_date=D(2022, 1, 1), opening_date=D(2022, 7, 1), last_renewal_date=D(2023, 12, 1)),
    # opened 185 days after issue (6.08 months): late
    dict(licence_id="L11", issue_date=D(2022, 1, 1), opening_date=D(2022, 7, 5), last_renewal_date=D(2023, 12, 1)),
    # two transfers, the first within 5 years: the earliest one counts
    dict(licence_id="L12", issue_date=D(2018, 1, 1), opening_date=D(2018, 2, 1), transfer_dates=(D(2023, 6, 1), D(2019, 5, 1)),
         last_renewal_date=D(2023, 6, 1)),
])
EXPECTED_FINDINGS = {
    ("L02", "expired_not_renewed"),
    ("L04", "not_opened_in_time"),
    ("L05", "not_opened_in_time"),
    ("L07", "transferred_within_limit"),
    ("L11", "not_opened_in_time"),
    ("L12", "transferred_within_limit"),
}


def test_register_audit_finds_exactly_the_hand_worked_findings():
    audit = register_audit(AUDIT_OFFICES, RULES, TODAY)
    assert list(audit.columns) == ["licence_id", "unit_code", "finding", "detail"]
    assert set(zip(audit["licence_id"], audit["finding"])) == EXPECTED_FINDINGS
    assert len(audit) == len(EXPECTED_FINDINGS)
    # sorted by licence, then finding
    assert list(audit["licence_id"]) == sorted(audit["licence_id"])


def test_register_audit_details_state_the_rule():
    audit = register_audit(AUDIT_OFFICES, RULES, TODAY).set_index(["licence_id", "finding"])["detail"]
    assert "3-year" in audit[("L02", "expired_not_renewed")]
    assert "6 months" in audit[("L04", "not_opened_in_time")]
    assert "5 years" in audit[("L07", "transferred_within_limit")]


def test_register_audit_follows_the_rules_given():
    # Four-year licences: L02 (5 years unrenewed) still expired; a 12-month deadline clears L04 (8 months) and L11.
    audit = register_audit(AUDIT_OFFICES, Rules(no_transfer_years=1, open_within_months=12, licence_years=4), TODAY)
    found = set(zip(audit["licence_id"], audit["finding"]))
    assert ("L02", "expired_not_renewed") in found
    assert ("L04", "not_opened_in_time") not in found and ("L11", "not_opened_in_time") not in found
    assert ("L05", "not_opened_in_time") in found  # 14 months unopened
    # a one-year no-transfer period: L07's transfer after 17 months and L12's after 16 are allowed
    assert not any(f == "transferred_within_limit" for _, f in found)


def test_register_audit_of_no_register_is_empty():
    audit = register_audit(None, RULES, TODAY)
    assert audit.empty and list(audit.columns) == ["licence_id", "unit_code", "finding", "detail"]


def test_holder_findings_carry_the_holder():
    findings = holder_findings(AUDIT_OFFICES, RULES, TODAY).set_index("licence_id")
    assert findings.loc["L07", "holder_hash"] == "h07" and findings.loc["L07", "transferred_within_limit"]
    assert not findings.loc["L01", ["transferred_within_limit", "not_opened_in_time", "expired_not_renewed"]].any()


def test_reference_date_is_the_latest_register_date():
    applications = applications_frame([dict(application_id="A1", applicant_hash="x", unit_code="U1", application_date=D(2024, 3, 1))])
    assert reference_date(AUDIT_OFFICES) == D(2024, 1, 1)  # L06's issue date
    assert reference_date(AUDIT_OFFICES, applications, None) == D(2024, 3, 1)


# --------------------------------------------------------------------------- speculative flags

FLAG_APPLICATIONS = applications_frame([
    dict(application_id="A01", applicant_hash="multi", unit_code="U1"),
    dict(application_id="A02", applicant_hash="multi", unit_code="U2"),
    dict(application_id="A03", applicant_hash="twice", unit_code="U1"),
    dict(application_id="A04", applicant_hash="twice", unit_code="U1", setting="rural", education="associate"),
    dict(application_id="A05", applicant_hash="h07", unit_code="U1"),  # transferred L07 within 5 years
    dict(application_id="A06", applicant_hash="h04", unit_code="U1"),  # opened L04 late
    dict(application_id="A07", applicant_hash="h05", unit_code="U1"),  # never opened L05
    dict(application_id="A08", applicant_hash="h02", unit_code="U1"),  # L02 expired: not a speculation flag
    dict(application_id="A09", applicant_hash="s1", unit_code="U3"),  # U3 urban is saturated
    dict(application_id="A10", applicant_hash="s2", unit_code="U3", setting="rural", education="associate"),  # U3 rural is not
    dict(application_id="A11", applicant_hash="e1", unit_code="U1", setting="rural", education="diploma"),
    dict(application_id="A12", applicant_hash="e2", unit_code="U1", setting="rural", education="associate"),
    dict(application_id="A13", applicant_hash="e3", unit_code="U1", setting="urban", education="associate"),
    dict(application_id="A14", applicant_hash="e4", unit_code="U1", setting="urban", education="bachelor"),
    dict(application_id="A15", applicant_hash="e5", unit_code="U1", setting=None, education="associate"),  # unknown setting: urban
    dict(application_id="A16", applicant_hash="e6", unit_code="U1", setting="urban", education=None),  # unknown: not refused
    dict(application_id="A17", applicant_hash="e7", unit_code="U1", setting="rural", education="none"),
])
MORATORIUM = {("U3", "urban")}


@pytest.fixture(scope="module")
def flags() -> pd.DataFrame:
    out = speculative_flags(FLAG_APPLICATIONS, AUDIT_OFFICES, MORATORIUM, RULES, TODAY)
    return out.set_axis(FLAG_APPLICATIONS["application_id"])


def flagged(flags: pd.DataFrame, column: str) -> set[str]:
    return set(flags.index[flags[column]])


def test_multi_unit_applicants_are_flagged(flags):
    # the same person in two units, not the same person twice in one unit
    assert flagged(flags, "multi_unit_applicant") == {"A01", "A02"}


def test_transferred_and_unopened_holders_are_flagged(flags):
    assert flagged(flags, "transferred_within_limit") == {"A05"}
    assert flagged(flags, "not_opened_in_time") == {"A06", "A07"}


def test_saturated_part_is_flagged_per_setting(flags):
    assert flagged(flags, "saturated_unit") == {"A09"}


def test_education_minimum_rural_associate_urban_bachelor(flags):
    assert flagged(flags, "education_below_minimum") == {"A11", "A13", "A15", "A17"}


def test_clean_applications_carry_no_flag(flags):
    assert not flags.loc[["A03", "A08", "A10", "A12", "A14", "A16"]].any(axis=None)


def test_a_second_application_in_the_same_unit_is_a_repeat(flags):
    # "twice" applied in U1 for an urban and a rural office: one licence per applicant, the earlier application counts.
    assert flags.loc["A04", "repeat_application"] and not flags.loc["A03", "repeat_application"]
    assert not flags.loc["A04", "multi_unit_applicant"]


# --------------------------------------------------------------------------- screening and queues

QUEUE_APPLICATIONS = applications_frame([
    # unit Q, urban: 2 licences. Expected queue: veterans (by education, then date), locals, others by education, date, id.
    dict(application_id="Q1", applicant_hash="q1", unit_code="Q", application_date=D(2020, 1, 1), education="doctorate"),
    dict(application_id="Q2", applicant_hash="q2", unit_code="Q", veteran=True, application_date=D(2023, 12, 1), education="bachelor"),
    dict(application_id="Q3", applicant_hash="q3", unit_code="Q", resident_unit_code="Q", application_date=D(2023, 1, 1)),
    dict(application_id="Q4", applicant_hash="q4", unit_code="Q", application_date=D(2021, 1, 1), education="master"),
    dict(application_id="Q5", applicant_hash="q5", unit_code="Q", application_date=D(2021, 1, 1), education="master"),
    dict(application_id="Q6", applicant_hash="q6", unit_code="Q", veteran=True, application_date=D(2023, 1, 1), education="master"),
    dict(application_id="Q7", applicant_hash="q7", unit_code="Q", veteran=True, application_date=D(2019, 1, 1), education="associate"),
    # unit Q, rural: 1 licence
    dict(application_id="R1", applicant_hash="r1", unit_code="Q", setting="rural", education="associate", application_date=D(2022, 5, 1)),
    dict(application_id="R2", applicant_hash="r2", unit_code="Q", setting="rural", education="associate", application_date=D(2022, 4, 1)),
    # unit Z gets nothing; unit S is saturated (urban)
    dict(application_id="Z1", applicant_hash="z1", unit_code="Z", veteran=True),
    dict(application_id="S1", applicant_hash="s1", unit_code="S", veteran=True),
    # the same person in Q and in Z: speculative everywhere, even where the plan has room
    dict(application_id="M1", applicant_hash="mm", unit_code="Q", veteran=True, application_date=D(2018, 1, 1)),
    dict(application_id="M2", applicant_hash="mm", unit_code="Z"),
])
QUEUE_ALLOCATION = pd.DataFrame({"new_urban": [2, 0, 0], "new_rural": [1, 0, 0]}, index=["Q", "Z", "S"])


@pytest.fixture(scope="module")
def screened() -> pd.DataFrame:
    out = screen_applications(QUEUE_APPLICATIONS, QUEUE_ALLOCATION, None, {("S", "urban")}, RULES, TODAY)
    return out.set_index("application_id")


def test_queue_order_veterans_then_locals_then_education_then_date(screened):
    urban = screened[(screened["plan_unit"] == "Q") & (screened["setting"] == "urban") & (screened["decision"] != "refused")]
    order = urban.sort_values("queue_position").index.tolist()
    # Q7 is a veteran with only an associate degree: refused (urban needs a bachelor's), so not queued
    assert order == ["Q6", "Q2", "Q3", "Q1", "Q4", "Q5"]
    assert sorted(urban["queue_position"]) == list(range(1, 7))


def test_grants_fill_the_allocation_in_queue_order(screened):
    assert screened.loc[["Q6", "Q2"], "decision"].eq("granted").all()
    assert screened.loc[["Q3", "Q1", "Q4", "Q5"], "decision"].eq("waitlisted").all()
    # rural: the earlier of two equal applications
    assert screened.loc["R2", "decision"] == "granted" and screened.loc["R1", "decision"] == "waitlisted"
    assert screened.loc["R2", "queue_position"] == 1 and screened.loc["R1", "queue_position"] == 2


def test_refusals_and_their_reasons(screened):
    assert screened.loc["Q7", "decision"] == "refused" and not screened.loc["Q7", "speculative"]
    assert "education below the minimum" in screened.loc["Q7", "reason"]
    assert pd.isna(screened.loc["Q7", "queue_position"])
    assert screened.loc["Z1", "decision"] == "refused" and screened.loc["Z1", "speculative"]
    assert "allocates no new licence" in screened.loc["Z1", "reason"]
    assert screened.loc["S1", "decision"] == "refused" and screened.loc["S1", "speculative"]
    assert "saturated" in screened.loc["S1", "reason"] and "allocates no" not in screened.loc["S1", "reason"]
    for multi in ("M1", "M2"):
        assert screened.loc[multi, "decision"] == "refused" and screened.loc[multi, "speculative"]
        assert "several units" in screened.loc[multi, "reason"]
    assert screened.loc["Q6", "reason"] == "within the unit's allocation"
    assert "wait-listed" in screened.loc["Q3", "reason"]


def test_granted_never_exceeds_the_allocation_and_is_never_speculative(screened):
    granted = screened[screened["decision"] == "granted"]
    assert not granted["speculative"].any()
    counts = granted.groupby(["plan_unit", "setting"]).size()
    assert counts[("Q", "urban")] == 2 and counts[("Q", "rural")] == 1 and len(counts) == 2


def test_screening_keeps_every_application_and_adds_flags(screened):
    assert len(screened) == len(QUEUE_APPLICATIONS)
    assert {"decision", "speculative", "reason", "queue_position", "flag_zero_allocation",
            "flag_multi_unit_applicant", "flag_education_below_minimum"} <= set(screened.columns)
    assert set(screened["decision"]) == {"granted", "waitlisted", "refused"}


def test_screening_holders_with_bad_records_are_refused():
    applications = applications_frame([
        dict(application_id="B1", applicant_hash="h07", unit_code="Q"),
        dict(application_id="B2", applicant_hash="h05", unit_code="Q"),
        dict(application_id="B3", applicant_hash="ok", unit_code="Q"),
    ])
    out = screen_applications(applications, QUEUE_ALLOCATION, AUDIT_OFFICES, set(), RULES, TODAY).set_index("application_id")
    assert out.loc[["B1", "B2"], "decision"].eq("refused").all() and out.loc[["B1", "B2"], "speculative"].all()
    assert "transferred" in out.loc["B1", "reason"] and "did not open" in out.loc["B2", "reason"]
    assert out.loc["B3", "decision"] == "granted" and out.loc["B3", "queue_position"] == 1


# --------------------------------------------------------------------------- first come, first served

def test_fcfs_takes_the_earliest_applications_whatever_they_are(screened):
    first = first_come_first_served(screened.reset_index(), 3)
    # M1 (2018, speculative), Q7 (2019, refused for education), Q1 (2020)
    assert first["application_id"].tolist() == ["M1", "Q7", "Q1"]
    tied = first_come_first_served(screened.reset_index(), 6)["application_id"].tolist()
    assert tied[3:] == ["Q4", "Q5", "R2"]  # equal dates: by application id
    assert len(first_come_first_served(screened.reset_index(), 100)) == len(screened)


# --------------------------------------------------------------------------- outcome measures

def test_outcome_measures_hand_computed():
    units = pd.DataFrame({
        "gap": [4, 6, -2],
        "existing_urban": [5, 4, 9],
        "existing_rural": [1, 2, 0],
        "pop_urban": [50_000.0, 20_000.0, 40_000.0],
        "pop_rural": [9_000.0, 30_000.0, 0.0],
        # floor(pop / 5,000) urban and floor(pop / 3,000) rural: the residents rule's limits
        "viable_urban": [10.0, 4.0, 8.0],
        "viable_rural": [3.0, 10.0, 0.0],
    }, index=["U1", "U2", "U3"])
    new_urban = pd.Series({"U1": 3, "U2": 1})
    new_rural = pd.Series({"U1": 2, "U2": 3, "U3": 0})
    measures = outcome_measures(new_urban, new_rural, units, {("U2", "urban"), ("U3", "urban")}, 7)
    # U1 urban 8 offices ≤ 10; U1 rural 3 ≤ 3 (not below viability);
    # U2 urban 5 > 4 (below viability, and saturated); U2 rural 5 ≤ 10.
    # Need covered: min(5, 4) + min(4, 6) = 8 of 4 + 6 = 10.
    assert measures == {
        "licences": 9,
        "licences_in_saturated_units": 1,
        "licences_in_units_below_viability": 1,
        "need_covered_share": pytest.approx(0.8),
        "speculative_served": 7,
    }


def test_outcome_measures_without_viability_or_gap():
    units = pd.DataFrame({"gap": [0, -1], "existing_urban": [1, 1], "existing_rural": [0, 0],
                          "pop_urban": [100.0, 100.0], "pop_rural": [0.0, 0.0],
                          "viable_urban": [np.inf, np.inf], "viable_rural": [np.nan, np.nan]}, index=["A", "B"])
    measures = outcome_measures(pd.Series({"A": 2}), pd.Series(dtype=float), units, set(), 0)
    assert measures["licences"] == 2
    assert measures["licences_in_units_below_viability"] == 0
    assert measures["need_covered_share"] == 1.0  # no unit has a positive gap


def test_outcome_measures_of_nothing_issued():
    units = pd.DataFrame({"gap": [3], "existing_urban": [0], "existing_rural": [0],
                          "pop_urban": [1.0], "pop_rural": [1.0], "viable_urban": [0.0], "viable_rural": [0.0]}, index=["A"])
    measures = outcome_measures(pd.Series(dtype=float), pd.Series(dtype=float), units, set(), 0)
    assert measures["licences"] == 0 and measures["need_covered_share"] == 0.0
    assert np.isfinite(measures["need_covered_share"])


def test_one_applicant_gets_at_most_one_licence_in_a_unit():
    applications = applications_frame([
        dict(application_id=f"D{i}", applicant_hash="same", unit_code="Q", application_date=D(2023, 1, i + 1))
        for i in range(3)
    ])
    allocation = pd.DataFrame({"new_urban": [3], "new_rural": [0]}, index=["Q"])
    out = screen_applications(applications, allocation, None, set(), RULES, TODAY)
    assert (out["decision"] == "granted").sum() == 1
    assert out.loc[out["decision"] == "granted", "application_id"].tolist() == ["D0"]  # the earliest
    assert out.loc[out["application_id"] != "D0", "reason"].str.contains("earlier application in this unit").all()
