//! `radscored gpu-check`: the CUDA backend against the CPU on random cases, on NRRD pairs
//! (PyRadiomics' lung1 and lung2 by default) and on DICOM studies analysed as the daemon analyses
//! them (the bundled sample by default), then the timing table (see [`crate::gpu_check`]).
//!
//! Exit codes: 0 every result equal, 1 a difference or a GPU failure, 2 an error (as every
//! command), [`NO_DEVICE_EXIT`] no CUDA device, nothing compared ("not run", with the reason).

use std::path::PathBuf;
use std::process::exit;

use anyhow::Context;

use crate::gpu::{self, Backend};
use crate::gpu_check::{all_cores, compare, compare_study, random_case, time, Case, FEATURE_TOLERANCE};
use crate::image;
use crate::radiomics::{params, Settings};
use crate::study::PAPER_PARAMS;

/// Exit code when there is no CUDA device to check.
pub const NO_DEVICE_EXIT: i32 = 3;

/// Arguments of `radscored gpu-check`.
#[derive(Debug, clap::Args)]
pub struct GpuCheckArgs {
    /// Folder holding `<case>_image.nrrd` and `<case>_label.nrrd` (PyRadiomics' test cases).
    #[arg(long, default_value = "../shared/refdata/pyradiomics")]
    pub data: PathBuf,
    /// Cases of `--data` to compare and time.
    #[arg(long = "case", default_values = ["lung1", "lung2"])]
    pub cases: Vec<String>,
    /// DICOM study folders analysed on both backends as the daemon analyses them (ring and both
    /// regions' features compared; their extraction timed on every core).
    #[arg(long = "study", default_values = ["samples/lung2-crop"])]
    pub studies: Vec<PathBuf>,
    /// Fresh random cases to compare (PyRadiomics' default settings).
    #[arg(long, default_value_t = 20)]
    pub random: u64,
    /// Timed runs per kernel; the table shows medians.
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// PyRadiomics parameter file for the `--data` cases (default: the paper's, 851 features).
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// The CPU stands in for the GPU: every comparison and timing runs, CPU against CPU, to check
    /// the check itself on a machine without a GPU. Nothing it prints measures a GPU.
    #[arg(long)]
    pub without_gpu: bool,
}

/// Runs `radscored gpu-check`.
pub fn run(args: GpuCheckArgs) -> anyhow::Result<()> {
    let choice = gpu::detect();
    let (backend, device) = match choice.backend() {
        _ if args.without_gpu => {
            println!(
                "gpu-check: --without-gpu: the CPU stands in for the GPU; no number below measures a GPU"
            );
            (&Backend::Cpu, None)
        }
        Backend::Cuda(device) => {
            println!("gpu-check: {}", choice.reason());
            (choice.backend(), Some(device))
        }
        Backend::Cpu => {
            println!("gpu-check: not run: {}", choice.reason());
            exit(NO_DEVICE_EXIT);
        }
    };
    let settings = match &args.params {
        Some(path) => params::read(path)?,
        None => params::parse(PAPER_PARAMS).context("the embedded parameter file")?,
    };
    let mut mismatches = Vec::new();
    for seed in 1..=args.random {
        mismatches.extend(compare(&random_case(seed), &Settings::default(), backend)?);
    }
    println!("gpu-check: {} random cases compared", args.random);
    let mut timings = Vec::new();
    for name in &args.cases {
        let read = |suffix: &str| {
            let path = args.data.join(format!("{name}_{suffix}.nrrd"));
            image::read(&path).with_context(|| format!("reading {}", path.display()))
        };
        let case = Case { name: name.clone(), image: read("image")?, mask: read("label")? };
        mismatches.extend(compare(&case, &settings, backend)?);
        println!("gpu-check: {name} compared");
        timings.extend(time(&case, &settings, backend, args.repeat)?);
    }
    for study in &args.studies {
        let (differences, timing) = compare_study(study, backend, args.repeat)
            .with_context(|| format!("analysing {}", study.display()))?;
        mismatches.extend(differences);
        println!("gpu-check: study {} compared", timing.case);
        timings.push(timing);
    }
    println!();
    let gpu_column = if device.is_some() { "GPU ms" } else { "CPU ms" };
    println!("{:<48} {:<12} {:>10} {:>10} {:>8}", "kernel", "case", "CPU ms", gpu_column, "ratio");
    for t in &timings {
        let ratio = t.cpu_ms / t.gpu_ms;
        println!("{:<48} {:<12} {:>10.3} {:>10.3} {:>7.1}x", t.kernel, t.case, t.cpu_ms, t.gpu_ms, ratio);
    }
    println!("CPU ms: one thread; the \"all cores\" rows: {} threads on both backends", all_cores());
    println!();
    let failures = device.map_or(0, |device| device.failures());
    if failures > 0 {
        mismatches
            .push(format!("{failures} GPU computations failed and were redone on the CPU (see the log)"));
    }
    if !mismatches.is_empty() {
        for line in &mismatches {
            println!("MISMATCH {line}");
        }
        println!("gpu-check: FAILED, {} differences", mismatches.len());
        exit(1);
    }
    let against = if device.is_some() { "" } else { " (CPU against CPU: the GPU is still to be measured)" };
    println!(
        "gpu-check: OK, rings, grey levels, GLCM, GLRLM, GLSZM, GLDM and NGTDM counts equal; features within \
         {FEATURE_TOLERANCE:e} relative{against}"
    );
    Ok(())
}
