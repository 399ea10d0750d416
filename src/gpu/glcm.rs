//! GLCM co-occurrence counts on the GPU (`glcm.cu`), one grid row per angle.

use cudarc::driver::PushKernelArg;

use super::device::launch_shape;
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// Asymmetric co-occurrence counts of a box of `size` voxels (`i` fastest) whose voxels hold
    /// their matrix row in `rows` (`n` outside the region), for each of `offsets` (voxels along
    /// `(i, j, k)`): `counts[(a·n + r)·n + c]`, the pairs from a voxel of row `r` to the one at
    /// offset `a` of row `c`.
    pub fn glcm_counts(
        &self,
        rows: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
        n: usize,
    ) -> Result<Vec<u32>, GpuError> {
        let len = offsets.len() * n * n;
        if len == 0 {
            return Ok(Vec::new());
        }
        let Some(region) = self.upload_box(rows, size, offsets)? else {
            return Ok(vec![0; len]);
        };
        let n_u32 = u32::try_from(n).map_err(|_| GpuError::TooLarge { size })?;
        let stream = &self.stream;
        let mut counts = stream.alloc_zeros::<u32>(len).map_err(GpuError::driver("allocating the GLCM"))?;
        let mut launch = stream.launch_builder(&self.kernels.glcm_counts);
        region.push_into(&mut launch);
        launch.arg(&n_u32).arg(&mut counts);
        // SAFETY: the arguments match `glcm_counts` in glcm.cu; `rows` covers the box, `counts`
        // holds offsets × n × n entries, one grid row per offset.
        unsafe { launch.launch(launch_shape(region.voxels, region.angles)) }
            .map_err(GpuError::driver("running glcm_counts"))?;
        stream.clone_dtoh(&counts).map_err(GpuError::driver("copying the GLCM back"))
    }
}
