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


@njit(inline="always")
def _take(d, bd, ties):
    """The tie-break every move loop shares: (take the move, new best delta, new tie count).
    A clearly better delta starts a new tie; one within EPS of the best joins it and wins
    with probability 1/ties (reservoir sampling: each tied move equally likely, and one
    random draw per tie, in the order the moves are looked at)."""
    if d > bd + EPS:
        return True, d, 1
    ties += 1
    return np.random.randint(ties) == 0, bd, ties


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
def group_score(D, assign, m):
    """The same as score, reading only pairs inside groups: about u x group size."""
    u = D.shape[0]
    order = np.argsort(assign, kind="mergesort")
    total = 0.0
    begin = 0
    while begin < u:
        end = begin
        while end < u and assign[order[end]] == assign[order[begin]]:
            end += 1
        for p in range(begin, end):
            for q in range(p + 1, end):
                total += D[order[p], order[q]]
        begin = end
    return total


@njit(cache=True)
def _cannot_counts(CL, has_cl, assign, u, m):
    """C[i, g]: how many of i's cannot-links are in group g (placed units only)."""
    C = np.zeros((u if has_cl else 1, m), np.int64)
    if has_cl:
        for i in range(u):
            for j in range(u):
                if CL[i, j] and assign[j] >= 0:
                    C[i, assign[j]] += 1
    return C


@njit(cache=True)
def _place(CL, has_cl, C, i, g):
    if has_cl:
        for k in range(C.shape[0]):
            if CL[k, i]:
                C[k, g] += 1


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
    C = _cannot_counts(CL, has_cl, assign, u, m)
    for t in range(u):
        i = order[t]
        need = 0
        room = 0
        for g in range(m):
            if cnt[g] + w[i] <= hi[g] and not (has_cl and C[i, g] > 0):
                room += 1
                if cnt[g] < lo[g]:
                    need += 1
        if room == 0:
            return assign, False
        pick = np.random.randint(need if need > 0 else room)
        for g in range(m):
            fits = cnt[g] + w[i] <= hi[g] and not (has_cl and C[i, g] > 0)
            if fits and (need == 0 or cnt[g] < lo[g]):
                if pick == 0:
                    assign[i] = g
                    cnt[g] += w[i]
                    _place(CL, has_cl, C, i, g)
                    break
                pick -= 1
    for g in range(m):
        if cnt[g] < lo[g]:
            return assign, False
    return assign, True


@njit(cache=True)
def greedy_feasible(D, w, lo, hi, CL, has_cl, seed):
    """A partition built group by group for large pools; (assign, ok). Each group starts
    from a random unplaced unit and takes, one at a time, the unplaced unit that scores
    best with the members it has, up to its share of the pool (its lower bound plus an
    even part of the rest). About u x u steps in all: a start that a tabu search of a
    large pool needs a few hundred moves to polish, where a random start needs thousands.
    The last groups take what is left; ok is False when that breaks a bound or a link."""
    np.random.seed(seed)
    u = D.shape[0]
    m = lo.shape[0]
    total = 0
    for i in range(u):
        total += w[i]
    target = lo.copy()
    extra = total
    for g in range(m):
        extra -= lo[g]
    while extra > 0:
        grew = False
        for g in np.random.permutation(m):
            if extra > 0 and target[g] < hi[g]:
                target[g] += 1
                extra -= 1
                grew = True
        if not grew:
            break
    assign = -np.ones(u, np.int64)
    cnt = np.zeros(m, np.int64)
    C = _cannot_counts(CL, has_cl, assign, u, m)
    pull = np.zeros(u)
    left = u
    for g in np.random.permutation(m):
        if left == 0:
            break
        pull[:] = 0.0
        first = True
        while cnt[g] < target[g] and left > 0:
            pick = -1
            if first:
                # A random unplaced unit that fits (the last that fits, if fewer do).
                r = np.random.randint(left)
                for i in range(u):
                    fits = assign[i] < 0 and cnt[g] + w[i] <= hi[g]
                    if fits and not (has_cl and C[i, g] > 0):
                        pick = i
                        if r == 0:
                            break
                        r -= 1
                first = False
            else:
                best = -1e300
                for i in range(u):
                    if assign[i] >= 0 or cnt[g] + w[i] > target[g]:
                        continue
                    if has_cl and C[i, g] > 0:
                        continue
                    if pull[i] > best:
                        best = pull[i]
                        pick = i
            if pick < 0:
                break
            assign[pick] = g
            cnt[g] += w[pick]
            left -= 1
            _place(CL, has_cl, C, pick, g)
            for k in range(u):
                pull[k] += D[pick, k]
    # Anything left over (weights that did not fit the shares) goes where it scores best.
    for i in range(u):
        if assign[i] >= 0:
            continue
        best = -1e300
        bg = -1
        for g in range(m):
            if cnt[g] + w[i] > hi[g] or (has_cl and C[i, g] > 0):
                continue
            v = 0.0
            for k in range(u):
                if assign[k] == g:
                    v += D[i, k]
            if v > best:
                best = v
                bg = g
        if bg < 0:
            return assign, False
        assign[i] = bg
        cnt[bg] += w[i]
        _place(CL, has_cl, C, i, bg)
    for g in range(m):
        if cnt[g] < lo[g] or cnt[g] > hi[g]:
            return assign, False
    return assign, True


