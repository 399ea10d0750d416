// Grey-level discretisation of a region (PyRadiomics `binImage`, numpy.digitize with right=False):
//   level(v) = #{ n : edges[n] <= values[v] }   for v in the mask,   0 outside.
// The bin edges are computed on the host (radiomics::discretise), so both backends use the same
// edges; the count is found by bisection, which yields exactly the number of edges <= x for
// increasing edges (and 0 for NaN, which is >= no edge). One thread per voxel.

extern "C" __global__ void discretise(const double *values, const unsigned char *mask,
                                      unsigned long long count, const double *edges,
                                      unsigned int n_edges, unsigned int *levels) {
  unsigned long long v = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= count) {
    return;
  }
  if (mask[v] == 0) {
    levels[v] = 0;
    return;
  }
  double x = values[v];
  unsigned int low = 0;
  unsigned int high = n_edges;
  while (low < high) {
    unsigned int middle = low + (high - low) / 2;
    if (edges[middle] <= x) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  levels[v] = low;
}
