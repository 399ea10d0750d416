//! Why the CUDA backend could not be used or a kernel failed; each cause has a stable code.

use crate::error_code::ErrorCode;

/// Why the CUDA backend is unavailable, or why a GPU computation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GpuError {
    /// A shared library the backend needs could not be opened.
    #[error("{library} could not be loaded: {reason}")]
    LibraryMissing {
        /// The library (`libcuda.so.1`, `libnvrtc.so.12`).
        library: &'static str,
        /// The loader's message.
        reason: String,
    },
    /// The driver loaded but reports no CUDA device.
    #[error("the CUDA driver reports no device")]
    NoDevice,
    /// A CUDA driver call failed.
    #[error("CUDA driver error while {during}: {message}")]
    Driver {
        /// What was being done.
        during: &'static str,
        /// The driver's message.
        message: String,
    },
    /// NVRTC rejected a kernel, or compiled it with warnings.
    #[error("kernel {kernel} did not compile cleanly: {log}")]
    Compile {
        /// The kernel file (`glcm.cu`).
        kernel: String,
        /// NVRTC's status and log.
        log: String,
    },
    /// A box too large for the kernels' 32-bit coordinates.
    #[error("a box of {size:?} voxels is too large for the GPU kernels")]
    TooLarge {
        /// Voxels along `(i, j, k)`.
        size: [usize; 3],
    },
}

impl GpuError {
    /// A driver error, with what was being done.
    pub(crate) fn driver(during: &'static str) -> impl FnOnce(cudarc::driver::DriverError) -> GpuError {
        move |error| GpuError::Driver { during, message: error.to_string() }
    }
}

impl ErrorCode for GpuError {
    fn code(&self) -> &'static str {
        match self {
            GpuError::LibraryMissing { .. } => "cuda_library_missing",
            GpuError::NoDevice => "no_cuda_device",
            GpuError::Driver { .. } => "cuda_driver_error",
            GpuError::Compile { .. } => "cuda_kernel_compile_failed",
            GpuError::TooLarge { .. } => "gpu_box_too_large",
        }
    }
}