@njit(cache=True)
def tabu_search(D, w, lo, hi, CL, has_cl, assign, max_iter, depth, tmin, trand, seed, pairs=False):
    """Tabu search over one-moves and swaps from ``assign`` (changed in place), in one call,
    over the whole swap neighbourhood (``pairs``: by tabu_run_pairs, which keeps each pair
    of groups' best swap between iterations). Stops after ``max_iter`` iterations or
    ``depth`` iterations without a new best. Returns (best score, best assignment,
    iterations run)."""
    u = D.shape[0]
    best_assign = assign.copy()
    tabu = np.zeros((u, lo.shape[0]), np.int64)
    counters = np.zeros(2, np.int64)
    if pairs:
        best, its, _ = tabu_run_pairs(
            D,
            w,
            lo,
            hi,
            CL,
            has_cl,
            assign,
            best_assign,
            tabu,
            counters,
            -1e300,
            max_iter,
            depth,
            tmin,
            trand,
            seed,
        )
    else:
        best, its, _ = tabu_run(
            D,
            w,
            lo,
            hi,
            CL,
            has_cl,
            assign,
            best_assign,
            tabu,
            counters,
            -1e300,
            max_iter,
            depth,
            tmin,
            trand,
            seed,
        )
    return best, best_assign, its


@njit(cache=True)
def tabu_run(
    D,
    w,
    lo,
    hi,
    CL,
    has_cl,
    assign,
    best_assign,
    tabu,
    counters,
    best_in,
    max_iter,
    depth,
    tmin,
    trand,
    seed,
):
    """One stretch of a tabu search over one-moves and swaps, resumable: ``assign`` (the
    current partition), ``best_assign``, ``tabu`` (the iteration until which unit i may not
    return to group g) and ``counters`` ([iterations so far, iterations since a new best])
    are the search's state, changed in place; ``best_in`` is the best score so far (below
    -1e299: none yet, the search starts here). A search split into stretches follows the
    same kind of path as one long call, so the caller can look at the clock between them.
    Every swap is looked at (u x u pairs an iteration); tabu_run_candidates is the
    neighbourhood for large pools.

    Stops after ``max_iter`` iterations, or at ``depth`` iterations without a new best.
    Returns (best score, iterations run in this stretch, finished: no more to do).
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
    if best_in < -1e299:
        best = cur
        best_assign[:] = assign
    else:
        best = best_in
    G = np.zeros((u, m))
    colmax = np.zeros(m)
    dmin = np.zeros(u)
    for i in range(u):
        lowest = 1e300
        for j in range(u):
            if j != i and D[i, j] < lowest:
                lowest = D[i, j]
        dmin[i] = lowest if u > 1 else 0.0
    it = counters[0]
    stall = counters[1]
    ran = 0
    finished = False
    while True:
        if stall >= depth:
            finished = True
            break
        if ran >= max_iter:
            break
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
                if d > bd - EPS:
                    take, bd, ties = _take(d, bd, ties)
                    if take:
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
                take, bd, ties = _take(d, bd, ties)
                if take:
                    kind = 2
                    bi = i
                    bj = j
        if kind == 0:
            finished = True
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
        ran += 1
        if cur > best + EPS:
            best = cur
            best_assign[:] = assign
            stall = 0
        else:
            stall += 1
    counters[0] = it
    counters[1] = stall
    return best, ran, finished


@njit(cache=True)
def _top_row(MT, assign, top, topv, k):
    """Rebuild unit k's candidate list: the K groups other than its own where MT[g, k] (its
    scores with the group's members) is highest, best first."""
    K = top.shape[1]
    m = MT.shape[0]
    a = assign[k]
    filled = 0
    for g in range(m):
        if g == a:
            continue
        v = MT[g, k]
        if filled == K and v <= topv[k, K - 1]:
            continue
        p = filled if filled < K else K - 1
        while p > 0 and topv[k, p - 1] < v:
            topv[k, p] = topv[k, p - 1]
            top[k, p] = top[k, p - 1]
            p -= 1
        topv[k, p] = v
        top[k, p] = g
        if filled < K:
            filled += 1
    for p in range(filled, K):
        top[k, p] = -1
        topv[k, p] = -1e300


