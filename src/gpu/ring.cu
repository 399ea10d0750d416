// Exact squared Euclidean distance transform of the peritumoral ring (roi::ring), in millimetres
// on the anisotropic grid: Felzenszwalb & Huttenlocher, "Distance Transforms of Sampled
// Functions", Theory of Computing 8 (2012), one pass per axis, each the lower envelope of the
// parabolas (s*(p - q))^2 + f(q). The arithmetic is the CPU's, operation for operation (the
// module is compiled with --fmad=false so no multiply-add is fused), so the distances are equal
// to the last bit.

// +infinity without math_constants.h.
__device__ double positive_infinity() { return __longlong_as_double(0x7ff0000000000000LL); }

// One thread per line along `axis` of the nx*ny*nz box `data` (i fastest), transformed in place.
// `values`, `sites`, `bounds`: scratch of `length of a line` entries per line.
extern "C" __global__ void edt_lines(double *data, int nx, int ny, int nz, int axis,
                                     double spacing, double *values, int *sites,
                                     double *bounds) {
  long long dims[3] = {nx, ny, nz};
  long long strides[3] = {1, (long long)nx, (long long)nx * ny};
  int u = axis == 0 ? 1 : 0;
  int w = axis == 2 ? 1 : 2;
  long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (line >= dims[u] * dims[w]) {
    return;
  }
  long long n = dims[axis];
  long long stride = strides[axis];
  long long start = (line % dims[u]) * strides[u] + (line / dims[u]) * strides[w];
  double *f = values + line * n;
  int *s = sites + line * n;
  double *z = bounds + line * n;
  for (long long p = 0; p < n; p++) {
    f[p] = data[start + p * stride];
  }
  double infinity = positive_infinity();
  int m = 0;
  for (int q = 0; q < n; q++) {
    if (!isfinite(f[q])) {
      continue;
    }
    double xq = spacing * (double)q;
    double from = -infinity;
    while (m > 0) {
      int p = s[m - 1];
      double xp = spacing * (double)p;
      from = ((f[q] + xq * xq) - (f[p] + xp * xp)) / (2.0 * (xq - xp));
      if (from <= z[m - 1]) {
        m -= 1;
        from = -infinity;
      } else {
        break;
      }
    }
    s[m] = q;
    z[m] = from;
    m += 1;
  }
  if (m == 0) {
    for (long long p = 0; p < n; p++) {
      data[start + p * stride] = infinity;
    }
    return;
  }
  int k = 0;
  for (int p = 0; p < n; p++) {
    double x = spacing * (double)p;
    while (k + 1 < m && z[k + 1] < x) {
      k += 1;
    }
    int q = s[k];
    double d = spacing * ((double)p - (double)q);
    data[start + p * stride] = d * d + f[q];
  }
}

// ring(v) = 1 when v is outside the tumor and sqrt(squared(v)) <= radius_mm, else 0.
extern "C" __global__ void ring_threshold(const double *squared, const unsigned char *inside,
                                          unsigned long long count, double radius_mm,
                                          unsigned char *ring) {
  unsigned long long v = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= count) {
    return;
  }
  ring[v] = (inside[v] == 0 && sqrt(squared[v]) <= radius_mm) ? 1 : 0;
}
