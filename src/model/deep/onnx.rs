//! [`DeepNet`] over ONNX Runtime (the `ort` crate), with the execution provider chosen at run time:
//! TensorRT, then CUDA, when the loaded runtime was built with them and they start; the CPU
//! otherwise, with a log line saying why.
//!
//! **Loading.** `ort` is built with `load-dynamic`: nothing is downloaded or linked at build
//! time, and `libonnxruntime` is opened when [`OrtRuntime::init`] runs. The library is, in order:
//! `deep.onnxruntime_library` from the configuration (the command line fills it from the
//! `ORT_DYLIB_PATH` environment variable when unset), or the copy inside the `onnxruntime` wheel
//! that `scripts/setup.sh` installs below the search root the caller gives
//! (`.venv-ref/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so.*`). The CPU wheel
//! has the CPU provider only; `onnxruntime-gpu` (or a TensorRT-enabled build) adds CUDA and
//! TensorRT.
//!
//! **One runtime per process.** ONNX Runtime keeps one global environment and `ort` loads the
//! library once; this module remembers which file that was (a set-once global, `LOADED`) so that
//! a second `init` with another library fails with [`DeepError::LibraryConflict`] instead of
//! silently using the first.
//!
//! **Threads.** One intra-op thread on the CPU by default: on a busy 2-core box one inference of
//! the reference DenseNet121 took a median 59 ms on one thread and 127 ms on two (onnxruntime
//! 1.22.1, 10 runs each), the 2x of issue 5; the radiomics workers need the other core anyway.
//! `deep.cpu_threads` changes it.
//!
//! **TensorRT** builds an engine per network and GPU (minutes). It is built for one fixed input
//! shape, `1 × channels × 160 × 160` (the optimisation profile's minimum, optimum and maximum), so
//! no shape seen at run time can trigger a rebuild. Engines and timing caches live in the
//! configured cache directory (`deep.cache_dir`), never inside the read-only bundle, in a folder
//! keyed by the runtime's and TensorRT's versions and the network's sha256 (see [`tensorrt`]), so
//! an upgrade never loads a stale engine. `radscored prepare` (run by `scripts/install.sh`) builds
//! them at install; the daemon builds what is missing at start, logging progress, and warms every
//! network before it reports ready. Without a cache directory TensorRT builds its engines anew at
//! every start.
//!
//! [`tensorrt`]: super::tensorrt

use std::ffi::CStr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::execution_providers::{
    CUDAExecutionProvider, ExecutionProvider, ExecutionProviderDispatch, TensorRTExecutionProvider,
};
use ort::session::Session;
use ort::value::{Tensor, ValueType};
use serde::Deserialize;

use super::{tensorrt, DeepError, DeepNet, DeepOutputs, HuPatch, PatchPreprocessing, PATCH_SIDE};

/// Environment variable naming the ONNX Runtime library (the name `ort` itself uses).
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";
/// Where the `onnxruntime` wheel sits in the reference venv, below the search root.
const VENV_LIB: &str = ".venv-ref/lib";
/// The wheel's library folder below `site-packages`.
const WHEEL_CAPI: &str = "site-packages/onnxruntime/capi";
/// File name prefix of the runtime library in the wheel (`libonnxruntime.so.1.22.1`).
const WHEEL_LIBRARY_PREFIX: &str = "libonnxruntime.so";

/// The library loaded in this process and its version; set once (see the module docs).
static LOADED: Mutex<Option<(PathBuf, String)>> = Mutex::new(None);

/// An accelerator tried before the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accelerator {
    /// NVIDIA TensorRT (engines cached in the configured cache directory).
    Tensorrt,
    /// NVIDIA CUDA.
    Cuda,
}

impl Accelerator {
    /// Name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Accelerator::Tensorrt => "TensorRT",
            Accelerator::Cuda => "CUDA",
        }
    }
}

