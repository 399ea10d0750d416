//! Test-set statistics of a binary classifier, as the paper reports them: the ROC curve and its
//! area (AUC), the DeLong 95% confidence interval of the AUC, and accuracy, precision, recall and
//! F1 at the decision threshold 0.5.
//!
//! Labels are `bool` (`true` = class 1, the positive class); scores are P(class 1), a higher
//! score meaning "more likely positive". Every function rejects NaN or infinite scores and label
//! and score slices of different lengths.
//!
//! Sources: scikit-learn 1.0.2 `roc_curve`, `roc_auc_score`, `accuracy_score`,
//! `precision_score`, `recall_score`, `f1_score` (`sklearn/metrics/_ranking.py`,
//! `_classification.py`); DeLong, DeLong & Clarke-Pearson, Biometrics 44 (1988) 837–845 for the
//! variance; Sun & Xu, IEEE Signal Processing Letters 21 (2014) 1389–1393 for the fast midrank
//! algorithm; pROC's `ci.auc(method = "delong")` for the interval's clipping to [0, 1].

use crate::model::classifier::DECISION_THRESHOLD;

/// Φ⁻¹(0.975), the standard normal quantile of a two-sided 95% interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// Why a statistic could not be computed from the labels and scores given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// Labels and scores are not paired one to one.
    #[error("{labels} labels but {scores} scores")]
    LengthMismatch {
        /// Number of labels.
        labels: usize,
        /// Number of scores.
        scores: usize,
    },
    /// A score is NaN or infinite.
    #[error("score {value} at position {position} is not finite")]
    NonFiniteScore {
        /// Zero-based position of the score.
        position: usize,
        /// The score.
        value: f64,
    },
    /// There are no labels at all.
    #[error("no labelled rows")]
    Empty,
    /// The ROC curve needs both classes, but one is absent.
    #[error("the ROC curve needs both classes, but there are {positives} positive and {negatives} negative labels")]
    MissingClass {
        /// Number of class-1 labels.
        positives: usize,
        /// Number of class-0 labels.
        negatives: usize,
    },
    /// The DeLong variance is a sample variance within each class and needs two rows of each.
    #[error("the DeLong interval needs at least 2 rows of each class, but there are {positives} positive and {negatives} negative labels")]
    TooFewForVariance {
        /// Number of class-1 labels.
        positives: usize,
        /// Number of class-0 labels.
        negatives: usize,
    },
}

/// One point of the ROC curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// False positive rate FP / N (1 − specificity) when predicting class 1 for scores ≥
    /// `threshold`.
    pub fpr: f64,
    /// True positive rate TP / P (sensitivity) at the same threshold.
    pub tpr: f64,
    /// The score threshold; `+∞` for the first point (0, 0), where nothing is predicted positive.
    pub threshold: f64,
}

/// The AUC with its DeLong standard error and 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelongAuc {
    /// Area under the ROC curve (Mann–Whitney statistic, ties counting ½).
    pub auc: f64,
    /// DeLong estimate of the AUC's variance.
    pub variance: f64,
    /// Lower end of the 95% interval `auc − 1.96·√variance`, clipped to 0.
    pub lower: f64,
    /// Upper end of the 95% interval `auc + 1.96·√variance`, clipped to 1.
    pub upper: f64,
}

/// Counts of a 2×2 confusion matrix, class 1 being positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confusion {
    /// Class 1 predicted as 1.
    pub true_positives: usize,
    /// Class 0 predicted as 1.
    pub false_positives: usize,
    /// Class 0 predicted as 0.
    pub true_negatives: usize,
    /// Class 1 predicted as 0.
    pub false_negatives: usize,
}

/// Accuracy, precision, recall and F1 at [`DECISION_THRESHOLD`], with the confusion counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThresholdMetrics {
    /// The confusion counts the metrics come from.
    pub confusion: Confusion,
    /// (TP + TN) / n.
    pub accuracy: f64,
    /// TP / (TP + FP); 0 when nothing is predicted positive.
    pub precision: f64,
    /// TP / (TP + FN); 0 when there are no positive labels.
    pub recall: f64,
    /// 2·TP / (2·TP + FP + FN); 0 when that denominator is 0.
    pub f1: f64,
}

/// Checks pairing and finiteness, and counts (positives, negatives).
fn check(labels: &[bool], scores: &[f64]) -> Result<(usize, usize), MetricsError> {
    if labels.len() != scores.len() {
        return Err(MetricsError::LengthMismatch { labels: labels.len(), scores: scores.len() });
    }
    if let Some(position) = scores.iter().position(|s| !s.is_finite()) {
        return Err(MetricsError::NonFiniteScore { position, value: scores[position] });
    }
    let positives = labels.iter().filter(|&&l| l).count();
    Ok((positives, labels.len() - positives))
}

/// Like [`check`], and also requires both classes.
fn check_both_classes(labels: &[bool], scores: &[f64]) -> Result<(usize, usize), MetricsError> {
    let (positives, negatives) = check(labels, scores)?;
    if positives == 0 || negatives == 0 {
        return Err(MetricsError::MissingClass { positives, negatives });
    }
    Ok((positives, negatives))
}

