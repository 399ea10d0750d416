//! GLSZM zones on the GPU (`glszm.cu`): connected-component labelling by union-find, the zone
//! sizes counted at their roots.

use cudarc::driver::PushKernelArg;

use super::device::launch_shape;
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// The zones of a box laid out as for [`CudaDevice::glcm_counts`] (`rows[v]` the matrix row
    /// of voxel `v`, `n` outside the region): the maximal sets of region voxels of one row joined
    /// through `offsets` (one of each `o` and `−o` suffices), as `(row, size in voxels)`, in
    /// raster order of their first voxels.
    pub fn glszm_zones(
        &self,
        rows: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
        n: usize,
    ) -> Result<Vec<(u32, u32)>, GpuError> {
        let Some(region) = self.upload_box(rows, size, offsets)? else {
            return Ok(Vec::new());
        };
        let voxels = region.voxels;
        // Labels are voxel indices, `unsigned int` in the kernels.
        if u32::try_from(voxels).is_err() {
            return Err(GpuError::TooLarge { size });
        }
        let n_u32 = u32::try_from(n).map_err(|_| GpuError::TooLarge { size })?;
        let count = voxels as u64;
        let stream = &self.stream;
        let mut labels =
            stream.alloc_zeros::<u32>(voxels).map_err(GpuError::driver("allocating the zone labels"))?;
        let mut sizes =
            stream.alloc_zeros::<u32>(voxels).map_err(GpuError::driver("allocating the zone sizes"))?;
        let mut init = stream.launch_builder(&self.kernels.glszm_init);
        init.arg(&count).arg(&mut labels);
        // SAFETY: the arguments match `glszm_init` in glszm.cu; `labels` holds `count` entries.
        unsafe { init.launch(launch_shape(voxels, 1)) }.map_err(GpuError::driver("running glszm_init"))?;
        if region.angles > 0 {
            let mut merge = stream.launch_builder(&self.kernels.glszm_merge);
            region.push_into(&mut merge);
            merge.arg(&n_u32).arg(&mut labels);
            // SAFETY: the arguments match `glszm_merge` in glszm.cu; `rows` and `labels` cover
            // the box, one grid row per offset.
            unsafe { merge.launch(launch_shape(voxels, region.angles)) }
                .map_err(GpuError::driver("running glszm_merge"))?;
        }
        let mut count_sizes = stream.launch_builder(&self.kernels.glszm_sizes);
        count_sizes.arg(region.values()).arg(&count).arg(&n_u32).arg(&mut labels).arg(&mut sizes);
        // SAFETY: the arguments match `glszm_sizes` in glszm.cu; `rows`, `labels` and `sizes`
        // hold `count` entries.
        unsafe { count_sizes.launch(launch_shape(voxels, 1)) }
            .map_err(GpuError::driver("running glszm_sizes"))?;
        let sizes = stream.clone_dtoh(&sizes).map_err(GpuError::driver("copying the zone sizes back"))?;
        // A zone's size sits at its root, a voxel of its row; every other entry is 0.
        Ok(rows.iter().zip(sizes).filter(|&(_, size)| size > 0).map(|(&row, size)| (row, size)).collect())
    }
}
