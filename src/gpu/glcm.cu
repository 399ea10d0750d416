// Grey Level Co-occurrence counts (PyRadiomics `calculate_glcm` in cmatrices.c, IBSI 2.3.1):
//   counts[a][r][c] = #{ v : row(v) = r < n, v + o_a in the box, row(v + o_a) = c < n }
// `rows` holds each voxel's matrix row (the position of its grey level among the levels present),
// `n` for voxels outside the region; the box is sx*sy*sz voxels, i fastest. `offsets` holds
// (i, j, k) per angle. Asymmetric counts: symmetry, weighting and normalisation stay on the host,
// shared with the CPU builder. One thread per (voxel, angle): x over voxels, y over angles.

extern "C" __global__ void glcm_counts(const unsigned int *rows, int sx, int sy, int sz,
                                       const int *offsets, unsigned int n,
                                       unsigned int *counts) {
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
  int i = (int)(v % sx) + offsets[3 * a];
  int j = (int)((v / sx) % sy) + offsets[3 * a + 1];
  int k = (int)(v / ((long long)sx * sy)) + offsets[3 * a + 2];
  if (i < 0 || i >= sx || j < 0 || j >= sy || k < 0 || k >= sz) {
    return;
  }
  unsigned int c = rows[i + (long long)sx * (j + (long long)sy * k)];
  if (c >= n) {
    return;
  }
  atomicAdd(&counts[((unsigned long long)a * n + r) * n + c], 1u);
}
