//! Integration tests: one binary, one module per area.

/// Shared helpers: where the shared reference data is, baseline tables, the Python oracle.
mod util;

/// The identifiers of a test's input, which no report, message or log may carry.
mod identifiers;

/// Every PyRadiomics baseline column (original image) against `radiomics::extract`.
mod radiomics_reference;

/// Bad input to `radscored features`: typed errors, exit code 2, nothing on stdout.
mod features_errors;

/// The paper's 30 classifiers: probabilities, AUCs, DeLong interval, loader errors.
mod model_reference;

/// `radscored evaluate` run as a process.
mod evaluate_cli;

/// GLSZM, GLDM, NGTDM matrices against PyRadiomics' .npy files; settings without a baseline live.
mod radiomics_texture_szm;

/// GLCM and GLRLM matrices against PyRadiomics' .npy files; settings without a baseline live.
mod radiomics_texture_glcm;

/// 3D shape features: baseline table, live PyRadiomics (brain1, prostate phantom, random masks),
/// IBSI digital phantom, a voxel box worked out by hand.
mod radiomics_shape;

/// Wavelet sub-bands on the region against live PyRadiomics `getWaveletImage` on whole volumes.
mod radiomics_wavelet;

/// Temporary study folders from the shared DICOM fixtures, corruptions, the ROI Python oracle.
mod study_fixture;

/// DICOM series → HU volume: parity with the NRRD sources, one test per rejection.
mod ingest;

/// Tumor masks (SEG, RTSTRUCT, label map), ring and patch against NRRD, scipy and numpy.
mod roi;

/// SEGs in every encoding and type (highdicom, pydicom), big endian / deflated / plain CT series.
mod seg_encodings;

/// Studies as sites send them (re-exported, copied, derived, localizers, truncated, MR, two SEGs):
/// the same mask with a warning, or a refusal with its code and a message without UIDs.
mod study_variants;

/// All 851 features (original + wavelet) against live PyRadiomics on every shared case.
mod radiomics_live;

/// `radscored analyze`: DICOM study → report; parity with the NRRD pair; no patient identity.
mod analyze;

/// Model bundles and the deep network: the reference bundle, DenseNet121 through ONNX Runtime
/// against independent evaluations of the same ONNX file.
mod model_deep;

/// `radscored bench` as a process: both tools run, ratios and peak memory printed.
mod bench_cli;

/// DICOM network: our C-STORE/C-ECHO SCP against dcmtk's echoscu and storescu, `radscored send`
/// against dcmtk's storescp and our SCP, the drop-folder intake.
mod dicomnet;
mod hostile;
/// Real mosquitto brokers and mosquitto_sub subscribers on free loopback ports.
mod mosquitto;

/// The daemon's durable store: intake, watermark, crash consistency, journal, outbox, retention.
mod spool;

/// The CUDA backend: NVRTC compiles every kernel without a warning (everywhere); GPU equals CPU
/// (on a CUDA device only, `--ignored`, run by scripts/gpu-check.sh).
mod gpu;
/// MQTT publishing against real mosquitto: PUBACK, outage, will, embedded broker, schemas.
mod publish;

/// Every documented command and format as a process, from a folder other than the repository.
mod cli_process;
/// DICOM results: structured report and key image validated by dciodvfy and dsrdump, the
/// attention map against an independent class activation map.
mod export;
/// The CUDA kernels' code compiled for the CPU by `cc` and run thread by thread, against the
/// CPU builders (no GPU needed).
mod gpu_kernels_on_cpu;

/// Exact explanations of all seven classifier types: terms sum to the output, closed forms agree.
mod explain;

/// `radscored serve` end to end: storescu → result, alerts and status on a real mosquitto;
/// SIGTERM, SIGKILL and restart; broker outage; quarantine; the disk watermark.
mod daemon;

/// Library log lines on stderr: none on success, each with its file when asked for.
mod logging;
