"""Optimum-preserving reductions: exactness of merges and dominance."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from siting.locate.lscp import reduce_set_cover
from siting.locate.reduce import dominated_columns, dominating_rows, merge_identical_rows, rows_covered_by


@st.composite
def bool_matrices(draw, max_rows=25, max_cols=10):
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_cols))
    density = draw(st.floats(0.05, 0.8))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    D = rng.random((n, m)) < density
    if n > 3 and draw(st.booleans()):
        D[n // 2:] = D[: n - n // 2]  # plant duplicates
    return D


@settings(max_examples=60, deadline=None)
@given(bool_matrices())
def test_merge_groups_exactly_identical_rows(D):
    g = merge_identical_rows(sp.csr_matrix(D))
    same = (D[:, None, :] == D[None, :, :]).all(axis=2)
    assert (same == (g.group[:, None] == g.group[None, :])).all()
    # the merged matrix row of each group is the members' set
    assert (g.matrix.toarray()[g.group] == D).all()
    w = np.arange(len(D), dtype=float)
    assert g.sum(w).sum() == w.sum()


def test_merge_survives_forced_hash_collisions():
    # with one shared key for every column, rows of equal length collide; the exact check must split them
    D = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype=bool)
    import siting.locate.reduce as R

    orig = np.random.default_rng

    class Same:
        def __init__(self, seed):
            pass

        def integers(self, low, high, size, dtype):
            return np.ones(size, dtype=dtype)

    R.np.random.default_rng = Same  # type: ignore[assignment]
    try:
        g = merge_identical_rows(sp.csr_matrix(D))
    finally:
        R.np.random.default_rng = orig
    assert g.group[0] == g.group[3]
    assert len({g.group[0], g.group[1], g.group[2]}) == 3


@settings(max_examples=60, deadline=None)
@given(bool_matrices())
def test_dominated_columns_have_kept_dominators(D):
    dom = dominated_columns(sp.csr_matrix(D))
    m = D.shape[1]
    for j in np.flatnonzero(dom):
        assert any(not dom[k] and k != j and (D[:, j] <= D[:, k]).all() for k in range(m))
    kept = np.flatnonzero(~dom)
    for a in kept:  # no kept column is inside another kept one
        for b in kept:
            if a != b:
                assert not ((D[:, a] <= D[:, b]).all() and (D[:, a].sum() < D[:, b].sum() or b < a))


@settings(max_examples=60, deadline=None)
@given(bool_matrices())
def test_dominating_rows_are_implied(D):
    D = D[D.any(axis=1)]
    if len(D) == 0:
        return
    red = dominating_rows(sp.csr_matrix(D))
    for i in np.flatnonzero(red):
        assert any(not red[k] and k != i and (D[k] <= D[i]).all() for k in range(len(D)))


def test_rows_covered_by():
    C = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0], [1, 1]], dtype=bool))
    assert rows_covered_by(C, np.array([0])).tolist() == [True, False, False, True]
    assert not rows_covered_by(C, np.array([], dtype=int)).any()


@settings(max_examples=40, deadline=None)
@given(bool_matrices(max_rows=12, max_cols=8))
def test_set_cover_reductions_keep_the_optimum(D):
    import itertools

    D = D[D.any(axis=1)]
    if len(D) == 0:
        return

    def best(M):
        for q in range(M.shape[1] + 1):
            for S in itertools.combinations(range(M.shape[1]), q):
                if M[:, list(S)].any(axis=1).all():
                    return q
        return None

    R, cols, forced, _ = reduce_set_cover(sp.csr_matrix(D))
    reduced = 0 if R.shape[0] == 0 else best(R.toarray())
    assert reduced + len(forced) == best(D)
