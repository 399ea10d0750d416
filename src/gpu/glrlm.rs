//! GLRLM run counts on the GPU (`glrlm.cu`), one grid row per angle.

use cudarc::driver::PushKernelArg;

use super::device::{box_coordinates, launch_shape};
use super::glcm::flat_offsets;
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// Run counts of a box laid out as for [`CudaDevice::glcm_counts`]:
    /// `counts[(a·n + r)·longest + l − 1]`, the runs of `l` voxels of row `r` along offset `a`,
    /// for runs of up to `longest` voxels. Angles are not emptied here (the caller applies PyRadiomics' rule).
    pub fn glrlm_counts(
        &self,
        rows: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
        n: usize,
        longest: usize,
    ) -> Result<Vec<u32>, GpuError> {
        let (dims, voxels) = box_coordinates(size)?;
        let len = offsets.len() * n * longest;
        if voxels == 0 || len == 0 {
            return Ok(vec![0; len]);
        }
        let flat = flat_offsets(offsets, size)?;
        let too_large = |_| GpuError::TooLarge { size };
        let (n_u32, longest_u32) =
            (u32::try_from(n).map_err(too_large)?, u32::try_from(longest).map_err(too_large)?);
        let stream = &self.stream;
        let rows_device =
            stream.clone_htod(&rows[..voxels]).map_err(GpuError::driver("copying the levels"))?;
        let offsets_device = stream.clone_htod(&flat).map_err(GpuError::driver("copying the offsets"))?;
        let mut counts = stream.alloc_zeros::<u32>(len).map_err(GpuError::driver("allocating the GLRLM"))?;
        let mut launch = stream.launch_builder(&self.kernels.glrlm_counts);
        launch
            .arg(&rows_device)
            .arg(&dims[0])
            .arg(&dims[1])
            .arg(&dims[2])
            .arg(&offsets_device)
            .arg(&n_u32)
            .arg(&longest_u32)
            .arg(&mut counts);
        // SAFETY: the arguments match `glrlm_counts` in glrlm.cu; `rows` covers the box, `counts`
        // holds offsets × n × longest entries, one grid row per offset.
        unsafe { launch.launch(launch_shape(voxels, offsets.len())) }
            .map_err(GpuError::driver("running glrlm_counts"))?;
        stream.clone_dtoh(&counts).map_err(GpuError::driver("copying the GLRLM back"))
    }
}
