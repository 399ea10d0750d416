// Box addressing shared by the texture kernels (glcm, glrlm, glszm, neighbours), compiled ahead
// of each kernel file: a region's box of sx*sy*sz voxels, i fastest, the layout of
// GreyLevels::levels on the host. A neighbour outside the box is outside the region.

// The voxel of this thread (x over the voxels of the box), or -1 past the end of the box.
__device__ long long box_thread_voxel(int sx, int sy, int sz) {
  long long v = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  return v < (long long)sx * sy * sz ? v : -1;
}

// The coordinates (i, j, k) of voxel v.
__device__ void box_coordinates(long long v, int sx, int sy, int *i, int *j, int *k) {
  *i = (int)(v % sx);
  *j = (int)((v / sx) % sy);
  *k = (int)(v / ((long long)sx * sy));
}

// The index of the voxel at (i, j, k), or -1 when it lies outside the box.
__device__ long long box_index(int i, int j, int k, int sx, int sy, int sz) {
  if (i < 0 || i >= sx || j < 0 || j >= sy || k < 0 || k >= sz) {
    return -1;
  }
  return i + (long long)sx * (j + (long long)sy * k);
}

// Whether this thread's voxel (x over the voxels of the box) lies in the region, its row below
// `n`; if so, its index in *v and its row in *r.
__device__ int box_region_voxel(const unsigned int *rows, int sx, int sy, int sz, unsigned int n,
                                long long *v, unsigned int *r) {
  *v = box_thread_voxel(sx, sy, sz);
  if (*v < 0) {
    return 0;
  }
  *r = rows[*v];
  return *r < n;
}

// The voxel `times` offsets (i, j, k) = offset[0..3] away from voxel v, or -1 outside the box.
__device__ long long box_offset(long long v, int sx, int sy, int sz, const int *offset, int times) {
  int i, j, k;
  box_coordinates(v, sx, sy, &i, &j, &k);
  return box_index(i + times * offset[0], j + times * offset[1], k + times * offset[2], sx, sy, sz);
}
