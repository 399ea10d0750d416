//! Grey-level discretisation on the GPU (`discretise.cu`), with bin edges from the host.

use cudarc::driver::PushKernelArg;

use super::device::launch_shape;
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// For each voxel, the number of `edges` at most its value (`numpy.digitize`) where `mask`
    /// is not 0, else 0. `edges` must increase; `values` and `mask` have one entry per voxel.
    pub fn discretise(&self, values: &[f64], mask: &[u8], edges: &[f64]) -> Result<Vec<u32>, GpuError> {
        let voxels = values.len().min(mask.len());
        let n_edges =
            u32::try_from(edges.len()).map_err(|_| GpuError::TooLarge { size: [edges.len(), 1, 1] })?;
        if voxels.div_ceil(256) > i32::MAX as usize {
            return Err(GpuError::TooLarge { size: [voxels, 1, 1] });
        }
        if voxels == 0 || edges.is_empty() {
            // No edge is at most any value.
            return Ok(vec![0; voxels]);
        }
        let stream = &self.stream;
        let copy = GpuError::driver("copying the region values");
        let values_device = stream.clone_htod(&values[..voxels]).map_err(copy)?;
        let mask_device = stream.clone_htod(&mask[..voxels]).map_err(GpuError::driver("copying the mask"))?;
        let edges_device = stream.clone_htod(edges).map_err(GpuError::driver("copying the bin edges"))?;
        let mut levels =
            stream.alloc_zeros::<u32>(voxels).map_err(GpuError::driver("allocating the levels"))?;
        let count = voxels as u64;
        let mut launch = stream.launch_builder(&self.kernels.discretise);
        launch
            .arg(&values_device)
            .arg(&mask_device)
            .arg(&count)
            .arg(&edges_device)
            .arg(&n_edges)
            .arg(&mut levels);
        // SAFETY: the arguments match `discretise` in discretise.cu; values, mask and levels hold
        // `count` entries and edges `n_edges`.
        unsafe { launch.launch(launch_shape(voxels, 1)) }.map_err(GpuError::driver("running discretise"))?;
        stream.clone_dtoh(&levels).map_err(GpuError::driver("copying the levels back"))
    }
}
