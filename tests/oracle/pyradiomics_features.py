"""Live PyRadiomics oracle for the parity tests: prints the features of one or more extractions as
one JSON object per line (diagnostics left out, NaN written as null).

usage: pyradiomics_features.py IMAGE MASK LABEL PARAMS [PARAMS ...]
"""
import json
import logging
import math
import sys

import radiomics
from radiomics import featureextractor

radiomics.setVerbosity(logging.ERROR)
image, mask, label = sys.argv[1], sys.argv[2], int(sys.argv[3])
for params in sys.argv[4:]:
    extractor = featureextractor.RadiomicsFeatureExtractor(params)
    result = extractor.execute(image, mask, label=label)
    out = {}
    for name, value in result.items():
        if name.startswith('diagnostics_'):
            continue
        value = float(value)
        out[name] = None if math.isnan(value) else value
    print(json.dumps(out))