@njit(cache=True)
def _top_update(MT, assign, top, topv, k, g):
    """MT[g, k] has just changed: keep k's candidate list right without rescanning the row,
    unless a listed group fell (then a group off the list may now be better: rescan)."""
    if g == assign[k]:
        return
    K = top.shape[1]
    v = MT[g, k]
    for p in range(K):
        if top[k, p] == g:
            if v < topv[k, p]:
                _top_row(MT, assign, top, topv, k)
                return
            topv[k, p] = v
            while p > 0 and topv[k, p - 1] < v:
                topv[k, p] = topv[k, p - 1]
                top[k, p] = top[k, p - 1]
                topv[k, p - 1] = v
                top[k, p - 1] = g
                p -= 1
            return
    if v > topv[k, K - 1]:
        p = K - 1
        while p > 0 and topv[k, p - 1] < v:
            topv[k, p] = topv[k, p - 1]
            top[k, p] = top[k, p - 1]
            p -= 1
        topv[k, p] = v
        top[k, p] = g


@njit(cache=True)
def tabu_run_candidates(
    D,
    w,
    lo,
    hi,
    CL,
    has_cl,
    assign,
    best_assign,
    tabu,
    counters,
    best_in,
    max_iter,
    depth,
    tmin,
    trand,
    seed,
    K,
):
    """tabu_run for large pools, with candidate lists kept up to date move by move.

    Each unit keeps its K best other groups (by its scores with their members). A move
    changes two columns of M, so each list is updated in O(K), and rescanned (O(groups))
    only when a listed group fell, about K in every groups-many rows: an iteration costs
    about u x K x (group size + 1) move evaluations, not u x u. Unit i is moved only to,
    or swapped only with the members of, the groups on its list; a swap of i (in a) with
    j (in b) is found from i's side when b is on i's list, or from j's when a is on j's.
    Units are looked at in turn, from where the last iteration stopped, and the first
    unit with an improving move makes it (its best): far from a local optimum, as after a
    random start, an iteration then costs a handful of units' lists, not the whole pool's.
    Only when no unit can improve is every list read, and the best admissible move made,
    as in tabu_run.

    ``D`` must be exactly symmetric. Same state and returns as tabu_run, with a third
    counter: the unit to look at first.
    """
    np.random.seed(seed)
    u = D.shape[0]
    m = lo.shape[0]
    K = max(1, min(K, m - 1))
    # Kept group by group (MT[g, k] = M[k, g]): a move updates two of its rows, in order.
    MT = np.ascontiguousarray(unit_matrix(D, assign, m).T)
    cnt = np.zeros(m, np.int64)
    for i in range(u):
        cnt[assign[i]] += w[i]
    C = np.zeros((u, m), np.int64)
    if has_cl:
        for i in range(u):
            for j in range(u):
                if CL[i, j]:
                    C[i, assign[j]] += 1
    cap = 0
    for g in range(m):
        if hi[g] > cap:
            cap = hi[g]
    # One spare place: a swap puts the incoming member in before the outgoing one leaves.
    members = np.zeros((m, cap + 1), np.int64)
    gsize = np.zeros(m, np.int64)
    slot = np.zeros(u, np.int64)
    for i in range(u):
        g = assign[i]
        members[g, gsize[g]] = i
        slot[i] = gsize[g]
        gsize[g] += 1
    top = np.zeros((u, K), np.int64)
    topv = np.zeros((u, K))
    for k in range(u):
        _top_row(MT, assign, top, topv, k)
    cur = 0.0
    for i in range(u):
        cur += MT[assign[i], i]
    cur *= 0.5
    if best_in < -1e299:
        best = cur
        best_assign[:] = assign
    else:
        best = best_in
    it = counters[0]
    stall = counters[1]
    start = counters[2] % u
    ran = 0
    finished = False
    while True:
        if stall >= depth:
            finished = True
            break
        if ran >= max_iter:
            break
        bd = -1e300
        kind = 0
        bi = -1
        bj = -1
        bb = -1
        ties = 0
        for t in range(u):
            if bd > EPS:
                break  # the unit before found an improving move: make it
            i = start + t
            if i >= u:
                i -= u
            a = assign[i]
            wi = w[i]
            mia = MT[a, i]
            can_leave = cnt[a] - wi >= lo[a]
            for p in range(K):
                b = top[i, p]
                if b < 0:
                    break
                gib = MT[b, i] - mia
                # The one-move of i to b.
                if can_leave and cnt[b] + wi <= hi[b] and not (has_cl and C[i, b] > 0):
                    d = gib
                    if not (tabu[i, b] > it and cur + d <= best + EPS) and d > bd - EPS:
                        take, bd, ties = _take(d, bd, ties)
                        if take:
                            kind = 1
                            bi = i
                            bb = b
                # Swaps of i with each member of b.
                for r in range(gsize[b]):
                    j = members[b, r]
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
                    d = gib + MT[a, j] - MT[b, j] - 2.0 * D[i, j]
                    if d < bd - EPS:
                        continue
                    if (tabu[i, b] > it or tabu[j, a] > it) and cur + d <= best + EPS:
                        continue
                    take, bd, ties = _take(d, bd, ties)
                    if take:
                        kind = 2
                        bi = i
                        bj = j
        if kind == 0:
            finished = True
            break
        start = bi + 1 if bi + 1 < u else 0
        movers = 1 if kind == 1 else 2
        a_i = assign[bi]
        b_i = bb if kind == 1 else assign[bj]
        for step in range(movers):
            x = bi if step == 0 else bj
            src = a_i if step == 0 else b_i
            dst = b_i if step == 0 else a_i
            assign[x] = dst
            for k in range(u):
                dk = D[x, k]
                MT[src, k] -= dk
                MT[dst, k] += dk
            for k in range(u):
                if k == x:
                    _top_row(MT, assign, top, topv, k)
                else:
                    _top_update(MT, assign, top, topv, k, src)
                    _top_update(MT, assign, top, topv, k, dst)
            if has_cl:
                for k in range(u):
                    if CL[k, x]:
                        C[k, src] -= 1
                        C[k, dst] += 1
            last = members[src, gsize[src] - 1]
            members[src, slot[x]] = last
            slot[last] = slot[x]
            gsize[src] -= 1
            members[dst, gsize[dst]] = x
            slot[x] = gsize[dst]
            gsize[dst] += 1
            cnt[src] -= w[x]
            cnt[dst] += w[x]
            tabu[x, src] = it + tmin + np.random.randint(trand + 1)
        cur += bd
        it += 1
        ran += 1
        if cur > best + EPS:
            best = cur
            best_assign[:] = assign
            stall = 0
        else:
            stall += 1
    counters[0] = it
    counters[1] = stall
    counters[2] = start
    return best, ran, finished


