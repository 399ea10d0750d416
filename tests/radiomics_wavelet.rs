//! Wavelet sub-bands (`radiomics::wavelet`) against PyRadiomics' own
//! `imageoperations.getWaveletImage`, run live on the whole volume by `tests/oracle/wavelet_oracle.py`
//! and cropped to the region: the region-only computation must give the whole-volume values,
//! including where the region touches the volume's faces and the periodic wrap matters.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use radscored::image::{self, BoundingBox};
use radscored::radiomics::wavelet::{subbands, SubBand, Wavelet, WaveletSettings};

use crate::util::{repo, shared};

/// Largest accepted |ours − PyRadiomics| relative to the value range of the band in the region.
const TOLERANCE: f64 = 1e-9;

/// Bands whose range is below this fraction of the largest band's range count as rounding noise.
const NOISE_FLOOR: f64 = 1e-6;

/// PyRadiomics holds the padded volume and all 8 bands at once (about 2 GB for lung2), so the
/// oracle runs one at a time.
static ORACLE: Mutex<()> = Mutex::new(());

fn python() -> PathBuf {
    let python = repo().join(".venv-ref/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run the project's setup script to create the venv",
        python.display()
    );
    python
}

fn refdata(name: &str) -> PathBuf {
    shared(&format!("refdata/pyradiomics/{name}"))
}

/// One oracle run: an image file, the settings, and the boxes to crop.
struct Job {
    image: PathBuf,
    settings: WaveletSettings,
    boxes: Vec<BoundingBox>,
}

/// PyRadiomics' output for one job: band names in yield order, and `values[box][band]`.
struct Reference {
    names: Vec<String>,
    values: Vec<Vec<Vec<f64>>>,
}

