//! GLCM co-occurrence counts on the GPU (`glcm.cu`), one grid row per angle.

use cudarc::driver::PushKernelArg;

use super::device::{box_coordinates, launch_shape};
use super::{CudaDevice, GpuError};

/// Most angles one launch takes (the grid's second dimension).
const MAX_ANGLES: usize = 65_535;

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
        let (dims, voxels) = box_coordinates(size)?;
        let len = offsets.len() * n * n;
        if voxels == 0 || len == 0 {
            return Ok(vec![0; len]);
        }
        let flat = flat_offsets(offsets, size)?;
        let n_u32 = u32::try_from(n).map_err(|_| GpuError::TooLarge { size })?;
        let stream = &self.stream;
        let rows_device =
            stream.clone_htod(&rows[..voxels]).map_err(GpuError::driver("copying the levels"))?;
        let offsets_device = stream.clone_htod(&flat).map_err(GpuError::driver("copying the offsets"))?;
        let mut counts = stream.alloc_zeros::<u32>(len).map_err(GpuError::driver("allocating the GLCM"))?;
        let mut launch = stream.launch_builder(&self.kernels.glcm_counts);
        launch
            .arg(&rows_device)
            .arg(&dims[0])
            .arg(&dims[1])
            .arg(&dims[2])
            .arg(&offsets_device)
            .arg(&n_u32)
            .arg(&mut counts);
        // SAFETY: the arguments match `glcm_counts` in glcm.cu; `rows` covers the box, `counts`
        // holds offsets × n × n entries, one grid row per offset.
        unsafe { launch.launch(launch_shape(voxels, offsets.len())) }
            .map_err(GpuError::driver("running glcm_counts"))?;
        stream.clone_dtoh(&counts).map_err(GpuError::driver("copying the GLCM back"))
    }
}

/// Offsets as the kernels' `int` triples; at most [`MAX_ANGLES`], each within the box.
pub(super) fn flat_offsets(offsets: &[[isize; 3]], size: [usize; 3]) -> Result<Vec<i32>, GpuError> {
    if offsets.len() > MAX_ANGLES {
        return Err(GpuError::TooLarge { size });
    }
    offsets.iter().flatten().map(|&o| i32::try_from(o).map_err(|_| GpuError::TooLarge { size })).collect()
}
