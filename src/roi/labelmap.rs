//! NRRD / NIfTI label maps → tumor mask on the CT grid (research input, as PyRadiomics takes it).
//!
//! The label map must lie on the CT grid (size equal; spacing, origin and direction within the
//! PyRadiomics setting `geometryTolerance`, by default
//! [`GEOMETRY_TOLERANCE`](crate::image::GEOMETRY_TOLERANCE), the check PyRadiomics relies on); it
//! is never resampled. The tumor is the voxels equal to the chosen label value; label maps carry no
//! names, so only [`RegionRef::Number`] selects, and with no selection the map must hold exactly one
//! non-zero label.

use std::path::Path;

use super::{
    grid,
    source::{pick_region, Region, RegionRef},
    MaskSource, RoiError,
};
use crate::image::{self, Geometry, Image};

/// Reads the label map at `path` and returns the voxels of the chosen label as a mask on `ct`,
/// whose grid it must match within `geometry_tolerance` (PyRadiomics' `geometryTolerance`).
pub fn labelmap_mask(
    path: &Path,
    ct: &Geometry,
    region: Option<&RegionRef>,
    geometry_tolerance: f64,
) -> Result<(Image, MaskSource), RoiError> {
    let labels =
        image::read(path).map_err(|source| RoiError::LabelMap { path: path.to_path_buf(), source })?;
    ct.check_same_within(&labels.geometry, geometry_tolerance).map_err(|source| RoiError::Geometry {
        what: format!("the label map (geometryTolerance {geometry_tolerance})"),
        source,
    })?;
    let available: Vec<Region> = labels
        .labels()
        .into_iter()
        .filter(|&v| v > 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX))
        .map(|v| Region { number: v as u32, name: String::new() })
        .collect();
    let chosen = pick_region("the label map", &available, region)?;
    let label = f64::from(chosen.number);
    let mask = (0..labels.voxels.len()).map(|v| u8::from(labels.voxels.get(v) == label)).collect();
    Ok((grid::mask_image(*ct, mask), MaskSource::LabelMap { path: path.to_path_buf(), label: chosen.number }))
}
