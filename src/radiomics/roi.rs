//! The region every feature class works on: a box cut from the image around the mask, the mask
//! inside it, and (for texture) its discretised grey levels.
//!
//! Arrays are `i` fastest (`index = i + sx·(j + sy·k)`), matching the image buffers. PyRadiomics
//! holds the same data as NumPy arrays indexed `[k][j][i]`, so its axis 0 is our axis 2; this
//! matters only where a setting names an axis (`force2Ddimension`).

/// Image values and mask of the box around the region of interest.
#[derive(Debug, Clone, PartialEq)]
pub struct Roi {
    /// Voxels along `(i, j, k)`.
    pub size: [usize; 3],
    /// Voxel spacing along `(i, j, k)`, millimetres.
    pub spacing_mm: [f64; 3],
    /// Image values in the box, in the image's unit (HU for CT), after any normalisation.
    pub values: Vec<f64>,
    /// Whether each voxel of the box belongs to the region.
    pub mask: Vec<bool>,
}

impl Roi {
    /// The image values of the voxels inside the region, in buffer order.
    pub fn masked_values(&self) -> Vec<f64> {
        self.values.iter().zip(&self.mask).filter_map(|(&v, &m)| m.then_some(v)).collect()
    }

    /// Number of voxels inside the region.
    pub fn voxel_count(&self) -> usize {
        self.mask.iter().filter(|&&m| m).count()
    }
}

/// The region's voxels as discrete grey levels, the input of every texture matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyLevels {
    /// Voxels along `(i, j, k)` (the same box as the [`Roi`]).
    pub size: [usize; 3],
    /// Grey level of each voxel: `1..=max_level` inside the region, 0 outside.
    pub levels: Vec<u32>,
    /// The highest grey level in the region (PyRadiomics `Ng`).
    pub max_level: u32,
    /// The grey levels that occur in the region, ascending (PyRadiomics `grayLevels`).
    pub present: Vec<u32>,
}

impl GreyLevels {
    /// Builds the grey-level box from per-voxel levels (0 = outside the region).
    pub fn new(size: [usize; 3], levels: Vec<u32>) -> GreyLevels {
        let mut seen = vec![false; levels.iter().copied().max().unwrap_or(0) as usize + 1];
        for &l in &levels {
            seen[l as usize] = true;
        }
        let present: Vec<u32> = (1..seen.len() as u32).filter(|&l| seen[l as usize]).collect();
        let max_level = present.last().copied().unwrap_or(0);
        GreyLevels { size, levels, max_level, present }
    }
}
