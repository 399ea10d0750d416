//! The compute backend of a region's hot loops: CUDA kernels on an NVIDIA GPU, or the CPU.
//!
//! The design card puts the peritumoral ring's distance transform, the grey-level discretisation
//! and the texture matrices on the box's GPU: the GLCM and GLRLM counts, the GLSZM's zones
//! (connected components, by union-find) and the neighbourhood tallies that the GLDM and NGTDM
//! are built from. The CPU path (PyRadiomics-exact) is the oracle and the fallback. Only matrices
//! and masks move to the GPU: bin edges, symmetry, angle weighting, empty-angle rules and every
//! feature formula stay in `radiomics/`, shared by both backends, so the two give the same numbers
//! (integer counts equal, hence features equal).
//!
//! - [`detect`] chooses the backend once, at start, and says why ([`BackendChoice`]): CUDA when
//!   the driver (`libcuda.so.1`) and NVRTC (`libnvrtc.so.12`) load, a device opens and every
//!   kernel compiles for it; the CPU otherwise. Libraries are probed with `dlopen` before any
//!   cudarc call, since cudarc panics on a missing library.
//! - [`Backend`] is handed to the builders (`radiomics::extract_on`, `Glcm::build_on`,
//!   `roi::ring::peritumoral_ring_on`); a GPU call that fails at run time is logged, counted
//!   ([`CudaDevice::failures`]) and redone on the CPU.
//! - [`CudaDevice`]: the opened device and its kernels, one `.cu` file beside the Rust that
//!   launches it (`ring`, `discretise`, `glcm`, `glrlm`, `glszm`, `neighbours`; the box
//!   addressing the texture kernels share is `box.cuh`), compiled at run time by NVRTC
//!   ([`compile`]), with `--fmad=false` so the arithmetic is the CPU's to the last bit.
//!
//! This module knows no radiomics type: its kernels take plain buffers, so it sits below
//! `radiomics/` and `roi/`, which call it.

mod backend;
pub mod compile;
mod device;
mod discretise;
mod error;
mod glcm;
mod glrlm;
mod glszm;
mod neighbours;
mod probe;
mod ring;
mod texture_box;

pub use backend::{detect, Backend, BackendChoice, BACKEND_ENV};
pub use device::CudaDevice;
pub use error::GpuError;
pub use neighbours::NeighbourTally;
pub use probe::load_nvrtc;
