"""The engine's inner loops, compiled by numba (cached on disk, so a web worker does not
recompile). Every kernel works on "units": people joined by must-links, with weight w.

Moves are evaluated in O(1) from M, the unit-to-group score matrix: M[i, g] is the sum of
scores between unit i and the units in group g. Moving i from a to b changes the objective
by M[i, b] - M[i, a]; swapping i (in a) with j (in b) by
M[i, b] - M[i, a] + M[j, a] - M[j, b] - 2 s_ij.
"""

from __future__ import annotations

import numpy as np
from numba import njit

EPS = 1e-9


@njit(cache=True)
def unit_matrix(D, assign, m):
    u = D.shape[0]
    M = np.zeros((u, m))
    for i in range(u):
        for j in range(u):
            M[i, assign[j]] += D[i, j]
    return M


@njit(cache=True)
def score(D, assign):
    total = 0.0
    u = D.shape[0]
    for i in range(u):
        for j in range(i + 1, u):
            if assign[i] == assign[j]:
                total += D[i, j]
    return total


@njit(cache=True)
def _fits(w, lo, hi, CL, has_cl, assign, cnt, i, g):
    if cnt[g] + w[i] > hi[g]:
        return False
    if has_cl:
        for k in range(assign.shape[0]):
            if assign[k] == g and CL[i, k]:
                return False
    return True


@njit(cache=True)
def random_feasible(w, lo, hi, CL, has_cl, seed):
    """A random partition within bounds and links; (assign, ok). Heaviest units go first,
    each to a random group that still needs people, else to one with room."""
    np.random.seed(seed)
    u = w.shape[0]
    m = lo.shape[0]
    order = np.argsort(-(w * 1000 + np.random.permutation(u)))
    assign = -np.ones(u, np.int64)
    cnt = np.zeros(m, np.int64)
    for t in range(u):
        i = order[t]
        need = 0
        room = 0
        for g in range(m):
            if _fits(w, lo, hi, CL, has_cl, assign, cnt, i, g):
                room += 1
                if cnt[g] < lo[g]:
                    need += 1
        if room == 0:
            return assign, False
        pick = np.random.randint(need if need > 0 else room)
        for g in range(m):
            if _fits(w, lo, hi, CL, has_cl, assign, cnt, i, g) and (need == 0 or cnt[g] < lo[g]):
                if pick == 0:
                    assign[i] = g
                    cnt[g] += w[i]
                    break
                pick -= 1
    for g in range(m):
        if cnt[g] < lo[g]:
            return assign, False
    return assign, True


@njit(cache=True)
def tabu_search(D, w, lo, hi, CL, has_cl, assign, max_iter, depth, tmin, trand, seed):
    """Tabu search over one-moves and swaps from ``assign`` (changed in place).

    Stops after ``max_iter`` iterations or ``depth`` iterations without a new best.
    Returns (best score, best assignment, iterations run).
    """
    np.random.seed(seed)
    u = D.shape[0]
    m = lo.shape[0]
    M = unit_matrix(D, assign, m)
    cnt = np.zeros(m, np.int64)
    for i in range(u):
        cnt[assign[i]] += w[i]
    C = np.zeros((u, m), np.int64)
    if has_cl:
        for i in range(u):
            for j in range(u):
                if CL[i, j]:
                    C[i, assign[j]] += 1
    cur = 0.0
    for i in range(u):
        cur += M[i, assign[i]]
    cur *= 0.5
    best = cur
    best_assign = assign.copy()
    tabu = np.zeros((u, m), np.int64)
    G = np.zeros((u, m))
    colmax = np.zeros(m)
    dmin = np.zeros(u)
    for i in range(u):
        lowest = 1e300
        for j in range(u):
            if j != i and D[i, j] < lowest:
                lowest = D[i, j]
        dmin[i] = lowest if u > 1 else 0.0
    stall = 0
    it = 0
    while it < max_iter and stall < depth:
        bd = -1e300
        kind = 0
        bi = -1
        bj = -1
        bb = -1
        ties = 0
        for i in range(u):
            a = assign[i]
            wi = w[i]
            if cnt[a] - wi < lo[a]:
                continue
            mia = M[i, a]
            for b in range(m):
                if b == a or cnt[b] + wi > hi[b]:
                    continue
                if has_cl and C[i, b] > 0:
                    continue
                d = M[i, b] - mia
                if tabu[i, b] > it and cur + d <= best + EPS:
                    continue
                if d > bd + EPS:
                    bd = d
                    kind = 1
                    bi = i
                    bb = b
                    ties = 1
                elif d > bd - EPS:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        kind = 1
                        bi = i
                        bb = b
        # Swaps. G[k, g] is the gain of moving k alone to group g; a swap of i (in a) with
        # j (in b) gains G[i, b] + G[j, a] - 2 s_ij. An i whose best gain plus the best gain
        # of anyone into its group cannot beat the best move so far is skipped whole.
        for k in range(u):
            mk = M[k, assign[k]]
            for g in range(m):
                G[k, g] = M[k, g] - mk
        for g in range(m):
            colmax[g] = -1e300
        for k in range(u):
            ak = assign[k]
            for g in range(m):
                if g != ak and G[k, g] > colmax[g]:
                    colmax[g] = G[k, g]
        for i in range(u - 1):
            a = assign[i]
            wi = w[i]
            gi_best = -1e300
            for g in range(m):
                if g != a and G[i, g] > gi_best:
                    gi_best = G[i, g]
            if gi_best + colmax[a] - 2.0 * dmin[i] < bd - EPS:
                continue
            for j in range(i + 1, u):
                b = assign[j]
                if a == b:
                    continue
                wj = w[j]
                if wi != wj:
                    na = cnt[a] - wi + wj
                    nb = cnt[b] - wj + wi
                    if na < lo[a] or na > hi[a] or nb < lo[b] or nb > hi[b]:
                        continue
                if has_cl:
                    cij = CL[i, j]
                    if C[i, b] - cij > 0 or C[j, a] - cij > 0:
                        continue
                d = G[i, b] + G[j, a] - 2.0 * D[i, j]
                if d < bd - EPS:
                    continue
                if (tabu[i, b] > it or tabu[j, a] > it) and cur + d <= best + EPS:
                    continue
                if d > bd + EPS:
                    bd = d
                    kind = 2
                    bi = i
                    bj = j
                    ties = 1
                else:
                    ties += 1
                    if np.random.randint(ties) == 0:
                        kind = 2
                        bi = i
                        bj = j
        if kind == 0:
            break
        movers = 1 if kind == 1 else 2
        a_i = assign[bi]
        b_i = bb if kind == 1 else assign[bj]
        for step in range(movers):
            x = bi if step == 0 else bj
            src = a_i if step == 0 else b_i
            dst = b_i if step == 0 else a_i
            for k in range(u):
                dk = D[k, x]
                M[k, src] -= dk
                M[k, dst] += dk
            if has_cl:
                for k in range(u):
                    if CL[k, x]:
                        C[k, src] -= 1
                        C[k, dst] += 1
            assign[x] = dst
            cnt[src] -= w[x]
            cnt[dst] += w[x]
            tabu[x, src] = it + tmin + np.random.randint(trand + 1)
        cur += bd
        it += 1
        if cur > best + EPS:
            best = cur
            best_assign[:] = assign
            stall = 0
        else:
            stall += 1
    return best, best_assign, it


