//! The neighbourhood of every region voxel, tallied once on the GPU for both the GLDM and the
//! NGTDM: the neighbours at the infinity-norm `distances` (both directions, within the slice with
//! force2D) that lie in the region, how many of them depend on the voxel (grey levels within the
//! GLDM's α), and the sum of their grey levels (PyRadiomics `calculate_gldm` and
//! `calculate_ngtdm` in `cmatrices.c`, which walk the same neighbours).
//!
//! The CPU builders tally the same quantities row by row as they go; what is made of the tallies
//! (the GLDM's histogram, the NGTDM's differences in raster order) is one function each, shared by
//! both backends.

use super::angles::{neighbour_offsets, AngleError, Directions};
use crate::gpu::{Backend, NeighbourTally};
use crate::radiomics::roi::GreyLevels;
use crate::radiomics::texture::TextureSettings;

/// The tallies of every voxel of the region's box on `backend`'s GPU; `None` on the CPU backend
/// and when the GPU fails (the builders then tally on the CPU). Bad distances or a bad force-2D
/// axis are errors.
pub fn neighbour_tally_on(
    g: &GreyLevels,
    s: &TextureSettings,
    backend: &Backend,
) -> Result<Option<NeighbourTally>, AngleError> {
    if backend.device().is_none() {
        return Ok(None);
    }
    let offsets = neighbour_offsets(g.size, &s.distances, Directions::Both, s.force_2d_axis)?;
    let limit = dependence_limit(s);
    Ok(backend.on_gpu("GLDM and NGTDM", |device| device.neighbour_tally(&g.levels, g.size, &offsets, limit)))
}

/// The largest grey-level difference at which a neighbour depends on a voxel in the GLDM, or
/// `None` when none does. Grey-level differences are whole numbers, so `|Δ| ≤ α` is `|Δ| ≤ ⌊α⌋`;
/// a negative α makes no neighbour dependent. PyRadiomics reads `gldm_a` as an integer; for a
/// whole-number α this is the same comparison.
pub(super) fn dependence_limit(s: &TextureSettings) -> Option<u32> {
    (s.gldm_alpha >= 0.0).then(|| s.gldm_alpha.floor().min(f64::from(u32::MAX)) as u32)
}
