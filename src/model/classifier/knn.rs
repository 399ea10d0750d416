//! k-nearest neighbours, binary, uniform weights, Euclidean metric (sklearn
//! `KNeighborsClassifier`).
//!
//! ```text
//! d_i = Σ_j (x_j − fit_x_ij)²                      squared Euclidean distance to training row i
//! N   = the k training rows with the smallest d_i
//! p1  = |{i ∈ N : fit_y_i = 1}| / k
//! ```
//! Squared distances order the rows as the distances do (sklearn's KD-tree also compares these
//! "reduced" distances). A tie at the k-th distance is broken by training-row order; sklearn's
//! KD-tree breaks it by its own traversal order, which can differ, but no row of the paper's
//! test sets has such a tie (shared/refdata/deepradscore/README.md). Source: sklearn 1.0.2
//! `KNeighborsClassifier.predict_proba` (`sklearn/neighbors/_classification.py`).

use serde::Deserialize;

use super::error::InvalidField;

/// Minkowski power the schema allows (`p`): 2, the Euclidean distance.
const EUCLIDEAN_P: u32 = 2;

/// A fitted two-class k-nearest-neighbours model (JSON `"type": "knn"`).
#[derive(Debug, Clone, Deserialize)]
pub struct Knn {
    n_neighbors: usize,
    p: u32,
    metric: String,
    weights: String,
    fit_x: Vec<Vec<f64>>,
    fit_y: Vec<u8>,
}

impl Knn {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        InvalidField::check_number(
            || "p".into(),
            f64::from(self.p),
            self.p == EUCLIDEAN_P,
            "must be 2 (Euclidean distance)",
        )?;
        InvalidField::check_word(|| "metric".into(), &self.metric, "euclidean")?;
        InvalidField::check_word(|| "weights".into(), &self.weights, "uniform")?;
        let n = self.fit_x.len();
        InvalidField::check_number(
            || "n_neighbors".into(),
            self.n_neighbors as f64,
            self.n_neighbors >= 1 && self.n_neighbors <= n,
            "must lie between 1 and the number of training rows",
        )?;
        for (i, row) in self.fit_x.iter().enumerate() {
            InvalidField::check_len(|| format!("fit_x[{i}]"), n_features, row.len())?;
        }
        InvalidField::check_len(|| "fit_y".into(), n, self.fit_y.len())?;
        for (i, &y) in self.fit_y.iter().enumerate() {
            InvalidField::check_number(
                || format!("fit_y[{i}]"),
                f64::from(y),
                y <= 1,
                "must be a class label 0 or 1",
            )?;
        }
        Ok(())
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        let squared_distance =
            |row: &[f64]| -> f64 { row.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum() };
        let distances: Vec<f64> = self.fit_x.iter().map(|r| squared_distance(r)).collect();
        let mut order: Vec<usize> = (0..distances.len()).collect();
        // Stable sort: equal distances keep training-row order.
        order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
        let positives = order[..self.n_neighbors].iter().filter(|&&i| self.fit_y[i] == 1).count();
        positives as f64 / self.n_neighbors as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(k: usize) -> Knn {
        Knn {
            n_neighbors: k,
            p: 2,
            metric: "euclidean".into(),
            weights: "uniform".into(),
            fit_x: vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![0.0, 3.0], vec![5.0, 5.0]],
            fit_y: vec![1, 0, 1, 0],
        }
    }

    #[test]
    fn counts_positive_neighbours() {
        let m = model(3);
        m.validate(2).unwrap();
        // Nearest three to (0.2, 0.5): rows 0, 1, 2 → two positives.
        assert_eq!(m.predict_proba(&[0.2, 0.5]), 2.0 / 3.0);
        // Nearest three to (4, 4): rows 3, 2 (d²=17), 1 (d²=25) → one positive.
        assert_eq!(m.predict_proba(&[4.0, 4.0]), 1.0 / 3.0);
    }

    #[test]
    fn unsupported_settings_are_rejected() {
        let mut m = model(3);
        m.metric = "manhattan".into();
        assert_eq!(m.validate(2).unwrap_err().field, "metric");
        let m = model(5);
        assert_eq!(m.validate(2).unwrap_err().field, "n_neighbors");
        let mut m = model(1);
        m.fit_y[2] = 2;
        assert_eq!(m.validate(2).unwrap_err().field, "fit_y[2]");
    }
}
