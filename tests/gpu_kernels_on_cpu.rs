//! The CUDA kernels' own code run on the CPU, against the CPU builders: no GPU is needed.
//!
//! The `.cu` files are plain C inside their `__global__` functions, so the system C compiler
//! builds them into a shared library with a small shim (`blockIdx`/`threadIdx` as globals set
//! before each emulated thread, `atomicAdd` as `+=`, `-ffp-contract=off` as the GPU's
//! `--fmad=false`); each kernel is then called once per thread of the launch grid the backend
//! uses (256 threads a block, one grid row per angle). A launch can also be preempted: each
//! `atomicMin` first lets the next 32 waiting threads run to their end, an interleaving under
//! which the GLSZM's union-find finds its roots taken and must retry. This checks the kernels'
//! indexing and arithmetic against the CPU path on random cases; the CUDA launch itself is checked
//! only on a device (`scripts/gpu-check.sh`).

use std::cell::Cell;
use std::ffi::c_void;
use std::path::Path;
use std::process::Command;

use radscored::gpu::compile::{BOX_SOURCE, KERNEL_FILES};
use radscored::gpu::NeighbourTally;
use radscored::gpu_check::{random_case, Case};
use radscored::image::Voxels;
use radscored::radiomics::discretise::bin_edges;
use radscored::radiomics::matrices::angles::{neighbour_offsets, Directions};
use radscored::radiomics::matrices::glcm::Glcm;
use radscored::radiomics::matrices::gldm::{gldm, gldm_from};
use radscored::radiomics::matrices::glrlm::Glrlm;
use radscored::radiomics::matrices::glszm::{glszm, Glszm};
use radscored::radiomics::matrices::ngtdm::{ngtdm, ngtdm_from};
use radscored::radiomics::preprocess;
use radscored::radiomics::{discretise, Binning, GreyLevels, Settings, TextureSettings};
use radscored::roi::peritumoral_ring;

/// Threads per block, as `gpu::device` launches them.
const BLOCK: usize = 256;

/// Threads that run between a preempted thread's reads and its `atomicMin` (a warp's worth).
const WARP: usize = 32;

/// Makes the CUDA names the kernels use mean their one-thread-at-a-time C equivalents.
const SHIM: &str = r#"
#include <math.h>
#include <string.h>
typedef struct { unsigned int x, y, z; } emulated_uint3;
static emulated_uint3 blockIdx, blockDim, threadIdx;
void emulate_thread(unsigned int block_x, unsigned int block_y, unsigned int thread_x, unsigned int block_dim) {
  blockIdx.x = block_x; blockIdx.y = block_y; blockIdx.z = 0;
  threadIdx.x = thread_x; threadIdx.y = 0; threadIdx.z = 0;
  blockDim.x = block_dim; blockDim.y = 1; blockDim.z = 1;
}
static double __longlong_as_double(long long bits) { double d; memcpy(&d, &bits, sizeof d); return d; }
static unsigned int atomicAdd(unsigned int *at, unsigned int value) { unsigned int old = *at; *at += value; return old; }
typedef void (*emulate_preempt_fn)(void *);
static emulate_preempt_fn emulate_preempt;
static void *emulate_preempt_data;
static unsigned long long emulate_atomic_mins;
void emulate_set_preempt(emulate_preempt_fn preempt, void *data) {
  emulate_preempt = preempt; emulate_preempt_data = data; emulate_atomic_mins = 0;
}
unsigned long long emulate_atomic_min_count(void) { return emulate_atomic_mins; }
static unsigned int atomicMin(unsigned int *at, unsigned int value) {
  if (emulate_preempt) {
    emulate_preempt_fn preempt = emulate_preempt;
    emulated_uint3 block = blockIdx, thread = threadIdx;
    emulate_preempt = 0;
    preempt(emulate_preempt_data);
    emulate_preempt = preempt; blockIdx = block; threadIdx = thread;
  }
  emulate_atomic_mins++;
  unsigned int old = *at; if (value < old) *at = value; return old;
}
#define __global__
#define __device__ static
"#;