/// The ROC curve: one point per distinct score, from (0, 0) to (1, 1), as sklearn's
/// `roc_curve(drop_intermediate=False)`.
///
/// ```text
/// for each distinct score t, in decreasing order:
///   fpr(t) = #{negatives with score ≥ t} / N,   tpr(t) = #{positives with score ≥ t} / P
/// ```
/// Rows with equal scores enter together, so a tie across classes gives a diagonal segment.
pub fn roc_curve(labels: &[bool], scores: &[f64]) -> Result<Vec<RocPoint>, MetricsError> {
    let (positives, negatives) = check_both_classes(labels, scores)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut points = vec![RocPoint { fpr: 0.0, tpr: 0.0, threshold: f64::INFINITY }];
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if labels[i] {
            tp += 1;
        } else {
            fp += 1;
        }
        let last_of_tie = order.get(k + 1).is_none_or(|&next| scores[next] != scores[i]);
        if last_of_tie {
            points.push(RocPoint {
                fpr: fp as f64 / negatives as f64,
                tpr: tp as f64 / positives as f64,
                threshold: scores[i],
            });
        }
    }
    Ok(points)
}

/// Area under the ROC curve by the trapezoidal rule over [`roc_curve`], as sklearn's
/// `roc_auc_score` computes it.
///
/// ```text
/// AUC = Σ_k (fpr_{k+1} − fpr_k) · (tpr_{k+1} + tpr_k) / 2
/// ```
/// A tie between a positive and a negative score counts ½, so this equals the Mann–Whitney
/// statistic that [`delong_auc`] computes from midranks.
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> Result<f64, MetricsError> {
    let points = roc_curve(labels, scores)?;
    Ok(points.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum())
}

/// The AUC with its DeLong (1988) variance and 95% confidence interval, by Sun & Xu's (2014)
/// midrank algorithm (O(n log n)).
///
/// ```text
/// X_1..X_m: scores of the m positives,  Y_1..Y_n: scores of the n negatives
/// Tz: midranks of all m + n scores,  Tx: midranks within X,  Ty: midranks within Y
/// AUC    = (Σ_i Tz(X_i) − m(m+1)/2) / (m n)
/// V10_i  = (Tz(X_i) − Tx(X_i)) / n          placement of positive i: share of negatives below
///                                           it, ties counting ½
/// V01_j  = 1 − (Tz(Y_j) − Ty(Y_j)) / m      placement of negative j: share of positives above
/// S10, S01 = sample variances (divisor m−1, n−1) of V10 and V01
/// var    = S10 / m + S01 / n
/// CI95   = AUC ± Φ⁻¹(0.975) · √var, clipped to [0, 1] (as pROC's ci.auc does)
/// ```
/// Needs at least two rows of each class (pROC returns NA below that).
pub fn delong_auc(labels: &[bool], scores: &[f64]) -> Result<DelongAuc, MetricsError> {
    let (m, n) = check_both_classes(labels, scores)?;
    if m < 2 || n < 2 {
        return Err(MetricsError::TooFewForVariance { positives: m, negatives: n });
    }
    let x: Vec<f64> = scores.iter().zip(labels).filter(|(_, &l)| l).map(|(&s, _)| s).collect();
    let y: Vec<f64> = scores.iter().zip(labels).filter(|(_, &l)| !l).map(|(&s, _)| s).collect();
    let z: Vec<f64> = x.iter().chain(&y).copied().collect();
    let (tx, ty, tz) = (midranks(&x), midranks(&y), midranks(&z));
    let (mf, nf) = (m as f64, n as f64);

    let auc = (tz[..m].iter().sum::<f64>() - mf * (mf + 1.0) / 2.0) / (mf * nf);
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / nf).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / mf).collect();
    let variance = sample_variance(&v10) / mf + sample_variance(&v01) / nf;
    let half_width = Z_95 * variance.sqrt();
    Ok(DelongAuc { auc, variance, lower: (auc - half_width).max(0.0), upper: (auc + half_width).min(1.0) })
}

/// Accuracy, precision, recall and F1, predicting class 1 when score > [`DECISION_THRESHOLD`].
///
/// The strict `>` is sklearn's own rule for these classifiers: `predict` takes the argmax of
/// `predict_proba`, and a tie (p1 = 0.5) goes to class 0. (sklearn's `SVC.predict` uses the sign
/// of the decision function instead, which can disagree with its Platt probability near 0.5;
/// these metrics always use the probability.)
///
/// Zero division follows sklearn's default `zero_division="warn"` without the warning: precision
/// is 0 when nothing is predicted positive, recall is 0 when there are no positive labels, and F1
/// is 0 when 2·TP + FP + FN = 0.
pub fn threshold_metrics(labels: &[bool], scores: &[f64]) -> Result<ThresholdMetrics, MetricsError> {
    check(labels, scores)?;
    if labels.is_empty() {
        return Err(MetricsError::Empty);
    }
    let mut c = Confusion { true_positives: 0, false_positives: 0, true_negatives: 0, false_negatives: 0 };
    for (&label, &score) in labels.iter().zip(scores) {
        match (label, score > DECISION_THRESHOLD) {
            (true, true) => c.true_positives += 1,
            (false, true) => c.false_positives += 1,
            (false, false) => c.true_negatives += 1,
            (true, false) => c.false_negatives += 1,
        }
    }
    let ratio = |num: usize, den: usize| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    let (tp, fp, tn, fn_) = (c.true_positives, c.false_positives, c.true_negatives, c.false_negatives);
    Ok(ThresholdMetrics {
        confusion: c,
        accuracy: ratio(tp + tn, labels.len()),
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
        f1: ratio(2 * tp, 2 * tp + fp + fn_),
    })
}

