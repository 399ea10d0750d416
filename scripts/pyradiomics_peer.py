"""PyRadiomics as the benchmark peer of `radscored bench`: times RadiomicsFeatureExtractor.execute
(reading the files included, interpreter start-up and imports excluded) and prints one JSON line.

usage: pyradiomics_peer.py IMAGE MASK PARAMS|- REPEAT
"""
import json
import logging
import statistics
import sys
import time

import SimpleITK as sitk
import radiomics
from radiomics import featureextractor

sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
radiomics.setVerbosity(logging.ERROR)

image, mask, params, repeat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
extractor = (featureextractor.RadiomicsFeatureExtractor(params) if params != '-'
             else featureextractor.RadiomicsFeatureExtractor())
times = []
result = None
for _ in range(repeat):
    start = time.perf_counter()
    result = extractor.execute(image, mask)
    times.append(time.perf_counter() - start)
features = {k: float(v) for k, v in result.items() if not k.startswith('diagnostics_')}
print(json.dumps({'median_s': statistics.median(times), 'features': len(features)}))
