//! The closed set of classifier types the paper used, and dispatch to each type's formula.

use serde_json::Value;

use super::error::InvalidField;
use super::gaussian_nb::GaussianNb;
use super::knn::Knn;
use super::lda::Lda;
use super::linear::Contributions;
use super::logistic_regression::LogisticRegression;
use super::mlp::Mlp;
use super::random_forest::RandomForest;
use super::svc::Svc;

/// One fitted binary classifier of the seven types in the paper, evaluated as scikit-learn 1.0.2
/// evaluates it. Each variant's module gives its `predict_proba` formula and source.
///
/// A `Classifier` is obtained from a model file through [`Classifier::from_json_file`], which
/// checks every array against the model's feature count, and is used through
/// [`ClassifierModel`](super::ClassifierModel).
#[derive(Debug, Clone)]
pub enum Classifier {
    /// Gaussian naive Bayes (JSON type `gaussian_nb`).
    GaussianNb(GaussianNb),
    /// Linear discriminant analysis (JSON type `lda`).
    Lda(Lda),
    /// Logistic regression (JSON type `logistic_regression`).
    LogisticRegression(LogisticRegression),
    /// Support vector classifier with libsvm's Platt probabilities (JSON type `svc`).
    Svc(Svc),
    /// Random forest (JSON type `random_forest`).
    RandomForest(RandomForest),
    /// k-nearest neighbours (JSON type `knn`).
    Knn(Knn),
    /// Multi-layer perceptron (JSON type `mlp`).
    Mlp(Mlp),
}

impl Classifier {
    /// The `classifier.type` names of the schema, one per variant.
    pub const TYPE_NAMES: [&'static str; 7] =
        ["gaussian_nb", "lda", "logistic_regression", "svc", "random_forest", "knn", "mlp"];

    /// The schema's name for this classifier's type (`classifier.type`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::GaussianNb(_) => "gaussian_nb",
            Self::Lda(_) => "lda",
            Self::LogisticRegression(_) => "logistic_regression",
            Self::Svc(_) => "svc",
            Self::RandomForest(_) => "random_forest",
            Self::Knn(_) => "knn",
            Self::Mlp(_) => "mlp",
        }
    }

    /// Parses the `classifier` object of a model file whose type is `type_name`.
    ///
    /// Returns `Ok(None)` for an unknown type name; a field error comes with its JSON path
    /// relative to the `classifier` object.
    pub(super) fn from_value(
        type_name: &str,
        value: &Value,
    ) -> Result<Option<Self>, serde_path_to_error::Error<serde_json::Error>> {
        fn parse<'a, T: serde::Deserialize<'a>>(
            value: &'a Value,
        ) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
            serde_path_to_error::deserialize(value)
        }
        Ok(Some(match type_name {
            "gaussian_nb" => Self::GaussianNb(parse(value)?),
            "lda" => Self::Lda(parse(value)?),
            "logistic_regression" => Self::LogisticRegression(parse(value)?),
            "svc" => Self::Svc(parse(value)?),
            "random_forest" => Self::RandomForest(parse(value)?),
            "knn" => Self::Knn(parse(value)?),
            "mlp" => Self::Mlp(parse(value)?),
            _ => return Ok(None),
        }))
    }

    /// Checks every array of the classifier against the model's feature count.
    pub(super) fn validate(&self, n_features: usize) -> Result<(), InvalidField> {
        match self {
            Self::GaussianNb(c) => c.validate(n_features),
            Self::Lda(c) | Self::LogisticRegression(c) => c.validate(n_features),
            Self::Svc(c) => c.validate(n_features),
            Self::RandomForest(c) => c.validate(n_features),
            Self::Knn(c) => c.validate(n_features),
            Self::Mlp(c) => c.validate(n_features),
        }
    }

    /// P(class 1) for a row whose length and finiteness the caller has checked.
    pub(super) fn predict_proba_unchecked(&self, x: &[f64]) -> f64 {
        match self {
            Self::GaussianNb(c) => c.predict_proba(x),
            Self::Lda(c) | Self::LogisticRegression(c) => c.predict_proba(x),
            Self::Svc(c) => c.predict_proba(x),
            Self::RandomForest(c) => c.predict_proba(x),
            Self::Knn(c) => c.predict_proba(x),
            Self::Mlp(c) => c.predict_proba(x),
        }
    }

    /// Per-feature contributions for the linear types, `None` for the others.
    pub(super) fn contributions_unchecked(&self, x: &[f64]) -> Option<Contributions> {
        match self {
            Self::Lda(c) | Self::LogisticRegression(c) => Some(c.contributions(x)),
            Self::GaussianNb(_) | Self::Svc(_) | Self::RandomForest(_) | Self::Knn(_) | Self::Mlp(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_cover_the_variants() {
        for name in Classifier::TYPE_NAMES {
            let value = serde_json::json!({});
            // Every listed name is dispatched (parsing then fails on the first missing field,
            // which proves the name reached a type's parser rather than the unknown branch).
            let err = Classifier::from_value(name, &value).unwrap_err();
            assert!(err.inner().to_string().contains("missing field"), "{name}: {err}");
        }
        assert!(Classifier::from_value("xgboost", &serde_json::json!({})).unwrap().is_none());
    }
}