fn run_oracle(jobs: &[Job]) -> Vec<Reference> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let specs: Vec<serde_json::Value> = jobs
        .iter()
        .enumerate()
        .map(|(n, job)| {
            let out = dir.path().join(format!("job{n}"));
            fs::create_dir(&out).expect("job directory");
            serde_json::json!({
                "image": job.image,
                "out": out,
                "wavelet": job.settings.wavelet.name(),
                "start_level": job.settings.start_level,
                "level": job.settings.level,
                "boxes": job.boxes.iter().map(|b| [b.min, b.max].concat()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let spec_path = dir.path().join("jobs.json");
    fs::write(&spec_path, serde_json::to_vec(&specs).unwrap()).expect("write jobs.json");
    let output = {
        let _one_at_a_time = ORACLE.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(python())
            .arg(repo().join("tests/oracle/wavelet_oracle.py"))
            .arg(&spec_path)
            .output()
            .expect("run the wavelet oracle")
    };
    assert!(output.status.success(), "wavelet oracle failed:\n{}", String::from_utf8_lossy(&output.stderr));
    jobs.iter()
        .enumerate()
        .map(|(n, job)| {
            let out = dir.path().join(format!("job{n}"));
            let names: Vec<String> =
                fs::read_to_string(out.join("names.txt")).unwrap().lines().map(str::to_string).collect();
            let values = (0..job.boxes.len())
                .map(|b| names.iter().map(|name| read_f64(&out.join(format!("b{b}_{name}.f64")))).collect())
                .collect();
            Reference { names, values }
        })
        .collect()
}

fn read_f64(path: &Path) -> Vec<f64> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Largest |ours − reference| over all bands, each relative to its reference range in the region.
/// A band whose range is below [`NOISE_FLOOR`] times the largest band range is rounding noise
/// (a high pass across a constant direction, e.g. along a single-slice axis); PyWavelets sums the
/// wrapped taps in another order there, so such a band is measured against that floor instead.
/// Panics when the names or lengths differ.
fn max_relative_difference(ours: &[SubBand], names: &[String], reference: &[Vec<f64>]) -> f64 {
    let our_names: Vec<&str> = ours.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(our_names, names, "band names or order differ from PyRadiomics");
    let range = |values: &[f64]| {
        let (lo, hi) =
            values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        if hi > lo {
            hi - lo
        } else {
            lo.abs()
        }
    };
    let floor = NOISE_FLOOR * reference.iter().map(|r| range(r)).fold(0.0, f64::max);
    let mut worst = 0.0f64;
    for (band, expected) in ours.iter().zip(reference) {
        assert_eq!(band.values.len(), expected.len(), "{}: length", band.name);
        let scale = range(expected).max(floor);
        let diff = band.values.iter().zip(expected).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        if diff > 0.0 {
            worst = worst.max(if scale > 0.0 { diff / scale } else { f64::INFINITY });
        }
    }
    worst
}

/// A real case: the label-1 box of `case`, default settings, against PyRadiomics; prints timing.
fn check_case(case: &str) {
    let image = image::read(&refdata(&format!("{case}_image.nrrd"))).expect("read image");
    let label = image::read(&refdata(&format!("{case}_label.nrrd"))).expect("read label");
    let (region, count) = label.label_extent(1.0).expect("label 1 present");
    let settings = WaveletSettings::default();
    let size = image.geometry.size;
    let compute = || subbands(size, |x| image.voxels.get(x), &region, &settings).expect("subbands");
    let ours = compute();
    let runs = 10;
    let best = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(compute());
            start.elapsed()
        })
        .min()
        .unwrap();
    let job = Job { image: refdata(&format!("{case}_image.nrrd")), settings, boxes: vec![region] };
    let reference = &run_oracle(&[job])[0];
    let worst = max_relative_difference(&ours, &reference.names, &reference.values[0]);
    eprintln!(
        "{case}: volume {size:?}, region {:?} ({count} mask voxels): 8 bands in {:.3} ms (best of {runs}), \
         max |diff|/range {worst:.2e}",
        region.size(),
        best.as_secs_f64() * 1e3
    );
    assert!(worst <= TOLERANCE, "{case}: max relative difference {worst:e}");
}

#[test]
fn lung1_region_matches_pyradiomics_whole_volume() {
    check_case("lung1");
}

#[test]
fn lung2_region_matches_pyradiomics_whole_volume() {
    check_case("lung2");
}

#[test]
fn brain1_region_matches_pyradiomics_whole_volume() {
    check_case("brain1");
}

/// A synthetic volume of pseudo-random doubles, written as a raw NRRD for PyRadiomics.
struct Synthetic {
    size: [usize; 3],
    values: Vec<f64>,
    path: PathBuf,
}

impl Synthetic {
    fn new(dir: &Path, size: [usize; 3], seed: u64) -> Synthetic {
        let mut state = seed;
        let values: Vec<f64> = (0..size.iter().product::<usize>())
            .map(|_| {
                // xorshift64*, scaled to a CT-like range.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let bits = state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
                bits as f64 / (1u64 << 53) as f64 * 4000.0 - 1000.0
            })
            .collect();
        let path = dir.join(format!("synthetic_{}x{}x{}.nrrd", size[0], size[1], size[2]));
        let mut bytes = format!(
            "NRRD0004\ntype: double\ndimension: 3\nsizes: {} {} {}\nencoding: raw\nendian: little\n\n",
            size[0], size[1], size[2]
        )
        .into_bytes();
        bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
        fs::write(&path, bytes).expect("write synthetic NRRD");
        Synthetic { size, values, path }
    }

    /// Boxes touching each of the six faces (and two corners, an interior box and the whole
    /// volume), so that every wrap direction is exercised.
    fn boxes(&self) -> Vec<BoundingBox> {
        let [nx, ny, nz] = self.size.map(|n| n - 1);
        let mid = |n: usize| (n / 3, (2 * n / 3).max(n / 3));
        let (x0, x1) = mid(nx);
        let (y0, y1) = mid(ny);
        let (z0, z1) = mid(nz);
        vec![
            BoundingBox { min: [0, y0, z0], max: [1.min(nx), y1, z1] },
            BoundingBox { min: [nx, y0, z0], max: [nx, y1, z1] },
            BoundingBox { min: [x0, 0, z0], max: [x1, 0, z1] },
            BoundingBox { min: [x0, ny.saturating_sub(1), z0], max: [x1, ny, z1] },
            BoundingBox { min: [x0, y0, 0], max: [x1, y1, 0] },
            BoundingBox { min: [x0, y0, nz], max: [x1, y1, nz] },
            BoundingBox { min: [0, 0, 0], max: [0, 0, 0] },
            BoundingBox { min: [nx, ny, nz], max: [nx, ny, nz] },
            BoundingBox { min: [x0, y0, z0], max: [x1, y1, z1] },
            BoundingBox { min: [0, 0, 0], max: [nx, ny, nz] },
        ]
    }

    fn job(&self, settings: WaveletSettings) -> Job {
        Job { image: self.path.clone(), settings, boxes: self.boxes() }
    }
}

/// Runs every job in one oracle call and checks each box of each job.
fn check_synthetic(jobs: &[(&Synthetic, WaveletSettings)]) {
    let oracle_jobs: Vec<Job> = jobs.iter().map(|(volume, settings)| volume.job(*settings)).collect();
    let references = run_oracle(&oracle_jobs);
    let mut overall = 0.0f64;
    for ((volume, settings), reference) in jobs.iter().zip(&references) {
        for (region, expected) in volume.boxes().iter().zip(&reference.values) {
            let ours = subbands(volume.size, |x| volume.values[x], region, settings).expect("subbands");
            let worst = max_relative_difference(&ours, &reference.names, expected);
            assert!(
                worst <= TOLERANCE,
                "{:?} {settings:?} region {region:?}: max relative difference {worst:e}",
                volume.size
            );
            overall = overall.max(worst);
        }
    }
    eprintln!("{} synthetic settings x regions: max |diff|/range {overall:.2e}", jobs.len());
}

#[test]
fn synthetic_regions_touching_every_face_match_pyradiomics() {
    let dir = tempfile::tempdir().unwrap();
    let odd = Synthetic::new(dir.path(), [7, 9, 5], 1);
    let mixed = Synthetic::new(dir.path(), [8, 6, 3], 2);
    let single_slice = Synthetic::new(dir.path(), [5, 4, 1], 3);
    let default = WaveletSettings::default();
    let mut jobs = vec![(&odd, default), (&mixed, default), (&single_slice, default)];
    for wavelet in Wavelet::ALL {
        jobs.push((&odd, WaveletSettings { wavelet, ..default }));
    }
    check_synthetic(&jobs);
}

/// Later passes (`start_level`, `level` > 1), including ranges longer than a padded axis (coif1
/// and coif2 over 3 passes on a 5-voxel axis), where a pass holds the whole period.
#[test]
fn synthetic_higher_levels_match_pyradiomics() {
    let dir = tempfile::tempdir().unwrap();
    let odd = Synthetic::new(dir.path(), [7, 9, 5], 4);
    let tiny = Synthetic::new(dir.path(), [3, 2, 1], 5);
    let mut jobs = Vec::new();
    for wavelet in [Wavelet::Coif1, Wavelet::Haar, Wavelet::Db4, Wavelet::Coif2] {
        for (start_level, level) in [(1, 1), (0, 2), (1, 2), (2, 1)] {
            jobs.push((&odd, WaveletSettings { wavelet, start_level, level }));
        }
    }
    jobs.push((&tiny, WaveletSettings { wavelet: Wavelet::Coif2, start_level: 1, level: 2 }));
    check_synthetic(&jobs);
}

/// `baseline/wavelet.npy` is what PyRadiomics' `tests/test_wavelet.py` compares against, but that
/// test compares `sitk.GetArrayFromImage(image)[mask]` (the unfiltered input image) with it, not
/// the filtered image: the file holds the same 2109 masked input voxels eight times, values 128
/// and 255 only, of test images that are not available. It can check no wavelet value; this
/// test pins that finding so a real baseline put in its place would be noticed.
#[test]
fn baseline_wavelet_npy_holds_unfiltered_input_voxels_only() {
    let bytes = fs::read(refdata("baseline/wavelet.npy")).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "not a .npy file");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
    assert!(header.contains("'descr': '|u1'") && header.contains("'shape': (8, 2109)"), "{header}");
    let rows: Vec<&[u8]> = bytes[10 + header_len..].chunks_exact(2109).collect();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|row| row == &rows[0]), "rows differ: the file may now hold filtered values");
    assert!(rows[0].iter().all(|&v| v == 128 || v == 255));
}