type SetThread = unsafe extern "C" fn(u32, u32, u32, u32);
type Discretise = unsafe extern "C" fn(*const f64, *const u8, u64, *const f64, u32, *mut u32);
type GlcmCounts = unsafe extern "C" fn(*const u32, i32, i32, i32, *const i32, u32, *mut u32);
type GlrlmCounts = unsafe extern "C" fn(*const u32, i32, i32, i32, *const i32, u32, u32, *mut u32);
type EdtLines = unsafe extern "C" fn(*mut f64, i32, i32, i32, i32, f64, *mut f64, *mut i32, *mut f64);
type RingThreshold = unsafe extern "C" fn(*const f64, *const u8, u64, f64, *mut u8);
type NeighbourTallyKernel =
    unsafe extern "C" fn(*const u32, i32, i32, i32, *const i32, u32, i64, *mut u32, *mut u32, *mut u64);
type GlszmInit = unsafe extern "C" fn(u64, *mut u32);
type GlszmMerge = unsafe extern "C" fn(*const u32, i32, i32, i32, *const i32, u32, *mut u32);
type GlszmSizes = unsafe extern "C" fn(*const u32, u64, u32, *mut u32, *mut u32);
type Preempt = unsafe extern "C" fn(*mut c_void);
type SetPreempt = unsafe extern "C" fn(Option<Preempt>, *mut c_void);
type AtomicMinCount = unsafe extern "C" fn() -> u64;

/// The kernels compiled for the CPU.
struct Emulated {
    library: libloading::Library,
}

impl Emulated {
    fn build(dir: &Path) -> Emulated {
        let mut source = format!("{SHIM}{BOX_SOURCE}");
        for kernel in KERNEL_FILES {
            source.push_str(&kernel.source.replace("extern \"C\" ", ""));
        }
        let c = dir.join("kernels.c");
        let so = dir.join("libkernels.so");
        std::fs::write(&c, source).unwrap();
        let status = Command::new("cc")
            .args(["-std=c11", "-O2", "-ffp-contract=off", "-shared", "-fPIC", "-Wall", "-Werror", "-o"])
            .arg(&so)
            .arg(&c)
            .arg("-lm")
            .status()
            .expect("the C compiler `cc` is needed (scripts/setup.sh installs gcc)");
        assert!(status.success(), "cc could not build the kernels for the CPU");
        // SAFETY: the library was just built from the kernels and the shim; no initialisers.
        Emulated { library: unsafe { libloading::Library::new(&so) }.unwrap() }
    }

    fn symbol<T: Copy>(&self, name: &str) -> T {
        // SAFETY: every type above is the C signature of the kernel of that name.
        unsafe { *self.library.get::<T>(name.as_bytes()).unwrap() }
    }

    /// Calls `kernel` once per thread of a grid of `items` threads (rounded up to whole blocks)
    /// by `layers` rows.
    fn launch(&self, items: usize, layers: usize, mut kernel: impl FnMut()) {
        let set: SetThread = self.symbol("emulate_thread");
        for y in 0..layers {
            for x in 0..items.div_ceil(BLOCK) {
                for t in 0..BLOCK {
                    // SAFETY: sets the shim's globals only.
                    unsafe { set(x as u32, y as u32, t as u32, BLOCK as u32) };
                    kernel();
                }
            }
        }
    }

    /// [`Emulated::launch`] with each `atomicMin` preempted: before it, the next [`WARP`] waiting
    /// threads run to their end (unpreempted), then the thread goes on. Threads wait item by
    /// item, each item's every layer in turn (the GPU runs the grid's rows at once, so this is
    /// one of its schedules), so that neighbouring voxels' offsets race for the same roots.
    /// Returns the `atomicMin` calls.
    fn launch_preempted(&self, items: usize, layers: usize, kernel: &dyn Fn()) -> u64 {
        let (set, preempt, count): (SetThread, SetPreempt, AtomicMinCount) = (
            self.symbol("emulate_thread"),
            self.symbol("emulate_set_preempt"),
            self.symbol("emulate_atomic_min_count"),
        );
        let per_layer = items.div_ceil(BLOCK) * BLOCK;
        let next = Cell::new(0);
        let run_next = || {
            let thread = next.get();
            if thread == per_layer * layers {
                return false;
            }
            next.set(thread + 1);
            let (x, y) = (thread / layers, thread % layers);
            // SAFETY: sets the shim's globals only.
            unsafe { set((x / BLOCK) as u32, y as u32, (x % BLOCK) as u32, BLOCK as u32) };
            kernel();
            true
        };
        let run_next: &dyn Fn() -> bool = &run_next;
        unsafe extern "C" fn run_waiting(data: *mut c_void) {
            // SAFETY: `data` is the `&dyn Fn` below, alive until preemption is switched off.
            let run_next = unsafe { *(data as *const &dyn Fn() -> bool) };
            for _ in 0..WARP {
                if !run_next() {
                    break;
                }
            }
        }
        // SAFETY: the shim calls `run_waiting` with `run_next` only before the reset below.
        unsafe { preempt(Some(run_waiting), &run_next as *const &dyn Fn() -> bool as *mut c_void) };
        while run_next() {}
        // SAFETY: as above; the count is read before the next launch resets it.
        unsafe {
            let calls = count();
            preempt(None, std::ptr::null_mut());
            calls
        }
    }
}

