// Grey Level Run Length counts (PyRadiomics `calculate_glrlm` in cmatrices.c, IBSI 2.3.3):
//   counts[a][r][l - 1] = number of runs along o_a of l consecutive region voxels of row r
// `rows`, the box and `offsets` are laid out as for glcm_counts (`n` marks voxels outside the
// region). A run is counted once, at its last voxel: the voxel whose next one along o_a is outside
// the box, outside the region or of another level; its length is found by walking back over the
// voxels of the same level. Runs are at most `longest` voxels (the longest side of the box). The
// host empties an angle along which no line holds two region voxels (PyRadiomics'
// `multiElement` check), shared with the CPU builder. One thread per (voxel, angle).

extern "C" __global__ void glrlm_counts(const unsigned int *rows, int sx, int sy, int sz,
                                        const int *offsets, unsigned int n,
                                        unsigned int longest, unsigned int *counts) {
  long long voxels = (long long)sx * sy * sz;
  long long v = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= voxels) {
    return;
  }
  unsigned int r = rows[v];
  if (r >= n) {
    return;
  }
  int a = blockIdx.y;
  int oi = offsets[3 * a];
  int oj = offsets[3 * a + 1];
  int ok = offsets[3 * a + 2];
  int i = (int)(v % sx);
  int j = (int)((v / sx) % sy);
  int k = (int)(v / ((long long)sx * sy));
  int ni = i + oi;
  int nj = j + oj;
  int nk = k + ok;
  if (ni >= 0 && ni < sx && nj >= 0 && nj < sy && nk >= 0 && nk < sz &&
      rows[ni + (long long)sx * (nj + (long long)sy * nk)] == r) {
    return;
  }
  unsigned int length = 1;
  int pi = i - oi;
  int pj = j - oj;
  int pk = k - ok;
  while (pi >= 0 && pi < sx && pj >= 0 && pj < sy && pk >= 0 && pk < sz &&
         rows[pi + (long long)sx * (pj + (long long)sy * pk)] == r) {
    length += 1;
    pi -= oi;
    pj -= oj;
    pk -= ok;
  }
  if (length <= longest) {
    atomicAdd(&counts[((unsigned long long)a * n + r) * longest + length - 1], 1u);
  }
}