/// How the deep network runs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepConfig {
    /// ONNX Runtime shared library (`libonnxruntime.so.*`). Unset: `ORT_DYLIB_PATH`, then the
    /// `onnxruntime` wheel in `.venv-ref/` that `scripts/setup.sh` installs.
    #[serde(default)]
    pub onnxruntime_library: Option<PathBuf>,
    /// Threads one inference uses on the CPU provider (intra-op). 1 is fastest beside the
    /// radiomics workers on a 2-core box.
    #[serde(default = "default_cpu_threads")]
    pub cpu_threads: NonZeroUsize,
    /// Accelerators to try, in order, before falling back to the CPU: `"tensorrt"`, `"cuda"`.
    /// An empty list runs on the CPU only.
    #[serde(default = "default_accelerators")]
    pub accelerators: Vec<Accelerator>,
    /// Folder for TensorRT engine and timing caches (e.g. systemd's CacheDirectory). Unset: no
    /// cache; TensorRT builds its engines at every start.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

const fn default_cpu_threads() -> NonZeroUsize {
    NonZeroUsize::MIN
}

fn default_accelerators() -> Vec<Accelerator> {
    vec![Accelerator::Tensorrt, Accelerator::Cuda]
}

impl Default for DeepConfig {
    fn default() -> Self {
        DeepConfig {
            onnxruntime_library: None,
            cpu_threads: default_cpu_threads(),
            accelerators: default_accelerators(),
            cache_dir: None,
        }
    }
}

/// What a network needs to run: its ONNX file, input name and preprocessing.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// The ONNX file.
    pub onnx: PathBuf,
    /// Its sha256 (lower-case hex), as the bundle pins it: the key of its TensorRT cache.
    pub sha256: String,
    /// Name of the network's single input, `[batch, channels, 160, 160]` float32.
    pub input: String,
    /// From HU patch to input tensor.
    pub preprocessing: PatchPreprocessing,
}

/// ONNX Runtime, loaded: builds [`OrtNet`]s.
#[derive(Debug, Clone)]
pub struct OrtRuntime {
    library: PathBuf,
    version: String,
    cpu_threads: NonZeroUsize,
    accelerators: Vec<Accelerator>,
    cache_dir: Option<PathBuf>,
}

impl OrtRuntime {
    /// Finds, checks and loads the ONNX Runtime library (see the module docs for the order);
    /// `search_root` is the folder whose `.venv-ref/` is searched last (the repository or the
    /// install root).
    pub fn init(config: &DeepConfig, search_root: &Path) -> Result<Self, DeepError> {
        let library = find_library(config, search_root)?;
        let mut loaded = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let version = match &*loaded {
            Some((path, version)) if *path == library => version.clone(),
            Some((path, _)) => {
                return Err(DeepError::LibraryConflict { loaded: path.clone(), requested: library })
            }
            None => {
                let version = probe_library(&library)?;
                ort::init_from(library.display().to_string())
                    .with_name("radscored")
                    .commit()
                    .map_err(DeepError::Runtime)?;
                tracing::info!(library = %library.display(), %version, "ONNX Runtime loaded.");
                *loaded = Some((library.clone(), version.clone()));
                version
            }
        };
        Ok(OrtRuntime {
            library,
            version,
            cpu_threads: config.cpu_threads,
            accelerators: config.accelerators.clone(),
            cache_dir: config.cache_dir.clone(),
        })
    }

