// Grey Level Co-occurrence counts (PyRadiomics `calculate_glcm` in cmatrices.c, IBSI 2.3.1):
//   counts[a][r][c] = #{ v : row(v) = r < n, v + o_a in the box, row(v + o_a) = c < n }
// `rows` holds each voxel's matrix row (the position of its grey level among the levels present),
// `n` for voxels outside the region; the box is sx*sy*sz voxels, i fastest. `offsets` holds
// (i, j, k) per angle. Asymmetric counts: symmetry, weighting and normalisation stay on the host,
// shared with the CPU builder. One thread per (voxel, angle): x over voxels, y over angles.

extern "C" __global__ void glcm_counts(const unsigned int *rows, int sx, int sy, int sz,
                                       const int *offsets, unsigned int n,
                                       unsigned int *counts) {
  long long v;
  unsigned int r;
  if (!box_region_voxel(rows, sx, sy, sz, n, &v, &r)) {
    return;
  }
  int a = blockIdx.y;
  long long w = box_offset(v, sx, sy, sz, offsets + 3 * a, 1);
  if (w < 0) {
    return;
  }
  unsigned int c = rows[w];
  if (c >= n) {
    return;
  }
  atomicAdd(&counts[((unsigned long long)a * n + r) * n + c], 1u);
}
