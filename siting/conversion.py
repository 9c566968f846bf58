"""Conversion scenarios: other networks' offices become counter offices (the Fifth Plan's clause C).

The 1393 report's complaint is that Police+10, municipal and rural ICT offices
refuse to merge into the counter offices. A conversion scenario asks what the
plan looks like if they did: each converted office joins the office register as
an active counter office of its unit (rural ICT offices as rural offices, the
others as urban), so it counts as existing in the targets, caps and
moratoriums, and the licences it makes unnecessary are not issued.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from siting.data.dataset import Dataset
from siting.data.registers import OFFICE_COLUMNS
from siting.errors import ScenarioError
from siting.speculation import reference_date

#: Prefix of the licence id a converted office gets: ``CONV-<network>-<office_id>``.
CONVERTED_PREFIX = "CONV-"


def convert_networks(dataset: Dataset, networks: list[str], provinces: list[str] | None = None) -> tuple[Dataset, pd.DataFrame]:
    """The dataset with the chosen networks' offices added to the office register, and those offices.

    Parameters
    ----------
    networks
        Networks to convert (``police10``, ``municipal``, ``rural_ict``, ``post``).
    provinces
        Province codes whose offices convert; ``None`` for every province.

    Raises
    ------
    ScenarioError
        When conversion is asked for but the data has no other-networks register.
    """
    if not networks:
        return dataset, pd.DataFrame(columns=["office_id", "network", "unit_code", "province_code", "setting"])
    if dataset.other_offices is None:
        raise ScenarioError("plan.convert_networks needs the register of the other networks (other_offices.* in the data "
                            "folder, or registers.synthetic_other_networks: true)")
    other = dataset.other_offices
    province_of = dataset.units.set_index("unit_code")["province_code"]
    chosen = other[other["network"].isin(networks)].assign(province_code=lambda f: f["unit_code"].map(province_of).to_numpy())
    if provinces is not None:
        unknown = sorted(set(provinces) - set(dataset.level("province")["unit_code"])) if "province" in dataset.levels else []
        if unknown:
            raise ScenarioError(f"plan.convert_provinces names unknown province code(s): {', '.join(unknown)}")
        chosen = chosen[chosen["province_code"].isin(provinces)]
    chosen = chosen.assign(setting=np.where(chosen["network"] == "rural_ict", "rural", "urban"))
    # Converted today: fresh licences, so the register audit does not flag them as expired or unopened.
    stamp = reference_date(dataset.offices, dataset.applications)
    converted = pd.DataFrame({
        "licence_id": CONVERTED_PREFIX + chosen["network"] + "-" + chosen["office_id"].astype(str),
        "unit_code": chosen["unit_code"], "lon": chosen["lon"], "lat": chosen["lat"], "setting": chosen["setting"],
        "status": "active", "issue_date": [stamp] * len(chosen), "opening_date": [stamp] * len(chosen),
        "transfer_dates": [()] * len(chosen), "last_renewal_date": None, "violations": 0, "holder_hash": None,
        "is_municipal": chosen["network"] == "municipal", "synthetic": chosen["synthetic"],
    })[OFFICE_COLUMNS]
    offices = converted if dataset.offices is None else pd.concat([dataset.offices, converted], ignore_index=True)
    counts = chosen["network"].value_counts().sort_index()
    metadata = {**dataset.metadata, "converted_offices": {network: int(n) for network, n in counts.items()},
                "converted_provinces": provinces}
    return replace(dataset, offices=offices, metadata=metadata), chosen.reset_index(drop=True)


def licences_no_longer_needed(dataset: Dataset, scores: pd.DataFrame, level: str) -> dict[str, int]:
    """Offices of unmet need the converted offices fill, by setting: the licences no longer needed.

    ``scores`` is the scored unit table (``unit_code``, ``existing_<setting>``,
    ``target_<setting>``), with the converted offices already counted as existing.
    """
    from siting.indicators import ancestor_codes

    offices = dataset.offices
    if offices is None:
        return {"urban": 0, "rural": 0}
    converted = offices[offices["licence_id"].astype(str).str.startswith(CONVERTED_PREFIX)]
    plan_unit = ancestor_codes(dataset.units, converted["unit_code"], level).to_numpy()
    filled = {}
    for setting in ("urban", "rural"):
        count = pd.Series(plan_unit[(converted["setting"] == setting).to_numpy()]).value_counts()
        added = count.reindex(scores["unit_code"]).fillna(0).to_numpy()
        existing = scores[f"existing_{setting}"].to_numpy(float)
        target = scores[f"target_{setting}"].to_numpy(float)
        before = np.maximum(target - (existing - added), 0)
        after = np.maximum(target - existing, 0)
        filled[setting] = int(np.round(before - after).sum())
    return filled
