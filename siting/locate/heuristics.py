"""Start solutions: greedy construction plus swap (interchange) improvement, vectorised.

Covering heuristics work on a boolean coverage matrix ``C`` (CSR, rows ×
sites) and row weights; median heuristics on sorted nearest-site lists. Each
step updates the affected rows with sparse array operations; the loops are over
chosen sites or swap moves, never over demand × site pairs.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import scipy.sparse as sp

__all__ = [
    "greedy_cover", "swap_cover", "perturb_cover", "greedy_median", "swap_median", "perturb_median", "median_cost",
]


def _entries(C: sp.csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column indices of the given rows' entries, and the row of each entry."""
    start, stop = C.indptr[rows], C.indptr[rows + 1]
    ln = stop - start
    if ln.sum() == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    off = np.arange(ln.sum()) - np.repeat(np.cumsum(ln) - ln, ln)
    pos = np.repeat(start, ln) + off
    return C.indices[pos].astype(np.int64), np.repeat(rows, ln)


def greedy_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    must: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> np.ndarray | None:
    """Greedy maximal covering: repeatedly open the site adding the most uncovered weight.

    Rows flagged ``must`` are covered first (greedy set cover over them, ties by
    weight). Returns the chosen columns (at most ``p``), or ``None`` when the
    must-cover rows need more than ``p`` sites.
    """
    C = sp.csr_matrix(C)
    n, m = C.shape
    w = np.asarray(weights, dtype=float)
    CT = C.T.tocsr()
    covered = np.zeros(n, dtype=bool)
    must = np.zeros(n, dtype=bool) if must is None else np.asarray(must, bool).copy()
    gain = CT @ w
    need = CT @ must.astype(float)
    blocked = np.zeros(m, dtype=bool) if allowed is None else ~np.asarray(allowed, bool)
    chosen: list[int] = []
    big = float(w.sum() + 1.0)
    while len(chosen) < p:
        score = np.where(blocked, -np.inf, need * big + gain)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or score[j] <= 0:
            break
        chosen.append(j)
        blocked[j] = True
        rows = CT.indices[CT.indptr[j]:CT.indptr[j + 1]]
        rows = rows[~covered[rows]]
        covered[rows] = True
        cols, r = _entries(C, rows)
        gain -= np.bincount(cols, weights=w[r], minlength=m)
        need -= np.bincount(cols, weights=must[r].astype(float), minlength=m)
        must[rows] = False
    if must.any():
        return None
    return np.array(sorted(chosen), dtype=np.int64)


def _accept_disjoint(delta: np.ndarray, js: np.ndarray, ks: np.ndarray,
                     touched: Callable[[int, int], np.ndarray], n: int,
                     tol: float, max_moves: int) -> list[tuple[int, int]]:
    """Greedy pick of improving moves with pairwise disjoint touched rows (best first).

    Moves whose touched row sets are disjoint change disjoint parts of the
    objective, so their gains add up exactly. The loop runs over candidate
    moves (at most a few per site), never over demand × site pairs.
    """
    order = np.argsort(-delta, kind="stable")
    order = order[delta[order] > tol]
    mark = np.zeros(n, dtype=bool)
    used: set[int] = set()
    moves: list[tuple[int, int]] = []
    for t in order[: 4 * max_moves]:
        j, k = int(js[t]), int(ks[t])
        if j in used or k in used:
            continue
        rows = touched(j, k)
        if mark[rows].any():
            continue
        mark[rows] = True
        used.update((j, k))
        moves.append((j, k))
        if len(moves) >= max_moves:
            break
    return moves


