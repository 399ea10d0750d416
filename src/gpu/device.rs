//! An opened CUDA device with every kernel compiled for it, and the launch shapes they share.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig};
use cudarc::nvrtc::Ptx;

use super::compile::{compile_ptx, KERNEL_FILES};
use super::{probe, GpuError};

/// Threads per block of the one-thread-per-item kernels.
const BLOCK_THREADS: u32 = 256;

/// A CUDA device, its stream and its kernels. Shared by threads (`Arc`): work is queued on one
/// stream, in order, and each call waits for its own results.
pub struct CudaDevice {
    name: String,
    compute_capability: (i32, i32),
    pub(super) stream: Arc<CudaStream>,
    pub(super) kernels: Kernels,
    failures: AtomicU64,
}

/// The loaded kernels, by their `extern "C"` names.
pub(super) struct Kernels {
    pub edt_lines: CudaFunction,
    pub ring_threshold: CudaFunction,
    pub discretise: CudaFunction,
    pub glcm_counts: CudaFunction,
    pub glrlm_counts: CudaFunction,
    pub glszm_init: CudaFunction,
    pub glszm_merge: CudaFunction,
    pub glszm_sizes: CudaFunction,
    pub neighbour_tally: CudaFunction,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaDevice")
            .field("name", &self.name)
            .field("compute_capability", &self.compute_capability)
            .finish_non_exhaustive()
    }
}

impl CudaDevice {
    /// Opens device `ordinal` and compiles every kernel for its architecture. Probes the
    /// libraries first, so this never panics on a machine without CUDA.
    pub fn open(ordinal: usize) -> Result<CudaDevice, GpuError> {
        probe::probe_libraries()?;
        let count = CudaContext::device_count().map_err(GpuError::driver("counting devices"))?;
        if count <= ordinal as i32 {
            return Err(GpuError::NoDevice);
        }
        let context = CudaContext::new(ordinal).map_err(GpuError::driver("opening the device"))?;
        let name = context.name().map_err(GpuError::driver("reading the device name"))?;
        let compute_capability =
            context.compute_capability().map_err(GpuError::driver("reading the compute capability"))?;
        let arch = format!("compute_{}{}", compute_capability.0, compute_capability.1);
        let mut functions = Vec::new();
        for kernel in KERNEL_FILES {
            let ptx = compile_ptx(kernel.file, kernel.source, Some(&arch))?;
            let module =
                context.load_module(Ptx::from_src(ptx)).map_err(GpuError::driver("loading a kernel"))?;
            for entry in kernel.entries {
                functions.push(module.load_function(entry).map_err(GpuError::driver("finding a kernel"))?);
            }
        }
        let kernels: [CudaFunction; 9] = functions.try_into().map_err(|_| GpuError::Compile {
            kernel: "every kernel file".to_owned(),
            log: "the kernel files do not define the nine kernels".to_owned(),
        })?;
        let [edt_lines, ring_threshold, discretise, glcm_counts, glrlm_counts, glszm_init, glszm_merge, glszm_sizes, neighbour_tally] =
            kernels;
        Ok(CudaDevice {
            name,
            compute_capability,
            stream: context.default_stream(),
            kernels: Kernels {
                edt_lines,
                ring_threshold,
                discretise,
                glcm_counts,
                glrlm_counts,
                glszm_init,
                glszm_merge,
                glszm_sizes,
                neighbour_tally,
            },
            failures: AtomicU64::new(0),
        })
    }

    /// The device's name (`NVIDIA H100 80GB HBM3`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Major and minor compute capability (`(9, 0)`).
    pub fn compute_capability(&self) -> (i32, i32) {
        self.compute_capability
    }

    /// GPU computations that failed and were redone on the CPU since the device was opened.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    pub(super) fn count_failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }
}

/// One thread per item, `layers` grid rows (the angles of a texture kernel).
pub(super) fn launch_shape(items: usize, layers: usize) -> LaunchConfig {
    let blocks = items.div_ceil(BLOCK_THREADS as usize) as u32;
    LaunchConfig {
        grid_dim: (blocks, layers as u32, 1),
        block_dim: (BLOCK_THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// The box size as the kernels' `int` coordinates, and its voxel count.
pub(super) fn box_coordinates(size: [usize; 3]) -> Result<([i32; 3], usize), GpuError> {
    let coordinates = size.map(|n| i32::try_from(n).ok());
    let voxels = size.iter().try_fold(1usize, |product, &n| product.checked_mul(n));
    match (coordinates, voxels) {
        ([Some(x), Some(y), Some(z)], Some(voxels))
            if voxels.div_ceil(BLOCK_THREADS as usize) <= i32::MAX as usize =>
        {
            Ok(([x, y, z], voxels))
        }
        _ => Err(GpuError::TooLarge { size }),
    }
}
