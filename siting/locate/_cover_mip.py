"""The covering MIP's arrays, shared by the MCLP, its decomposition and its neighbourhood search."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from siting.locate.mip import MipModel

__all__ = ["cover_mip", "cover_start"]


def cover_mip(
    coverage: sp.spmatrix,
    weights: np.ndarray,
    must: np.ndarray,
    budget: float | None = None,
    exact_budget: bool = False,
    site_cost: float | np.ndarray = 0.0,
    offset: float = 0.0,
) -> MipModel:
    """``max Σ_g W_g z_g − Σ_j site_cost_j y_j + offset`` over columns ``[y | z]``.

    ``site_cost`` is one price for every site or one per site.

    Rows ``z_g − Σ_{j ∈ N_g} y_j ≤ 0``, then (when ``budget`` is given) ``Σ y ≤ budget``
    (``= budget`` with ``exact_budget``); ``z_g = 1`` for must-cover groups; ``y``
    binary, ``0 ≤ z ≤ 1``.
    """
    R = sp.csr_matrix(coverage, dtype=float)
    g, k = R.shape
    rows = [sp.hstack([-R, sp.identity(g, format="csr")], format="csr")]
    row_lower, row_upper = [np.full(g, -np.inf)], [np.zeros(g)]
    if budget is not None:
        rows.append(sp.csr_matrix(np.concatenate([np.ones(k), np.zeros(g)])[None, :]))
        row_lower.append([float(budget) if exact_budget else -np.inf])
        row_upper.append([float(budget)])
    return MipModel(
        c=np.concatenate([-np.broadcast_to(np.asarray(site_cost, float), (k,)), np.asarray(weights, float)]),
        A=sp.vstack(rows, format="csr"),
        row_lower=np.concatenate(row_lower),
        row_upper=np.concatenate(row_upper),
        col_lower=np.concatenate([np.zeros(k), np.asarray(must, bool).astype(float)]),
        col_upper=np.ones(k + g),
        integer=np.concatenate([np.ones(k, bool), np.zeros(g, bool)]),
        maximize=True,
        offset=float(offset),
    )


def cover_start(coverage: sp.spmatrix, y: np.ndarray) -> np.ndarray:
    """The column vector ``[y | z]`` of :func:`cover_mip` for the sites ``y``: ``z_g = min(1, Σ_{j ∈ N_g} y_j)``."""
    y = np.asarray(y, float)
    return np.concatenate([y, np.minimum(1.0, coverage @ y)])