fn samples_u8(voxels: &Voxels) -> Vec<u8> {
    match voxels {
        Voxels::U8(v) => v.to_vec(),
        other => panic!("mask of {other:?}"),
    }
}

/// The tumor box's values and mask, and its grey levels on the CPU (PyRadiomics' defaults).
fn tumor(case: &Case) -> (Vec<f64>, Vec<bool>, GreyLevels) {
    let settings = Settings::default();
    let region = preprocess::find_region(&case.image, &case.mask, &settings).unwrap();
    let values = preprocess::region_values(&case.image, &region.bbox, None);
    let roi = preprocess::roi(&region, values.clone(), case.image.geometry.spacing_mm);
    (values, region.mask, discretise(&roi, Binning::Width(25.0)).expect("bins"))
}

/// Each voxel's matrix row (position of its level among those present), `n` outside.
fn rows(g: &GreyLevels) -> Vec<u32> {
    let n = g.present.len() as u32;
    g.levels.iter().map(|&l| g.present.iter().position(|&p| p == l).map_or(n, |r| r as u32)).collect()
}

fn dims(size: [usize; 3]) -> [i32; 3] {
    size.map(|n| n as i32)
}

#[test]
fn ring_kernels_equal_the_cpu_ring_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let (edt, threshold): (EdtLines, RingThreshold) =
        (kernels.symbol("edt_lines"), kernels.symbol("ring_threshold"));
    for seed in 1..=6 {
        let case = random_case(seed);
        let geometry = case.mask.geometry;
        let inside = samples_u8(&case.mask.voxels);
        // The whole volume as the box: the CPU ring is the same on any box around it.
        let voxels = inside.len();
        let mut data: Vec<f64> = inside.iter().map(|&v| if v != 0 { 0.0 } else { f64::INFINITY }).collect();
        let (mut values, mut sites, mut bounds) = (vec![0.0; voxels], vec![0i32; voxels], vec![0.0; voxels]);
        let [nx, ny, nz] = dims(geometry.size);
        for axis in 0..3 {
            let spacing = geometry.spacing_mm[axis];
            kernels.launch(voxels / geometry.size[axis], 1, || unsafe {
                edt(
                    data.as_mut_ptr(),
                    nx,
                    ny,
                    nz,
                    axis as i32,
                    spacing,
                    values.as_mut_ptr(),
                    sites.as_mut_ptr(),
                    bounds.as_mut_ptr(),
                )
            });
        }
        // 3 mm, and radii that voxels lie at exactly (one slice, two columns away), where a
        // distance off by one rounding would change the ring.
        let s = geometry.spacing_mm;
        for radius_mm in [3.0, s[2], 2.0 * s[0]] {
            let expected = samples_u8(&peritumoral_ring(&case.mask, radius_mm).unwrap().voxels);
            let mut ring = vec![0u8; voxels];
            kernels.launch(voxels, 1, || unsafe {
                threshold(data.as_ptr(), inside.as_ptr(), voxels as u64, radius_mm, ring.as_mut_ptr())
            });
            assert_eq!(ring, expected, "{} radius {radius_mm} mm", case.name);
            assert!(ring.contains(&1), "{}: an empty ring proves nothing", case.name);
        }
    }
}

#[test]
fn discretise_kernel_equals_the_cpu_levels_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let kernel: Discretise = kernels.symbol("discretise");
    for seed in 1..=6 {
        let case = random_case(seed);
        let (values, mask, expected) = tumor(&case);
        let inside: Vec<f64> = values.iter().zip(&mask).filter(|(_, &m)| m).map(|(&v, _)| v).collect();
        for binning in [Binning::Width(25.0), Binning::Width(3.7), Binning::Count(16)] {
            let edges = bin_edges(&inside, binning).expect("edges");
            let mask_u8: Vec<u8> = mask.iter().map(|&m| u8::from(m)).collect();
            let mut levels = vec![0u32; values.len()];
            kernels.launch(values.len(), 1, || unsafe {
                kernel(
                    values.as_ptr(),
                    mask_u8.as_ptr(),
                    values.len() as u64,
                    edges.as_ptr(),
                    edges.len() as u32,
                    levels.as_mut_ptr(),
                )
            });
            let roi = radscored::radiomics::Roi {
                size: expected.size,
                spacing_mm: [1.0; 3],
                values: values.clone(),
                mask: mask.clone(),
            };
            assert_eq!(levels, discretise(&roi, binning).expect("bins").levels, "{} {binning:?}", case.name);
        }
    }
}