    /// The library file in use.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// Its version string, e.g. `1.22.1`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The TensorRT provider for `spec`: one fixed input shape, and its engine cache in the folder
    /// of this runtime, the TensorRT that loads and the network (see [`tensorrt`](super::tensorrt)).
    fn tensorrt_provider(&self, spec: &NetworkSpec) -> Result<ExecutionProviderDispatch, String> {
        let provider = TensorRTExecutionProvider::default();
        if !provider.is_available().map_err(|e| e.to_string())? {
            return Err("not in this onnx runtime build".to_string());
        }
        let tensorrt_version = tensorrt::loaded_version()?;
        let shape = profile_shape(&spec.input, input_shape(spec.preprocessing.channels()));
        let provider = provider
            .with_profile_min_shapes(&shape)
            .with_profile_opt_shapes(&shape)
            .with_profile_max_shapes(&shape);
        let Some(cache_dir) = &self.cache_dir else {
            tracing::info!(%tensorrt_version, "No cache directory configured: TensorRT builds its engines at every start.");
            return Ok(provider.build().error_on_failure());
        };
        let folder = tensorrt::cache_folder(cache_dir, &self.version, &tensorrt_version, &spec.sha256);
        std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        if tensorrt::holds_engine(&folder) {
            tracing::info!(%tensorrt_version, cache = %folder.display(), "TensorRT engine cached.");
        } else {
            tracing::info!(
                %tensorrt_version,
                cache = %folder.display(),
                network = %spec.onnx.display(),
                "No TensorRT engine cached for this network, runtime and TensorRT: building it (minutes)."
            );
        }
        let cache = folder.display().to_string();
        Ok(provider
            .with_engine_cache(true)
            .with_engine_cache_path(&cache)
            .with_timing_cache(true)
            .with_timing_cache_path(&cache)
            .build()
            .error_on_failure())
    }

    /// Loads a network whose runs return `outputs` (in that order), on the first accelerator
    /// that starts, else on the CPU; TensorRT engines are cached in the configured cache folder.
    pub fn network(&self, spec: &NetworkSpec, outputs: &[String]) -> Result<OrtNet, DeepError> {
        self.network_with_optional(spec, outputs, &[])
    }

    /// As [`OrtRuntime::network`], and runs also return those of `optional` the network has
    /// (after `outputs`, in the order given).
    pub fn network_with_optional(
        &self,
        spec: &NetworkSpec,
        outputs: &[String],
        optional: &[&str],
    ) -> Result<OrtNet, DeepError> {
        let mut candidates: Vec<(Accelerator, ExecutionProviderDispatch)> = Vec::new();
        for &accelerator in &self.accelerators {
            let provider = match accelerator {
                Accelerator::Tensorrt => self.tensorrt_provider(spec),
                Accelerator::Cuda => cuda_provider(),
            };
            match provider {
                Ok(provider) => candidates.push((accelerator, provider)),
                Err(reason) => tracing::info!(
                    accelerator = accelerator.name(),
                    reason = %reason,
                    "Accelerator skipped; the network runs without it."
                ),
            }
        }
        // Try the accelerators together (TensorRT hands unsupported nodes to CUDA), then without
        // the first one that failed, down to the CPU alone.
        let mut start = 0;
        let (session, providers) = loop {
            let tried = &candidates[start..];
            let dispatch: Vec<ExecutionProviderDispatch> = tried.iter().map(|(_, p)| p.clone()).collect();
            let mut providers: Vec<&'static str> = tried.iter().map(|(a, _)| a.name()).collect();
            providers.push("CPU");
            let building = tried.first().is_some_and(|(a, _)| *a == Accelerator::Tensorrt);
            let session = if building {
                tensorrt::with_progress(&spec.onnx, || build_session(&spec.onnx, self.cpu_threads, &dispatch))
            } else {
                build_session(&spec.onnx, self.cpu_threads, &dispatch)
            };
            match session {
                Ok(session) => break (session, providers),
                Err(source) if tried.is_empty() => {
                    return Err(DeepError::Session { path: spec.onnx.clone(), source })
                }
                Err(error) => {
                    tracing::warn!(
                        network = %spec.onnx.display(),
                        accelerator = tried[0].0.name(),
                        error = %error,
                        "Accelerated session failed to start; falling back."
                    );
                    start += 1;
                }
            }
        };
        check_input(&session, spec)?;
        for output in outputs {
            if !session.outputs.iter().any(|o| &o.name == output) {
                let available: Vec<&str> = session.outputs.iter().map(|o| o.name.as_str()).collect();
                return Err(DeepError::MissingOutput {
                    path: spec.onnx.clone(),
                    output: output.clone(),
                    available: available.join(", "),
                });
            }
        }
        let mut outputs = outputs.to_vec();
        for name in optional {
            if session.outputs.iter().any(|o| o.name == *name) && !outputs.iter().any(|o| o == name) {
                outputs.push(name.to_string());
            }
        }
        tracing::info!(network = %spec.onnx.display(), providers = ?providers, "Deep network ready.");
        Ok(OrtNet {
            session,
            input: spec.input.clone(),
            preprocessing: spec.preprocessing.clone(),
            outputs,
            providers,
        })
    }
}

