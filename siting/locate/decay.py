"""Distance decay: how much of a settlement's demand reaches an office at a given distance.

Each function maps distances (km, or minutes from a travel-time file) to a
weight in [0, 1] that never increases with distance; pairs beyond ``cutoff``
weigh 0 and are simply not stored in the sparse pair matrices the models take.

========== ==================================================  =========================
kind        weight at distance ``d`` (``d ≤ cutoff``)          parameter
========== ==================================================  =========================
cutoff      1                                                   (none)
linear      ``1 − d / cutoff``                                  (none)
power       ``min(1, (d / d0) ** −β)``                          ``beta`` β > 0, ``d0`` > 0
exponential ``exp(−β d)``                                       ``beta`` β ≥ 0
========== ==================================================  =========================

``power`` is flat up to ``d0`` (a settlement with an office on its doorstep
visits it fully, not infinitely).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.sparse as sp

from siting.locate._inputs import LocationInputError

__all__ = ["Decay", "decay_weights", "decayed_pairs"]

DecayKind = Literal["cutoff", "linear", "power", "exponential"]


@dataclass(frozen=True)
class Decay:
    """A distance-decay rule (see the module table).

    Attributes
    ----------
    kind : {"cutoff", "linear", "power", "exponential"}
    cutoff : float
        Distance beyond which the weight is 0 (km or minutes).
    beta : float
        Steepness of ``power`` and ``exponential``.
    d0 : float
        Distance up to which ``power`` is flat.
    """

    kind: DecayKind = "power"
    cutoff: float = 30.0
    beta: float = 1.0
    d0: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in ("cutoff", "linear", "power", "exponential"):
            raise LocationInputError(f"unknown decay kind {self.kind!r}: use cutoff, linear, power or exponential")
        if not (np.isfinite(self.cutoff) and self.cutoff > 0):
            raise LocationInputError("decay cutoff must be a positive, finite distance")
        if self.kind == "power" and not (self.beta > 0 and self.d0 > 0):
            raise LocationInputError("power decay needs beta > 0 and d0 > 0")
        if self.kind == "exponential" and not self.beta >= 0:
            raise LocationInputError("exponential decay needs beta >= 0")


def decay_weights(distance: np.ndarray, decay: Decay) -> np.ndarray:
    """Weights in [0, 1] for ``distance`` (0 beyond the cutoff or for negative / NaN distances)."""
    d = np.asarray(distance, dtype=float)
    if decay.kind == "cutoff":
        w = np.ones_like(d)
    elif decay.kind == "linear":
        w = 1.0 - d / decay.cutoff
    elif decay.kind == "power":
        w = np.minimum(1.0, (np.maximum(d, 1e-12) / decay.d0) ** -decay.beta)
    else:
        w = np.exp(-decay.beta * d)
    valid = np.isfinite(d) & (d >= 0) & (d <= decay.cutoff)
    return np.where(valid, np.clip(w, 0.0, 1.0), 0.0)


def decayed_pairs(distances: sp.spmatrix, decay: Decay) -> sp.csr_matrix:
    """The sparse demand × site matrix of decay weights, for the stored pairs within the cutoff.

    ``distances`` stores a distance for every pair with a path (zeros kept, as
    :func:`siting.locate.distances.within_radius` returns them); pairs whose
    weight is 0 are dropped.
    """
    if not sp.issparse(distances):
        raise LocationInputError("distances must be a sparse demand × site matrix of the pairs with a path")
    D = sp.csr_matrix(distances, dtype=float, copy=True)
    D.sum_duplicates()
    D.sort_indices()
    weights = decay_weights(D.data, decay)
    keep = weights > 0
    rows = np.repeat(np.arange(D.shape[0]), np.diff(D.indptr))[keep]
    return sp.csr_matrix((weights[keep], (rows, D.indices[keep])), shape=D.shape)
