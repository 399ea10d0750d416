//! Whether the CUDA driver and NVRTC libraries can be opened, asked with `dlopen` before any
//! cudarc call: cudarc's loaders panic when a library is missing (`panic_no_lib_found`) or lacks
//! a symbol of its bindings, and a daemon must not panic on a box without a GPU.
//!
//! The one global here is set once: [`load_nvrtc`] keeps an NVRTC library opened by path for the
//! rest of the process, so that cudarc's later `dlopen("libnvrtc.so.12")` finds it (the loader
//! matches a loaded library by its soname before searching the library path). Tests and the
//! device check use it to load the NVRTC of the `nvidia-cuda-nvrtc-cu12` wheel.

use std::path::Path;
use std::sync::OnceLock;

use super::GpuError;

/// The CUDA driver API library, installed with the NVIDIA driver.
pub(crate) const DRIVER_LIBRARY: &str = "libcuda.so.1";

/// NVRTC of CUDA 12, under its soname (the CUDA toolkit, or the `nvidia-cuda-nvrtc-cu12` wheel).
pub(crate) const NVRTC_LIBRARY: &str = "libnvrtc.so.12";

/// The NVRTC names, among those cudarc tries, that a CUDA 12 installation provides.
const NVRTC_NAMES: [&str; 2] = ["libnvrtc.so", NVRTC_LIBRARY];

/// An NVRTC opened by path, kept loaded for the process (see the module docs).
static PRELOADED_NVRTC: OnceLock<libloading::Library> = OnceLock::new();

/// Opens the NVRTC library at `path` (e.g. `…/nvidia/cuda_nvrtc/lib/libnvrtc.so.12`) and keeps it
/// loaded, so that the backend uses it although its folder is not on the library path.
pub fn load_nvrtc(path: &Path) -> Result<(), GpuError> {
    // SAFETY: opening NVRTC runs only its initialisers, which have no preconditions.
    let library = unsafe { libloading::Library::new(path) }
        .map_err(|error| GpuError::LibraryMissing { library: NVRTC_LIBRARY, reason: error.to_string() })?;
    // A second call keeps the first library; this one is closed again when dropped.
    let _ = PRELOADED_NVRTC.set(library);
    Ok(())
}

/// Checks that the driver and NVRTC load, by `dlopen` and then by cudarc's own look-up (which
/// also resolves every symbol of its CUDA 12.2 bindings; its panic on a library of an older CUDA
/// becomes an error here).
pub(crate) fn probe_libraries() -> Result<(), GpuError> {
    open_any(&[DRIVER_LIBRARY], DRIVER_LIBRARY)?;
    probe_nvrtc()?;
    // SAFETY: cudarc opens the same libraries, already found above.
    let driver = std::panic::catch_unwind(|| unsafe { cudarc::driver::sys::is_culib_present() });
    if driver.ok() != Some(true) {
        return Err(GpuError::LibraryMissing {
            library: DRIVER_LIBRARY,
            reason: "it lacks the CUDA 12.2 driver API (driver too old?)".to_owned(),
        });
    }
    Ok(())
}

/// Checks that NVRTC loads, as [`probe_libraries`] does (needed alone to compile kernels).
pub(crate) fn probe_nvrtc() -> Result<(), GpuError> {
    if PRELOADED_NVRTC.get().is_none() {
        open_any(&NVRTC_NAMES, NVRTC_LIBRARY)?;
    }
    // SAFETY: as above; cudarc finds the library by the names just tried or by its soname.
    let nvrtc = std::panic::catch_unwind(|| unsafe { cudarc::nvrtc::sys::is_culib_present() });
    if nvrtc.ok() != Some(true) {
        return Err(GpuError::LibraryMissing {
            library: NVRTC_LIBRARY,
            reason: "it lacks the CUDA 12.2 NVRTC API".to_owned(),
        });
    }
    Ok(())
}

/// Opens the first of `names` that loads (and closes it again), or says why the last failed.
fn open_any(names: &[&str], library: &'static str) -> Result<(), GpuError> {
    let mut reason = String::new();
    for name in names {
        // SAFETY: opening the CUDA libraries runs only their initialisers.
        match unsafe { libloading::Library::new(name) } {
            Ok(_) => return Ok(()),
            Err(error) => reason = error.to_string(),
        }
    }
    Err(GpuError::LibraryMissing { library, reason })
}