/// A network in an ONNX Runtime session.
#[derive(Debug)]
pub struct OrtNet {
    session: Session,
    input: String,
    preprocessing: PatchPreprocessing,
    outputs: Vec<String>,
    providers: Vec<&'static str>,
}

impl DeepNet for OrtNet {
    /// Execution providers registered for the session, in priority order; the last is always
    /// `"CPU"` (ONNX Runtime runs there what the accelerators do not take).
    fn providers(&self) -> &[&'static str] {
        &self.providers
    }

    fn run(&mut self, patch: &HuPatch) -> Result<DeepOutputs, DeepError> {
        let channels = self.preprocessing.channels();
        let input = self.preprocessing.input(patch);
        let tensor = Tensor::from_array((input_shape(channels), input)).map_err(DeepError::Run)?;
        let results =
            self.session.run(ort::inputs![self.input.as_str() => tensor]).map_err(DeepError::Run)?;
        let mut outputs = Vec::with_capacity(self.outputs.len());
        for name in &self.outputs {
            let value = results.get(name).ok_or_else(|| DeepError::OutputAbsent { output: name.clone() })?;
            let (_, values) = value.try_extract_tensor::<f32>().map_err(DeepError::Run)?;
            outputs.push((name.clone(), values.to_vec()));
        }
        Ok(DeepOutputs::new(outputs))
    }
}

/// The library to load: the configured one, else the wheel below `search_root`.
fn find_library(config: &DeepConfig, search_root: &Path) -> Result<PathBuf, DeepError> {
    let mut searched = Vec::new();
    if let Some(path) = config.onnxruntime_library.clone() {
        if path.is_file() {
            return Ok(path);
        }
        searched.push(path.display().to_string());
    } else {
        let venv = search_root.join(VENV_LIB);
        let mut found: Vec<PathBuf> = std::fs::read_dir(&venv)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|python| python.file_name().to_string_lossy().starts_with("python3"))
            .flat_map(|python| {
                std::fs::read_dir(python.path().join(WHEEL_CAPI)).into_iter().flatten().flatten()
            })
            .filter(|file| file.file_name().to_string_lossy().starts_with(WHEEL_LIBRARY_PREFIX))
            .map(|file| file.path())
            .collect();
        found.sort();
        if let Some(path) = found.pop() {
            return Ok(path);
        }
        searched.push(format!("{}/python3*/{WHEEL_CAPI}/{WHEEL_LIBRARY_PREFIX}*", venv.display()));
    }
    Err(DeepError::LibraryNotFound { searched: searched.join(", ") })
}

/// Opens the library as `ort` will and reads its version, so that a wrong file or an old
/// runtime is a typed error here rather than a panic inside `ort`.
fn probe_library(path: &Path) -> Result<String, DeepError> {
    let load_error = |reason: String| DeepError::LibraryLoad { path: path.to_path_buf(), reason };
    // SAFETY: opening the library runs its initialisers; it is the ONNX Runtime that `ort`
    // opens right after, and nothing else is done with it before the symbol check below.
    let library = unsafe { libloading::Library::new(path) }.map_err(|e| load_error(e.to_string()))?;
    type GetApiBase = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    // SAFETY: `OrtGetApiBase` has this signature in every ONNX Runtime release (C API, stable).
    let get_base = unsafe { library.get::<GetApiBase>(b"OrtGetApiBase") }
        .map_err(|_| load_error("no OrtGetApiBase symbol: not an onnx runtime library".to_string()))?;
    // SAFETY: the function takes no argument and returns a pointer to a static struct (or null).
    let base = unsafe { get_base() };
    if base.is_null() {
        return Err(load_error("OrtGetApiBase returned null".to_string()));
    }
    // SAFETY: `base` is non-null and points to the library's static `OrtApiBase`, whose
    // `GetVersionString` returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(((*base).GetVersionString)()) }.to_string_lossy().into_owned();
    check_version(path, version)
}

