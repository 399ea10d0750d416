"""P(class 1) of classifier model files for given input rows, by the reference data's own numpy
formulas (`../shared/refdata/deepradscore/scripts/npimpl.py`, written from scikit-learn 1.0.2's
predict_proba, checked against real sklearn in `crosscheck_sklearn.csv`); no radscored code.

Usage: classifier_proba.py NPIMPL_DIR < [{"model": PATH, "x": [..]}, ...]  ->  [p, ...] as JSON
(floats as repr strings, so that no digit is lost).
"""

import json
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import npimpl  # noqa: E402

out = []
for row in json.load(sys.stdin):
    with open(row["model"]) as f:
        model = json.load(f)
    p = npimpl.predict_proba1(model, np.array([row["x"]], dtype=np.float64))
    out.append(repr(float(p[0])))
json.dump(out, sys.stdout)
