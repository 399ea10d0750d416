//! What PyRadiomics 3.x does to raw count matrices before the features, shared by the builders:
//! merging the per-angle matrices with weights (`weightingNorm`, GLCM and GLRLM), deleting the
//! angles without any count (GLCM and GLRLM), and deleting the columns no matrix uses (GLRLM's run
//! lengths, GLDM's dependence sizes).
//!
//! ```text
//! merged         = Σ_a w_a·M_a
//! kept angles    = { a : Σ M_a ≠ 0 }, unless only one matrix is left
//! kept columns c = { c : M(r, c) ≠ 0 for some row r of some matrix }
//! ```
//! Matrices are stored one after another, each row-major.

/// `Σ_a w_a·M_a` over matrices of `len` entries: always exactly one matrix, even from none.
pub(super) fn weighted_sum(matrices: &[f64], weights: &[f64], len: usize) -> Vec<f64> {
    let mut sum = vec![0.0; len];
    for (m, &w) in matrices.chunks_exact(len.max(1)).zip(weights) {
        sum.iter_mut().zip(m).for_each(|(s, &x)| *s += x * w);
    }
    sum
}

/// Drops matrices (of `len` entries) that sum to 0, unless there is only one.
pub(super) fn keep_non_empty(matrices: Vec<f64>, len: usize) -> Vec<f64> {
    if len == 0 || matrices.len() <= len {
        return matrices;
    }
    matrices.chunks_exact(len).filter(|m| m.iter().sum::<f64>() != 0.0).flatten().copied().collect()
}

/// Drops the columns that hold 0 in every row of `counts`, rows of `columns` entries (the rows of
/// all matrices together): the indices of the kept columns and the counts without the others.
pub(super) fn drop_empty_columns(counts: &[f64], columns: usize) -> (Vec<usize>, Vec<f64>) {
    let rows = counts.len().checked_div(columns).unwrap_or(0);
    let used: Vec<usize> =
        (0..columns).filter(|&c| (0..rows).any(|r| counts[r * columns + c] != 0.0)).collect();
    let kept = (0..rows).flat_map(|r| used.iter().map(move |&c| counts[r * columns + c])).collect();
    (used, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_sum_of_two_matrices() {
        assert_eq!(weighted_sum(&[1.0, 2.0, 3.0, 4.0], &[2.0, 0.5], 2), vec![3.5, 6.0]);
        assert_eq!(weighted_sum(&[], &[], 2), vec![0.0, 0.0]);
    }

    #[test]
    fn empty_matrices_go_unless_alone() {
        assert_eq!(keep_non_empty(vec![0.0, 0.0, 1.0, 0.0], 2), vec![1.0, 0.0]);
        assert_eq!(keep_non_empty(vec![0.0, 0.0], 2), vec![0.0, 0.0]);
    }

    #[test]
    fn columns_empty_in_every_row_go() {
        // Two rows of three columns; the middle column is empty.
        let (used, kept) = drop_empty_columns(&[1.0, 0.0, 0.0, 0.0, 0.0, 2.0], 3);
        assert_eq!((used, kept), (vec![0, 2], vec![1.0, 0.0, 0.0, 2.0]));
        assert_eq!(drop_empty_columns(&[], 0), (vec![], vec![]));
    }
}