def swap_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    chosen: np.ndarray,
    fixed: np.ndarray | None = None,
    must: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    time_limit: float = 5.0,
    max_rounds: int = 10_000,
    top: int = 8,
) -> np.ndarray:
    """Batched best-improvement interchange for maximal covering.

    Each move closes one chosen (non-``fixed``) site and opens one closed site.
    With ``cnt_i`` = number of open sites covering row ``i``: ``loss(j)`` = weight
    of rows only ``j`` covers, ``gain(k)`` = weight of uncovered rows ``k``
    covers, and the swap gains ``gain(k) − loss(j) + E[j, k]`` where ``E[j, k]``
    is the weight of rows only ``j`` covers that ``k`` also covers (a sparse
    matrix). Per round, the candidate moves are every ``(j, k)`` with
    ``E[j, k] > 0`` and each ``j`` with the ``top`` best ``gain(k)``; the improving
    ones whose row sets (rows of ``j`` and of ``k``) are pairwise disjoint are all
    applied (exact, their gains add). Moves that would uncover a ``must`` row are
    not taken. Stops at a local optimum, after ``max_rounds`` or ``time_limit`` s.
    """
    t0 = time.perf_counter()
    C = sp.csr_matrix(C)
    n, m = C.shape
    w = np.asarray(weights, dtype=float)
    CT = C.T.tocsr()
    is_open = np.zeros(m, dtype=bool)
    is_open[np.asarray(chosen, dtype=np.int64)] = True
    frozen = np.zeros(m, dtype=bool)
    if fixed is not None:
        frozen[np.asarray(fixed, dtype=np.int64)] = True
    can_open = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    must = np.zeros(n, dtype=bool) if must is None else np.asarray(must, bool)
    rows_all = np.repeat(np.arange(n), np.diff(C.indptr))
    cols_all = C.indices.astype(np.int64)
    cnt = np.bincount(rows_all, weights=is_open[cols_all], minlength=n).astype(np.int64)
    tol = 1e-9 * max(1.0, float(w.sum()))
    n_open = int(is_open.sum())

    def touched(j: int, k: int) -> np.ndarray:
        return np.concatenate([CT.indices[CT.indptr[j]:CT.indptr[j + 1]], CT.indices[CT.indptr[k]:CT.indptr[k + 1]]])

    for _ in range(max_rounds):
        if time.perf_counter() - t0 > time_limit:
            break
        alone = cnt == 1
        open_entry = is_open[cols_all]
        u = np.full(n, -1, dtype=np.int64)
        sel = open_entry & alone[rows_all]
        u[rows_all[sel]] = cols_all[sel]
        loss = np.bincount(u[alone], weights=w[alone], minlength=m)
        locked = frozen.copy()
        locked[u[alone & must]] = True
        gain = CT @ np.where(cnt == 0, w, 0.0)
        closable = is_open & ~locked
        openable = ~is_open & can_open
        if not closable.any() or not openable.any():
            break
        e_sel = alone[rows_all] & ~open_entry
        E = sp.csr_matrix((w[rows_all[e_sel]], (u[rows_all[e_sel]], cols_all[e_sel])), shape=(m, m))
        E.sum_duplicates()
        Ec = E.tocoo()
        ok = closable[Ec.row] & openable[Ec.col]
        js, ks, es = [Ec.row[ok].astype(np.int64)], [Ec.col[ok].astype(np.int64)], [Ec.data[ok]]
        # pairs without shared lonely rows: every closable j with the best few gains
        cand_k = np.flatnonzero(openable)
        best_k = cand_k[np.argsort(-gain[cand_k], kind="stable")[:top]]
        cj = np.flatnonzero(closable)
        jj, kk = np.repeat(cj, len(best_k)), np.tile(best_k, len(cj))
        js.append(jj)
        ks.append(kk)
        es.append(np.asarray(E[jj, kk]).ravel())
        js, ks, es = np.concatenate(js), np.concatenate(ks), np.concatenate(es)
        delta = gain[ks] - loss[js] + es
        moves = _accept_disjoint(delta, js, ks, touched, n, tol, max(1, n_open))
        if not moves:
            break
        for j, k in moves:
            is_open[j], is_open[k] = False, True
            cnt[CT.indices[CT.indptr[j]:CT.indptr[j + 1]]] -= 1
            cnt[CT.indices[CT.indptr[k]:CT.indptr[k + 1]]] += 1
    return np.flatnonzero(is_open & ~frozen)


