"""Exact Shapley values of P(class 1) against a reference row, by enumerating every coalition of
inputs, with the reference data's numpy classifiers (`npimpl.py`); no radscored code.

phi_j = sum over S not holding j of |S|! (n - |S| - 1)! / n! * (f(x on S+j, r elsewhere) - f(x on S, r elsewhere))

Usage: shapley.py NPIMPL_DIR < [{"model": PATH, "x": [..], "reference": [..]}, ...]
  ->  [[phi_1, ..., phi_n], ...] as JSON (floats as repr strings).
"""

import json
import sys
from itertools import product
from math import factorial

import numpy as np

sys.path.insert(0, sys.argv[1])
import npimpl  # noqa: E402

out = []
for row in json.load(sys.stdin):
    with open(row["model"]) as f:
        model = json.load(f)
    x, r = np.array(row["x"], dtype=float), np.array(row["reference"], dtype=float)
    n = len(x)
    masks = np.array(list(product([0, 1], repeat=n)), dtype=bool)[:, ::-1]  # masks[s, j]: bit j of s
    rows = np.where(masks, x, r)
    f = npimpl.predict_proba1(model, rows)
    sizes = masks.sum(axis=1)
    phi = []
    for j in range(n):
        total = 0.0
        for s in range(len(f)):
            if not masks[s, j]:
                k = int(sizes[s])
                total += factorial(k) * factorial(n - k - 1) / factorial(n) * (f[s | (1 << j)] - f[s])
        phi.append(repr(float(total)))
    out.append(phi)
json.dump(out, sys.stdout)