/// 1-based midranks: tied values share the mean of the ranks they span.
fn midranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start;
        while end + 1 < order.len() && values[order[end + 1]] == values[order[start]] {
            end += 1;
        }
        // positions start..=end (0-based) hold ranks start+1 ..= end+1; their mean:
        let midrank = (start + end) as f64 / 2.0 + 1.0;
        for &i in &order[start..=end] {
            ranks[i] = midrank;
        }
        start = end + 1;
    }
    ranks
}

/// Sample variance with divisor len − 1 (len ≥ 2, checked by the caller).
fn sample_variance(values: &[f64]) -> f64 {
    let len = values.len() as f64;
    let mean = values.iter().sum::<f64>() / len;
    values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (len - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_across_classes_count_half() {
        // Pairs (positive, negative): (0.4, 0.1) 1, (0.4, 0.4) ½, (0.8, 0.1) 1, (0.8, 0.4) 1
        // → AUC = 3.5 / 4.
        let labels = [false, false, true, true];
        let scores = [0.1, 0.4, 0.4, 0.8];
        assert_eq!(roc_auc(&labels, &scores).unwrap(), 0.875);
        assert_eq!(delong_auc(&labels, &scores).unwrap().auc, 0.875);
    }

    #[test]
    fn roc_curve_collapses_ties() {
        let labels = [false, false, true, true];
        let scores = [0.1, 0.4, 0.4, 0.8];
        let pts: Vec<(f64, f64)> =
            roc_curve(&labels, &scores).unwrap().iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(pts, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
    }

    #[test]
    fn delong_by_hand() {
        // Positives X = {0.8, 0.4}, negatives Y = {0.1, 0.4}.
        // V10 = (1, 0.75), V01 = (1, 0.75); each sample variance = 2·0.125² / 1 = 0.03125;
        // var = 0.03125/2 + 0.03125/2 = 0.03125; half width = 1.959964 · 0.1767767 = 0.346476, so lower = 0.528524.
        let labels = [false, false, true, true];
        let scores = [0.1, 0.4, 0.4, 0.8];
        let d = delong_auc(&labels, &scores).unwrap();
        assert!((d.variance - 0.03125).abs() < 1e-15);
        assert!((d.lower - 0.528_524_04).abs() < 1e-8, "{}", d.lower);
        assert_eq!(d.upper, 1.0);
    }

    #[test]
    fn perfect_separation_has_zero_variance() {
        let labels = [false, false, true, true];
        let d = delong_auc(&labels, &[0.1, 0.2, 0.7, 0.9]).unwrap();
        assert_eq!((d.auc, d.variance, d.lower, d.upper), (1.0, 0.0, 1.0, 1.0));
    }

    #[test]
    fn midranks_average_ties() {
        assert_eq!(midranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
    }

    #[test]
    fn threshold_is_strict_and_zero_division_gives_zero() {
        let labels = [true, false, true, false];
        let m = threshold_metrics(&labels, &[0.9, 0.5, 0.5, 0.2]).unwrap();
        assert_eq!(
            m.confusion,
            Confusion { true_positives: 1, false_positives: 0, true_negatives: 2, false_negatives: 1 }
        );
        assert_eq!((m.accuracy, m.precision, m.recall), (0.75, 1.0, 0.5));
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-15);

        let none_predicted = threshold_metrics(&[true, false], &[0.1, 0.2]).unwrap();
        assert_eq!((none_predicted.precision, none_predicted.f1), (0.0, 0.0));
        let no_positives = threshold_metrics(&[false, false], &[0.1, 0.2]).unwrap();
        assert_eq!((no_positives.recall, no_positives.f1, no_positives.accuracy), (0.0, 0.0, 1.0));
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert_eq!(roc_auc(&[true], &[0.1, 0.2]), Err(MetricsError::LengthMismatch { labels: 1, scores: 2 }));
        assert_eq!(
            roc_auc(&[true, false], &[0.1, f64::NAN]).unwrap_err().to_string(),
            "score NaN at position 1 is not finite"
        );
        assert_eq!(
            roc_auc(&[true, true], &[0.1, 0.2]),
            Err(MetricsError::MissingClass { positives: 2, negatives: 0 })
        );
        assert_eq!(
            delong_auc(&[true, false, false], &[0.1, 0.2, 0.3]),
            Err(MetricsError::TooFewForVariance { positives: 1, negatives: 2 })
        );
        assert_eq!(threshold_metrics(&[], &[]), Err(MetricsError::Empty));
    }
}
