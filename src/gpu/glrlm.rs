//! GLRLM run counts on the GPU (`glrlm.cu`), one grid row per angle.

use cudarc::driver::PushKernelArg;

use super::device::launch_shape;
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// Run counts of a box laid out as for [`CudaDevice::glcm_counts`]:
    /// `counts[(a·n + r)·longest + l − 1]`, the runs of `l` voxels of row `r` along offset `a`,
    /// for runs of up to `longest` voxels. Angles are not emptied here (the caller applies
    /// PyRadiomics' rule).
    pub fn glrlm_counts(
        &self,
        rows: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
        n: usize,
        longest: usize,
    ) -> Result<Vec<u32>, GpuError> {
        let len = offsets.len() * n * longest;
        if len == 0 {
            return Ok(Vec::new());
        }
        let Some(region) = self.upload_box(rows, size, offsets)? else {
            return Ok(vec![0; len]);
        };
        let too_large = |_| GpuError::TooLarge { size };
        let (n_u32, longest_u32) =
            (u32::try_from(n).map_err(too_large)?, u32::try_from(longest).map_err(too_large)?);
        let stream = &self.stream;
        let mut counts = stream.alloc_zeros::<u32>(len).map_err(GpuError::driver("allocating the GLRLM"))?;
        let mut launch = stream.launch_builder(&self.kernels.glrlm_counts);
        region.push_into(&mut launch);
        launch.arg(&n_u32).arg(&longest_u32).arg(&mut counts);
        // SAFETY: the arguments match `glrlm_counts` in glrlm.cu; `rows` covers the box, `counts`
        // holds offsets × n × longest entries, one grid row per offset.
        unsafe { launch.launch(launch_shape(region.voxels, region.angles)) }
            .map_err(GpuError::driver("running glrlm_counts"))?;
        stream.clone_dtoh(&counts).map_err(GpuError::driver("copying the GLRLM back"))
    }
}