#[test]
fn glcm_kernel_equals_the_cpu_matrices_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let kernel: GlcmCounts = kernels.symbol("glcm_counts");
    for seed in 1..=6 {
        let case = random_case(seed);
        let (_, _, g) = tumor(&case);
        for distances in [vec![1], vec![1, 2]] {
            let s = TextureSettings {
                symmetrical_glcm: false,
                distances: distances.clone(),
                ..TextureSettings::default()
            };
            let offsets = neighbour_offsets(g.size, &distances, Directions::One, None).unwrap();
            let flat: Vec<i32> = offsets.iter().flatten().map(|&o| o as i32).collect();
            let n = g.present.len();
            let rows = rows(&g);
            let mut counts = vec![0u32; offsets.len() * n * n];
            let [sx, sy, sz] = dims(g.size);
            kernels.launch(rows.len(), offsets.len(), || unsafe {
                kernel(rows.as_ptr(), sx, sy, sz, flat.as_ptr(), n as u32, counts.as_mut_ptr())
            });
            // PyRadiomics' steps after counting, for asymmetric unweighted matrices: drop the
            // empty angles, divide each by its sum.
            let mut expected_p = Vec::new();
            for m in counts.chunks_exact(n * n) {
                let sum: u32 = m.iter().sum();
                if sum > 0 {
                    expected_p.extend(m.iter().map(|&c| f64::from(c) / f64::from(sum)));
                }
            }
            let cpu = Glcm::build(&g, &s).unwrap();
            assert!(cpu.angles > 1, "{}: too few angles to prove anything", case.name);
            assert_eq!(cpu.p, expected_p, "{} distances {distances:?}", case.name);
        }
    }
}

#[test]
fn glrlm_kernel_equals_the_cpu_matrices_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let kernel: GlrlmCounts = kernels.symbol("glrlm_counts");
    for seed in 1..=6 {
        let case = random_case(seed);
        let (_, _, g) = tumor(&case);
        for axis in [None, Some(2)] {
            let s = TextureSettings { force_2d_axis: axis, ..TextureSettings::default() };
            let offsets = neighbour_offsets(g.size, &[1], Directions::One, axis).unwrap();
            let flat: Vec<i32> = offsets.iter().flatten().map(|&o| o as i32).collect();
            let (n, longest) = (g.present.len(), g.size.into_iter().max().unwrap());
            let rows = rows(&g);
            let mut counts = vec![0u32; offsets.len() * n * longest];
            let [sx, sy, sz] = dims(g.size);
            kernels.launch(rows.len(), offsets.len(), || unsafe {
                kernel(
                    rows.as_ptr(),
                    sx,
                    sy,
                    sz,
                    flat.as_ptr(),
                    n as u32,
                    longest as u32,
                    counts.as_mut_ptr(),
                )
            });
            // These blobs have a line with two voxels along every angle, so no angle is emptied;
            // then PyRadiomics drops the run lengths that never occur.
            let used: Vec<usize> =
                (0..longest).filter(|&l| counts.chunks_exact(longest).any(|row| row[l] != 0)).collect();
            let expected: Vec<f64> = counts
                .chunks_exact(longest)
                .flat_map(|row| used.iter().map(|&l| f64::from(row[l])))
                .collect();
            let cpu = Glrlm::build(&g, &s).unwrap();
            assert_eq!(cpu.angles, offsets.len(), "{}", case.name);
            assert_eq!(
                cpu.run_lengths,
                used.iter().map(|&l| l as u32 + 1).collect::<Vec<_>>(),
                "{}",
                case.name
            );
            assert_eq!(cpu.counts, expected, "{} axis {axis:?}", case.name);
        }
    }
}