/// ONNX Runtime's C API is backward compatible: a library of minor version ≥ the API `ort` was
/// built for (`ort::MINOR_VERSION`, 22 for ONNX Runtime 1.22) serves it; an older one does not.
fn check_version(path: &Path, version: String) -> Result<String, DeepError> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(1), Some(minor)) if minor >= ort::MINOR_VERSION => Ok(version),
        _ => {
            Err(DeepError::LibraryVersion { path: path.to_path_buf(), version, required: ort::MINOR_VERSION })
        }
    }
}

/// The one input shape every run feeds: one patch of `channels` × 160 × 160 (NCHW).
fn input_shape(channels: usize) -> [usize; 4] {
    [1, channels, PATCH_SIDE, PATCH_SIDE]
}

/// `shape` of input `input` as the TensorRT provider's profile options spell it
/// (`trt_profile_min_shapes`: `name:1x3x160x160`).
fn profile_shape(input: &str, shape: [usize; 4]) -> String {
    format!("{input}:{}", shape.map(|d| d.to_string()).join("x"))
}

fn cuda_provider() -> Result<ExecutionProviderDispatch, String> {
    let provider = CUDAExecutionProvider::default();
    if !provider.is_available().map_err(|e| e.to_string())? {
        return Err("not in this onnx runtime build".to_string());
    }
    Ok(provider.build().error_on_failure())
}

fn build_session(
    onnx: &Path,
    cpu_threads: NonZeroUsize,
    providers: &[ExecutionProviderDispatch],
) -> Result<Session, ort::Error> {
    Session::builder()?
        .with_intra_threads(cpu_threads.get())?
        .with_execution_providers(providers)?
        .commit_from_file(onnx)
}

