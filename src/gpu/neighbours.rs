//! Neighbourhood tallies of every voxel on the GPU (`neighbours.cu`), for the GLDM and the NGTDM.

use cudarc::driver::PushKernelArg;

use super::device::launch_shape;
use super::{CudaDevice, GpuError};

/// Per-voxel tallies of a box, `i` fastest; 0s for voxels outside the region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighbourTally {
    /// Neighbours in the region whose grey level differs by at most the limit.
    pub dependent: Vec<u32>,
    /// Neighbours in the region.
    pub neighbours: Vec<u32>,
    /// Sum of the grey levels of those neighbours.
    pub sums: Vec<u64>,
}

impl CudaDevice {
    /// The tallies of a box of `size` voxels whose voxels hold their grey level in `levels` (0
    /// outside the region), over the neighbours at `offsets` (voxels along `(i, j, k)`); a
    /// neighbour is dependent when its level differs by at most `limit` (none when `None`).
    pub fn neighbour_tally(
        &self,
        levels: &[u32],
        size: [usize; 3],
        offsets: &[[isize; 3]],
        limit: Option<u32>,
    ) -> Result<NeighbourTally, GpuError> {
        let Some(region) = self.upload_box(levels, size, offsets)? else {
            return Ok(NeighbourTally { dependent: Vec::new(), neighbours: Vec::new(), sums: Vec::new() });
        };
        let (voxels, count) = (region.voxels, region.angles as u32);
        let limit = limit.map_or(-1, i64::from);
        let stream = &self.stream;
        let allocating = || GpuError::driver("allocating the tallies");
        let mut dependent = stream.alloc_zeros::<u32>(voxels).map_err(allocating())?;
        let mut neighbours = stream.alloc_zeros::<u32>(voxels).map_err(allocating())?;
        let mut sums = stream.alloc_zeros::<u64>(voxels).map_err(allocating())?;
        let mut launch = stream.launch_builder(&self.kernels.neighbour_tally);
        region.push_into(&mut launch);
        launch.arg(&count).arg(&limit).arg(&mut dependent).arg(&mut neighbours).arg(&mut sums);
        // SAFETY: the arguments match `neighbour_tally` in neighbours.cu; `levels` and the three
        // outputs hold one entry per voxel of the box, `offsets` `count` triples.
        unsafe { launch.launch(launch_shape(voxels, 1)) }
            .map_err(GpuError::driver("running neighbour_tally"))?;
        let copying = || GpuError::driver("copying the tallies back");
        Ok(NeighbourTally {
            dependent: stream.clone_dtoh(&dependent).map_err(copying())?,
            neighbours: stream.clone_dtoh(&neighbours).map_err(copying())?,
            sums: stream.clone_dtoh(&sums).map_err(copying())?,
        })
    }
}
