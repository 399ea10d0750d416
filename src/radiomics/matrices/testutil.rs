//! Fixtures shared by the unit tests of the matrix builders.

use crate::radiomics::roi::GreyLevels;

/// The 5×5 example image of the PyRadiomics GLSZM and GLDM documentation (the same image in both
/// docstrings), as one slice with rows along `j`, columns along `i`.
pub fn pyradiomics_docs_5x5() -> GreyLevels {
    #[rustfmt::skip]
    let image = vec![
        5, 2, 5, 4, 4,
        3, 3, 3, 1, 3,
        2, 1, 1, 1, 3,
        4, 2, 2, 2, 3,
        3, 5, 3, 3, 2,
    ];
    GreyLevels::new([5, 5, 1], image)
}

/// The levels of the neighbours of voxel `v` (an index into `g.levels`) at `offsets` that lie in
/// the box (0 for those outside the region), found by coordinates with bounds checks: the obvious
/// method the builders' tests compare the padded buffers against.
pub fn neighbour_levels(g: &GreyLevels, v: usize, offsets: &[[isize; 3]]) -> Vec<u32> {
    let [sx, sy, sz] = g.size;
    let c = [v % sx, v / sx % sy, v / (sx * sy)];
    offsets
        .iter()
        .filter_map(|o| {
            let n = [0, 1, 2].map(|a| c[a] as isize + o[a]);
            let inside = n.iter().zip([sx, sy, sz]).all(|(&x, size)| x >= 0 && (x as usize) < size);
            inside.then(|| g.levels[n[0] as usize + sx * (n[1] as usize + sy * n[2] as usize)])
        })
        .collect()
}
