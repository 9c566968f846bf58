"""Demand × site distances, sparse: pairs within a radius, k nearest, or a file.

Nothing here builds a dense all-pairs matrix. Pairs within a finite radius are
found with a KD-tree (``scipy.spatial.cKDTree``): on 3-D unit vectors for
geodesic distances (the chord length ``c`` and the great-circle angle ``θ``
are tied by ``c = 2 sin(θ / 2)``, a monotone map, so a chord radius query is an
exact great-circle radius query) or on planar coordinates. Results are
``scipy.sparse.csr_matrix`` demand × site matrices whose *stored entries* are the
admissible pairs; a settlement sitting on a site is a stored entry of value
``0.0``, so read the structure (``indptr``/``indices``), never ``nonzero()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from siting.errors import DataError, Problem

__all__ = [
    "EARTH_RADIUS_KM",
    "haversine_km",
    "unit_vectors",
    "within_radius",
    "planar_within_radius",
    "coverage_from_distances",
    "NeighbourSource",
    "TreeNeighbours",
    "MatrixNeighbours",
    "read_travel_times",
]

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points given in degrees (broadcasts)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3), from longitudes/latitudes in degrees."""
    lon = np.radians(np.asarray(lon, dtype=float))
    lat = np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0.0, 1.0))


def _km_to_chord(km: float) -> float:
    return float(2 * np.sin(min(km / EARTH_RADIUS_KM, np.pi) / 2))


