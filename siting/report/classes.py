"""Classed legends shared by the print and the web maps (mapclassify).

A map is read at a glance when its colours stand for a few classes with round
limits. Three schemes: quantiles (equal counts), natural breaks (Fisher–Jenks,
the deterministic optimum of Jenks' method) and user-defined breaks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from siting.errors import AmayeshError
from siting.report.labels import number

SCHEMES = ("quantiles", "natural_breaks", "user")
NO_DATA_COLOUR = "#d9d9d9"

# The four choropleths of the maps: column, Persian and English titles, palette, decimals.
METRICS: dict[str, dict[str, object]] = {
    "new_licences": {"fa": "مجوزهای جدید", "en": "New licences", "cmap": "YlGnBu", "decimals": 0},
    "score": {"fa": "امتیاز نیاز", "en": "Need score", "cmap": "PuRd", "decimals": 2},
    "gap": {"fa": "کمبود دفتر (هدف منهای موجود)", "en": "Gap (target − existing offices)", "cmap": "RdYlBu_r", "decimals": 0},
    "pressure": {"fa": "فشار سوداگرانه (درخواست به ازای هر مجوز)", "en": "Speculative pressure (applications per licence)", "cmap": "OrRd", "decimals": 1},
    # only in runs of the visits viability rule (siting.viability): the Huff share counter offices keep
    "counter_share": {"fa": "سهم دفاتر پیشخوان از مراجعه (در برابر شبکه‌های دیگر)",
                      "en": "Counter offices' share of visits (against the other networks)", "cmap": "RdYlGn", "decimals": 2},
}
#: Map variables every run has (the others only some runs: see :func:`classify_all`).
CORE_METRICS = ("new_licences", "score", "gap", "pressure")


@dataclass(frozen=True)
class Classes:
    """The classes of one map variable.

    ``bins`` are the upper limits (mapclassify's convention), ``lower`` the lower
    limits, ``classes`` each value's class (-1 for no data), ``counts`` the number
    of units per class and ``colours`` one hex colour per class.
    """

    metric: str
    scheme: str
    lower: tuple[float, ...]
    bins: tuple[float, ...]
    classes: np.ndarray
    counts: tuple[int, ...]
    colours: tuple[str, ...]
    decimals: int

    def labels(self, persian_digits: bool = False, separator: str = " – ") -> list[str]:
        """``lower – upper`` for each class, in Persian digits when asked.

        With ``separator=" تا "`` the labels read as Persian ("۱ تا ۲"), right to left.
        """
        labels = []
        for low, high in zip(self.lower, self.bins):
            first, last = number(low, self.decimals, persian_digits), number(high, self.decimals, persian_digits)
            labels.append(first if low == high else f"{first}{separator}{last}")
        return labels

    def colour_of(self) -> np.ndarray:
        """The colour of every value (grey for no data)."""
        palette = np.array(list(self.colours) + [NO_DATA_COLOUR], dtype=object)
        return palette[np.where(self.classes < 0, len(self.colours), self.classes)]


def classify(
    values: pd.Series | np.ndarray,
    metric: str,
    scheme: str = "quantiles",
    k: int = 5,
    breaks: list[float] | tuple[float, ...] | None = None,
) -> Classes:
    """Class the values of a map variable.

    Parameters
    ----------
    values
        One value per unit; NaN is "no data".
    metric
        A key of :data:`METRICS` (sets palette and rounding).
    scheme
        ``quantiles``, ``natural_breaks`` (Fisher–Jenks) or ``user``.
    k
        Number of classes for the automatic schemes (fewer when the values have fewer
        distinct values).
    breaks
        Upper limits of the classes for ``user``; the maximum is added when the last
        break is below it.

    Raises
    ------
    AmayeshError
        For an unknown scheme or metric, or ``user`` without increasing breaks.
    """
    import mapclassify
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    if scheme not in SCHEMES:
        raise AmayeshError(f"unknown classification scheme '{scheme}': choose one of {', '.join(SCHEMES)}")
    if metric not in METRICS:
        raise AmayeshError(f"unknown map variable '{metric}': choose one of {', '.join(METRICS)}")
    decimals = int(METRICS[metric]["decimals"])
    data = np.asarray(values, dtype=float)
    valid = ~np.isnan(data)
    known = data[valid]
    classes = np.full(len(data), -1, dtype=int)
    if len(known) == 0:
        return Classes(metric, scheme, (), (), classes, (), (), decimals)
    distinct = np.unique(known)
    if scheme == "user":
        if not breaks:
            raise AmayeshError(f"the 'user' scheme needs --breaks for '{metric}' (e.g. --breaks {metric}:1,5,10)")
        upper = np.asarray(sorted(float(b) for b in breaks))
        if np.any(np.diff(upper) <= 0):
            raise AmayeshError(f"breaks for '{metric}' must be different numbers, got {list(breaks)}")
        if upper[-1] < known.max():
            upper = np.append(upper, known.max())
        bins = upper
    elif len(distinct) <= k:
        bins = distinct
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify warns when quantiles collapse on ties
            if scheme == "quantiles":
                classifier = mapclassify.Quantiles(known, k=k)
            else:
                classifier = mapclassify.FisherJenks(known, k=k)
        bins = np.unique(_round_bins(np.asarray(classifier.bins, dtype=float), decimals, known.max()))
    classes[valid] = np.searchsorted(bins, known, side="left").clip(0, len(bins) - 1)
    lower = _lower_limits(bins, known, decimals)
    counts = tuple(int(n) for n in np.bincount(classes[valid], minlength=len(bins)))
    cmap = colormaps[str(METRICS[metric]["cmap"])]
    positions = np.linspace(0.15, 0.95, len(bins)) if len(bins) > 1 else np.array([0.6])
    colours = tuple(to_hex(cmap(p)) for p in positions)
    return Classes(metric, scheme, tuple(lower), tuple(float(b) for b in bins), classes, counts, colours, decimals)


def _round_bins(bins: np.ndarray, decimals: int, maximum: float) -> np.ndarray:
    """Round class limits for reading; the last one stays the maximum."""
    rounded = np.round(bins, decimals)
    rounded[-1] = max(rounded[-1], maximum)
    return rounded


def _lower_limits(bins: np.ndarray, known: np.ndarray, decimals: int) -> np.ndarray:
    """The first value a class holds: the minimum for the first, just above the previous limit after."""
    step = 10.0 ** (-decimals)
    lower = np.empty(len(bins))
    lower[0] = min(known.min(), bins[0])
    lower[1:] = bins[:-1] + step
    return np.minimum(lower, bins)


def parse_breaks(specs: tuple[str, ...] | list[str]) -> dict[str, list[float]]:
    """Read ``--breaks`` options: ``1,5,10`` (new licences) or ``metric:1,5,10``.

    Raises
    ------
    AmayeshError
        For an unknown metric or a break that is not a number.
    """
    result: dict[str, list[float]] = {}
    for spec in specs:
        metric, _, numbers = spec.rpartition(":")
        metric = metric.strip() or "new_licences"
        if metric not in METRICS:
            raise AmayeshError(f"--breaks {spec}: unknown map variable '{metric}' (choose from {', '.join(METRICS)})")
        try:
            result[metric] = [float(n) for n in numbers.split(",") if n.strip()]
        except ValueError:
            raise AmayeshError(f"--breaks {spec}: expected numbers separated by commas") from None
        if not result[metric]:
            raise AmayeshError(f"--breaks {spec}: no break given")
    return result


def classify_all(
    units: pd.DataFrame, scheme: str = "quantiles", breaks: dict[str, list[float]] | None = None, k: int = 5
) -> dict[str, Classes]:
    """Classes of every map variable of :data:`METRICS` that ``units`` has (all of :data:`CORE_METRICS`).

    With the ``user`` scheme, a variable without breaks of its own falls back to
    quantiles, so that one ``--breaks`` for new licences is enough.
    """
    breaks = breaks or {}
    result = {}
    for metric in METRICS:
        if metric not in CORE_METRICS and metric not in units:
            continue  # a variable this run does not have (counter_share outside the visits rule)
        own = scheme if scheme != "user" or metric in breaks else "quantiles"
        result[metric] = classify(units[metric], metric, own, k=k, breaks=breaks.get(metric))
    return result