#[test]
fn neighbour_tally_kernel_equals_the_cpu_gldm_and_ngtdm_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let kernel: NeighbourTallyKernel = kernels.symbol("neighbour_tally");
    for seed in 1..=6 {
        let case = random_case(seed);
        let (_, _, g) = tumor(&case);
        // (settings, the kernel's limit: ⌊α⌋, or −1 when no neighbour may depend)
        for (s, limit) in [
            (TextureSettings::default(), 0),
            (TextureSettings { distances: vec![1, 2], ..TextureSettings::default() }, 0),
            (TextureSettings { force_2d_axis: Some(2), ..TextureSettings::default() }, 0),
            (TextureSettings { gldm_alpha: 2.5, ..TextureSettings::default() }, 2),
            (TextureSettings { gldm_alpha: -1.0, ..TextureSettings::default() }, -1),
        ] {
            let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis).unwrap();
            let flat: Vec<i32> = offsets.iter().flatten().map(|&o| o as i32).collect();
            let voxels = g.levels.len();
            let mut tally = NeighbourTally {
                dependent: vec![0; voxels],
                neighbours: vec![0; voxels],
                sums: vec![0; voxels],
            };
            let [sx, sy, sz] = dims(g.size);
            kernels.launch(voxels, 1, || unsafe {
                kernel(
                    g.levels.as_ptr(),
                    sx,
                    sy,
                    sz,
                    flat.as_ptr(),
                    offsets.len() as u32,
                    limit,
                    tally.dependent.as_mut_ptr(),
                    tally.neighbours.as_mut_ptr(),
                    tally.sums.as_mut_ptr(),
                )
            });
            let what = format!("{} {s:?}", case.name);
            if limit >= 0 {
                assert!(tally.dependent.iter().any(|&d| d > 1), "{what}: no dependence to prove anything");
            }
            assert!(tally.neighbours.iter().zip(&g.levels).all(|(&n, &l)| l != 0 || n == 0), "{what}");
            // The CPU builders tally row by row themselves; from the kernel's tallies the same
            // matrices, to the bit.
            assert_eq!(gldm_from(&g, &s, Some(&tally)).unwrap(), gldm(&g, &s).unwrap(), "GLDM {what}");
            let (from_kernel, cpu) = (ngtdm_from(&g, &s, Some(&tally)).unwrap(), ngtdm(&g, &s).unwrap());
            assert!(cpu.differences.iter().any(|&d| d > 0.0), "{what}: a flat region proves nothing");
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                (&from_kernel.grey_levels, bits(&from_kernel.counts), bits(&from_kernel.differences)),
                (&cpu.grey_levels, bits(&cpu.counts), bits(&cpu.differences)),
                "NGTDM {what}"
            );
        }
    }
}

/// The zones of `g` as `CudaDevice::glszm_zones` finds them (its three launches, then the sizes
/// at the roots), with or without preempted merges, and the merge's `atomicMin` calls.
fn emulated_zones(
    kernels: &Emulated,
    g: &GreyLevels,
    axis: Option<usize>,
    preempted: bool,
) -> (Vec<(u32, u32)>, u64) {
    let (init, merge, sizes_of): (GlszmInit, GlszmMerge, GlszmSizes) =
        (kernels.symbol("glszm_init"), kernels.symbol("glszm_merge"), kernels.symbol("glszm_sizes"));
    let offsets = neighbour_offsets(g.size, &[1], Directions::One, axis).unwrap();
    let flat: Vec<i32> = offsets.iter().flatten().map(|&o| o as i32).collect();
    let (rows, n) = (rows(g), g.present.len() as u32);
    let voxels = rows.len();
    let (mut labels, mut sizes) = (vec![0u32; voxels], vec![0u32; voxels]);
    let [sx, sy, sz] = dims(g.size);
    kernels.launch(voxels, 1, || unsafe { init(voxels as u64, labels.as_mut_ptr()) });
    let labels_at = labels.as_mut_ptr();
    let merge_thread = || unsafe { merge(rows.as_ptr(), sx, sy, sz, flat.as_ptr(), n, labels_at) };
    let atomic_mins = if preempted {
        kernels.launch_preempted(voxels, offsets.len(), &merge_thread)
    } else {
        let (reset, count): (SetPreempt, AtomicMinCount) =
            (kernels.symbol("emulate_set_preempt"), kernels.symbol("emulate_atomic_min_count"));
        // SAFETY: switches preemption off and zeroes the shim's counter, read after the launch.
        unsafe { reset(None, std::ptr::null_mut()) };
        kernels.launch(voxels, offsets.len(), merge_thread);
        unsafe { count() }
    };
    kernels.launch(voxels, 1, || unsafe {
        sizes_of(rows.as_ptr(), voxels as u64, n, labels.as_mut_ptr(), sizes.as_mut_ptr())
    });
    let zones =
        rows.iter().zip(sizes).filter(|&(_, size)| size > 0).map(|(&row, size)| (row, size)).collect();
    (zones, atomic_mins)
}

