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
  long long v;
  unsigned int r;
  if (!box_region_voxel(rows, sx, sy, sz, n, &v, &r)) {
    return;
  }
  int a = blockIdx.y;
  const int *o = offsets + 3 * a;
  long long next = box_offset(v, sx, sy, sz, o, 1);
  if (next >= 0 && rows[next] == r) {
    return;
  }
  unsigned int length = 1;
  for (int step = 1;; step++) {
    long long previous = box_offset(v, sx, sy, sz, o, -step);
    if (previous < 0 || rows[previous] != r) {
      break;
    }
    length += 1;
  }
  if (length <= longest) {
    atomicAdd(&counts[((unsigned long long)a * n + r) * longest + length - 1], 1u);
  }
}
