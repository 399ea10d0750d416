//! The peritumoral ring on the GPU (`ring.cu`): the exact Euclidean distance transform of
//! `roi::ring`, one kernel launch per axis, then the radius test; the same arithmetic as the CPU.

use cudarc::driver::PushKernelArg;

use super::device::{box_coordinates, launch_shape};
use super::{CudaDevice, GpuError};

impl CudaDevice {
    /// The ring inside a box of `size` voxels (`i` fastest): 1 where `inside` is 0 and the
    /// voxel centre lies within `radius_mm` of a voxel centre where `inside` is not 0, else 0.
    /// `spacing_mm` is the voxel spacing along `(i, j, k)`.
    pub fn ring_box(
        &self,
        inside: &[u8],
        size: [usize; 3],
        spacing_mm: [f64; 3],
        radius_mm: f64,
    ) -> Result<Vec<u8>, GpuError> {
        let (dims, voxels) = box_coordinates(size)?;
        if voxels == 0 || inside.len() != voxels {
            return Err(GpuError::TooLarge { size });
        }
        let stream = &self.stream;
        let copy = GpuError::driver("copying the ring box");
        let squared: Vec<f64> = inside.iter().map(|&v| if v != 0 { 0.0 } else { f64::INFINITY }).collect();
        let mut data = stream.clone_htod(&squared).map_err(copy)?;
        // Each pass has (voxels / line length) lines of one line length: `voxels` scratch entries.
        let scratch = GpuError::driver("allocating the ring scratch");
        let mut values = stream.alloc_zeros::<f64>(voxels).map_err(scratch)?;
        let mut sites =
            stream.alloc_zeros::<i32>(voxels).map_err(GpuError::driver("allocating the ring scratch"))?;
        let mut bounds =
            stream.alloc_zeros::<f64>(voxels).map_err(GpuError::driver("allocating the ring scratch"))?;
        for axis in 0..3 {
            let axis_i32 = axis as i32;
            let mut launch = stream.launch_builder(&self.kernels.edt_lines);
            launch
                .arg(&mut data)
                .arg(&dims[0])
                .arg(&dims[1])
                .arg(&dims[2])
                .arg(&axis_i32)
                .arg(&spacing_mm[axis])
                .arg(&mut values)
                .arg(&mut sites)
                .arg(&mut bounds);
            // SAFETY: the arguments match `edt_lines` in ring.cu; the scratch holds one line
            // length per line; the kernel indexes only within the box.
            unsafe { launch.launch(launch_shape(voxels / size[axis], 1)) }
                .map_err(GpuError::driver("running edt_lines"))?;
        }
        let inside_device = stream.clone_htod(inside).map_err(GpuError::driver("copying the tumor box"))?;
        let mut ring = stream.alloc_zeros::<u8>(voxels).map_err(GpuError::driver("allocating the ring"))?;
        let count = voxels as u64;
        let mut launch = stream.launch_builder(&self.kernels.ring_threshold);
        launch.arg(&data).arg(&inside_device).arg(&count).arg(&radius_mm).arg(&mut ring);
        // SAFETY: the arguments match `ring_threshold` in ring.cu; every buffer holds `count`.
        unsafe { launch.launch(launch_shape(voxels, 1)) }
            .map_err(GpuError::driver("running ring_threshold"))?;
        stream.clone_dtoh(&ring).map_err(GpuError::driver("copying the ring back"))
    }
}