@njit(cache=True)
def crossover(D, w, lo, hi, CL, has_cl, pa, pb, seed):
    """Group-based crossover: take whole groups alternately from the two parents, each time
    the group whose still-unplaced members score best together, whatever its number in the
    parent (group numbers are arbitrary labels: two parents can hold the same group under
    different numbers); then place the rest greedily, first where groups are short.
    A group goes to its own slot when that is free and holds it, else to the free slot
    whose bounds fit its unplaced members most closely (with fixed sizes: the smallest
    slot that holds them, the rest then filled greedily). Returns (child, ok). Each step
    reads only the members of each group (about u x group size pairs), not every pair."""
    np.random.seed(seed)
    u = D.shape[0]
    m = lo.shape[0]
    child = -np.ones(u, np.int64)
    cnt = np.zeros(m, np.int64)
    used = np.zeros(m, np.bool_)  # slots of the child taken
    taken = np.zeros((2, m), np.bool_)  # groups of each parent taken (or emptied)
    first = np.random.randint(2)
    # Each parent's units listed group by group: order[start[g]:start[g + 1]] is group g.
    orders = np.zeros((2, u), np.int64)
    starts = np.zeros((2, m + 1), np.int64)
    for side in range(2):
        parent = pa if side == 0 else pb
        orders[side, :] = np.argsort(parent, kind="mergesort")
        for i in range(u):
            starts[side, parent[i] + 1] += 1
        for g in range(m):
            starts[side, g + 1] += starts[side, g]
    for step in range(m):
        side = (step + first) % 2
        best_g = -1
        best_v = -1e300
        best_k = 0
        for g in range(m):
            if taken[side, g]:
                continue
            v = 0.0
            k = 0
            for p in range(starts[side, g], starts[side, g + 1]):
                i = orders[side, p]
                if child[i] >= 0:
                    continue
                k += w[i]
                for q in range(p + 1, starts[side, g + 1]):
                    j = orders[side, q]
                    if child[j] < 0:
                        v += D[i, j]
            if k == 0:
                taken[side, g] = True  # nothing of it left to place
                continue
            if v > best_v:
                best_v = v
                best_g = g
                best_k = k
        if best_g < 0:
            break
        taken[side, best_g] = True
        slot = best_g
        if used[slot] or best_k > hi[slot]:
            slot = -1
            fit = 1 << 60
            for g in range(m):
                if used[g] or best_k > hi[g]:
                    continue
                f = hi[g] - best_k + (lo[g] - best_k if lo[g] > best_k else 0)
                if f < fit:
                    fit = f
                    slot = g
            if slot < 0:
                continue  # no free slot holds it: its members are placed greedily below
        used[slot] = True
        for p in range(starts[side, best_g], starts[side, best_g + 1]):
            i = orders[side, p]
            if child[i] < 0:
                child[i] = slot
                cnt[slot] += w[i]
    # Greedy completion on the unit-to-group matrix of what is placed so far.
    M = np.zeros((u, m))
    for i in range(u):
        for j in range(u):
            if child[j] >= 0:
                M[i, child[j]] += D[i, j]
    C = _cannot_counts(CL, has_cl, child, u, m)
    left = np.zeros(u, np.int64)
    nleft = 0
    for i in range(u):
        if child[i] < 0:
            left[nleft] = i
            nleft += 1
    while nleft > 0:
        short = False
        for g in range(m):
            if cnt[g] < lo[g]:
                short = True
                break
        bt = -1
        bg = -1
        bv = -1e300
        for t in range(nleft):
            i = left[t]
            for g in range(m):
                if short and cnt[g] >= lo[g]:
                    continue
                if cnt[g] + w[i] > hi[g] or (has_cl and C[i, g] > 0):
                    continue
                if M[i, g] > bv:
                    bv = M[i, g]
                    bt = t
                    bg = g
        if bt < 0:
            return child, False
        bi = left[bt]
        # Keep the list in order (the first best wins ties, as it always has).
        for t in range(bt, nleft - 1):
            left[t] = left[t + 1]
        nleft -= 1
        child[bi] = bg
        cnt[bg] += w[bi]
        _place(CL, has_cl, C, bi, bg)
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