@njit(cache=True)
def crossover(D, w, lo, hi, CL, has_cl, pa, pb, seed):
    """Group-based crossover: take whole groups alternately from the two parents, each time
    the group whose still-unplaced members score best together, into the same slot (so its
    size bounds still fit); then place the rest greedily, first where groups are short.
    Returns (child, ok)."""
    np.random.seed(seed)
    u = D.shape[0]
    m = lo.shape[0]
    child = -np.ones(u, np.int64)
    cnt = np.zeros(m, np.int64)
    used = np.zeros(m, np.bool_)
    first = np.random.randint(2)
    for step in range(m):
        parent = pa if (step + first) % 2 == 0 else pb
        best_g = -1
        best_v = -1e300
        for g in range(m):
            if used[g]:
                continue
            v = 0.0
            for i in range(u):
                if parent[i] != g or child[i] >= 0:
                    continue
                for j in range(i + 1, u):
                    if parent[j] == g and child[j] < 0:
                        v += D[i, j]
            if v > best_v:
                best_v = v
                best_g = g
        used[best_g] = True
        for i in range(u):
            if parent[i] == best_g and child[i] < 0:
                child[i] = best_g
                cnt[best_g] += w[i]
    # Greedy completion on the unit-to-group matrix of what is placed so far.
    M = np.zeros((u, m))
    for i in range(u):
        for j in range(u):
            if child[j] >= 0:
                M[i, child[j]] += D[i, j]
    left = 0
    for i in range(u):
        if child[i] < 0:
            left += 1
    while left > 0:
        short = False
        for g in range(m):
            if cnt[g] < lo[g]:
                short = True
                break
        bi = -1
        bg = -1
        bv = -1e300
        for i in range(u):
            if child[i] >= 0:
                continue
            for g in range(m):
                if short and cnt[g] >= lo[g]:
                    continue
                if not _fits(w, lo, hi, CL, has_cl, child, cnt, i, g):
                    continue
                if M[i, g] > bv:
                    bv = M[i, g]
                    bi = i
                    bg = g
        if bi < 0:
            return child, False
        child[bi] = bg
        cnt[bg] += w[bi]
        left -= 1
        for k in range(u):
            M[k, bg] += D[k, bi]
    for g in range(m):
        if cnt[g] < lo[g] or cnt[g] > hi[g]:
            return child, False
    return child, True


@njit(cache=True)
def exhaustive(D, lo, hi):
    """The proven optimum by enumerating every assignment (depth-first, pruned only by the
    size bounds). For tests and tiny pools: m**n leaves."""
    n = D.shape[0]
    m = lo.shape[0]
    assign = -np.ones(n, np.int64)
    cnt = np.zeros(m, np.int64)
    gain = np.zeros(n + 1)
    best = -1e300
    best_assign = assign.copy()
    need = 0
    for g in range(m):
        need += lo[g]
    t = 0
    nxt = np.zeros(n, np.int64)  # next group to try for item t
    while t >= 0:
        if t == n:
            if gain[n] > best:
                best = gain[n]
                best_assign[:] = assign
            t -= 1
            continue
        if assign[t] >= 0:  # undo the previous choice for item t
            g = assign[t]
            cnt[g] -= 1
            assign[t] = -1
        placed = False
        while nxt[t] < m:
            g = nxt[t]
            nxt[t] += 1
            if cnt[g] >= hi[g]:
                continue
            # Enough items must remain to lift every group to its lower bound.
            short = 0
            for h in range(m):
                c = cnt[h] + (1 if h == g else 0)
                if c < lo[h]:
                    short += lo[h] - c
            if short > n - t - 1:
                continue
            add = 0.0
            for k in range(t):
                if assign[k] == g:
                    add += D[t, k]
            assign[t] = g
            cnt[g] += 1
            gain[t + 1] = gain[t] + add
            placed = True
            break
        if placed:
            t += 1
            if t < n:
                nxt[t] = 0
        else:
            nxt[t] = 0
            t -= 1
    return best, best_assign
