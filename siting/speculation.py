"""Speculation, measured and suppressed: application screening, register audit and
the first-come-first-served counterfactual.

Rules (national steering committee): veterans (ایثارگران) have priority (meeting 5,
1390/6/7); rural applicants need only an associate degree (meeting 9); no transfer or
sale of a licence for 5 years, an office must open within 6 months, licences run
3 years (special resolutions, 1390/11/8).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting.data.registers import day_ordinals

EDUCATION_ORDER = {"none": 0, "diploma": 1, "associate": 2, "bachelor": 3, "master": 4, "doctorate": 5}
MIN_EDUCATION = {"rural": "associate", "urban": "bachelor"}
REASONS = {
    "saturated_unit": "unit is saturated (moratorium): no new licence may be issued there",
    "zero_allocation": "the plan allocates no new licence to this unit",
    "multi_unit_applicant": "the same applicant applied in several units",
    "repeat_application": "the same applicant already has an earlier application in this unit",
    "transferred_within_limit": "the applicant transferred a licence within the no-transfer period",
    "not_opened_in_time": "the applicant's earlier licence did not open within the deadline",
    "education_below_minimum": "education below the minimum for this setting",
}
SPECULATIVE_REASONS = (
    "saturated_unit", "zero_allocation", "multi_unit_applicant", "repeat_application", "transferred_within_limit", "not_opened_in_time",
)


@dataclass(frozen=True)
class Rules:
    no_transfer_years: int = 5
    open_within_months: int = 6
    licence_years: int = 3


def reference_date(*frames: pd.DataFrame | None) -> dt.date:
    """The latest date in the registers: audits are as of then, so reruns give identical results."""
    latest = []
    for frame in frames:
        if frame is None:
            continue
        for column in ("application_date", "issue_date", "opening_date", "last_renewal_date"):
            if column in frame:
                ordinals = day_ordinals(frame[column])
                if np.isfinite(ordinals).any():
                    latest.append(np.nanmax(ordinals))
    return dt.date.fromordinal(int(max(latest))) if latest else dt.date.today()


def _months(days: np.ndarray) -> np.ndarray:
    return days / 30.4375


def holder_findings(offices: pd.DataFrame | None, rules: Rules, today: dt.date) -> pd.DataFrame:
    """Per licence: transferred within the no-transfer period; not opened within the deadline; expired."""
    if offices is None or len(offices) == 0:
        return pd.DataFrame(columns=["licence_id", "unit_code", "holder_hash", "transferred_within_limit", "not_opened_in_time", "expired_not_renewed"])
    issue = day_ordinals(offices["issue_date"])
    opening = day_ordinals(offices["opening_date"])
    first_transfer = np.array([min(d).toordinal() if len(d) else np.nan for d in offices["transfer_dates"]], dtype=float)
    renewal = day_ordinals(offices["last_renewal_date"])
    now = today.toordinal()
    transferred = (first_transfer - issue) < rules.no_transfer_years * 365.25
    late_open = _months(opening - issue) > rules.open_within_months
    never_opened = np.isnan(opening) & (_months(now - issue) > rules.open_within_months) & (offices["status"] != "cancelled").to_numpy()
    valid_from = np.where(np.isnan(renewal), issue, np.maximum(renewal, issue))
    expired = ((now - valid_from) > rules.licence_years * 365.25) & (offices["status"] != "cancelled").to_numpy()
    return pd.DataFrame({
        "licence_id": offices["licence_id"].to_numpy(),
        "unit_code": offices["unit_code"].to_numpy(),
        "holder_hash": offices["holder_hash"].to_numpy(),
        "transferred_within_limit": transferred,
        "not_opened_in_time": late_open | never_opened,
        "expired_not_renewed": expired,
    })


def register_audit(offices: pd.DataFrame | None, rules: Rules, today: dt.date) -> pd.DataFrame:
    """One row per finding: licences past their term unrenewed, not opened in time, transferred early."""
    findings = holder_findings(offices, rules, today)
    details = {
        "expired_not_renewed": f"past its {rules.licence_years}-year term without renewal",
        "not_opened_in_time": f"not opened within {rules.open_within_months} months of issue",
        "transferred_within_limit": f"transferred within {rules.no_transfer_years} years of issue",
    }
    rows = [
        findings.loc[findings[finding], ["licence_id", "unit_code"]].assign(finding=finding, detail=detail)
        for finding, detail in details.items()
    ]
    return pd.concat(rows, ignore_index=True).sort_values(["licence_id", "finding"], kind="stable").reset_index(drop=True)


def speculative_flags(applications: pd.DataFrame, offices: pd.DataFrame | None, moratorium: set[tuple[str, str]], rules: Rules, today: dt.date) -> pd.DataFrame:
    """Boolean flags per application for every plan-independent speculation reason."""
    units_per_applicant = applications.groupby("applicant_hash")["plan_unit"].transform("nunique")
    # One licence per applicant: later applications of the same person in the same unit are repeats.
    order = applications.assign(_date=day_ordinals(applications["application_date"])).sort_values(
        ["_date", "application_id"], kind="stable")
    repeat = order.duplicated(["applicant_hash", "plan_unit"], keep="first").reindex(applications.index)
    findings = holder_findings(offices, rules, today)
    transferred = set(findings.loc[findings["transferred_within_limit"], "holder_hash"].dropna())
    unopened = set(findings.loc[findings["not_opened_in_time"], "holder_hash"].dropna())
    setting = applications["setting"].fillna("urban")
    minimum = setting.map(lambda s: EDUCATION_ORDER[MIN_EDUCATION[s]])
    education = applications["education"].map(EDUCATION_ORDER)
    return pd.DataFrame({
        "saturated_unit": np.fromiter(((u, st) in moratorium for u, st in zip(applications["plan_unit"], setting)), bool, len(applications)),
        "multi_unit_applicant": (units_per_applicant > 1).to_numpy(),
        "repeat_application": repeat.to_numpy(),
        "transferred_within_limit": applications["applicant_hash"].isin(transferred).to_numpy(),
        "not_opened_in_time": applications["applicant_hash"].isin(unopened).to_numpy(),
        "education_below_minimum": (education.notna() & (education < minimum)).to_numpy(),
    }, index=applications.index)


def screen_applications(
    applications: pd.DataFrame,
    allocation: pd.DataFrame,
    offices: pd.DataFrame | None,
    moratorium: set[tuple[str, str]],
    rules: Rules,
    today: dt.date,
) -> pd.DataFrame:
    """Decide every application against the plan.

    ``applications`` carries ``plan_unit`` (its unit at the planning level);
    ``allocation`` is indexed by unit code with ``new_urban`` and ``new_rural``;
    ``moratorium`` holds the saturated ``(unit_code, setting)`` parts.
    Speculative applications are refused with their reasons; the others are
    ranked per unit and setting — veterans first, then local residents, then
    higher education, then earlier application, then id — and the first ones
    up to the allocation are granted, the rest wait-listed.
    """
    flags = speculative_flags(applications, offices, moratorium, rules, today)
    new_total = applications["plan_unit"].map(allocation["new_urban"] + allocation["new_rural"]).fillna(0)
    flags["zero_allocation"] = (new_total.to_numpy() == 0) & ~flags["saturated_unit"].to_numpy()
    reason_columns = list(SPECULATIVE_REASONS) + ["education_below_minimum"]
    reasons = [
        "; ".join(REASONS[name] for name in reason_columns if row[name])
        for row in flags[reason_columns].to_dict("records")
    ]
    speculative = flags[list(SPECULATIVE_REASONS)].any(axis=1)
    refused = speculative | flags["education_below_minimum"]
    setting = applications["setting"].fillna("urban")
    local = (applications["resident_unit_code"] == applications["unit_code"]) | (applications["resident_unit_code"] == applications["plan_unit"])
    queue = pd.DataFrame({
        "plan_unit": applications["plan_unit"],
        "setting": setting,
        "not_veteran": ~applications["veteran"].astype(bool),
        "not_local": ~local.fillna(False).astype(bool),
        "education_rank": -applications["education"].map(EDUCATION_ORDER).fillna(0),
        "date": day_ordinals(applications["application_date"]),
        "application_id": applications["application_id"],
    }, index=applications.index)[~refused]
    queue = queue.sort_values(["plan_unit", "setting", "not_veteran", "not_local", "education_rank", "date", "application_id"], kind="stable")
    position = queue.groupby(["plan_unit", "setting"]).cumcount()
    slots_urban = queue["plan_unit"].map(allocation["new_urban"]).fillna(0)
    slots_rural = queue["plan_unit"].map(allocation["new_rural"]).fillna(0)
    slots = np.where(queue["setting"] == "rural", slots_rural, slots_urban)
    granted = pd.Series(False, index=applications.index)
    granted.loc[queue.index] = position.to_numpy() < slots
    decision = np.where(refused, "refused", np.where(granted, "granted", "waitlisted"))
    priority = pd.Series(np.nan, index=applications.index)
    priority.loc[queue.index] = position.to_numpy() + 1
    out = applications.assign(
        decision=decision,
        speculative=speculative.to_numpy(),
        reason=[r if r else ("within the unit's allocation" if d == "granted" else "fits the unit but beyond its allocation: wait-listed")
                for r, d in zip(reasons, decision)],
        queue_position=priority.astype("Int64"),
    )
    return out.join(flags.add_prefix("flag_"))


def outcome_measures(
    new_urban: pd.Series, new_rural: pd.Series, units: pd.DataFrame, moratorium: set[tuple[str, str]],
    speculative_served: int,
) -> dict:
    """Headline measures of an issuance (the plan or a counterfactual) over the plan's units.

    ``units`` is indexed by unit code with ``gap``, ``existing_urban``,
    ``existing_rural``, ``viable_urban`` and ``viable_rural`` (the offices each part
    sustains under the plan's viability rule; NaN or inf: no limit); licences are given
    per part. A licence is "below viability" when its part ends with more offices than
    it sustains.
    """
    measures = {"licences": 0, "licences_in_saturated_units": 0, "licences_in_units_below_viability": 0}
    for part, new in (("urban", new_urban), ("rural", new_rural)):
        licences = new.reindex(units.index).fillna(0)
        saturated = np.fromiter(((code, part) in moratorium for code in units.index), bool, len(units))
        viable = units[f"viable_{part}"].astype(float).fillna(np.inf)
        below = (licences > 0) & (units[f"existing_{part}"] + licences > viable)
        measures["licences"] += int(licences.sum())
        measures["licences_in_saturated_units"] += int(licences[saturated].sum())
        measures["licences_in_units_below_viability"] += int(licences[below].sum())
    total = (new_urban.reindex(units.index).fillna(0) + new_rural.reindex(units.index).fillna(0))
    positive_gap = units["gap"].clip(lower=0)
    measures["need_covered_share"] = float(np.minimum(total, positive_gap).sum() / positive_gap.sum()) if positive_gap.sum() else 1.0
    measures["speculative_served"] = int(speculative_served)
    return measures


def first_come_first_served(screened: pd.DataFrame, licences: int) -> pd.DataFrame:
    """What happened before the plan: the same number of licences to the earliest applications."""
    order = screened.assign(date=day_ordinals(screened["application_date"])).sort_values(["date", "application_id"], kind="stable")
    return order.head(licences)
