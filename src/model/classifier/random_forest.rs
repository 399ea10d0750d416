//! Random forest, binary (sklearn `RandomForestClassifier`).
//!
//! ```text
//! per tree: n = root; while n is a split: n = (f32(x[feature_n]) ≤ threshold_n) ? left_n : right_n
//!           q_tree = value_n[1] / (value_n[0] + value_n[1])
//! p1 = (1/T) Σ_trees q_tree
//! ```
//! T: number of trees; value_n: the weighted class counts at leaf n (bootstrap multiplicities in
//! sklearn 1.0.2, not fractions). sklearn casts the input to float32 before walking a tree while
//! the thresholds stay float64, so the comparison widens the float32 value back to f64. Sources:
//! sklearn 1.0.2 `ForestClassifier.predict_proba` and `DecisionTreeClassifier.predict_proba`
//! (`sklearn/ensemble/_forest.py`, `sklearn/tree/_classes.py`, `_tree.pyx`).

use serde::Deserialize;

use super::error::InvalidField;

/// Node index sklearn writes for "no child" in `children_left`/`children_right` (`TREE_LEAF`).
const TREE_LEAF: i64 = -1;

/// A fitted two-class random forest (JSON `"type": "random_forest"`).
#[derive(Debug, Clone, Deserialize)]
pub struct RandomForest {
    n_estimators: usize,
    trees: Vec<Tree>,
}

/// One fitted decision tree as sklearn's parallel node arrays; node 0 is the root.
#[derive(Debug, Clone, Deserialize)]
struct Tree {
    children_left: Vec<i64>,
    children_right: Vec<i64>,
    feature: Vec<i64>,
    threshold: Vec<f64>,
    value: Vec<[f64; 2]>,
}

impl RandomForest {
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        InvalidField::check_not_empty(|| "trees".into(), self.trees.len())?;
        InvalidField::check_len(|| "trees".into(), self.n_estimators, self.trees.len())?;
        for (i, tree) in self.trees.iter().enumerate() {
            tree.validate(n_features)
                .map_err(|e| InvalidField { field: format!("trees[{i}].{}", e.field), problem: e.problem })?;
        }
        Ok(())
    }

    pub(super) fn predict_proba(&self, x: &[f64]) -> f64 {
        // sklearn's `check_array(dtype=DTYPE)`: the forest sees float32 inputs.
        let x32: Vec<f64> = x.iter().map(|&v| f64::from(v as f32)).collect();
        let sum: f64 = self.trees.iter().map(|t| t.leaf_fraction(&x32)).sum();
        sum / self.trees.len() as f64
    }
}

impl Tree {
    /// Checks array lengths and node links. Every child index must exceed its parent's (sklearn
    /// builds depth first, numbering a node before its children), which also guarantees that the
    /// walk in [`Self::leaf_fraction`] ends.
    fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        let n = self.children_left.len();
        InvalidField::check_not_empty(|| "children_left".into(), n)?;
        InvalidField::check_len(|| "children_right".into(), n, self.children_right.len())?;
        InvalidField::check_len(|| "feature".into(), n, self.feature.len())?;
        InvalidField::check_len(|| "threshold".into(), n, self.threshold.len())?;
        InvalidField::check_len(|| "value".into(), n, self.value.len())?;
        for node in 0..n {
            let left = self.children_left[node];
            let right = self.children_right[node];
            if left == TREE_LEAF {
                InvalidField::check_number(
                    || format!("children_right[{node}]"),
                    right as f64,
                    right == TREE_LEAF,
                    "must be -1 at a leaf",
                )?;
                let [v0, v1] = self.value[node];
                InvalidField::check_number(
                    || format!("value[{node}]"),
                    v0 + v1,
                    v0 >= 0.0 && v1 >= 0.0 && v0 + v1 > 0.0,
                    "must be non-negative counts with a positive sum",
                )?;
            } else {
                for (side, child) in [("children_left", left), ("children_right", right)] {
                    InvalidField::check_number(
                        || format!("{side}[{node}]"),
                        child as f64,
                        child > node as i64 && child < n as i64,
                        "must be a later node of the same tree",
                    )?;
                }
                let f = self.feature[node];
                InvalidField::check_number(
                    || format!("feature[{node}]"),
                    f as f64,
                    f >= 0 && f < n_features as i64,
                    "must be a feature index of the model",
                )?;
            }
        }
        Ok(())
    }

    /// Walks from the root to a leaf and returns the leaf's class-1 fraction.
    fn leaf_fraction(&self, x32: &[f64]) -> f64 {
        let mut node = 0;
        while self.children_left[node] != TREE_LEAF {
            // Indices were checked at load: non-negative and in range.
            let next = if x32[self.feature[node] as usize] <= self.threshold[node] {
                self.children_left[node]
            } else {
                self.children_right[node]
            };
            node = next as usize;
        }
        let [v0, v1] = self.value[node];
        v1 / (v0 + v1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stump(threshold: f64) -> Tree {
        Tree {
            children_left: vec![1, -1, -1],
            children_right: vec![2, -1, -1],
            feature: vec![0, -2, -2],
            threshold: vec![threshold, -2.0, -2.0],
            value: vec![[4.0, 4.0], [3.0, 1.0], [1.0, 3.0]],
        }
    }

    #[test]
    fn forest_averages_leaf_fractions() {
        let forest = RandomForest { n_estimators: 2, trees: vec![stump(0.5), stump(1.5)] };
        forest.validate(1).unwrap();
        // x = 1: right leaf of the first stump (3/4), left leaf of the second (1/4).
        assert_eq!(forest.predict_proba(&[1.0]), 0.5);
        assert_eq!(forest.predict_proba(&[2.0]), 0.75);
    }

    #[test]
    fn inputs_are_compared_as_float32() {
        // 0.1 as f64 lies below this threshold, its nearest f32 lies above it.
        let t = 0.100_000_000_5;
        assert!(0.1 <= t && f64::from(0.1_f32) > t);
        let forest = RandomForest { n_estimators: 1, trees: vec![stump(t)] };
        assert_eq!(forest.predict_proba(&[0.1]), 0.75);
    }

    #[test]
    fn backward_links_are_rejected() {
        let mut tree = stump(0.0);
        tree.children_right[0] = 0;
        let err = tree.validate(1).unwrap_err();
        assert_eq!(err.field, "children_right[0]");
        let forest = RandomForest { n_estimators: 1, trees: vec![stump(0.0)] };
        assert_eq!(forest.validate(0).unwrap_err().field, "trees[0].feature[0]");
    }
}
