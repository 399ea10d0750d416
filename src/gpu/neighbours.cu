// Neighbourhood tallies of each region voxel, what the GLDM and the NGTDM are built from
// (PyRadiomics `calculate_gldm` and `calculate_ngtdm` in cmatrices.c; IBSI 1 sections 3.11 and
// 3.10), one pass serving both:
//   dependent[v]  = #{ neighbours u of v in the region : |g(u) - g(v)| <= limit }  (none if limit < 0)
//   neighbours[v] = #{ neighbours u of v in the region }
//   sums[v]       = sum of g(u) over those neighbours
// `levels` holds each voxel's grey level, 0 outside the region; the box is sx*sy*sz voxels, i
// fastest. `offsets` holds (i, j, k) for each of `count` neighbour offsets (both directions, every
// distance); a neighbour outside the box is outside the region. Voxels outside the region get 0s.
// Integer tallies only: the NGTDM's differences (doubles, summed in raster order) and the GLDM's
// histogram stay on the host, shared with the CPU builders. One thread per voxel.

extern "C" __global__ void neighbour_tally(const unsigned int *levels, int sx, int sy, int sz,
                                           const int *offsets, unsigned int count,
                                           long long limit, unsigned int *dependent,
                                           unsigned int *neighbours, unsigned long long *sums) {
  long long voxels = (long long)sx * sy * sz;
  long long v = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= voxels) {
    return;
  }
  unsigned int centre = levels[v];
  unsigned int depends = 0;
  unsigned int found = 0;
  unsigned long long sum = 0;
  if (centre != 0) {
    int i = (int)(v % sx);
    int j = (int)((v / sx) % sy);
    int k = (int)(v / ((long long)sx * sy));
    for (unsigned int a = 0; a < count; a++) {
      int ni = i + offsets[3 * a];
      int nj = j + offsets[3 * a + 1];
      int nk = k + offsets[3 * a + 2];
      if (ni < 0 || ni >= sx || nj < 0 || nj >= sy || nk < 0 || nk >= sz) {
        continue;
      }
      unsigned int level = levels[ni + (long long)sx * (nj + (long long)sy * nk)];
      if (level == 0) {
        continue;
      }
      found += 1;
      sum += level;
      long long difference = centre > level ? (long long)(centre - level) : (long long)(level - centre);
      if (difference <= limit) {
        depends += 1;
      }
    }
  }
  dependent[v] = depends;
  neighbours[v] = found;
  sums[v] = sum;
}
