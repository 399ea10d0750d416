"""NumPy's eigenvalues of the GLCM MCC matrix Q for the matrices of the MCC unit tests in
src/radiomics/features/glcm.rs, with Q built as PyRadiomics 3.x `getMCCFeatureValue` builds it.

usage: glcm_mcc_q.py   (prints one block per case)

Cases:
- prostate_phantom_label1_bw10_angle1: original image of the prostate phantom
  (refdata/pyradiomics/prostate_phantom_subvolume*.nrrd), label 1, binWidth 10, the second of its
  six GLCMs: 51 grey levels, 30 symmetric pairs counted once each way (60 in all). This is the
  matrix on which radscored's former eigenvalue solver stalled (MCC NaN).
- asymmetric_with_empty_row: a 4-level asymmetric GLCM whose third level has no pair as
  reference voxel (p_x = 0).
"""
import numpy

PROSTATE_PAIRS = [(0, 8), (0, 9), (0, 17), (0, 18), (1, 7), (1, 20), (2, 12), (2, 19), (4, 10),
                  (4, 29), (5, 32), (6, 21), (6, 23), (7, 49), (8, 13), (8, 45), (8, 48), (10, 19),
                  (11, 26), (11, 34), (11, 36), (15, 36), (20, 25), (21, 23), (23, 49), (24, 32),
                  (27, 40), (28, 32), (30, 37), (35, 37)]
ASYMMETRIC = [[3, 1, 0, 2], [1, 4, 0, 1], [0, 0, 0, 0], [2, 0, 1, 5]]


def q_matrix(counts):
    """Q of one GLCM given as counts, exactly as PyRadiomics' getMCCFeatureValue."""
    P = (counts / counts.sum())[None, :, :, None]
    px = P.sum(2, keepdims=True)
    py = P.sum(1, keepdims=True)
    eps = numpy.spacing(1)
    Q = (P[:, :, None, 0, :] * P[:, None, :, 0, :]) / (px[:, :, None, 0, :] * py[:, None, :, 0, :] + eps)
    for gl in range(1, P.shape[1]):
        Q += (P[:, :, None, gl, :] * P[:, None, :, gl, :]) / (px[:, :, None, 0, :] * py[:, None, :, gl, :] + eps)
    return Q[0, :, :, 0]


def report(name, counts):
    e = numpy.sort(numpy.linalg.eigvals(q_matrix(counts)))
    print(name)
    print('  largest', repr(e[-1]), 'second', repr(e[-2]))
    print('  MCC = sqrt(second).real', repr(numpy.sqrt(e[-2]).real))


counts = numpy.zeros((51, 51))
for i, j in PROSTATE_PAIRS:
    counts[i, j] = counts[j, i] = 1
report('prostate_phantom_label1_bw10_angle1', counts)
report('asymmetric_with_empty_row', numpy.array(ASYMMETRIC, dtype=float))
