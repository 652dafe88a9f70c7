"""Baseline: the `anti-clustering` package's exchange method on one MDGPLIB instance.

Runs in its own virtual environment (bench/.venv-anticlust: the package pins numpy<2,
which the product does not use). Prints the group of each element, one per line; the
caller checks feasibility and computes the objective itself.
"""

import sys

import numpy as np
from anti_clustering import ExchangeHeuristicAntiClustering

path, seed = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    head = f.readline().split()
    n, m = int(head[0]), int(head[1])
    scores = np.zeros((n, n))
    for line in f:
        parts = line.split()
        if len(parts) == 3:
            i, j, d = int(parts[0]), int(parts[1]), float(parts[2])
            scores[i, j] = scores[j, i] = d
solver = ExchangeHeuristicAntiClustering(random_seed=seed, restarts=1)
same = solver._solve(distance_matrix=scores, num_groups=m)  # n x n: True where together
labels = -np.ones(n, dtype=int)
next_label = 0
for i in range(n):
    if labels[i] < 0:
        members = np.union1d(np.flatnonzero(same[i]), [i])
        labels[members] = next_label
        next_label += 1
print("\n".join(str(x) for x in labels))
