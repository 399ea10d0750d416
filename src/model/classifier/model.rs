//! A classifier together with what it was fitted on (endpoint, feature set, feature names), loaded
//! from a model file of the portable JSON schema (version 1) described in
//! `shared/refdata/deepradscore/README.md`.
//!
//! Loading reads `schema_version` first, then the header fields (`endpoint`, `feature_set`,
//! `features`, `classes`), then the `classifier` object by its `type`, and finally checks every
//! array of the classifier against the number of features. Unknown fields are allowed: the schema
//! carries informational fields (`hyperparameters`, `pickle_globals`, LDA's `scalings`, …) that
//! prediction does not need. Anything after the JSON object but white space is refused.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::error::{ClassifierError, FieldProblem, InvalidField};
use super::kind::Classifier;
use super::linear::Contributions;

/// The model-file schema version this build reads.
pub const SCHEMA_VERSION: u64 = 1;

/// Class labels every model must have, in sklearn's `classes_` order.
const BINARY_CLASSES: [i64; 2] = [0, 1];

/// A loaded classifier with its feature names: the unit that scores one row of features.
#[derive(Debug, Clone)]
pub struct ClassifierModel {
    endpoint: String,
    feature_set: String,
    features: Vec<String>,
    classifier: Classifier,
}

/// The first field read, alone, so that a file of another schema version fails on the version
/// rather than on whatever field changed.
#[derive(Deserialize)]
struct VersionOnly {
    schema_version: u64,
}

/// The fields of a model file that prediction needs; `classifier` is parsed by type afterwards.
#[derive(Deserialize)]
struct ModelFile {
    endpoint: String,
    feature_set: String,
    features: Vec<String>,
    classes: Vec<i64>,
    classifier: Value,
}

/// The `type` tag of the `classifier` object.
#[derive(Deserialize)]
struct TypeTag {
    #[serde(rename = "type")]
    type_name: String,
}

impl Classifier {
    /// Loads a model file of the portable JSON schema: the classifier, its endpoint, feature set
    /// and feature names.
    ///
    /// Every failure names the file; parse and schema failures also name the field (a JSON path
    /// such as `classifier.trees[3].feature[0]`).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<ClassifierModel, ClassifierError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| ClassifierError::Read { path: path.to_owned(), source })?;
        ClassifierModel::parse(&text, path)
    }
}

impl ClassifierModel {
    /// Parses the text of a model file; `path` is only used in error messages.
    fn parse(text: &str, path: &Path) -> Result<Self, ClassifierError> {
        let parse_error = |e: serde_path_to_error::Error<serde_json::Error>, prefix: &str| {
            let inner = e.path().to_string();
            let field = match (prefix, inner.as_str()) {
                ("", f) => f.to_owned(),
                (p, ".") => p.to_owned(),
                (p, f) => format!("{p}.{f}"),
            };
            ClassifierError::Parse { path: path.to_owned(), field, source: e.into_inner() }
        };
        let json_error = |e| parse_error(e, "");

        let version: VersionOnly =
            serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text))
                .map_err(json_error)?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(ClassifierError::SchemaVersion {
                path: path.to_owned(),
                found: version.schema_version,
            });
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let file: ModelFile = serde_path_to_error::deserialize(&mut deserializer).map_err(json_error)?;
        // Anything but white space after the object is refused: a file with trailing data is not
        // the file that was written.
        deserializer.end().map_err(|source| ClassifierError::Parse {
            path: path.to_owned(),
            field: ".".to_owned(),
            source,
        })?;
        let invalid = |e: InvalidField, prefix: &str| ClassifierError::Invalid {
            path: path.to_owned(),
            field: if prefix.is_empty() { e.field } else { format!("{prefix}.{}", e.field) },
            problem: e.problem,
        };
        check_header(&file).map_err(|e| invalid(e, ""))?;

        let tag: TypeTag =
            serde_path_to_error::deserialize(&file.classifier).map_err(|e| parse_error(e, "classifier"))?;
        let classifier = Classifier::from_value(&tag.type_name, &file.classifier)
            .map_err(|e| parse_error(e, "classifier"))?
            .ok_or_else(|| ClassifierError::UnknownType {
                path: path.to_owned(),
                found: tag.type_name.clone(),
            })?;
        classifier.validate(file.features.len()).map_err(|e| invalid(e, "classifier"))?;
        Ok(Self {
            endpoint: file.endpoint,
            feature_set: file.feature_set,
            features: file.features,
            classifier,
        })
    }

    /// The endpoint the model predicts, as named in the model file (e.g. `LVI`, `EGFR`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The feature set the model was fitted on (e.g. `deep_3D_peritumoral`).
    pub fn feature_set(&self) -> &str {
        &self.feature_set
    }

    /// The input feature names, in the order [`Self::predict_proba`] expects the values.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The classifier itself.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Probability of class 1 (sklearn `predict_proba(x)[0, 1]`) for one row of features given
    /// in [`Self::features`] order.
    ///
    /// Fails if the row does not hold one value per feature, or holds a NaN or infinity.
    pub fn predict_proba(&self, x: &[f64]) -> Result<f64, ClassifierError> {
        self.check_input(x)?;
        Ok(self.classifier.predict_proba_unchecked(x))
    }

    /// For the linear classifiers (LDA, logistic regression): the log-odds of class 1 split into
    /// `coef_j · x_j` per feature plus the intercept, which explain the prediction exactly.
    /// `None` for the other types, whose scores do not split per feature.
    ///
    /// Fails on the same inputs as [`Self::predict_proba`].
    pub fn contributions(&self, x: &[f64]) -> Result<Option<Contributions>, ClassifierError> {
        self.check_input(x)?;
        Ok(self.classifier.contributions_unchecked(x))
    }

    fn check_input(&self, x: &[f64]) -> Result<(), ClassifierError> {
        if x.len() != self.features.len() {
            return Err(ClassifierError::InputLength { expected: self.features.len(), found: x.len() });
        }
        match x.iter().position(|v| !v.is_finite()) {
            Some(position) => Err(ClassifierError::NonFiniteInput { position, value: x[position] }),
            None => Ok(()),
        }
    }
}

/// Checks the header fields the classifier does not cover: at least one feature, and binary
/// classes `[0, 1]`.
fn check_header(file: &ModelFile) -> Result<(), InvalidField> {
    InvalidField::check_not_empty(|| "features".into(), file.features.len())?;
    InvalidField::check_len(|| "classes".into(), BINARY_CLASSES.len(), file.classes.len())?;
    for (i, (&found, &expected)) in file.classes.iter().zip(&BINARY_CLASSES).enumerate() {
        if found != expected {
            return Err(InvalidField {
                field: format!("classes[{i}]"),
                problem: FieldProblem::Number {
                    value: found as f64,
                    rule: "breaks the required class list [0, 1]",
                },
            });
        }
    }
    Ok(())
}
