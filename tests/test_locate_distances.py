"""Sparse distances: radius queries, k-nearest lists, travel-time files."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from siting.errors import DataError
from siting.locate.distances import (
    MatrixNeighbours,
    TreeNeighbours,
    coverage_from_distances,
    haversine_km,
    planar_within_radius,
    read_travel_times,
    within_radius,
)


def _iran_points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(44.0, 63.3, n), rng.uniform(25.0, 39.8, n)])


def test_haversine_known_distance():
    # Tehran – Mashhad is about 740 km great-circle
    d = haversine_km(51.389, 35.689, 59.606, 36.297)
    assert 735 < d < 745
    assert haversine_km(50, 30, 50, 30) == 0.0


def test_within_radius_matches_brute_force_haversine():
    dem, sit = _iran_points(400, 1), _iran_points(120, 2)
    D = within_radius(dem[:, 0], dem[:, 1], sit[:, 0], sit[:, 1], 150.0)
    full = haversine_km(dem[:, 0, None], dem[:, 1, None], sit[None, :, 0], sit[None, :, 1])
    expect = full <= 150.0
    got = np.zeros_like(expect)
    rows = np.repeat(np.arange(D.shape[0]), np.diff(D.indptr))
    got[rows, D.indices] = True
    assert (got == expect).all()
    np.testing.assert_allclose(D.data, full[rows, D.indices], rtol=1e-9, atol=1e-6)


def test_zero_distance_pairs_are_kept():
    pts = _iran_points(5, 3)
    D = within_radius(pts[:, 0], pts[:, 1], pts[:, 0], pts[:, 1], 1.0)
    assert D.nnz >= 5  # every point covers itself at distance 0
    assert (D.data[D.data == 0].size) >= 5
    C = coverage_from_distances(D, 0.0)
    assert C.nnz >= 5 and C.dtype == bool


def test_planar_and_dense_coverage_agree():
    rng = np.random.default_rng(4)
    a, b = rng.random((200, 2)) * 100, rng.random((50, 2)) * 100
    D = planar_within_radius(a, b, 12.0)
    dense = np.linalg.norm(a[:, None] - b[None], axis=2)
    C1 = coverage_from_distances(D, 12.0).toarray()
    C2 = coverage_from_distances(dense, 12.0).toarray()
    assert (C1 == C2).all() and (C1 == (dense <= 12.0)).all()


@pytest.mark.parametrize("geodesic", [False, True])
def test_tree_neighbours_sorted_and_exact(geodesic):
    dem, sit = _iran_points(300, 5), _iran_points(80, 6)
    if not geodesic:
        dem, sit = dem * 100, sit * 100
    src = TreeNeighbours(dem, sit, geodesic=geodesic)
    k = np.random.default_rng(0).integers(1, 10, len(dem))
    lists, exhausted = src.nearest(k)
    if geodesic:
        full = haversine_km(dem[:, 0, None], dem[:, 1, None], sit[None, :, 0], sit[None, :, 1])
    else:
        full = np.linalg.norm(dem[:, None] - sit[None], axis=2)
    for i in range(0, len(dem), 17):
        row = slice(lists.indptr[i], lists.indptr[i + 1])
        assert lists.indptr[i + 1] - lists.indptr[i] == k[i]
        np.testing.assert_allclose(lists.data[row], np.sort(full[i])[: k[i]], rtol=1e-9, atol=1e-6)
        assert np.all(np.diff(lists.data[row]) >= 0)
    assert not exhausted.any()
    sub = src.restrict(np.arange(0, 80, 2))
    l2, _ = sub.nearest(np.full(len(dem), 3))
    assert l2.shape == (300, 40)


def test_matrix_neighbours_dense_sparse_and_restrict():
    rng = np.random.default_rng(7)
    M = rng.random((30, 12))
    M[3, 5] = np.inf  # no path
    src = MatrixNeighbours(M)
    lists, exhausted = src.nearest(np.full(30, 20))
    assert exhausted.all()
    assert lists.indptr[4] - lists.indptr[3] == 11
    i = 0
    np.testing.assert_allclose(lists.data[lists.indptr[i]:lists.indptr[i + 1]], np.sort(M[0]))
    sub = src.restrict(np.array([2, 5, 7]))
    l2, _ = sub.nearest(np.full(30, 1))
    np.testing.assert_allclose(l2.data[:1], M[0, [2, 5, 7]].min())
    S = sp.csr_matrix(np.where(M < 0.5, M, 0))  # sparse: missing = no path
    S.data[:] = S.data  # no eliminate_zeros
    l3, ex3 = MatrixNeighbours(S).nearest(np.full(30, 50))
    assert ex3.all() and l3.nnz == S.nnz


def test_read_travel_times(tmp_path):
    f = tmp_path / "tt.csv"
    f.write_text("origin,destination,minutes\nA,X,10\nA,Y,0\nB,Y,35.5\n", encoding="utf-8")
    M = read_travel_times(f, ["A", "B", "C"], ["X", "Y"])
    assert M.shape == (3, 2) and M.nnz == 3
    assert M[0, 0] == 10 and M[1, 1] == 35.5
    rows = np.repeat(np.arange(3), np.diff(M.indptr))
    assert (0, 1) in set(zip(rows.tolist(), M.indices.tolist()))  # a stored zero


def test_read_travel_times_reports_problems(tmp_path):
    f = tmp_path / "tt.csv"
    f.write_text("origin,destination,minutes\nA,X,10\nQ,X,5\nA,X,3\nB,X,-1\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_travel_times(f, ["A", "B"], ["X"])
    text = str(exc.value)
    assert "unknown origin" in text and "duplicate" in text and "negative" in text
    g = tmp_path / "bad.csv"
    g.write_text("from,to,min\n", encoding="utf-8")
    with pytest.raises(DataError):
        read_travel_times(g, ["A"], ["X"])
