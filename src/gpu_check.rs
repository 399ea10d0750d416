//! The device check: every GPU mask, matrix and feature against the CPU oracle, and the time each
//! takes on one CPU thread and on the GPU (issue 14's proof; run by `radscored gpu-check` and
//! `scripts/gpu-check.sh`).
//!
//! Each case (a CT image and a tumor mask) is compared as follows, CPU against CUDA:
//! - the 3 mm ring (and rings of 1 and 4.2 mm): every voxel equal;
//! - the discretised grey levels of the tumor: every voxel equal;
//! - the GLCM (default, asymmetric, distances 1 and 2, 2D, Euclidean weighting), the GLRLM
//!   (default, 2D, Manhattan weighting), and the GLDM and NGTDM (default, distances 1 and 2, 2D,
//!   α = 2): the same levels, angles and bit-identical entries, which holds exactly when the
//!   integer counts are equal (the rest of the builders is shared);
//! - the GLSZM (3D and 2D): the same levels, zone sizes and counts;
//! - every feature of the extraction settings, of the tumor and of its 3 mm ring: relative
//!   difference at most [`FEATURE_TOLERANCE`];
//! - on a DICOM study ([`compare_study`]), the product's own path as the daemon runs it: the ring
//!   and both regions' features, and the time of that whole two-region extraction.
//!
//! Cases are fresh random volumes ([`random_case`]: smooth HU fields, blob-shaped masks,
//! anisotropic spacing) and NRRD pairs such as PyRadiomics' lung1 and lung2.

use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Instant;

use crate::gpu::Backend;
use crate::image::{Geometry, Image, Voxels};
use crate::pseudonym::{SiteKey, SITE_KEY_BYTES};
use crate::radiomics::matrices::angles::AngleError;
use crate::radiomics::matrices::glcm::Glcm;
use crate::radiomics::matrices::gldm::{gldm, gldm_from, Gldm};
use crate::radiomics::matrices::glrlm::Glrlm;
use crate::radiomics::matrices::glszm::{glszm_on, Glszm};
use crate::radiomics::matrices::neighbourhood::neighbour_tally_on;
use crate::radiomics::matrices::ngtdm::{ngtdm, ngtdm_from, Ngtdm};
use crate::radiomics::preprocess;
use crate::radiomics::{
    discretise_on, extract_on, features, thread_pool, ExtractError, FeatureVector, GreyLevels, Roi, Settings,
    TextureSettings, WeightingNorm,
};
use crate::roi::{peritumoral_ring_on, RoiError, DEFAULT_RING_RADIUS_MM};
use crate::study::{AnalyzeError, AnalyzeOptions, Analyzer, StudyInput};

/// Largest relative difference accepted between a CPU and a GPU feature.
pub const FEATURE_TOLERANCE: f64 = 1e-9;

/// One case: a CT image and its tumor mask (label 1) on the same grid.
pub struct Case {
    /// Shown in mismatches and timings (`random-3`, `lung2`).
    pub name: String,
    /// Image values (HU).
    pub image: Image,
    /// Tumor mask, 1 inside.
    pub mask: Image,
}

/// Median wall times of one kernel on one case, milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Case name.
    pub case: String,
    /// What was timed (`ring`, `glcm`, `extraction (tumor + ring)`).
    pub kernel: &'static str,
    /// On the CPU (one thread, unless the kernel's name says otherwise).
    pub cpu_ms: f64,
    /// On the GPU, transfers included.
    pub gpu_ms: f64,
}

