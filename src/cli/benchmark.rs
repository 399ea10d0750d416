//! `radscored bench`: radscored and PyRadiomics side by side on the same case, same run.
//!
//! Both tools read the same uncompressed (raw) NRRD copies of the inputs, written to a temporary
//! folder first, so that neither pays for gzip. Each side is timed `repeat` times and the median
//! is reported: radscored in-process (read + extract) and as a whole process
//! (`radscored features`), PyRadiomics in-process (`RadiomicsFeatureExtractor.execute`, reading
//! included, interpreter start-up excluded) with SimpleITK limited to one thread. The inflate
//! time of the original file is reported on its own, and the peak memory of one more `features`
//! process as GNU time measures it. Python is only ever run here, as the peer.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::image;
use crate::radiomics::{self, Settings};
use crate::study::{Analyzer, StudyInput};

/// What to compare.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    /// Image file.
    pub image: PathBuf,
    /// Mask file.
    pub mask: PathBuf,
    /// PyRadiomics parameter file shared by both tools (None: defaults).
    pub params: Option<PathBuf>,
    /// Timed runs per side.
    pub repeat: usize,
    /// Python interpreter with PyRadiomics (see [`super::environment::peer_python`]).
    pub python: PathBuf,
    /// Threads radscored may use per extraction (PyRadiomics always runs on one).
    pub threads: NonZeroUsize,
}

/// Medians measured by one benchmark.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Features radscored computed.
    pub features: usize,
    /// Features PyRadiomics computed.
    pub peer_features: usize,
    /// radscored read + extract, in process.
    pub ours: Duration,
    /// radscored as a whole `features` process.
    pub ours_process: Duration,
    /// Peak resident memory of one more `features` process, in KiB, as GNU time reports it
    /// (`%M`; pages of the inputs' page cache that the process maps count too).
    pub ours_process_peak_kib: u64,
    /// PyRadiomics read + extract, in process.
    pub peer: Duration,
    /// Reading (inflating) the original image file alone.
    pub read_original: Duration,
}

impl BenchReport {
    /// How many times faster radscored is in process.
    pub fn ratio(&self) -> f64 {
        self.peer.as_secs_f64() / self.ours.as_secs_f64()
    }

    /// How many times faster a whole radscored process is than PyRadiomics in process.
    pub fn process_ratio(&self) -> f64 {
        self.peer.as_secs_f64() / self.ours_process.as_secs_f64()
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(repeat: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut samples = Vec::with_capacity(repeat);
    for _ in 0..repeat {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed());
    }
    Ok(median(samples))
}

/// Runs both tools on `plan`'s case.
pub fn run(plan: &BenchPlan, settings: &Settings) -> anyhow::Result<BenchReport> {
    if plan.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let dir = tempfile::tempdir().context("creating a temporary folder for the raw copies")?;
    let raw_image = dir.path().join("image.nrrd");
    let raw_mask = dir.path().join("mask.nrrd");
    image::nrrd::write_raw(&raw_image, &image::read(&plan.image)?)?;
    image::nrrd::write_raw(&raw_mask, &image::read(&plan.mask)?)?;

    let read_original = time(plan.repeat, || Ok(image::read(&plan.image).map(drop)?))?;
    let mut features = 0;
    let pool = radiomics::thread_pool(plan.threads);
    let ours = time(plan.repeat, || {
        let img = image::read(&raw_image)?;
        let mask = image::read(&raw_mask)?;
        features = radiomics::extract_parallel(&img, &mask, settings, pool.as_ref())?.len();
        Ok(())
    })?;
    let exe = std::env::current_exe().context("locating the radscored binary")?;
    let mut features_args: Vec<std::ffi::OsString> = vec!["features".into(), raw_image.clone().into()];
    features_args.extend([raw_mask.clone().into(), "--label".into(), settings.label.to_string().into()]);
    features_args.extend(["--threads".into(), plan.threads.to_string().into()]);
    if let Some(p) = &plan.params {
        features_args.extend(["--params".into(), p.clone().into()]);
    }
    let ours_process = time(plan.repeat, || {
        let out = Command::new(&exe).args(&features_args).output().context("running radscored features")?;
        if !out.status.success() {
            bail!("radscored features failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    })?;
    let ours_process_peak_kib = peak_memory_kib(&exe, &features_args)?;
    let (peer, peer_features) = run_peer(plan, &raw_image, &raw_mask)?;
    Ok(BenchReport {
        features,
        peer_features,
        ours,
        ours_process,
        ours_process_peak_kib,
        peer,
        read_original,
    })
}

/// GNU time, which reports a child's peak memory. A process cannot measure this for its own
/// children: `exec` carries the spawning process's high-water mark into the child's.
const GNU_TIME: &str = "/usr/bin/time";

/// Peak resident KiB of one `exe args` process, measured by GNU time.
fn peak_memory_kib(exe: &Path, args: &[std::ffi::OsString]) -> anyhow::Result<u64> {
    let out = Command::new(GNU_TIME)
        .arg("-f")
        .arg("peak-kib %M")
        .arg(exe)
        .args(args)
        .output()
        .with_context(|| format!("running {GNU_TIME} (run scripts/setup.sh first)"))?;
    if !out.status.success() {
        bail!("radscored features under {GNU_TIME} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("peak-kib ")?.trim().parse().ok())
        .with_context(|| format!("{GNU_TIME} printed no peak memory: {stderr}"))
}

fn run_peer(plan: &BenchPlan, image: &Path, mask: &Path) -> anyhow::Result<(Duration, usize)> {
    let script = super::environment::peer_script();
    anyhow::ensure!(
        script.is_file(),
        "PyRadiomics peer {} not found: set RADSCORED_HOME to the folder that holds scripts/ and engines/",
        script.display()
    );
    let params = plan.params.as_ref().map_or("-".into(), |p| p.display().to_string());
    let out = Command::new(&plan.python)
        .arg(&script)
        .arg(image)
        .arg(mask)
        .arg(params)
        .arg(plan.repeat.to_string())
        // One thread for the peer too; OpenBLAS core-type overrides slow current NumPy.
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env_remove("OPENBLAS_CORETYPE")
        .env_remove("OPENBLAS_L2_SIZE")
        .output()
        .with_context(|| {
            format!(
                "running {} (pass --python or set RADSCORED_PYTHON to a Python with PyRadiomics; scripts/setup.sh makes .venv-ref)",
                plan.python.display()
            )
        })?;
    if !out.status.success() {
        bail!("PyRadiomics peer failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading the peer's JSON line")?;
    let seconds = line["median_s"].as_f64().context("peer printed no median")?;
    let features = line["features"].as_u64().unwrap_or(0) as usize;
    Ok((Duration::from_secs_f64(seconds), features))
}

/// Median time of the model stage for one study: the deep network on the patch, both RadScores
/// and the classifier of every endpoint (`Predictor::predict`), after one untimed warm-up run.
pub fn run_model(study_dir: &Path, analyzer: &Analyzer, repeat: usize) -> anyhow::Result<(Duration, usize)> {
    if repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let predictor = analyzer.predictor().context("bench-model needs a model bundle")?;
    let regions = analyzer.features(StudyInput::Folder(study_dir.to_path_buf()))?;
    let patch = crate::model::deep::HuPatch::new(regions.patch.values_hu)?;
    let (tumor, ring) = (regions.tumor_features, regions.ring_features);
    let endpoints = predictor.predict(&tumor, &ring, &patch)?.endpoints.len();
    let median = time(repeat, || Ok(predictor.predict(&tumor, &ring, &patch).map(drop)?))?;
    Ok((median, endpoints))
}
