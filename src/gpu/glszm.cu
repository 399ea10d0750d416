// Grey Level Size Zone zones (PyRadiomics `calculate_glszm` in cmatrices.c, IBSI 1 section 3.8):
// a zone is a maximal set of region voxels of one matrix row, connected through the neighbour
// offsets (26-connectivity in 3D, 8 within a slice with force2D). The zones are the connected
// components of that graph, labelled by union-find with atomics (Komura, "GPU-based cluster-
// labeling algorithm without the use of conventional iteration", Comput. Phys. Commun. 2015;
// Playne & Hawick, "A new algorithm for parallel connected-component labelling on GPUs", IEEE
// TPDS 2018), in three launches:
//   1. glszm_init:  labels[v] = v for every voxel of the box;
//   2. glszm_merge: for each region voxel v and offset o (one of o and -o suffices: a union is
//      symmetric), when v + o is in the box and holds v's row, the trees of v and v + o are
//      joined: the larger root is linked under the smaller with atomicMin, retried from the
//      roots found again when another thread linked that root first;
//   3. glszm_sizes: sizes[root(v)] += 1 for each region voxel v.
// A label never exceeds its voxel's index and every link joins two trees under the smaller root,
// so each zone ends as one tree whose root is its smallest voxel index, its first voxel in raster
// order, and sizes[] holds each zone's voxel count at its root, 0 elsewhere. Integer results only:
// the matrix is built on the host, shared with the CPU flood fill.
//
// `rows` holds each voxel's matrix row, `n` outside the region, as for glcm_counts; the box is
// sx*sy*sz voxels, i fastest, fewer than 2^32. One thread per voxel (per voxel and offset in
// glszm_merge: x over voxels, y over offsets).

// The root of v's tree. Reads through `volatile`: other threads link roots meanwhile, and each
// read must see the memory, not a copy kept by the compiler or a non-coherent cache.
__device__ unsigned int zone_root(const volatile unsigned int *labels, unsigned int v) {
  unsigned int parent = labels[v];
  while (parent != v) {
    v = parent;
    parent = labels[v];
  }
  return v;
}

// Joins the trees of a and b. atomicMin(&labels[b], a) returns b only while b is still a root;
// otherwise b was linked meanwhile (to `old`; the atomicMin may have moved it under a, which
// keeps it connected), and the union goes on with b's new parent.
__device__ void zone_union(unsigned int *labels, unsigned int a, unsigned int b) {
  for (;;) {
    a = zone_root(labels, a);
    b = zone_root(labels, b);
    if (a == b) {
      return;
    }
    if (a > b) {
      unsigned int larger = a;
      a = b;
      b = larger;
    }
    unsigned int old = atomicMin(&labels[b], a);
    if (old == b) {
      return;
    }
    b = old;
  }
}

extern "C" __global__ void glszm_init(unsigned long long voxels, unsigned int *labels) {
  unsigned long long v = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v < voxels) {
    labels[v] = (unsigned int)v;
  }
}

extern "C" __global__ void glszm_merge(const unsigned int *rows, int sx, int sy, int sz,
                                       const int *offsets, unsigned int n, unsigned int *labels) {
  long long v;
  unsigned int r;
  if (!box_region_voxel(rows, sx, sy, sz, n, &v, &r)) {
    return;
  }
  long long w = box_offset(v, sx, sy, sz, offsets + 3 * blockIdx.y, 1);
  if (w < 0 || rows[w] != r) {
    return;
  }
  zone_union(labels, (unsigned int)v, (unsigned int)w);
}

// Also points each region voxel straight at its root, which shortens the later threads' walks.
extern "C" __global__ void glszm_sizes(const unsigned int *rows, unsigned long long voxels,
                                       unsigned int n, unsigned int *labels, unsigned int *sizes) {
  unsigned long long v = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (v >= voxels || rows[v] >= n) {
    return;
  }
  unsigned int root = zone_root(labels, (unsigned int)v);
  labels[v] = root;
  atomicAdd(&sizes[root], 1u);
}
