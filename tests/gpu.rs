//! The CUDA backend: every kernel compiles to PTX with NVRTC, without a warning (on every machine:
//! NVRTC comes from the `nvidia-cuda-nvrtc-cu12` wheel in `.venv-ref`), the backend choice says
//! why, and, on a machine with a CUDA device only, the GPU results equal the CPU's.

use std::path::PathBuf;

use radscored::gpu::compile::{compile_ptx, KERNEL_FILES};
use radscored::gpu::{self, Backend};
use radscored::gpu_check::{compare, compare_study, random_case};
use radscored::radiomics::Settings;

use crate::util::{repo, shared};

/// `libnvrtc.so.12` of the wheel that `scripts/setup.sh` installs into `.venv-ref`, opened for
/// the backend; panics with a clear message when it is missing.
fn load_wheel_nvrtc() {
    let lib = repo().join(".venv-ref/lib");
    let found: Option<PathBuf> = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .flatten()
            .map(|e| e.path().join("site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12"))
            .find(|p| p.is_file())
    });
    let path = found.unwrap_or_else(|| {
        panic!(
            "libnvrtc.so.12 missing under {}/python3*/site-packages/nvidia/cuda_nvrtc/lib: run scripts/setup.sh \
             (it installs the nvidia-cuda-nvrtc-cu12 wheel)",
            lib.display()
        )
    });
    gpu::load_nvrtc(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn every_kernel_compiles_to_ptx_without_warnings() {
    load_wheel_nvrtc();
    // NVRTC's default architecture, the oldest that CUDA 12.9 does not call deprecated (Turing),
    // Jetson Orin and Hopper.
    for arch in [None, Some("compute_75"), Some("compute_87"), Some("compute_90")] {
        for kernel in KERNEL_FILES {
            let ptx = compile_ptx(kernel.file, kernel.source, arch)
                .unwrap_or_else(|e| panic!("{} for {arch:?}: {e}", kernel.file));
            for entry in kernel.entries {
                assert!(
                    ptx.contains(&format!(".entry {entry}(")),
                    "{}: no kernel {entry} in the PTX",
                    kernel.file
                );
            }
            // --fmad=false: no fused multiply-add may appear, or the ring's distances would round
            // differently from the CPU's.
            assert!(!ptx.contains("fma.rn.f64"), "{}: fused multiply-add in the PTX", kernel.file);
        }
    }
}

#[test]
fn a_kernel_with_a_warning_or_an_error_fails_the_compile() {
    load_wheel_nvrtc();
    let unused = r#"extern "C" __global__ void k(int *out) { int unused = 3; out[0] = 1; }"#;
    let err = compile_ptx("unused.cu", unused, None).unwrap_err().to_string();
    assert!(err.contains("unused.cu") && err.contains("warning"), "{err}");
    let broken = r#"extern "C" __global__ void k(int *out) { out[0] = undefined_name; }"#;
    let err = compile_ptx("broken.cu", broken, None).unwrap_err().to_string();
    assert!(err.contains("broken.cu") && err.contains("undefined_name"), "{err}");
    assert!(
        compile_ptx("clean.cu", r#"extern "C" __global__ void k(int *out) { out[0] = 1; }"#, None).is_ok()
    );
}

#[test]
fn the_backend_choice_names_itself_and_says_why() {
    let choice = gpu::detect();
    assert!(matches!(choice.name(), "cpu" | "cuda"));
    assert!(!choice.reason().is_empty());
    if choice.name() == "cpu" {
        assert!(choice.reason().starts_with("no usable CUDA device: "), "{}", choice.reason());
    }
}

/// The product's path on the bundled sample study, compared and timed as the device check does,
/// here CPU against CPU: the study loads, both regions' 851 features agree and the ring and
/// extraction are timed.
#[test]
fn the_study_path_is_compared_and_timed() {
    let study = repo().join("samples/lung2-crop");
    let (mismatches, timing) = compare_study(&study, &Backend::Cpu, 1).unwrap();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(timing.case, "lung2-crop");
    assert!(timing.cpu_ms > 0.0 && timing.gpu_ms > 0.0, "{timing:?}");
    // A folder that is not there is an error (the command adds its path), not an empty pass.
    let missing = compare_study(&repo().join("samples/absent"), &Backend::Cpu, 1).unwrap_err().to_string();
    assert!(missing.contains("could not list the study folder"), "{missing}");
}

/// `radscored gpu-check --without-gpu` runs the whole check, CPU against CPU, and prints the
/// table, every row named, saying that no GPU was measured.
#[test]
fn gpu_check_without_a_gpu_runs_the_check_end_to_end() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_radscored"))
        .current_dir(repo())
        .env("RADSCORED_LOG", "warn")
        .args(["gpu-check", "--without-gpu", "--random", "1", "--repeat", "1", "--case", "lung1"])
        .arg("--data")
        .arg(shared("refdata/pyradiomics"))
        .output()
        .expect("radscored runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("no number below measures a GPU"), "{text}");
    for row in [
        "ring (3 mm)",
        "discretisation",
        "glcm matrices",
        "glrlm matrices",
        "gldm + ngtdm matrices",
        "glszm matrices",
        "texture matrices (all five, grey levels given)",
        "texture stage (levels, matrices, features)",
        "extraction (tumor + ring), all cores",
        "study: ring + both regions' features, all cores",
    ] {
        assert!(text.lines().any(|l| l.starts_with(row)), "no row {row}:\n{text}");
    }
    assert!(
        text.contains("lung2-crop") && text.contains("(CPU against CPU: the GPU is still to be measured)"),
        "{text}"
    );
}

/// Needs a CUDA device; `scripts/gpu-check.sh` runs it with `--ignored` (NVRTC from the CUDA
/// toolkit there, found on the library path). Without a device it fails saying so, never passes.
#[test]
#[ignore = "needs a CUDA device: run scripts/gpu-check.sh on a GPU machine"]
fn gpu_results_equal_the_cpu_on_random_cases() {
    let choice = gpu::detect();
    let Backend::Cuda(device) = choice.backend() else {
        panic!("not run: {}", choice.reason());
    };
    let mut mismatches = Vec::new();
    for seed in 100..112 {
        mismatches.extend(compare(&random_case(seed), &Settings::default(), choice.backend()).unwrap());
    }
    assert_eq!(device.failures(), 0, "GPU computations failed (see the log)");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
