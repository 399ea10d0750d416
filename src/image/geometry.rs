//! The physical grid of a volume, kept exactly as read (LPS millimetres).

use super::ImageError;

/// Tolerance used to decide that two geometries are the same, relative to the first axis'
/// spacing for positions and spacings and absolute for direction cosines. It is SimpleITK's
/// default coordinate and direction tolerance, which PyRadiomics relies on when it checks a mask
/// against its image.
pub const GEOMETRY_TOLERANCE: f64 = 1e-6;

/// Where a voxel grid lies in patient space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Number of voxels along each axis `(nx, ny, nz)`.
    pub size: [usize; 3],
    /// Centre of voxel (0, 0, 0), LPS millimetres.
    pub origin_mm: [f64; 3],
    /// Distance between voxel centres along each axis, millimetres.
    pub spacing_mm: [f64; 3],
    /// Unit direction of each voxel axis in LPS space: `direction[a]` is axis `a`.
    pub direction: [[f64; 3]; 3],
}

impl Geometry {
    /// Total number of voxels.
    pub fn voxel_count(&self) -> usize {
        self.size.iter().product()
    }

    /// Linear buffer index of voxel `(i, j, k)`.
    #[inline]
    pub fn index(&self, i: usize, j: usize, k: usize) -> usize {
        i + self.size[0] * (j + self.size[1] * k)
    }

    /// Position of the centre of voxel `(i, j, k)` in LPS millimetres (may be fractional).
    pub fn point_mm(&self, ijk: [f64; 3]) -> [f64; 3] {
        let mut p = self.origin_mm;
        for (a, &c) in ijk.iter().enumerate() {
            for (d, p) in p.iter_mut().enumerate() {
                *p += c * self.spacing_mm[a] * self.direction[a][d];
            }
        }
        p
    }

    /// Checks that `other` is the same grid within [`GEOMETRY_TOLERANCE`], else says which
    /// property differs.
    pub fn check_same(&self, other: &Geometry) -> Result<(), ImageError> {
        self.check_same_within(other, GEOMETRY_TOLERANCE)
    }

    /// [`Geometry::check_same`] with a chosen tolerance (PyRadiomics `geometryTolerance`).
    pub fn check_same_within(&self, other: &Geometry, tolerance: f64) -> Result<(), ImageError> {
        let mismatch = |reason: String| Err(ImageError::GeometryMismatch { reason });
        if self.size != other.size {
            return mismatch(format!(
                "size {} vs {}",
                super::numbers(&self.size),
                super::numbers(&other.size)
            ));
        }
        let tol = tolerance * self.spacing_mm[0].abs();
        let far = |a: &[f64; 3], b: &[f64; 3], t: f64| a.iter().zip(b).any(|(x, y)| (x - y).abs() > t);
        if far(&self.spacing_mm, &other.spacing_mm, tol) {
            return mismatch(format!(
                "spacing {} vs {} mm",
                super::numbers(&self.spacing_mm),
                super::numbers(&other.spacing_mm)
            ));
        }
        if far(&self.origin_mm, &other.origin_mm, tol) {
            return mismatch(format!(
                "origin {} vs {} mm",
                super::numbers(&self.origin_mm),
                super::numbers(&other.origin_mm)
            ));
        }
        if (0..3).any(|a| far(&self.direction[a], &other.direction[a], tolerance)) {
            return mismatch(format!(
                "direction {} vs {}",
                super::numbers(self.direction.as_flattened()),
                super::numbers(other.direction.as_flattened())
            ));
        }
        Ok(())
    }
}

/// The vector cross product `a × b` (right-handed), e.g. the slice normal from the row and column
/// directions, or a triangle's area vector from two edges.
pub fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Geometry {
        Geometry {
            size: [4, 3, 2],
            origin_mm: [-10.0, 5.0, 100.0],
            spacing_mm: [0.5, 0.5, 2.0],
            direction: [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
        }
    }

    #[test]
    fn point_follows_direction_and_spacing() {
        assert_eq!(grid().point_mm([2.0, 2.0, 1.0]), [-9.0, 4.0, 102.0]);
    }

    #[test]
    fn small_differences_are_tolerated_large_ones_named() {
        let a = grid();
        let mut b = a;
        b.origin_mm[0] += 1e-9;
        assert!(a.check_same(&b).is_ok());
        b.origin_mm[0] += 1e-3;
        let err = a.check_same(&b).unwrap_err().to_string();
        assert!(err.contains("origin"), "{err}");
        let mut c = a;
        c.size[2] = 3;
        assert!(a.check_same(&c).unwrap_err().to_string().contains("size"));
    }
}
