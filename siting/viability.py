"""Viability from expected visits: how many counter offices a unit's market sustains.

The 1393 report found many offices not viable: they stood in thin markets, or beside Police+10
and municipal offices that took the same visits. The residents rule (``floor(population /
min_catchment)`` offices per part) sees neither. The visits rule asks how many visits are left for
counter offices once the other networks take their share, and allows a part only as many offices
as those visits keep at the minimum.

Formulation (Huff gravity, as :mod:`siting.locate.huff`). For settlement :math:`s` and the other
networks' offices :math:`k` within the decay cutoff,

.. math::

    C_s = \\sum_k A_k\\, f(d_{sk}), \\qquad \\sigma_s = \\frac{f(0)}{f(0) + C_s} = \\frac{1}{1 + C_s},

the share of its visits a counter office in the settlement keeps (the best a counter office there
can do). :math:`A_k` is the office's capacity relative to the median capacity of its network when
capacities are given, else 1. A unit's counter share is its settlements' population-weighted mean,

.. math::

    \\sigma_u = \\sum_{s \\in u} P_s \\sigma_s \\Big/ \\sum_{s \\in u} P_s,

taken at the unit's seat (or centroid) when it has no settlement. Each part (urban, rural) of the
unit expects :math:`V = P_{part}\\, v\\, \\sigma_u` visits a year (:math:`v` visits per resident), and
sustains

.. math::

    N_{part} = \\lfloor V / m_{part} \\rfloor

offices of at least :math:`m_{part}` visits each: the licence plan's viability limit
:math:`e + x \\le N` (:mod:`optimizer.formulation`). With no other network nearby
:math:`\\sigma_u = 1`, and with :math:`v = 1` and :math:`m` equal to the minimum catchments the
rule is the residents rule. Offices converted to counter offices (``plan.convert_networks``) no
longer compete.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from siting.conversion import CONVERTED_PREFIX
from siting.data.dataset import Dataset
from siting.errors import ScenarioError
from siting.indicators import ancestor_codes
from siting.locate.decay import Decay
from siting.locate.distances import within_radius
from siting.locate.huff import competitor_attraction

#: The market behind the visits rule's limits, per unit (allocation.csv and the workbook carry them).
MARKET_COLUMNS = ("counter_share", "visits_urban", "visits_rural")
#: The viable offices of each part, under either rule (the optimiser's viability limits).
VIABLE_COLUMNS = ("viable_urban", "viable_rural")


def competing_offices(dataset: Dataset, networks: list[str]) -> pd.DataFrame:
    """The other networks' offices in ``networks`` that still compete (not converted), with their attractiveness.

    Raises
    ------
    ScenarioError
        When the data has no register of the other networks.
    """
    other = dataset.other_offices
    if other is None:
        raise ScenarioError("plan.viability_rule: visits needs the register of the other networks (other_offices.* in the "
                            "data folder, or registers.synthetic_other_networks: true)")
    chosen = other[other["network"].isin(networks)].dropna(subset=["lon", "lat"])
    if dataset.offices is not None and len(dataset.offices):
        converted = set(dataset.offices["licence_id"].astype(str))
        ids = CONVERTED_PREFIX + chosen["network"].astype(str) + "-" + chosen["office_id"].astype(str)
        chosen = chosen[~ids.isin(converted).to_numpy()]
    capacity = pd.to_numeric(chosen.get("capacity", pd.Series(np.nan, index=chosen.index)), errors="coerce")
    median = capacity.groupby(chosen["network"]).transform("median")
    attractiveness = (capacity / median).where(capacity.notna() & (median > 0), 1.0)
    return chosen.assign(attractiveness=attractiveness.to_numpy(float))


def counter_share(lon: np.ndarray, lat: np.ndarray, competitors: pd.DataFrame, decay: Decay) -> np.ndarray:
    """:math:`\\sigma = 1 / (1 + C)` at each point: the share a counter office there keeps against ``competitors``."""
    if len(competitors) == 0 or len(lon) == 0:
        return np.ones(len(lon))
    distances = within_radius(np.asarray(lon, float), np.asarray(lat, float), competitors["lon"].to_numpy(float),
                              competitors["lat"].to_numpy(float), decay.cutoff)
    pull = competitor_attraction(distances, decay, competitors["attractiveness"].to_numpy(float))
    return 1.0 / (1.0 + pull)


def unit_markets(dataset: Dataset, units: pd.DataFrame, level: str, decay: Decay, networks: list[str],
                 visits_per_resident: float, min_visits_urban: float, min_visits_rural: float) -> pd.DataFrame:
    """Counter share, expected visits and viable offices of each unit's urban and rural part.

    Parameters
    ----------
    units
        The plan's units: ``unit_code``, ``pop_urban``, ``pop_rural``.
    level
        Their level (settlements are mapped up to it).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``unit_code``, with :data:`MARKET_COLUMNS` and :data:`VIABLE_COLUMNS`.
    """
    competitors = competing_offices(dataset, networks)
    codes = units["unit_code"].astype(str)
    settlements = dataset.settlements
    share = pd.Series(np.nan, index=codes)
    if len(settlements):
        sigma = counter_share(settlements["lon"].to_numpy(float), settlements["lat"].to_numpy(float), competitors, decay)
        plan_unit = ancestor_codes(dataset.units, settlements["unit_code"], level).to_numpy()
        weight = settlements["population"].to_numpy(float)
        frame = pd.DataFrame({"unit": plan_unit, "weighted": weight * sigma, "weight": weight}).dropna(subset=["unit"])
        sums = frame.groupby("unit")[["weighted", "weight"]].sum()
        share = (sums["weighted"] / sums["weight"].where(sums["weight"] > 0)).reindex(codes)
    missing = share.isna().to_numpy()
    if missing.any():
        anchor = dataset.units.set_index("unit_code").reindex(codes[missing])
        lon = anchor["seat_lon"].fillna(anchor["lon"]) if "seat_lon" in anchor else anchor["lon"]
        lat = anchor["seat_lat"].fillna(anchor["lat"]) if "seat_lat" in anchor else anchor["lat"]
        located = lon.notna().to_numpy() & lat.notna().to_numpy()
        values = np.ones(int(missing.sum()))
        values[located] = counter_share(lon.to_numpy(float)[located], lat.to_numpy(float)[located], competitors, decay)
        share[missing] = values
    sigma_unit = share.to_numpy(float)
    visits_urban = units["pop_urban"].to_numpy(float) * visits_per_resident * sigma_unit
    visits_rural = units["pop_rural"].to_numpy(float) * visits_per_resident * sigma_unit
    return pd.DataFrame({
        "counter_share": sigma_unit,
        "visits_urban": visits_urban,
        "visits_rural": visits_rural,
        "viable_urban": np.floor(visits_urban / min_visits_urban + 1e-9),
        "viable_rural": np.floor(visits_rural / min_visits_rural + 1e-9),
    }, index=pd.Index(codes, name="unit_code"))