@njit(cache=True)
def _pair_best(D, w, lo, hi, CL, has_cl, C, M, cnt, members, gsize, tabu, it, a, b, out):
    """The best swap between groups a and b: out = [best admissible delta, its i, its j,
    best tabu delta, its i, its j, iteration at which a tabu swap that beat the admissible
    best when it was read becomes admissible]. Ties among the admissible swaps are broken
    at random, one draw per tie, in the order the members are listed."""
    bv = -1e300
    bi = -1
    bj = -1
    tv = -1e300
    ti = -1
    tj = -1
    expires = 1 << 62
    ties = 0
    for r in range(gsize[a]):
        i = members[a, r]
        wi = w[i]
        gib = M[i, b] - M[i, a]
        tib = tabu[i, b]
        for q in range(gsize[b]):
            j = members[b, q]
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
            d = gib + M[j, a] - M[j, b] - 2.0 * D[i, j]
            t = tabu[j, a]
            if tib > t:
                t = tib
            if t > it:
                if d > tv:
                    tv = d
                    ti = i
                    tj = j
                if d > bv - EPS and t < expires:
                    expires = t
                continue
            if d < bv - EPS:
                continue
            take, bv, ties = _take(d, bv, ties)
            if take:
                bi = i
                bj = j
    out[0] = bv
    out[1] = bi
    out[2] = bj
    out[3] = tv
    out[4] = ti
    out[5] = tj
    out[6] = expires