def median_cost(lists: sp.csr_matrix, weights: np.ndarray, is_open: np.ndarray, far: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to the nearest open site of each row using its sorted list.

    Returns ``(d1, n1)``: the distance (``far[i]`` if no listed site is open)
    and the site index (``-1`` then).
    """
    n = lists.shape[0]
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    hit = is_open[lists.indices]
    first = np.full(n, -1, dtype=np.int64)
    pos = np.flatnonzero(hit)
    # entries are ordered by distance inside each row: first hit per row is nearest
    r = rows[pos]
    keep = np.ones(len(pos), dtype=bool)
    keep[1:] = r[1:] != r[:-1]
    first[r[keep]] = pos[keep]
    d1 = np.where(first >= 0, lists.data[np.maximum(first, 0)], far)
    n1 = np.where(first >= 0, lists.indices[np.maximum(first, 0)], -1)
    return d1, n1


def greedy_median(lists: sp.csr_matrix, weights: np.ndarray, far: np.ndarray, p: int,
                  fixed: np.ndarray | None = None, allowed: np.ndarray | None = None) -> np.ndarray:
    """Greedy p-median on sorted nearest-site lists: open the site saving the most.

    A row whose listed sites are all closed is charged ``far[i]`` (at least the
    distance beyond its list). ``fixed`` sites start open; returns new sites.
    """
    n, m = lists.shape
    w = np.asarray(weights, float)
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    dist = lists.data
    is_open = np.zeros(m, dtype=bool)
    if fixed is not None and len(fixed):
        is_open[np.asarray(fixed, np.int64)] = True
    blocked = is_open.copy()
    if allowed is not None:
        blocked |= ~np.asarray(allowed, bool)
    d1, _ = median_cost(lists, w, is_open, far)
    chosen: list[int] = []
    for _ in range(p):
        save = np.bincount(cols, weights=w[rows] * np.maximum(d1[rows] - dist, 0.0), minlength=m)
        save[blocked] = -1.0
        j = int(np.argmax(save))
        if save[j] < 0:
            break
        chosen.append(j)
        blocked[j] = True
        is_open[j] = True
        hit = cols == j
        d1[rows[hit]] = np.minimum(d1[rows[hit]], dist[hit])
    return np.array(sorted(chosen), dtype=np.int64)


def swap_median(lists: sp.csr_matrix, weights: np.ndarray, far: np.ndarray, chosen: np.ndarray,
                fixed: np.ndarray | None = None, allowed: np.ndarray | None = None,
                time_limit: float = 5.0, max_rounds: int = 10_000, top: int = 8) -> np.ndarray:
    """Batched best-improvement interchange (fast interchange à la Whitaker) on sorted lists.

    With ``d1``/``d2`` the distances to the nearest and second-nearest open
    sites and ``n1`` the nearest: ``gain(k) = Σ w (d1 − d_ik)⁺``, ``loss(j) = Σ_{n1=j}
    w (d2 − d1)`` and the swap (close ``j``, open ``k``) saves ``gain(k) − loss(j) +
    E[j, k]`` with ``E[j, k] = Σ_{n1(i)=j, d_ik<d2_i} w_i (d2_i − max(d_ik, d1_i))``,
    a sparse matrix over list entries. Exact when every row's two nearest open
    sites are in its list; rows without them use ``far`` (a lower bound).

    Per round, every improving move among the ``E`` entries and each ``j`` with the
    ``top`` best gains is a candidate; moves whose touched rows (rows served by
    ``j`` or having ``j`` second, rows for which ``k`` would be nearer than
    their second site) are pairwise disjoint are applied together (their
    savings add up exactly).
    """
    t0 = time.perf_counter()
    n, m = lists.shape
    w = np.asarray(weights, float)
    rows = np.repeat(np.arange(n), np.diff(lists.indptr))
    cols = lists.indices.astype(np.int64)
    dist = lists.data
    by_col = sp.csc_matrix((np.arange(len(rows), dtype=np.int64) + 1, (rows, cols)), shape=(n, m))
    is_open = np.zeros(m, dtype=bool)
    is_open[np.asarray(chosen, np.int64)] = True
    frozen = np.zeros(m, dtype=bool)
    if fixed is not None and len(fixed):
        frozen[np.asarray(fixed, np.int64)] = True
        is_open |= frozen
    can_open = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, bool)
    scale = float(w @ np.where(np.isfinite(far), far, 0.0)) + 1.0
    for _ in range(max_rounds):
        if time.perf_counter() - t0 > time_limit:
            break
        d1, n1 = median_cost(lists, w, is_open, far)
        hit = is_open[cols] & (cols != n1[rows])
        d2 = np.full(n, np.inf)
        n2 = np.full(n, -1, dtype=np.int64)
        pos = np.flatnonzero(hit)
        r = rows[pos]
        keep = np.ones(len(pos), dtype=bool)
        keep[1:] = r[1:] != r[:-1]
        d2[r[keep]] = dist[pos[keep]]
        n2[r[keep]] = cols[pos[keep]]
        d2 = np.where(np.isfinite(d2), d2, np.maximum(far, d1))
        gain = np.bincount(cols, weights=w[rows] * np.maximum(d1[rows] - dist, 0.0), minlength=m)
        has1 = n1 >= 0
        loss = np.bincount(n1[has1], weights=w[has1] * (d2[has1] - d1[has1]), minlength=m)
        closable = is_open & ~frozen
        openable = ~is_open & can_open
        if not closable.any() or not openable.any():
            break
        e_sel = (n1[rows] >= 0) & (dist < d2[rows]) & openable[cols]
        rr = rows[e_sel]
        E = sp.csr_matrix((w[rr] * (d2[rr] - np.maximum(dist[e_sel], d1[rr])), (n1[rr], cols[e_sel])), shape=(m, m))
        E.sum_duplicates()
        Ec = E.tocoo()
        ok = closable[Ec.row]
        js, ks, es = [Ec.row[ok].astype(np.int64)], [Ec.col[ok].astype(np.int64)], [Ec.data[ok]]
        cand_k = np.flatnonzero(openable)
        best_k = cand_k[np.argsort(-gain[cand_k], kind="stable")[:top]]
        cj = np.flatnonzero(closable)
        jj, kk = np.repeat(cj, len(best_k)), np.tile(best_k, len(cj))
        js.append(jj)
        ks.append(kk)
        es.append(np.asarray(E[jj, kk]).ravel())
        js, ks, es = np.concatenate(js), np.concatenate(ks), np.concatenate(es)
        delta = gain[ks] - loss[js] + es
        served = sp.csr_matrix((np.ones(int(has1.sum())), (n1[has1], np.flatnonzero(has1))), shape=(m, n))
        has2 = n2 >= 0
        second = sp.csr_matrix((np.ones(int(has2.sum())), (n2[has2], np.flatnonzero(has2))), shape=(m, n))

        def touched(j: int, k: int) -> np.ndarray:
            ent = by_col.data[by_col.indptr[k]:by_col.indptr[k + 1]] - 1
            near = rows[ent][dist[ent] < d2[rows[ent]]]
            return np.concatenate([served.indices[served.indptr[j]:served.indptr[j + 1]],
                                   second.indices[second.indptr[j]:second.indptr[j + 1]], near])

        moves = _accept_disjoint(delta, js, ks, touched, n, 1e-9 * scale, max(1, int(closable.sum())))
        if not moves:
            break
        for j, k in moves:
            is_open[j], is_open[k] = False, True
    return np.flatnonzero(is_open & ~frozen)


def perturb_cover(
    C: sp.csr_matrix,
    weights: np.ndarray,
    chosen: np.ndarray,
    time_limit: float,
    must: np.ndarray | None = None,
    share: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Iterated local search for maximal covering: drop a random ``share`` of the
    chosen sites, refill greedily, run :func:`swap_cover`; keep the better plan.

    Seeded (reproducible for a given number of rounds); returns the best plan.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    C = sp.csr_matrix(C)
    w = np.asarray(weights, float)
    A = sp.csc_matrix(C, dtype=float)
    p = len(chosen)

    def value(S: np.ndarray) -> float:
        return float(w[np.asarray(A[:, S].sum(axis=1)).ravel() > 0].sum())

    best, best_v = np.asarray(chosen, np.int64), value(np.asarray(chosen, np.int64))
    r = max(1, int(round(share * p)))
    while p > 0 and time.perf_counter() - t0 < time_limit:
        keep = np.delete(best, rng.choice(p, size=min(r, p), replace=False))
        covered = np.asarray(A[:, keep].sum(axis=1)).ravel() > 0
        allowed = np.ones(C.shape[1], dtype=bool)
        allowed[keep] = False
        rest_must = None if must is None else (must & ~covered)
        add = greedy_cover(C, np.where(covered, 0.0, w), p - len(keep), must=rest_must, allowed=allowed)
        if add is None:
            continue
        cand = np.concatenate([keep, add])
        cand = swap_cover(C, w, cand, must=must, time_limit=max(0.0, time_limit - (time.perf_counter() - t0)))
        v = value(cand)
        if v > best_v and (must is None or bool(np.all(np.asarray(A[:, cand].sum(axis=1)).ravel()[must] > 0))):
            best, best_v = cand, v
    return np.sort(best)


def perturb_median(
    lists: sp.csr_matrix,
    weights: np.ndarray,
    far: np.ndarray,
    chosen: np.ndarray,
    time_limit: float,
    fixed: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    share: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Iterated local search for the p-median on lists: close a random ``share`` of
    the chosen sites, reopen greedily, run :func:`swap_median`; keep the cheaper plan.
    Costs are list costs (``far`` beyond a list), as in the other median heuristics."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    w = np.asarray(weights, float)
    m = lists.shape[1]
    fixed = np.zeros(0, np.int64) if fixed is None else np.asarray(fixed, np.int64)
    base = np.zeros(m, dtype=bool)
    base[fixed] = True

    def cost(S: np.ndarray) -> float:
        is_open = base.copy()
        is_open[S] = True
        return float(w @ median_cost(lists, w, is_open, far)[0])

    best = np.asarray(chosen, np.int64)
    best_c = cost(best)
    p = len(best)
    r = max(1, int(round(share * p)))
    while p > 0 and time.perf_counter() - t0 < time_limit:
        keep = np.delete(best, rng.choice(p, size=min(r, p), replace=False))
        allow = np.ones(m, dtype=bool) if allowed is None else np.asarray(allowed, bool).copy()
        allow[keep] = False
        add = greedy_median(lists, w, far, p - len(keep), fixed=np.concatenate([fixed, keep]), allowed=allow)
        cand = np.concatenate([keep, add])
        cand = swap_median(lists, w, far, cand, fixed=fixed, allowed=allowed,
                           time_limit=max(0.0, time_limit - (time.perf_counter() - t0)))
        c = cost(cand)
        if c < best_c:
            best, best_c = cand, c
    return np.sort(best)