def _pairs_to_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR with one stored entry per pair (zeros kept), indices sorted in each row."""
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    out = sp.csr_matrix((vals.astype(float), cols.astype(np.int32), indptr), shape=shape)
    out.has_sorted_indices = True
    return out


def _radius_pairs(tree_demand: cKDTree, tree_sites: cKDTree, r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pairs = tree_demand.sparse_distance_matrix(tree_sites, r, output_type="ndarray")
    return pairs["i"].astype(np.int64), pairs["j"].astype(np.int64), pairs["v"]


def within_radius(
    demand_lon: np.ndarray,
    demand_lat: np.ndarray,
    site_lon: np.ndarray,
    site_lat: np.ndarray,
    radius_km: float,
) -> sp.csr_matrix:
    """Great-circle km of every demand–site pair within ``radius_km``.

    Parameters
    ----------
    demand_lon, demand_lat, site_lon, site_lat : array_like
        Coordinates in degrees (EPSG:4326).
    radius_km : float
        Service radius; must be finite and non-negative.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_demand, n_sites)
        Stored entries are exactly the pairs within the radius (zeros kept).
    """
    if not np.isfinite(radius_km) or radius_km < 0:
        raise ValueError("radius_km must be finite and >= 0")
    a = cKDTree(unit_vectors(demand_lon, demand_lat))
    b = cKDTree(unit_vectors(site_lon, site_lat))
    # a tiny slack on the chord, then an exact filter on the great-circle distance
    i, j, chord = _radius_pairs(a, b, _km_to_chord(radius_km) * (1 + 1e-12) + 1e-15)
    km = _chord_to_km(chord)
    keep = km <= radius_km
    return _pairs_to_csr(i[keep], j[keep], km[keep], (a.n, b.n))


def planar_within_radius(demand_xy: np.ndarray, site_xy: np.ndarray, radius: float) -> sp.csr_matrix:
    """Straight-line distances of every pair within ``radius`` (planar coordinates).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_demand, n_sites)
        Stored entries are exactly the pairs within the radius (zeros kept).
    """
    if not np.isfinite(radius) or radius < 0:
        raise ValueError("radius must be finite and >= 0")
    a, b = cKDTree(np.asarray(demand_xy, float)), cKDTree(np.asarray(site_xy, float))
    i, j, d = _radius_pairs(a, b, radius)
    return _pairs_to_csr(i, j, d, (a.n, b.n))


def coverage_from_distances(distances: np.ndarray | sp.spmatrix, radius: float) -> sp.csr_matrix:
    """Boolean CSR coverage matrix: entry (i, j) iff pair stored and distance ≤ ``radius``.

    ``distances`` may be dense (``inf``/``nan`` = no path) or sparse (missing pair
    = no path; stored zeros count as distance 0).
    """
    if sp.issparse(distances):
        d = sp.csr_matrix(distances)
        rows = np.repeat(np.arange(d.shape[0]), np.diff(d.indptr))
        keep = d.data <= radius
        return _pairs_to_csr(rows[keep], d.indices[keep], np.ones(keep.sum()), d.shape).astype(bool)
    d = np.asarray(distances, dtype=float)
    rows, cols = np.nonzero(d <= radius)
    return _pairs_to_csr(rows, cols, np.ones(rows.size), d.shape).astype(bool)


@runtime_checkable
class NeighbourSource(Protocol):
    """Sites of each demand point in increasing distance, on request.

    ``nearest(k)`` returns, for every demand row ``i``, its ``k[i]`` nearest
    admissible sites as a CSR matrix whose row entries are ordered by distance
    (ties by site index), plus a boolean array ``exhausted`` that is ``True``
    where the row already holds every admissible site of that demand point.
    """

    n_demand: int
    n_sites: int

    def nearest(self, k: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]: ...

    def restrict(self, sites: np.ndarray) -> "NeighbourSource": ...


def _ordered_csr(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """CSR whose entries in each row are sorted by value, then column."""
    order = np.lexsort((cols, vals, rows))
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    out = sp.csr_matrix((vals[order].astype(float), cols[order].astype(np.int32), indptr), shape=shape)
    out.has_sorted_indices = False
    return out


@dataclass
class TreeNeighbours:
    """k-nearest sites from a KD-tree: planar coordinates or lon/lat (geodesic).

    Parameters
    ----------
    demand, sites : ndarray, shape (n, 2)
        Planar coordinates, or ``(lon, lat)`` degrees when ``geodesic``.
    geodesic : bool
        Great-circle km on the sphere (via 3-D unit vectors) instead of planar.
    """

    demand: np.ndarray
    sites: np.ndarray
    geodesic: bool = False
    _tree: cKDTree = field(init=False, repr=False)
    _pts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.demand = np.asarray(self.demand, dtype=float)
        self.sites = np.asarray(self.sites, dtype=float)
        if self.geodesic:
            self._pts = unit_vectors(self.demand[:, 0], self.demand[:, 1])
            self._tree = cKDTree(unit_vectors(self.sites[:, 0], self.sites[:, 1]))
        else:
            self._pts = self.demand
            self._tree = cKDTree(self.sites)

    @property
    def n_demand(self) -> int:
        return len(self.demand)

    @property
    def n_sites(self) -> int:
        return len(self.sites)

    def restrict(self, sites: np.ndarray) -> "TreeNeighbours":
        """The same source over ``sites`` only (renumbered 0..len(sites)-1)."""
        return TreeNeighbours(self.demand, self.sites[np.asarray(sites)], self.geodesic)

    def nearest(self, k: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        k = np.minimum(np.broadcast_to(np.asarray(k, dtype=np.int64), (self.n_demand,)), self.n_sites)
        rows, cols, vals = [], [], []
        # one tree query per distinct k (rows grouped), each vectorised
        for kk in np.unique(k[k > 0]):
            sel = np.flatnonzero(k == kk)
            d, j = self._tree.query(self._pts[sel], k=int(kk))
            d, j = d.reshape(len(sel), -1), j.reshape(len(sel), -1)
            rows.append(np.repeat(sel, kk))
            cols.append(j.ravel())
            vals.append(_chord_to_km(d.ravel()) if self.geodesic else d.ravel())
        if rows:
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        else:
            r = c = np.zeros(0, np.int64)
            v = np.zeros(0)
        return _ordered_csr(r, c, v, (self.n_demand, self.n_sites)), k >= self.n_sites


@dataclass
class MatrixNeighbours:
    """k-nearest sites read from a full (dense) or admissible-pairs (sparse) matrix.

    Dense: ``inf``/``nan`` means no path. Sparse: a missing pair means no path,
    a stored ``0`` is distance 0. Rows are sorted once on construction.
    """

    matrix: np.ndarray | sp.spmatrix
    _sorted: sp.csr_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = self.matrix
        if sp.issparse(m):
            m = sp.csr_matrix(m)
            rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
            cols, vals = m.indices, np.asarray(m.data, float)
        else:
            m = np.asarray(m, dtype=float)
            ok = np.isfinite(m)
            if ok.all():
                # fast path: argsort each row
                order = np.argsort(m, axis=1, kind="stable")
                vals = np.take_along_axis(m, order, axis=1).ravel()
                indptr = np.arange(0, m.size + 1, m.shape[1], dtype=np.int64)
                self._sorted = sp.csr_matrix((vals, order.ravel().astype(np.int32), indptr), shape=m.shape)
                self._sorted.has_sorted_indices = False
                return
            rows, cols = np.nonzero(ok)
            vals = m[rows, cols]
        keep = np.isfinite(vals)
        self._sorted = _ordered_csr(rows[keep], cols[keep], vals[keep], m.shape)

    @property
    def n_demand(self) -> int:
        return self._sorted.shape[0]

    @property
    def n_sites(self) -> int:
        return self._sorted.shape[1]

    def restrict(self, sites: np.ndarray) -> "MatrixNeighbours":
        sites = np.asarray(sites)
        s = self._sorted
        new = np.full(s.shape[1], -1, dtype=np.int64)
        new[sites] = np.arange(len(sites))
        rows = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr))
        keep = new[s.indices] >= 0
        out = MatrixNeighbours.__new__(MatrixNeighbours)
        out.matrix = None  # type: ignore[assignment]
        # entries stay ordered by distance inside each row: a stable filter
        indptr = np.zeros(s.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows[keep], minlength=s.shape[0]), out=indptr[1:])
        out._sorted = sp.csr_matrix(
            (s.data[keep], new[s.indices[keep]].astype(np.int32), indptr), shape=(s.shape[0], len(sites))
        )
        out._sorted.has_sorted_indices = False
        return out

    def nearest(self, k: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
        s = self._sorted
        length = np.diff(s.indptr)
        k = np.minimum(np.broadcast_to(np.asarray(k, dtype=np.int64), (s.shape[0],)), length)
        # positions 0..k_i-1 of each row, vectorised
        starts = s.indptr[:-1]
        indptr = np.zeros(s.shape[0] + 1, dtype=np.int64)
        np.cumsum(k, out=indptr[1:])
        pos = np.arange(indptr[-1]) - np.repeat(indptr[:-1] - starts, k)
        out = sp.csr_matrix((s.data[pos], s.indices[pos], indptr), shape=s.shape)
        out.has_sorted_indices = False
        return out, k >= length


def read_travel_times(
    path: str | Path,
    origin_ids: np.ndarray,
    destination_ids: np.ndarray,
    columns: tuple[str, str, str] = ("origin", "destination", "minutes"),
) -> sp.csr_matrix:
    """Read a long-format travel-time CSV into a sparse origin × destination matrix.

    The file has one row per pair: ``origin,destination,minutes``. Pairs that are
    absent mean "no path"; ids that match no origin or destination are errors.

    Parameters
    ----------
    path : path-like
        CSV file (UTF-8).
    origin_ids, destination_ids : array_like
        The ids (e.g. settlement codes) giving row and column order.
    columns : tuple of str
        Names of the origin, destination and minutes columns.

    Returns
    -------
    scipy.sparse.csr_matrix
        Minutes; stored zeros kept; shape ``(len(origin_ids), len(destination_ids))``.

    Raises
    ------
    DataError
        Missing columns, unknown ids, duplicate pairs, negative or non-numeric times.
    """
    name = str(path)
    o_col, d_col, t_col = columns
    try:
        df = pd.read_csv(path, dtype={o_col: str, d_col: str}, encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError([Problem(name, f"cannot read the travel-time file: {exc}")]) from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError([Problem(name, f"missing column(s): {', '.join(missing)}")])
    problems: list[Problem] = []
    o_index = pd.Index(np.asarray(origin_ids).astype(str))
    d_index = pd.Index(np.asarray(destination_ids).astype(str))
    oi = o_index.get_indexer(df[o_col].astype(str).str.strip())
    di = d_index.get_indexer(df[d_col].astype(str).str.strip())
    minutes = pd.to_numeric(df[t_col], errors="coerce").to_numpy(dtype=float)
    for mask, col, msg in (
        (oi < 0, o_col, "unknown origin id"),
        (di < 0, d_col, "unknown destination id"),
        (~np.isfinite(minutes), t_col, "not a number"),
        (minutes < 0, t_col, "negative travel time"),
    ):
        for r in np.flatnonzero(mask)[:20]:
            problems.append(Problem(name, msg, row=int(r) + 2, column=col))
    ok = (oi >= 0) & (di >= 0)
    dup = pd.Series(oi[ok] * len(d_index) + di[ok]).duplicated().to_numpy()
    for r in np.flatnonzero(ok)[dup][:20]:
        problems.append(Problem(name, "duplicate origin-destination pair", row=int(r) + 2))
    if problems:
        raise DataError(problems)
    return _pairs_to_csr(oi, di, minutes, (len(o_index), len(d_index)))