/// The union-find's links: each successful `atomicMin` joins two trees, so a region of `voxels`
/// in `zones` zones takes `voxels − zones` of them; any call beyond is a retry.
fn retries(g: &GreyLevels, zones: &[(u32, u32)], atomic_mins: u64) -> u64 {
    let links = g.levels.iter().filter(|&&l| l != 0).count() - zones.len();
    atomic_mins - links as u64
}

#[test]
fn glszm_kernel_equals_the_cpu_matrices_on_random_cases() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    for seed in 1..=6 {
        let case = random_case(seed);
        let (_, _, g) = tumor(&case);
        for axis in [None, Some(2)] {
            let s = TextureSettings { force_2d_axis: axis, ..TextureSettings::default() };
            let cpu = glszm(&g, &s).unwrap();
            for preempted in [false, true] {
                let (zones, atomic_mins) = emulated_zones(&kernels, &g, axis, preempted);
                let what = format!("{} axis {axis:?} preempted {preempted}", case.name);
                assert_eq!(Glszm::from_zones(&g, &zones), cpu, "{what}");
                let retried = retries(&g, &zones, atomic_mins);
                // Run one after another, every link holds at its first try; preempted, some do not.
                assert_eq!(retried > 0, preempted, "{what}: {retried} retries");
            }
            let columns = cpu.zone_sizes.len();
            let joined: f64 = cpu
                .counts
                .iter()
                .enumerate()
                .filter(|&(at, _)| cpu.zone_sizes[at % columns] > 1)
                .map(|(_, &count)| count)
                .sum();
            assert!(
                joined >= 5.0,
                "{} axis {axis:?}: {joined} zones of several voxels prove little",
                case.name
            );
        }
    }
}

/// An `n`×`n` slice (`n` odd) of two interlocked square spirals: a path of level 1 from the
/// corner `(0, 0)` winding inwards, one voxel wide, and level 2 in the gaps between its turns.
/// In raster order each ring's rows start new trees that join the outer ones only at the left
/// and bottom legs, late, and each spiral is one zone.
fn spirals(n: usize) -> GreyLevels {
    let mut levels = vec![2u32; n * n];
    let (mut at, mut step) = ([0isize; 2], 0);
    levels[0] = 1;
    // Legs of n − 1, then two each of n − 2, n − 4, …, 1 voxels: right, down, left, up, right…
    let legs = std::iter::once(n - 1).chain((1..n - 1).rev().step_by(2).flat_map(|leg| [leg, leg]));
    for leg in legs {
        let direction = [[1, 0], [0, 1], [-1, 0], [0, -1]][step % 4];
        for _ in 0..leg {
            at = [at[0] + direction[0], at[1] + direction[1]];
            levels[at[0] as usize + n * at[1] as usize] = 1;
        }
        step += 1;
    }
    GreyLevels::new([n, n, 1], levels)
}

#[test]
fn glszm_kernel_joins_spirals_that_meet_late_and_retries_links_lost_to_other_threads() {
    let dir = tempfile::tempdir().unwrap();
    let kernels = Emulated::build(dir.path());
    let g = spirals(15);
    let path = g.levels.iter().filter(|&&l| l == 1).count() as u32;
    // Independent of both builders: each spiral is one zone of all its voxels.
    let expected = Glszm {
        grey_levels: vec![1, 2],
        zone_sizes: vec![15 * 15 - path, path],
        counts: vec![0.0, 1.0, 1.0, 0.0],
        voxel_count: 15 * 15,
    };
    for axis in [None, Some(2)] {
        let s = TextureSettings { force_2d_axis: axis, ..TextureSettings::default() };
        assert_eq!(glszm(&g, &s).unwrap(), expected, "CPU, axis {axis:?}");
        for preempted in [false, true] {
            let (zones, atomic_mins) = emulated_zones(&kernels, &g, axis, preempted);
            assert_eq!(Glszm::from_zones(&g, &zones), expected, "axis {axis:?} preempted {preempted}");
            let retried = retries(&g, &zones, atomic_mins);
            if preempted {
                assert!(retried >= 5, "axis {axis:?}: {retried} retries prove little");
            } else {
                assert_eq!(retried, 0, "axis {axis:?}");
            }
        }
    }
}
