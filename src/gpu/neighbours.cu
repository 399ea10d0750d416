// Neighbourhood tallies of each region voxel, what the GLDM and the NGTDM are built from
// (PyRadiomics `calculate_gldm` and `calculate_ngtdm` in cmatrices.c; IBSI 1 sections 3.11 and
// 3.10), one pass serving both:
//   dependent[v]  = #{ neighbours u of v in the region : |g(u) - g(v)| <= limit } (none: limit < 0)
//   neighbours[v] = #{ neighbours u of v in the region }
//   sums[v]       = sum of g(u) over those neighbours
// `levels` holds each voxel's grey level, 0 outside the region, on the box of box.cuh; `offsets`
// holds (i, j, k) for each of `count` neighbour offsets (both directions, every distance).
// Voxels outside the region get 0s.
// Integer tallies only: the NGTDM's differences (doubles, summed in raster order) and the GLDM's
// histogram stay on the host, shared with the CPU builders. One thread per voxel.

extern "C" __global__ void neighbour_tally(const unsigned int *levels, int sx, int sy, int sz,
                                           const int *offsets, unsigned int count,
                                           long long limit, unsigned int *dependent,
                                           unsigned int *neighbours, unsigned long long *sums) {
  long long v = box_thread_voxel(sx, sy, sz);
  if (v < 0) {
    return;
  }
  unsigned int centre = levels[v];
  unsigned int depends = 0;
  unsigned int found = 0;
  unsigned long long sum = 0;
  if (centre != 0) {
    int i, j, k;
    box_coordinates(v, sx, sy, &i, &j, &k);
    for (unsigned int a = 0; a < count; a++) {
      const int *o = offsets + 3 * a;
      long long w = box_index(i + o[0], j + o[1], k + o[2], sx, sy, sz);
      if (w < 0 || levels[w] == 0) {
        continue;
      }
      unsigned int level = levels[w];
      found += 1;
      sum += level;
      long long difference =
          centre > level ? (long long)(centre - level) : (long long)(level - centre);
      if (difference <= limit) {
        depends += 1;
      }
    }
  }
  dependent[v] = depends;
  neighbours[v] = found;
  sums[v] = sum;
}