/// The network must take one float32 input `[batch, channels, 160, 160]` of the bundle's name.
fn check_input(session: &Session, spec: &NetworkSpec) -> Result<(), DeepError> {
    let problem = |problem: String| DeepError::Input { path: spec.onnx.clone(), problem };
    let [input] = session.inputs.as_slice() else {
        let names: Vec<&str> = session.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(problem(format!("expected one input, found {} ({})", names.len(), names.join(", "))));
    };
    if input.name != spec.input {
        return Err(problem(format!("input is named '{}', the bundle says '{}'", input.name, spec.input)));
    }
    let want = [spec.preprocessing.channels() as i64, PATCH_SIDE as i64, PATCH_SIDE as i64];
    match &input.input_type {
        ValueType::Tensor { ty: ort::tensor::TensorElementType::Float32, shape, .. }
            if shape.len() == 4 && matches!(shape[0], -1 | 1) && shape[1..] == want =>
        {
            Ok(())
        }
        other => Err(problem(format!(
            "input '{}' is {other:?}, expected float32 [batch, {}, {PATCH_SIDE}, {PATCH_SIDE}]",
            input.name, want[0]
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's profile is the shape of every run, as ONNX Runtime's TensorRT options write it.
    #[test]
    fn the_tensorrt_profile_is_the_shape_every_run_feeds() {
        assert_eq!(profile_shape("patch", input_shape(3)), "patch:1x3x160x160");
        assert_eq!(profile_shape("x", input_shape(1)), "x:1x1x160x160");
    }

    #[test]
    fn configured_library_must_exist() {
        let config = DeepConfig {
            onnxruntime_library: Some("/nonexistent/libonnxruntime.so".into()),
            ..Default::default()
        };
        let err = find_library(&config, Path::new("/")).unwrap_err();
        assert!(matches!(err, DeepError::LibraryNotFound { .. }), "{err}");
        assert!(err.to_string().contains("looked at /nonexistent/libonnxruntime.so"), "{err}");
    }

    #[test]
    fn configured_library_comes_before_the_venv() {
        let dir = tempfile::tempdir().unwrap();
        let capi = dir.path().join(".venv-ref/lib/python3.11").join(WHEEL_CAPI);
        std::fs::create_dir_all(&capi).unwrap();
        let wheel = capi.join("libonnxruntime.so.1.22.1");
        std::fs::write(&wheel, b"").unwrap();
        std::fs::write(capi.join("libonnxruntime_providers_shared.so"), b"").unwrap();
        let configured_file = dir.path().join("configured.so");
        std::fs::write(&configured_file, b"").unwrap();
        assert_eq!(find_library(&DeepConfig::default(), dir.path()).unwrap(), wheel);
        let configured =
            DeepConfig { onnxruntime_library: Some(configured_file.clone()), ..Default::default() };
        assert_eq!(find_library(&configured, dir.path()).unwrap(), configured_file);
    }

    #[test]
    fn no_library_anywhere_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let err = find_library(&DeepConfig::default(), dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(".venv-ref/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*"),
            "{text}"
        );
        assert!(text.contains("set ORT_DYLIB_PATH"), "{text}");
    }

    #[test]
    fn a_file_that_is_no_library_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("libonnxruntime.so");
        std::fs::write(&path, b"not an elf file").unwrap();
        let err = probe_library(&path).unwrap_err();
        assert!(matches!(err, DeepError::LibraryLoad { .. }), "{err}");
        assert!(err.to_string().starts_with(&format!("could not load onnx runtime from {}", path.display())));
    }

    /// libm is a shared library on every glibc system, but not ONNX Runtime.
    #[test]
    fn a_library_without_the_onnx_runtime_api_is_refused() {
        let err = probe_library(Path::new("libm.so.6")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not load onnx runtime from libm.so.6: no OrtGetApiBase symbol: not an onnx runtime library"
        );
    }

    #[test]
    fn older_runtimes_are_refused() {
        let path = Path::new("lib.so");
        assert_eq!(check_version(path, "1.22.1".into()).unwrap(), "1.22.1");
        assert_eq!(check_version(path, "1.31.0".into()).unwrap(), "1.31.0");
        for old in ["1.16.3", "2", "garbage", "0.99.0"] {
            let err = check_version(path, old.into()).unwrap_err();
            assert!(matches!(err, DeepError::LibraryVersion { .. }), "{old}: {err}");
        }
        let err = check_version(path, "1.16.3".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "onnx runtime at lib.so is version 1.16.3; radscored needs 1.22.x or newer"
        );
    }

    #[test]
    fn config_defaults_and_unknown_keys() {
        let config: DeepConfig = toml::from_str("").unwrap();
        assert_eq!(config, DeepConfig::default());
        assert_eq!(config.cpu_threads.get(), 1);
        assert_eq!(config.accelerators, [Accelerator::Tensorrt, Accelerator::Cuda]);
        let config: DeepConfig = toml::from_str("cpu_threads = 2\naccelerators = []").unwrap();
        assert_eq!((config.cpu_threads.get(), config.accelerators.len()), (2, 0));
        let err = toml::from_str::<DeepConfig>("threads = 2").unwrap_err();
        assert!(err.to_string().contains("unknown field `threads`"), "{err}");
        let err = toml::from_str::<DeepConfig>("cpu_threads = 0").unwrap_err();
        assert!(err.to_string().contains("nonzero"), "{err}");
        let err = toml::from_str::<DeepConfig>("accelerators = [\"rocm\"]").unwrap_err();
        assert!(err.to_string().contains("unknown variant `rocm`"), "{err}");
    }
}
