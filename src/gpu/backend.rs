//! The backend choice made once at start, and how the builders hand work to it.

use std::sync::Arc;

use super::{probe, CudaDevice, GpuError};
use crate::error_code::ErrorCode;

/// Environment variable that forces a backend: `cpu`, or `auto` (the default: CUDA when usable).
pub const BACKEND_ENV: &str = "RADSCORED_BACKEND";

/// Where the hot loops of a region run.
#[derive(Debug, Clone)]
pub enum Backend {
    /// The PyRadiomics-exact CPU code (always available; the oracle).
    Cpu,
    /// CUDA kernels on an opened device.
    Cuda(Arc<CudaDevice>),
}

impl Backend {
    /// `"cpu"` or `"cuda"`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda(_) => "cuda",
        }
    }

    /// The device, on the CUDA backend.
    pub fn device(&self) -> Option<&CudaDevice> {
        match self {
            Backend::Cpu => None,
            Backend::Cuda(device) => Some(device),
        }
    }

    /// Runs `work` on the device: `None` on the CPU backend, and when the device fails (the
    /// failure is logged and counted, and the caller computes the same thing on the CPU).
    pub fn on_gpu<T>(
        &self,
        what: &'static str,
        work: impl FnOnce(&CudaDevice) -> Result<T, GpuError>,
    ) -> Option<T> {
        let device = self.device()?;
        match work(device) {
            Ok(value) => Some(value),
            Err(error) => {
                device.count_failure();
                tracing::warn!(%error, code = error.code(), what, "GPU computation failed; computing it on the CPU.");
                None
            }
        }
    }
}

/// The chosen backend and why it was chosen.
#[derive(Debug, Clone)]
pub struct BackendChoice {
    backend: Backend,
    reason: String,
}

impl BackendChoice {
    /// The CPU backend, for `reason`.
    pub fn cpu(reason: impl Into<String>) -> BackendChoice {
        BackendChoice { backend: Backend::Cpu, reason: reason.into() }
    }

    /// The backend to hand to the builders.
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// `"cpu"` or `"cuda"`.
    pub fn name(&self) -> &'static str {
        self.backend.name()
    }

    /// One line saying why: the device on CUDA, what was missing on the CPU.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Chooses the backend: CUDA device 0 when the driver and NVRTC load, the device opens and every
/// kernel compiles for it, else the CPU; [`BACKEND_ENV`]`=cpu` forces the CPU. Logs one line
/// with the choice and the reason. Never panics, whatever is (not) installed.
pub fn detect() -> BackendChoice {
    let choice = choose();
    tracing::info!(backend = choice.name(), reason = %choice.reason, "Compute backend chosen.");
    choice
}

fn choose() -> BackendChoice {
    match std::env::var(BACKEND_ENV).as_deref() {
        Ok("cpu") => return BackendChoice::cpu(format!("{BACKEND_ENV}=cpu")),
        Ok("auto") | Err(_) => {}
        Ok(other) => return BackendChoice::cpu(format!("{BACKEND_ENV}={other} is neither cpu nor auto")),
    }
    match probe::probe_libraries().and_then(|()| CudaDevice::open(0)) {
        Ok(device) => {
            let (major, minor) = device.compute_capability();
            let reason = format!("CUDA device 0, {}, compute capability {major}.{minor}", device.name());
            BackendChoice { backend: Backend::Cuda(Arc::new(device)), reason }
        }
        Err(error) => BackendChoice::cpu(format!("no usable CUDA device: {error}")),
    }
}
