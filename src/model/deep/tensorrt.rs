//! The TensorRT that ONNX Runtime's TensorRT provider will load, and where its engines are cached.
//!
//! An engine built by one TensorRT version cannot be loaded by another, and one built for one
//! network is wrong for any other: the cache folder of a network is keyed by both, with the ONNX
//! Runtime version that drives the build,
//! `<cache_dir>/tensorrt/ort-<runtime>-trt-<tensorrt>/<network sha256>/`, so an upgrade of any
//! of them builds a new engine instead of loading a stale one.
//!
//! The version is asked of the library itself: `getInferLibVersion()`, exported with C linkage by
//! `libnvinfer`, opened by the soname the provider opens (`libnvinfer.so.10`, then older majors).
//! It encodes `major·10000 + minor·100 + patch` from TensorRT 10 on and `major·1000 + minor·100 +
//! patch` before (`NV_TENSORRT_VERSION` in NVIDIA's `NvInferVersion.h`).

use std::path::{Path, PathBuf};
use std::sync::{mpsc, OnceLock};
use std::time::{Duration, Instant};

/// How often the log says that an engine build is still going on.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// Sonames of TensorRT's runtime library, newest first.
const LIBRARIES: [&str; 3] = ["libnvinfer.so.10", "libnvinfer.so.8", "libnvinfer.so"];

/// The version of the TensorRT library the provider would load (`10.7.0`), or why none loads;
/// asked of the library once per process (a set-once global), not once per network.
pub fn loaded_version() -> Result<String, String> {
    static VERSION: OnceLock<Result<String, String>> = OnceLock::new();
    VERSION.get_or_init(read_version).clone()
}

fn read_version() -> Result<String, String> {
    let mut reasons = Vec::new();
    for name in LIBRARIES {
        // SAFETY: opening libnvinfer runs only its initialisers, which have no preconditions.
        let library = match unsafe { libloading::Library::new(name) } {
            Ok(library) => library,
            Err(error) => {
                reasons.push(error.to_string());
                continue;
            }
        };
        // SAFETY: `getInferLibVersion` is `extern "C" int32_t getInferLibVersion() noexcept` in
        // every TensorRT since 5.
        let version = unsafe {
            library
                .get::<unsafe extern "C" fn() -> i32>(b"getInferLibVersion\0")
                .map(|get| get())
                .map_err(|error| format!("{name}: {error}"))?
        };
        return Ok(decode(version));
    }
    Err(format!("no TensorRT library loads ({})", reasons.join("; ")))
}

/// `major.minor.patch` of a `getInferLibVersion()` value.
fn decode(version: i32) -> String {
    let major_unit = if version >= 100_000 { 10_000 } else { 1_000 };
    let (major, rest) = (version / major_unit, version % major_unit);
    format!("{major}.{}.{}", rest / 100, rest % 100)
}

/// The engine and timing cache folder of network `sha256` under `cache_dir`.
pub fn cache_folder(
    cache_dir: &Path,
    runtime_version: &str,
    tensorrt_version: &str,
    sha256: &str,
) -> PathBuf {
    cache_dir.join("tensorrt").join(format!("ort-{runtime_version}-trt-{tensorrt_version}")).join(sha256)
}

/// Whether `folder` already holds a built engine (ONNX Runtime writes `*.engine` files there).
pub fn holds_engine(folder: &Path) -> bool {
    std::fs::read_dir(folder).is_ok_and(|entries| {
        entries.flatten().any(|entry| entry.path().extension().is_some_and(|e| e == "engine"))
    })
}

/// Runs `build` (a session start that may build TensorRT engines for `network`), logging every
/// [`PROGRESS_EVERY`] that it is still going on, and how long it took.
pub fn with_progress<T>(network: &Path, build: impl FnOnce() -> T) -> T {
    reporting_every(PROGRESS_EVERY, network, build)
}

fn reporting_every<T>(every: Duration, network: &Path, build: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let (done, finished) = mpsc::channel::<()>();
    let outcome = std::thread::scope(|scope| {
        // The caller's log subscriber, also when it is not the process-wide one.
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        scope.spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(every) {
                    let seconds = started.elapsed().as_secs();
                    tracing::info!(network = %network.display(), seconds, "TensorRT is still building the engine.");
                }
            });
        });
        let outcome = build();
        drop(done);
        outcome
    });
    tracing::info!(network = %network.display(), seconds = started.elapsed().as_secs_f64(), "TensorRT session started.");
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values as `NV_TENSORRT_VERSION` defines them for releases of both encodings.
    #[test]
    fn versions_decode_in_both_encodings() {
        assert_eq!(decode(100_700), "10.7.0");
        assert_eq!(decode(100_300), "10.3.0");
        assert_eq!(decode(101_102), "10.11.2");
        assert_eq!(decode(8_601), "8.6.1");
        assert_eq!(decode(8_402), "8.4.2");
        assert_eq!(decode(7_103), "7.1.3");
    }

    #[test]
    fn every_version_has_its_own_folder() {
        let a = cache_folder(Path::new("/var/cache/radscored"), "1.22.1", "10.7.0", "ab12");
        assert_eq!(a, Path::new("/var/cache/radscored/tensorrt/ort-1.22.1-trt-10.7.0/ab12"));
        assert_ne!(a, cache_folder(Path::new("/var/cache/radscored"), "1.22.1", "10.8.0", "ab12"));
        assert_ne!(a, cache_folder(Path::new("/var/cache/radscored"), "1.23.0", "10.7.0", "ab12"));
    }

    /// A long build is reported while it runs, and its end once; the value comes back.
    #[test]
    fn a_long_build_is_reported_while_it_runs() {
        #[derive(Clone, Default)]
        struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let value = tracing::subscriber::with_default(subscriber, || {
            reporting_every(Duration::from_millis(20), Path::new("net.onnx"), || {
                std::thread::sleep(Duration::from_millis(150));
                7
            })
        });
        assert_eq!(value, 7);
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let still = text.matches("still building").count();
        assert!((2..=8).contains(&still), "{still} progress lines:\n{text}");
        assert_eq!(text.matches("TensorRT session started").count(), 1, "{text}");
    }

    #[test]
    fn an_engine_file_marks_a_built_cache() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!holds_engine(&dir.path().join("absent")));
        assert!(!holds_engine(dir.path()));
        std::fs::write(dir.path().join("timing.cache"), b"x").unwrap();
        assert!(!holds_engine(dir.path()));
        std::fs::write(dir.path().join("TensorrtExecutionProvider_TRTKernel_graph_1.engine"), b"x").unwrap();
        assert!(holds_engine(dir.path()));
    }
}
