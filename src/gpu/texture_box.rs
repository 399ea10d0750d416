//! A region's box on the device as the texture kernels take it (`box.cuh`): one `u32` per voxel
//! (its matrix row, or its grey level), the box's size and the neighbour offsets, uploaded once
//! and pushed as the first five arguments every texture kernel starts with,
//! `values, sx, sy, sz, offsets`.

use cudarc::driver::{CudaSlice, LaunchArgs, PushKernelArg};

use super::device::box_coordinates;
use super::{CudaDevice, GpuError};

/// Most offsets one launch takes (the grid's second dimension).
const MAX_ANGLES: usize = 65_535;

/// A box uploaded for the texture kernels.
pub(super) struct TextureBox {
    values: CudaSlice<u32>,
    dims: [i32; 3],
    offsets: CudaSlice<i32>,
    /// Voxels in the box.
    pub voxels: usize,
    /// Offsets uploaded (a box without any holds one unused triple: nothing is allocated empty).
    pub angles: usize,
}

impl CudaDevice {
    /// Uploads `values` (one per voxel of a box of `size`, `i` fastest) and `offsets` (voxels
    /// along `(i, j, k)`, at most 65,535, each within the box's 32-bit coordinates); `None` for a
    /// box without voxels.
    pub(super) fn upload_box(
        &self,
        values: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
    ) -> Result<Option<TextureBox>, GpuError> {
        let (dims, voxels) = box_coordinates(size)?;
        if voxels == 0 {
            return Ok(None);
        }
        if offsets.len() > MAX_ANGLES {
            return Err(GpuError::TooLarge { size });
        }
        let mut flat: Vec<i32> = offsets
            .iter()
            .flatten()
            .map(|&o| i32::try_from(o).map_err(|_| GpuError::TooLarge { size }))
            .collect::<Result<_, _>>()?;
        if flat.is_empty() {
            flat = vec![0; 3];
        }
        let stream = &self.stream;
        let values = stream.clone_htod(&values[..voxels]).map_err(GpuError::driver("copying the box"))?;
        let offsets_device = stream.clone_htod(&flat).map_err(GpuError::driver("copying the offsets"))?;
        Ok(Some(TextureBox { values, dims, offsets: offsets_device, voxels, angles: offsets.len() }))
    }
}

impl TextureBox {
    /// Pushes `values, sx, sy, sz, offsets` onto `launch`.
    pub fn push_into<'a>(&'a self, launch: &mut LaunchArgs<'a>) {
        launch.arg(&self.values).arg(&self.dims[0]).arg(&self.dims[1]).arg(&self.dims[2]).arg(&self.offsets);
    }

    /// The per-voxel values on the device.
    pub fn values(&self) -> &CudaSlice<u32> {
        &self.values
    }
}