@njit(cache=True)
def tabu_run_pairs(
    D,
    w,
    lo,
    hi,
    CL,
    has_cl,
    assign,
    best_assign,
    tabu,
    counters,
    best_in,
    max_iter,
    depth,
    tmin,
    trand,
    seed,
):
    """tabu_run with the best swap of each pair of groups kept between iterations.

    A move changes the scores of two groups (two columns of M) and who is in them, so only
    the pairs of groups that include one of the two can have a new best swap: about
    2 x groups x group size^2 evaluations an iteration instead of u^2 / 2 (a fifth at 20
    groups of 24). A pair is also read again when a tabu swap that beat its best becomes
    admissible, and a tabu best is taken when it meets the aspiration rule. One-moves are
    read in full (u x groups). Same state, arguments and returns as tabu_run.
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
    cap = 0
    for g in range(m):
        if hi[g] > cap:
            cap = hi[g]
    members = np.zeros((m, cap + 1), np.int64)
    gsize = np.zeros(m, np.int64)
    slot = np.zeros(u, np.int64)
    for i in range(u):
        g = assign[i]
        members[g, gsize[g]] = i
        slot[i] = gsize[g]
        gsize[g] += 1
    cur = 0.0
    for i in range(u):
        cur += M[i, assign[i]]
    cur *= 0.5
    if best_in < -1e299:
        best = cur
        best_assign[:] = assign
    else:
        best = best_in
    # pairs[a, b] (a < b): the row _pair_best fills; dirty: to be read again.
    pairs = np.zeros((m, m, 7))
    dirty = np.ones((m, m), np.bool_)
    it = counters[0]
    stall = counters[1]
    ran = 0
    finished = False
    while True:
        if stall >= depth:
            finished = True
            break
        if ran >= max_iter:
            break
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
                if d > bd - EPS:
                    take, bd, ties = _take(d, bd, ties)
                    if take:
                        kind = 1
                        bi = i
                        bb = b
        for a in range(m):
            for b in range(a + 1, m):
                row = pairs[a, b]
                if dirty[a, b] or row[6] <= it:
                    _pair_best(
                        D, w, lo, hi, CL, has_cl, C, M, cnt, members, gsize, tabu, it, a, b, row
                    )
                    dirty[a, b] = False
                d = row[0]
                x = int(row[1])
                y = int(row[2])
                if row[3] > d and cur + row[3] > best + EPS:
                    d = row[3]
                    x = int(row[4])
                    y = int(row[5])
                if x < 0 or d < bd - EPS:
                    continue
                take, bd, ties = _take(d, bd, ties)
                if take:
                    kind = 2
                    bi = x
                    bj = y
        if kind == 0:
            finished = True
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
            last = members[src, gsize[src] - 1]
            members[src, slot[x]] = last
            slot[last] = slot[x]
            gsize[src] -= 1
            members[dst, gsize[dst]] = x
            slot[x] = gsize[dst]
            gsize[dst] += 1
            assign[x] = dst
            cnt[src] -= w[x]
            cnt[dst] += w[x]
            tabu[x, src] = it + tmin + np.random.randint(trand + 1)
        for g in range(m):
            for h in (a_i, b_i):
                if g < h:
                    dirty[g, h] = True
                elif h < g:
                    dirty[h, g] = True
        cur += bd
        it += 1
        ran += 1
        if cur > best + EPS:
            best = cur
            best_assign[:] = assign
            stall = 0
        else:
            stall += 1
    counters[0] = it
    counters[1] = stall
    return best, ran, finished