/// Why a case could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The ring could not be made.
    #[error(transparent)]
    Ring(#[from] RoiError),
    /// The extraction failed.
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// A study could not be analysed.
    #[error(transparent)]
    Study(#[from] AnalyzeError),
}

/// Compares every GPU result of `case` with the CPU's; returns the mismatches, one line each
/// (empty when all agree).
pub fn compare(case: &Case, settings: &Settings, gpu: &Backend) -> Result<Vec<String>, CheckError> {
    let cpu = Backend::Cpu;
    let mut mismatches = Vec::new();
    let mut check = |what: String, equal: bool| {
        if !equal {
            mismatches.push(format!("{}: {what} differs between CPU and GPU", case.name));
        }
    };
    for radius_mm in [DEFAULT_RING_RADIUS_MM, 1.0, 4.2] {
        let on_cpu = peritumoral_ring_on(&case.mask, radius_mm, &cpu)?;
        let on_gpu = peritumoral_ring_on(&case.mask, radius_mm, gpu)?;
        check(format!("ring of {radius_mm} mm"), on_cpu.voxels == on_gpu.voxels);
    }
    let ring = peritumoral_ring_on(&case.mask, DEFAULT_RING_RADIUS_MM, &cpu)?;
    let roi = tumor_roi(case, settings)?;
    let grey = discretise_on(&roi, settings.binning, &cpu).map_err(ExtractError::from)?;
    let on_gpu = discretise_on(&roi, settings.binning, gpu).map_err(ExtractError::from)?;
    check("discretisation".to_owned(), on_gpu == grey);
    for (name, texture) in glcm_variants(roi.spacing_mm) {
        let (a, b) = (Glcm::build_on(&grey, &texture, &cpu), Glcm::build_on(&grey, &texture, gpu));
        check(format!("GLCM ({name})"), agree(a, b, |m| (m.levels.clone(), m.angles, bits(&m.p))));
    }
    for (name, texture) in glrlm_variants(roi.spacing_mm) {
        let (a, b) = (Glrlm::build_on(&grey, &texture, &cpu), Glrlm::build_on(&grey, &texture, gpu));
        let key = |m: &Glrlm| (m.levels.clone(), m.run_lengths.clone(), m.angles, bits(&m.counts));
        check(format!("GLRLM ({name})"), agree(a, b, key));
    }
    for (name, texture) in neighbourhood_variants(roi.spacing_mm) {
        let tally = neighbour_tally_on(&grey, &texture, gpu).map_err(ExtractError::from)?;
        check(
            format!("GLDM and NGTDM tallies ({name}) computed on the GPU"),
            tally.is_some() == gpu.device().is_some(),
        );
        let (a, b) = (gldm(&grey, &texture), gldm_from(&grey, &texture, tally.as_ref()));
        check(format!("GLDM ({name})"), agree(a, b, |m| (m.dependence_sizes.clone(), bits(&m.counts))));
        let (a, b) = (ngtdm(&grey, &texture), ngtdm_from(&grey, &texture, tally.as_ref()));
        check(format!("NGTDM ({name})"), agree(a, b, |m| (bits(&m.counts), bits(&m.differences))));
    }
    let base = TextureSettings { spacing_mm: roi.spacing_mm, ..TextureSettings::default() };
    for (name, texture) in [("3D", base.clone()), ("2D", TextureSettings { force_2d_axis: Some(2), ..base })]
    {
        let (a, b) = (glszm_on(&grey, &texture, &cpu), glszm_on(&grey, &texture, gpu));
        check(format!("GLSZM ({name})"), a == b);
    }
    for (region, mask) in [("tumor", &case.mask), ("ring", &ring)] {
        let on_cpu = extract_on(&case.image, mask, settings, None, &cpu)?;
        let on_gpu = extract_on(&case.image, mask, settings, None, gpu)?;
        mismatches.extend(feature_mismatches(&case.name, region, &on_cpu, &on_gpu));
    }
    Ok(mismatches)
}

/// The features of `region` that differ between the CPU's and the GPU's extraction (names and
/// order equal, values within [`FEATURE_TOLERANCE`], NaN where the other is NaN), one line each.
fn feature_mismatches(case: &str, region: &str, cpu: &FeatureVector, gpu: &FeatureVector) -> Vec<String> {
    let mut mismatches = Vec::new();
    if cpu.entries.len() != gpu.entries.len() {
        mismatches.push(format!("{case}: {region} feature names differ between CPU and GPU"));
    }
    for ((name, a), (other, b)) in cpu.entries.iter().zip(&gpu.entries) {
        let close = (a.is_nan() && b.is_nan()) || relative_difference(*a, *b) <= FEATURE_TOLERANCE;
        if name != other || !close {
            mismatches.push(format!(
                "{case}: {region} feature {name} ({a} against {b}) differs between CPU and GPU"
            ));
        }
    }
    mismatches
}

/// The product's own path on a DICOM study folder, CPU against GPU: the study loaded and
/// analysed with the paper's settings as the daemon analyses it (its segmentation, the 3 mm ring,
/// both regions' 851 features, image types on a pool of [`all_cores`]). Returns the
/// differences (ring voxels, features) and the median over `repeat` runs (after one untimed run
/// each) of the ring and both regions' extraction, the "whole two-region extraction".
pub fn compare_study(dir: &Path, gpu: &Backend, repeat: usize) -> Result<(Vec<String>, Timing), CheckError> {
    let name =
        dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
    let analyzer = |backend: &Backend| {
        let key = SiteKey::from_bytes([0; SITE_KEY_BYTES]);
        Analyzer::new(AnalyzeOptions::paper(), key, None, thread_pool(all_cores()))
            .map(|analyzer| analyzer.with_backend(backend.clone()))
    };
    let (on_cpu, on_gpu) = (analyzer(&Backend::Cpu)?, analyzer(gpu)?);
    let run = |analyzer: &Analyzer| analyzer.features(StudyInput::Folder(dir.to_path_buf()));
    let (a, b) = (run(&on_cpu)?, run(&on_gpu)?);
    let mut mismatches = Vec::new();
    if a.ring.voxels != b.ring.voxels {
        mismatches.push(format!("{name}: the study's ring differs between CPU and GPU"));
    }
    mismatches.extend(feature_mismatches(&name, "tumor", &a.tumor_features, &b.tumor_features));
    mismatches.extend(feature_mismatches(&name, "ring", &a.ring_features, &b.ring_features));
    let extraction_ms = |analyzer: &Analyzer| {
        let mut times = Vec::new();
        for _ in 0..repeat.max(1) {
            let t = run(analyzer)?.timings;
            times.push(t.ring_ms + t.tumor_features_ms + t.ring_features_ms);
        }
        times.sort_by(f64::total_cmp);
        Ok::<f64, CheckError>(times[times.len() / 2])
    };
    let timing = Timing {
        case: name,
        kernel: "study: ring + both regions' features, all cores",
        cpu_ms: extraction_ms(&on_cpu)?,
        gpu_ms: extraction_ms(&on_gpu)?,
    };
    Ok((mismatches, timing))
}

/// Times each GPU kernel against the CPU on `case`: medians of `repeat` runs (at least one),
/// after one untimed run of each. On one thread, except the row named "all cores" (a pool of
/// [`all_cores`] threads on both backends).
pub fn time(
    case: &Case,
    settings: &Settings,
    gpu: &Backend,
    repeat: usize,
) -> Result<Vec<Timing>, CheckError> {
    let cpu = Backend::Cpu;
    let roi = tumor_roi(case, settings)?;
    let grey = discretise_on(&roi, settings.binning, &cpu).map_err(ExtractError::from)?;
    let mut texture = settings.texture.clone();
    texture.spacing_mm = roi.spacing_mm;
    let ring = peritumoral_ring_on(&case.mask, DEFAULT_RING_RADIUS_MM, &cpu)?;
    let mut timings = Vec::new();
    let mut timed = |kernel: &'static str, run: &dyn Fn(&Backend) -> Result<(), CheckError>| {
        let cpu_ms = median_ms(repeat, || run(&cpu))?;
        let gpu_ms = median_ms(repeat, || run(gpu))?;
        timings.push(Timing { case: case.name.clone(), kernel, cpu_ms, gpu_ms });
        Ok::<(), CheckError>(())
    };
    timed("ring (3 mm)", &|b| {
        peritumoral_ring_on(&case.mask, DEFAULT_RING_RADIUS_MM, b).map(drop).map_err(Into::into)
    })?;
    timed("discretisation", &|b| {
        discretise_on(&roi, settings.binning, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    timed("glcm matrices", &|b| {
        Glcm::build_on(&grey, &texture, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    timed("glrlm matrices", &|b| {
        Glrlm::build_on(&grey, &texture, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    timed("gldm + ngtdm matrices", &|b| {
        neighbourhood_matrices(&grey, &texture, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    timed("glszm matrices", &|b| {
        glszm_on(&grey, &texture, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    // The texture stage: what moves to the GPU (the feature formulas stay on the CPU).
    timed("texture matrices (all five, grey levels given)", &|b| {
        texture_matrices(&grey, &texture, b).map(drop).map_err(|e| ExtractError::from(e).into())
    })?;
    timed("texture stage (levels, matrices, features)", &|b| {
        let grey = discretise_on(&roi, settings.binning, b).map_err(ExtractError::from)?;
        let (glcm, glrlm, glszm, (gldm, ngtdm)) =
            texture_matrices(&grey, &texture, b).map_err(ExtractError::from)?;
        std::hint::black_box((
            features::glcm::features(&glcm),
            features::glrlm::features(&glrlm),
            features::glszm::from_matrix(&glszm),
            features::gldm::from_matrix(&gldm),
            features::ngtdm::from_matrix(&ngtdm),
        ));
        Ok(())
    })?;
    let extraction = |b: &Backend, pool: Option<&rayon::ThreadPool>| {
        let ring = peritumoral_ring_on(&case.mask, DEFAULT_RING_RADIUS_MM, b)?;
        extract_on(&case.image, &case.mask, settings, pool, b)?;
        extract_on(&case.image, &ring, settings, pool, b)?;
        Ok(())
    };
    timed("extraction (tumor + ring)", &|b| extraction(b, None))?;
    // As the daemon runs it: the image types on a pool of every core, on both backends.
    let pool = thread_pool(all_cores());
    timed("extraction (tumor + ring), all cores", &|b| extraction(b, pool.as_ref()))?;
    std::hint::black_box(ring);
    Ok(timings)
}

/// The GLDM and NGTDM of `grey` on `backend`, from one tally of its neighbourhoods.
fn neighbourhood_matrices(
    grey: &GreyLevels,
    texture: &TextureSettings,
    backend: &Backend,
) -> Result<(Gldm, Ngtdm), AngleError> {
    let tally = neighbour_tally_on(grey, texture, backend)?;
    Ok((gldm_from(grey, texture, tally.as_ref())?, ngtdm_from(grey, texture, tally.as_ref())?))
}

/// Every texture matrix of `grey` on `backend`: what the texture stage moves to the GPU.
fn texture_matrices(
    grey: &GreyLevels,
    texture: &TextureSettings,
    backend: &Backend,
) -> Result<(Glcm, Glrlm, Glszm, (Gldm, Ngtdm)), AngleError> {
    Ok((
        Glcm::build_on(grey, texture, backend)?,
        Glrlm::build_on(grey, texture, backend)?,
        glszm_on(grey, texture, backend)?,
        neighbourhood_matrices(grey, texture, backend)?,
    ))
}

/// Whether the CPU's and the GPU's build agree: both fail, or both give the same `key`.
fn agree<T, K: PartialEq, E>(a: Result<T, E>, b: Result<T, E>, key: impl Fn(&T) -> K) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => key(&a) == key(&b),
        (a, b) => a.is_err() && b.is_err(),
    }
}

/// The threads of the "all cores" timing: every core this process may use.
pub fn all_cores() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// A random case: a `size` box of smooth HU values with noise, on an anisotropic grid, and a
/// blob-shaped tumor (an ellipsoid with a ragged edge); the same `seed` gives the same case.
pub fn random_case(seed: u64) -> Case {
    let mut random = Stream::new(seed);
    let size = [24 + random.below(72), 24 + random.below(72), 8 + random.below(40)];
    let in_plane = 0.5 + random.unit() * 0.5;
    let geometry = Geometry {
        size,
        origin_mm: [0.0; 3],
        spacing_mm: [in_plane, in_plane, 1.0 + random.unit() * 4.0],
        direction: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    };
    let waves: [f64; 3] = [0.05 + random.unit() * 0.3, 0.05 + random.unit() * 0.3, 0.1 + random.unit() * 0.5];
    let centre = size.map(|n| n as f64 * (0.3 + random.unit() * 0.4));
    let radii = size.map(|n| n as f64 * (0.1 + random.unit() * 0.25) + 1.0);
    let (mut values, mut mask) = (Vec::new(), Vec::new());
    for k in 0..size[2] {
        for j in 0..size[1] {
            for i in 0..size[0] {
                let smooth =
                    (i as f64 * waves[0]).sin() + (j as f64 * waves[1]).cos() + (k as f64 * waves[2]).sin();
                values.push((smooth * 300.0 - 300.0 + random.unit() * 200.0).round());
                let r: f64 = [i, j, k]
                    .iter()
                    .enumerate()
                    .map(|(a, &c)| ((c as f64 - centre[a]) / radii[a]).powi(2))
                    .sum();
                mask.push(u8::from(r <= 1.0 + 0.4 * (random.unit() - 0.5)));
            }
        }
    }
    // A mask needs one voxel at least; the centre is inside every ellipsoid.
    let c = centre.map(|x| x as usize);
    mask[c[0] + size[0] * (c[1] + size[1] * c[2])] = 1;
    Case {
        name: format!("random-{seed}"),
        image: Image { geometry, voxels: Voxels::F64(values.into()) },
        mask: Image { geometry, voxels: Voxels::U8(mask.into()) },
    }
}

/// The tumor's region as the original image type's texture classes see it.
fn tumor_roi(case: &Case, settings: &Settings) -> Result<Roi, CheckError> {
    let region = preprocess::find_region(&case.image, &case.mask, settings).map_err(ExtractError::from)?;
    let values = preprocess::region_values(&case.image, &region.bbox, None);
    Ok(preprocess::roi(&region, values, case.image.geometry.spacing_mm))
}

fn glcm_variants(spacing_mm: [f64; 3]) -> Vec<(&'static str, TextureSettings)> {
    let base = TextureSettings { spacing_mm, ..TextureSettings::default() };
    vec![
        ("default", base.clone()),
        ("asymmetric", TextureSettings { symmetrical_glcm: false, ..base.clone() }),
        ("distances 1, 2", TextureSettings { distances: vec![1, 2], ..base.clone() }),
        ("2D", TextureSettings { force_2d_axis: Some(2), ..base.clone() }),
        ("euclidean weighting", TextureSettings { weighting_norm: Some(WeightingNorm::Euclidean), ..base }),
    ]
}

fn glrlm_variants(spacing_mm: [f64; 3]) -> Vec<(&'static str, TextureSettings)> {
    let base = TextureSettings { spacing_mm, ..TextureSettings::default() };
    vec![
        ("default", base.clone()),
        ("2D", TextureSettings { force_2d_axis: Some(2), ..base.clone() }),
        ("manhattan weighting", TextureSettings { weighting_norm: Some(WeightingNorm::Manhattan), ..base }),
    ]
}

fn neighbourhood_variants(spacing_mm: [f64; 3]) -> Vec<(&'static str, TextureSettings)> {
    let base = TextureSettings { spacing_mm, ..TextureSettings::default() };
    vec![
        ("default", base.clone()),
        ("distances 1, 2", TextureSettings { distances: vec![1, 2], ..base.clone() }),
        ("2D", TextureSettings { force_2d_axis: Some(2), ..base.clone() }),
        ("alpha 2", TextureSettings { gldm_alpha: 2.0, ..base }),
    ]
}

/// Matrix entries as bits, so that NaN equals NaN and 0.0 differs from −0.0.
fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

/// `|a − b| / max(|a|, |b|)`, 0 when both are 0.
fn relative_difference(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// Median wall time of `repeat` runs of `run` after one untimed run, milliseconds.
fn median_ms(repeat: usize, run: impl Fn() -> Result<(), CheckError>) -> Result<f64, CheckError> {
    run()?;
    let mut times = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        run()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// xorshift64* (the same stream as the unit tests' `test_random`): reproducible random cases
/// without a dependency.
struct Stream(u64);

impl Stream {
    fn new(seed: u64) -> Stream {
        Stream(seed.max(1))
    }

    fn bits(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.bits() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.bits() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CPU against itself: the comparison runs end to end without an error or a difference,
    /// and every kernel of the table is timed.
    #[test]
    fn the_cpu_agrees_with_itself_and_every_kernel_is_timed() {
        let case = random_case(3);
        assert_eq!(compare(&case, &Settings::default(), &Backend::Cpu).unwrap(), Vec::<String>::new());
        let timings = time(&case, &Settings::default(), &Backend::Cpu, 1).unwrap();
        assert_eq!(timings.len(), 10);
        assert!(timings.iter().all(|t| t.cpu_ms >= 0.0 && t.gpu_ms >= 0.0 && t.case == "random-3"));
    }

    #[test]
    fn random_cases_are_reproducible_and_hold_a_tumor() {
        for seed in 1..20 {
            let (a, b) = (random_case(seed), random_case(seed));
            assert_eq!((&a.image.voxels, &a.mask.voxels), (&b.image.voxels, &b.mask.voxels));
            let Voxels::U8(mask) = &a.mask.voxels else { panic!("u8 mask") };
            let inside = mask.iter().filter(|&&m| m == 1).count();
            assert!(inside > 1 && inside < mask.len(), "seed {seed}: {inside} voxels");
        }
        assert_ne!(random_case(1).image.voxels, random_case(2).image.voxels);
    }
}
