//! The CUDA kernels' own code run on the CPU, against the CPU builders: no GPU is needed.
//!
//! The `.cu` files are plain C inside their `__global__` functions, so the system C compiler
//! builds them into a shared library with a small shim (`blockIdx`/`threadIdx` as globals set
//! before each emulated thread, `atomicAdd` as `+=`, `-ffp-contract=off` as the GPU's
//! `--fmad=false`); each kernel is then called once per thread of the launch grid the backend
//! uses (256 threads a block, one grid row per angle). This checks the kernels' indexing and
//! arithmetic against the CPU path on random cases; the CUDA launch itself is checked only on a
//! device (`scripts/gpu-check.sh`).

use std::path::Path;
use std::process::Command;

use radscored::gpu::compile::KERNEL_FILES;
use radscored::gpu::NeighbourTally;
use radscored::gpu_check::{random_case, Case};
use radscored::image::Voxels;
use radscored::radiomics::discretise::bin_edges;
use radscored::radiomics::matrices::angles::{neighbour_offsets, Directions};
use radscored::radiomics::matrices::glcm::Glcm;
use radscored::radiomics::matrices::gldm::{gldm, gldm_from};
use radscored::radiomics::matrices::glrlm::Glrlm;
use radscored::radiomics::matrices::ngtdm::{ngtdm, ngtdm_from};
use radscored::radiomics::preprocess;
use radscored::radiomics::{discretise, Binning, GreyLevels, Settings, TextureSettings};
use radscored::roi::peritumoral_ring;

/// Threads per block, as `gpu::device` launches them.
const BLOCK: usize = 256;

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

/// The kernels compiled for the CPU.
struct Emulated {
    library: libloading::Library,
}

impl Emulated {
    fn build(dir: &Path) -> Emulated {
        let mut source = SHIM.to_owned();
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
