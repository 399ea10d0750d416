//! Errors of the classifier module: loading a model file, and scoring an input row.
//!
//! Loading errors name the file and the field (a JSON path such as `classifier.trees[3].feature`),
//! so that an operator can find the bad value in the model file; the file's path is kept in a
//! field ([`ClassifierError::path`]) for the command line to show, never in the message.

use std::path::{Path, PathBuf};

use super::model::SCHEMA_VERSION;
use super::Classifier;

/// Why a classifier model could not be loaded, or could not score an input row.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifierError {
    /// The model file could not be read from disk.
    #[error("could not read the classifier file")]
    Read {
        /// The model file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid JSON, or a field is missing or holds the wrong JSON type.
    #[error("could not parse the classifier file at {}", field_location(.field))]
    Parse {
        /// The model file.
        path: PathBuf,
        /// JSON path of the field where parsing failed (`.` for the top level, e.g. when the
        /// text is not JSON at all).
        field: String,
        /// The parser's description of the failure.
        #[source]
        source: serde_json::Error,
    },
    /// `schema_version` names a schema this build does not read.
    #[error("classifier file: field `schema_version` is {found}, this build reads version {SCHEMA_VERSION}")]
    SchemaVersion {
        /// The model file.
        path: PathBuf,
        /// The version found in the file.
        found: u64,
    },
    /// `classifier.type` names no classifier this build evaluates.
    #[error(
        "classifier file: field `classifier.type` is '{found}', expected one of {known}",
        known = Classifier::TYPE_NAMES.join(", ")
    )]
    UnknownType {
        /// The model file.
        path: PathBuf,
        /// The type name found in the file.
        found: String,
    },
    /// A field parsed but breaks a rule of the schema (array length, value range, tree links).
    #[error("classifier file: field `{field}` {problem}")]
    Invalid {
        /// The model file.
        path: PathBuf,
        /// JSON path of the offending field.
        field: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// The input row does not hold one value per model feature.
    #[error("input row has {found} values, the model expects {expected}")]
    InputLength {
        /// Number of features the model was fitted on.
        expected: usize,
        /// Number of values given.
        found: usize,
    },
    /// An input value is NaN or infinite (scikit-learn rejects such input too).
    #[error("input value {value} at position {position} is not finite")]
    NonFiniteInput {
        /// Zero-based position of the value in the input row.
        position: usize,
        /// The value.
        value: f64,
    },
}

impl ClassifierError {
    /// The model file, for the command line to show; `None` for errors of an input row.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ClassifierError::Read { path, .. }
            | ClassifierError::Parse { path, .. }
            | ClassifierError::SchemaVersion { path, .. }
            | ClassifierError::UnknownType { path, .. }
            | ClassifierError::Invalid { path, .. } => Some(path),
            ClassifierError::InputLength { .. } | ClassifierError::NonFiniteInput { .. } => None,
        }
    }
}

impl crate::error_code::ErrorCode for ClassifierError {
    fn code(&self) -> &'static str {
        match self {
            ClassifierError::Read { .. } => "classifier_unreadable",
            ClassifierError::Parse { .. } => "classifier_not_parsable",
            ClassifierError::SchemaVersion { .. } => "unsupported_schema_version",
            ClassifierError::UnknownType { .. } => "unknown_classifier_type",
            ClassifierError::Invalid { .. } => "invalid_classifier_field",
            ClassifierError::InputLength { .. } => "input_length_mismatch",
            ClassifierError::NonFiniteInput { .. } => "non_finite_input",
        }
    }
}

/// "field `a.b[2]`", or "the top level" for the root path `.`.
fn field_location(field: &str) -> String {
    if field == "." {
        "the top level".to_owned()
    } else {
        format!("field `{field}`")
    }
}

/// What is wrong with one field of a parsed model file (see [`ClassifierError::Invalid`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldProblem {
    /// An array has the wrong number of entries.
    #[error("has {found} entries, expected {expected}")]
    Length {
        /// Entries the schema requires here.
        expected: usize,
        /// Entries found.
        found: usize,
    },
    /// An array that needs at least one entry is empty.
    #[error("is empty")]
    Empty,
    /// A number breaks the rule given.
    #[error("holds {value}, which {rule}")]
    Number {
        /// The value found.
        value: f64,
        /// The rule, worded to follow "which" (e.g. "must be positive").
        rule: &'static str,
    },
    /// A text field holds a word this build does not support.
    #[error("is '{found}', expected '{expected}'")]
    Word {
        /// The text found.
        found: String,
        /// The only accepted text.
        expected: &'static str,
    },
}

/// A [`FieldProblem`] located at a field path relative to the `classifier` object; the loader
/// prefixes the path and adds the file name.
#[derive(Debug)]
pub(super) struct InvalidField {
    pub(super) field: String,
    pub(super) problem: FieldProblem,
}

impl InvalidField {
    /// Fails with a [`FieldProblem::Length`] unless `found == expected`.
    pub(super) fn check_len(
        field: impl FnOnce() -> String,
        expected: usize,
        found: usize,
    ) -> Result<(), Self> {
        if found == expected {
            Ok(())
        } else {
            Err(Self { field: field(), problem: FieldProblem::Length { expected, found } })
        }
    }

    /// Fails with a [`FieldProblem::Empty`] if `len` is 0.
    pub(super) fn check_not_empty(field: impl FnOnce() -> String, len: usize) -> Result<(), Self> {
        if len > 0 {
            Ok(())
        } else {
            Err(Self { field: field(), problem: FieldProblem::Empty })
        }
    }

    /// Fails with a [`FieldProblem::Number`] unless `ok` holds.
    pub(super) fn check_number(
        field: impl FnOnce() -> String,
        value: f64,
        ok: bool,
        rule: &'static str,
    ) -> Result<(), Self> {
        if ok {
            Ok(())
        } else {
            Err(Self { field: field(), problem: FieldProblem::Number { value, rule } })
        }
    }

    /// Fails with a [`FieldProblem::Word`] unless `found == expected`.
    pub(super) fn check_word(
        field: impl FnOnce() -> String,
        found: &str,
        expected: &'static str,
    ) -> Result<(), Self> {
        if found == expected {
            Ok(())
        } else {
            Err(Self { field: field(), problem: FieldProblem::Word { found: found.to_owned(), expected } })
        }
    }
}
