//! Model bundles: everything learned, in one folder `engines/<name>/`, loaded and verified once.
//!
//! A bundle is `manifest.toml` plus the files it names, each with its sha256, checked at load so
//! that a truncated copy or a swapped network is refused before it predicts anything. Per
//! endpoint (the paper's ten) the manifest holds the two RadScores (tumor, peritumoral ring), the
//! deep network output that gives the ten deep features, and the classifier file (the JSON
//! schema of `../shared/refdata/deepradscore/models/`, read by the classifier module) over
//! [`CLASSIFIER_FEATURES`]. Networks are declared once and shared: the paper trained one
//! DenseNet121 per endpoint, the reference bundle uses one backbone with ten heads; both are
//! written the same way. `engines/reference/manifest.toml` is a complete example:
//!
//! ```toml
//! schema_version = 2
//! name = "reference"
//! label = "demonstration weights, not for clinical use"   # shown with every prediction
//!
//! [extraction]                    # the definitions the RadScores were fitted on
//! params = { path = "radiomics-params.yaml", sha256 = "<64 hex digits>" }  # PyRadiomics file
//! ring_radius_mm = 3.0            # peritumoral ring thickness
//! patch_side = 160                # deep patch side, pixels (this build cuts 160)
//!
//! [deep_models.densenet121]
//! file = { path = "densenet121.onnx", sha256 = "<64 hex digits>" }
//! input = "patch"                                         # float32 [batch, channels, 160, 160]
//! [deep_models.densenet121.preprocessing]
//! window_hu = { min = -1000.0, max = 400.0 }
//! channels = 3                                            # 1, or 3 replicated
//! normalise = { mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225] }  # optional
//!
//! [endpoints.LVI]
//! classifier = { path = "classifiers/LVI.json", sha256 = "<64 hex digits>" }
//! deep = { model = "densenet121", output = "features_LVI" }  # 10 values: x1..x10
//! [endpoints.LVI.radscore.tumor]                          # also .ring
//! intercept = -0.21
//! terms = [ { feature = "wavelet-HLL_glcm_Contrast", mean = 22.1, std = 15.9, coef = -0.51 } ]
//! ```
//!
//! Unknown keys are errors, and every error names the manifest or file and the field.
//!
//! A RadScore's coefficients mean something only with the exact feature definitions they were
//! fitted on, so the bundle pins them (`[extraction]`): whoever predicts with the bundle extracts
//! with its settings ([`Bundle::extraction`]), never with others.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::deep::{NetworkSpec, PatchPreprocessing, PATCH_SIDE};
use super::radscore::RadScore;
use crate::error_code::ErrorCode;
use crate::radiomics::{params, Settings};

/// The manifest's file name inside a bundle folder.
pub const MANIFEST: &str = "manifest.toml";
/// The manifest schema this build reads.
pub const SCHEMA_VERSION: u32 = 2;
/// Inputs of every endpoint classifier, in order, named as in the paper's tables:
/// RadScore of the tumor, RadScore of the peritumoral ring, the ten deep features.
pub const CLASSIFIER_FEATURES: [&str; 12] =
    ["radscore_3D", "radscore_peritumoral", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10"];

/// Why a bundle could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The manifest could not be read.
    #[error("cannot read bundle manifest {path}")]
    ReadManifest {
        /// The manifest file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The manifest is not valid TOML of the bundle schema (a missing or unknown field, a wrong
    /// type, a bad RadScore or preprocessing value); the message names the field and line.
    #[error("bundle manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The manifest is of a schema version this build does not read.
    #[error("bundle manifest {path}: schema_version is {found}, this build reads {SCHEMA_VERSION}")]
    SchemaVersion {
        /// The manifest file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// A field's value breaks a rule of the schema.
    #[error("bundle manifest {path}: field {field}: {problem}")]
    Field {
        /// The manifest file.
        path: PathBuf,
        /// Dotted field path, e.g. `endpoints.LVI.deep.model`.
        field: String,
        /// What is wrong, with the value.
        problem: String,
    },
    /// A file named by the manifest does not exist.
    #[error("file {file} (field {field} of {manifest}) is missing")]
    MissingFile {
        /// The file looked for.
        file: PathBuf,
        /// The field naming it.
        field: String,
        /// The manifest.
        manifest: PathBuf,
    },
    /// A file named by the manifest could not be read.
    #[error("cannot read {file} (field {field})")]
    ReadFile {
        /// The file.
        file: PathBuf,
        /// The field naming it.
        field: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A file's content does not match the sha256 in the manifest.
    #[error("file {file} (field {field}) has sha256 {actual}, the manifest pins {expected}")]
    HashMismatch {
        /// The file.
        file: PathBuf,
        /// The field naming it.
        field: String,
        /// The manifest's hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The bundle's PyRadiomics parameter file is not valid.
    #[error("bundle parameter file {file} (field extraction.params): {source}")]
    Params {
        /// The parameter file.
        file: PathBuf,
        /// The parser's error.
        #[source]
        source: params::ParamsError,
    },
    /// A classifier file is not the endpoint's combined classifier.
    #[error("classifier {file} (field {field}): {problem}")]
    Classifier {
        /// The classifier file.
        file: PathBuf,
        /// The field naming it.
        field: String,
        /// What does not fit, with the values found.
        problem: String,
    },
}

impl ErrorCode for BundleError {
    fn code(&self) -> &'static str {
        match self {
            BundleError::ReadManifest { .. } => "bundle_manifest_unreadable",
            BundleError::Manifest { .. } | BundleError::Field { .. } => "bundle_manifest_invalid",
            BundleError::SchemaVersion { .. } => "bundle_schema_version",
            BundleError::MissingFile { .. } | BundleError::ReadFile { .. } => "bundle_file_missing",
            BundleError::HashMismatch { .. } => "bundle_file_hash_mismatch",
            BundleError::Params { .. } => "bundle_params_invalid",
            BundleError::Classifier { .. } => "bundle_classifier_mismatch",
        }
    }
}

/// The paper's ten clinical endpoints. T4 is the paper's "T staging", PD1_L1 its "PD-1/PD-L1".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum Endpoint {
    /// Lymphovascular invasion.
    LVI,
    /// Pleural invasion.
    PI,
    /// T4 stage.
    T4,
    /// ALK rearrangement.
    ALK,
    /// EGFR mutation.
    EGFR,
    /// KRAS mutation.
    KRAS,
    /// PIK3CA mutation.
    PIK3CA,
    /// ROS1 rearrangement.
    ROS1,
    /// TP53 mutation.
    TP53,
    /// PD-1/PD-L1 expression.
    #[serde(rename = "PD1_L1")]
    Pd1L1,
}

impl Endpoint {
    /// All ten, in the paper's order.
    pub const ALL: [Endpoint; 10] = [
        Endpoint::LVI,
        Endpoint::PI,
        Endpoint::T4,
        Endpoint::ALK,
        Endpoint::EGFR,
        Endpoint::KRAS,
        Endpoint::PIK3CA,
        Endpoint::ROS1,
        Endpoint::TP53,
        Endpoint::Pd1L1,
    ];

    /// The name used in manifests, classifier files and reports (`"PD1_L1"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::LVI => "LVI",
            Endpoint::PI => "PI",
            Endpoint::T4 => "T4",
            Endpoint::ALK => "ALK",
            Endpoint::EGFR => "EGFR",
            Endpoint::KRAS => "KRAS",
            Endpoint::PIK3CA => "PIK3CA",
            Endpoint::ROS1 => "ROS1",
            Endpoint::TP53 => "TP53",
            Endpoint::Pd1L1 => "PD1_L1",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which network output holds an endpoint's ten deep features.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepRef {
    /// Key of the network under `[deep_models]`.
    pub model: String,
    /// Name of the ONNX output with the 10 values `x1..x10`.
    pub output: String,
}

/// Everything one endpoint needs besides the shared networks.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointModel {
    /// RadScore of the tumor (the classifier's `radscore_3D`).
    pub tumor: RadScore,
    /// RadScore of the 3 mm peritumoral ring (the classifier's `radscore_peritumoral`).
    pub ring: RadScore,
    /// Source of the deep features `x1..x10`.
    pub deep: DeepRef,
    /// The classifier file (verified hash; schema of the paper's converted classifiers).
    pub classifier: PathBuf,
}

/// The extraction settings a bundle's RadScores were fitted on (its `[extraction]` section).
#[derive(Debug, Clone, PartialEq)]
pub struct Extraction {
    /// The PyRadiomics settings of the bundle's parameter file.
    pub settings: Settings,
    /// Peritumoral ring thickness, millimetres.
    pub ring_radius_mm: f64,
}

/// A loaded, verified bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    dir: PathBuf,
    name: String,
    label: String,
    manifest_sha256: String,
    extraction: Extraction,
    networks: BTreeMap<String, NetworkSpec>,
    endpoints: BTreeMap<Endpoint, EndpointModel>,
}

/// A file of the bundle with its pinned hash, as written in the manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRef {
    /// Path relative to the bundle folder.
    path: String,
    /// Lower-case hex sha256 of the file's bytes.
    sha256: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Checked before the full parse ([`SchemaVersionOnly`]).
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    name: String,
    label: String,
    extraction: ExtractionEntry,
    deep_models: BTreeMap<String, DeepModelEntry>,
    endpoints: BTreeMap<Endpoint, EndpointEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractionEntry {
    params: FileRef,
    ring_radius_mm: f64,
    patch_side: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeepModelEntry {
    file: FileRef,
    input: String,
    preprocessing: PatchPreprocessing,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndpointEntry {
    classifier: FileRef,
    deep: DeepRef,
    radscore: Regions,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Regions {
    tumor: RadScore,
    ring: RadScore,
}

/// The one field read before the rest, so that another schema is named as such.
#[derive(Debug, Deserialize)]
struct SchemaVersionOnly {
    schema_version: u32,
}

/// The two fields of a classifier file the bundle checks; the classifier module reads the rest.
#[derive(Debug, Deserialize)]
struct ClassifierHeader {
    endpoint: String,
    features: Vec<String>,
}

impl Bundle {
    /// Reads `dir/manifest.toml`, checks every field, and verifies the sha256 of every file.
    pub fn load(dir: &Path) -> Result<Bundle, BundleError> {
        let manifest_path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|source| BundleError::ReadManifest { path: manifest_path.clone(), source })?;
        let manifest_error = |e: toml::de::Error| BundleError::Manifest {
            path: manifest_path.clone(),
            message: e.to_string(),
        };
        let version: SchemaVersionOnly = toml::from_str(&text).map_err(manifest_error)?;
        if version.schema_version != SCHEMA_VERSION {
            return Err(BundleError::SchemaVersion { path: manifest_path, found: version.schema_version });
        }
        let manifest: Manifest = toml::from_str(&text).map_err(manifest_error)?;
        let loader = Loader { dir, manifest: &manifest_path };
        for (field, value) in [("name", &manifest.name), ("label", &manifest.label)] {
            if value.trim().is_empty() {
                return Err(loader.field(field, "must not be empty".to_string()));
            }
        }
        if manifest.endpoints.is_empty() {
            return Err(loader.field("endpoints", "the bundle has no endpoint".to_string()));
        }

        let extraction = loader.extraction(&manifest.extraction)?;
        let mut networks = BTreeMap::new();
        for (key, entry) in manifest.deep_models {
            let onnx = loader.verified_file(&format!("deep_models.{key}.file"), &entry.file)?;
            networks.insert(
                key,
                NetworkSpec {
                    onnx,
                    sha256: entry.file.sha256,
                    input: entry.input,
                    preprocessing: entry.preprocessing,
                },
            );
        }
        let mut endpoints = BTreeMap::new();
        for (endpoint, entry) in manifest.endpoints {
            if !networks.contains_key(&entry.deep.model) {
                let known: Vec<&str> = networks.keys().map(String::as_str).collect();
                return Err(loader.field(
                    &format!("endpoints.{endpoint}.deep.model"),
                    format!("'{}' is not one of deep_models ({})", entry.deep.model, known.join(", ")),
                ));
            }
            let field = format!("endpoints.{endpoint}.classifier");
            let classifier = loader.verified_file(&field, &entry.classifier)?;
            check_classifier(&classifier, &field, endpoint)?;
            endpoints.insert(
                endpoint,
                EndpointModel {
                    tumor: entry.radscore.tumor,
                    ring: entry.radscore.ring,
                    deep: entry.deep,
                    classifier,
                },
            );
        }
        Ok(Bundle {
            dir: dir.to_path_buf(),
            name: manifest.name,
            label: manifest.label,
            manifest_sha256: crate::hex::sha256_hex(text.as_bytes()),
            extraction,
            networks,
            endpoints,
        })
    }

    /// The bundle folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bundle's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The label every prediction carries, e.g. "demonstration weights, not for clinical use".
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Lower-case hex sha256 of its `manifest.toml`, which pins every file of the bundle.
    pub fn manifest_sha256(&self) -> &str {
        &self.manifest_sha256
    }

    /// The extraction settings its RadScores were fitted on.
    pub fn extraction(&self) -> &Extraction {
        &self.extraction
    }

    /// The endpoints the bundle predicts, in the paper's order.
    pub fn endpoints(&self) -> impl Iterator<Item = (Endpoint, &EndpointModel)> {
        self.endpoints.iter().map(|(e, m)| (*e, m))
    }

    /// One endpoint's models, if the bundle has it.
    pub fn endpoint(&self, endpoint: Endpoint) -> Option<&EndpointModel> {
        self.endpoints.get(&endpoint)
    }

    /// The networks by key (`[deep_models.<key>]`).
    pub fn networks(&self) -> impl Iterator<Item = (&str, &NetworkSpec)> {
        self.networks.iter().map(|(k, n)| (k.as_str(), n))
    }

    /// The outputs of one network that the endpoints read, in endpoint order, each once.
    pub fn network_outputs(&self, key: &str) -> Vec<String> {
        let mut outputs: Vec<String> = Vec::new();
        for model in self.endpoints.values().filter(|m| m.deep.model == key) {
            if !outputs.contains(&model.deep.output) {
                outputs.push(model.deep.output.clone());
            }
        }
        outputs
    }
}

/// Field checks against one manifest.
struct Loader<'a> {
    dir: &'a Path,
    manifest: &'a Path,
}

impl Loader<'_> {
    /// The `[extraction]` section: the parameter file verified and parsed, the ring and patch
    /// checked.
    fn extraction(&self, entry: &ExtractionEntry) -> Result<Extraction, BundleError> {
        let file = self.verified_file("extraction.params", &entry.params)?;
        let settings = params::read(&file).map_err(|source| BundleError::Params { file, source })?;
        if !(entry.ring_radius_mm > 0.0 && entry.ring_radius_mm.is_finite()) {
            return Err(self.field(
                "extraction.ring_radius_mm",
                format!("must be a positive number of millimetres, got {}", entry.ring_radius_mm),
            ));
        }
        if entry.patch_side != PATCH_SIDE {
            return Err(self.field(
                "extraction.patch_side",
                format!("is {}; this build cuts {PATCH_SIDE}-pixel patches", entry.patch_side),
            ));
        }
        Ok(Extraction { settings, ring_radius_mm: entry.ring_radius_mm })
    }

    fn field(&self, field: &str, problem: String) -> BundleError {
        BundleError::Field { path: self.manifest.to_path_buf(), field: field.to_string(), problem }
    }

    /// The file's path inside the bundle, after checking that it stays inside, exists and
    /// matches its hash.
    fn verified_file(&self, field: &str, file: &FileRef) -> Result<PathBuf, BundleError> {
        let relative = Path::new(&file.path);
        let inside = relative.components().all(|c| matches!(c, Component::Normal(_)));
        if file.path.is_empty() || !inside {
            return Err(self.field(
                &format!("{field}.path"),
                format!("'{}' must be a relative path inside the bundle folder", file.path),
            ));
        }
        let is_hex = |s: &str| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !is_hex(&file.sha256) {
            return Err(self.field(
                &format!("{field}.sha256"),
                format!("'{}' is not 64 lower-case hex digits", file.sha256),
            ));
        }
        let path = self.dir.join(relative);
        if !path.is_file() {
            return Err(BundleError::MissingFile {
                file: path,
                field: field.to_string(),
                manifest: self.manifest.to_path_buf(),
            });
        }
        let actual = sha256_hex(&path).map_err(|source| BundleError::ReadFile {
            file: path.clone(),
            field: field.to_string(),
            source,
        })?;
        if actual != file.sha256 {
            return Err(BundleError::HashMismatch {
                file: path,
                field: field.to_string(),
                expected: file.sha256.clone(),
                actual,
            });
        }
        Ok(path)
    }
}

/// Lower-case hex sha256 of a file, streamed.
fn sha256_hex(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(crate::hex::lower_hex(&hasher.finalize()))
}

/// The classifier file must be the endpoint's combined model over [`CLASSIFIER_FEATURES`].
fn check_classifier(path: &Path, field: &str, endpoint: Endpoint) -> Result<(), BundleError> {
    let problem = |problem: String| BundleError::Classifier {
        file: path.to_path_buf(),
        field: field.to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|source| BundleError::ReadFile {
        file: path.to_path_buf(),
        field: field.to_string(),
        source,
    })?;
    let header: ClassifierHeader = serde_json::from_str(&text).map_err(|e| problem(e.to_string()))?;
    if header.endpoint != endpoint.as_str() {
        return Err(problem(format!("it is for endpoint '{}', not '{endpoint}'", header.endpoint)));
    }
    if header.features != CLASSIFIER_FEATURES {
        return Err(problem(format!(
            "its features are [{}], expected [{}]",
            header.features.join(", "),
            CLASSIFIER_FEATURES.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NETWORK: &[u8] = b"stand-in for an onnx file: the bundle does not parse it";

    /// A one-endpoint bundle in a temporary folder; `edit` changes the manifest text.
    fn bundle_with(edit: impl Fn(String) -> String) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("classifiers")).unwrap();
        std::fs::write(dir.path().join("net.onnx"), NETWORK).unwrap();
        let classifier =
            format!(r#"{{"endpoint":"LVI","features":{:?},"classifier":{{}}}}"#, CLASSIFIER_FEATURES);
        std::fs::write(dir.path().join("classifiers/LVI.json"), &classifier).unwrap();
        std::fs::write(dir.path().join("params.yaml"), "setting:\n  binWidth: 25\n").unwrap();
        let params_hash = sha256_hex(&dir.path().join("params.yaml")).unwrap();
        let net_hash = sha256_hex(&dir.path().join("net.onnx")).unwrap();
        let clf_hash = sha256_hex(&dir.path().join("classifiers/LVI.json")).unwrap();
        let manifest = format!(
            r#"schema_version = 2
name = "test"
label = "demonstration weights, not for clinical use"

[extraction]
params = {{ path = "params.yaml", sha256 = "{params_hash}" }}
ring_radius_mm = 3.0
patch_side = 160

[deep_models.net]
file = {{ path = "net.onnx", sha256 = "{net_hash}" }}
input = "patch"
preprocessing = {{ window_hu = {{ min = -1000.0, max = 400.0 }}, channels = 1 }}

[endpoints.LVI]
classifier = {{ path = "classifiers/LVI.json", sha256 = "{clf_hash}" }}
deep = {{ model = "net", output = "features_LVI" }}
radscore.tumor = {{ intercept = 0.5, terms = [ {{ feature = "original_glcm_Id", mean = 0.5, std = 0.1, coef = 1.0 }} ] }}
radscore.ring = {{ intercept = 0.0, terms = [ {{ feature = "original_shape_Sphericity", mean = 0.6, std = 0.2, coef = -1.0 }} ] }}
"#
        );
        std::fs::write(dir.path().join(MANIFEST), edit(manifest)).unwrap();
        dir
    }

    fn load_err(edit: impl Fn(String) -> String) -> (tempfile::TempDir, BundleError) {
        let dir = bundle_with(edit);
        let err = Bundle::load(dir.path()).unwrap_err();
        (dir, err)
    }

    #[test]
    fn valid_bundle_loads() {
        let dir = bundle_with(|m| m);
        let bundle = Bundle::load(dir.path()).unwrap();
        assert_eq!(bundle.name(), "test");
        assert_eq!(bundle.label(), "demonstration weights, not for clinical use");
        let lvi = bundle.endpoint(Endpoint::LVI).unwrap();
        assert_eq!(lvi.tumor.terms()[0].feature, "original_glcm_Id");
        assert_eq!(lvi.classifier, dir.path().join("classifiers/LVI.json"));
        assert_eq!(bundle.network_outputs("net"), ["features_LVI"]);
        let (key, net) = bundle.networks().next().unwrap();
        assert_eq!((key, net.input.as_str(), net.preprocessing.channels()), ("net", "patch", 1));
        assert_eq!(bundle.extraction().ring_radius_mm, 3.0);
        assert_eq!(bundle.extraction().settings.binning, crate::radiomics::Binning::Width(25.0));
        assert!(!bundle.extraction().settings.wavelet_enabled);
    }

    #[test]
    fn hash_mismatch_names_file_and_field() {
        let dir = bundle_with(|m| m);
        std::fs::write(dir.path().join("net.onnx"), b"a different network").unwrap();
        let err = Bundle::load(dir.path()).unwrap_err();
        assert!(
            matches!(&err, BundleError::HashMismatch { field, .. } if field == "deep_models.net.file"),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("net.onnx") && text.contains("the manifest pins"), "{text}");
    }

    #[test]
    fn missing_field_is_named() {
        let (dir, err) =
            load_err(|m| m.replace("label = \"demonstration weights, not for clinical use\"\n", ""));
        let text = err.to_string();
        assert!(text.contains("missing field `label`"), "{text}");
        assert!(text.contains(&dir.path().join(MANIFEST).display().to_string()), "{text}");
    }

    #[test]
    fn unknown_key_is_named() {
        let (_dir, err) = load_err(|m| m.replace("input = \"patch\"", "input = \"patch\"\ncolour = \"red\""));
        assert!(matches!(err, BundleError::Manifest { .. }), "{err}");
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn missing_file_names_file_and_field() {
        let dir = bundle_with(|m| m);
        std::fs::remove_file(dir.path().join("classifiers/LVI.json")).unwrap();
        let err = Bundle::load(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("classifiers/LVI.json") && text.contains("endpoints.LVI.classifier"), "{text}");
        assert!(text.ends_with("is missing"), "{text}");
    }

    #[test]
    fn missing_manifest_is_a_read_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Bundle::load(dir.path()).unwrap_err();
        assert!(matches!(err, BundleError::ReadManifest { .. }), "{err}");
        assert!(err.to_string().contains("manifest.toml"), "{err}");
    }

    #[test]
    fn schema_version_is_checked() {
        let (_dir, err) = load_err(|m| m.replace("schema_version = 2", "schema_version = 1"));
        assert!(err.to_string().ends_with("schema_version is 1, this build reads 2"), "{err}");
    }

    #[test]
    fn field_rules_are_checked() {
        let cases: [(&str, &str, &str); 7] = [
            (
                "ring_radius_mm = 3.0",
                "ring_radius_mm = -1.0",
                "field extraction.ring_radius_mm: must be a positive number of millimetres, got -1",
            ),
            (
                "patch_side = 160",
                "patch_side = 224",
                "field extraction.patch_side: is 224; this build cuts 160",
            ),
            (
                "label = \"demonstration weights, not for clinical use\"",
                "label = \" \"",
                "field label: must not be empty",
            ),
            (
                "model = \"net\"",
                "model = \"resnet\"",
                "field endpoints.LVI.deep.model: 'resnet' is not one of deep_models (net)",
            ),
            (
                "path = \"net.onnx\"",
                "path = \"../net.onnx\"",
                "field deep_models.net.file.path: '../net.onnx' must be a relative path",
            ),
            (
                "path = \"net.onnx\"",
                "path = \"/etc/passwd\"",
                "field deep_models.net.file.path: '/etc/passwd' must be a relative path",
            ),
            ("sha256 = \"", "sha256 = \"AB", "field extraction.params.sha256: 'AB"),
        ];
        for (from, to, expected) in cases {
            let (_dir, err) = load_err(|m| m.replacen(from, to, 1));
            assert!(matches!(err, BundleError::Field { .. }), "{to}: {err}");
            assert!(err.to_string().contains(expected), "{to}: {err}");
        }
    }

    #[test]
    fn empty_endpoint_table_is_refused() {
        let (_dir, err) = load_err(|m| m[..m.find("[endpoints.LVI]").unwrap()].to_string() + "[endpoints]\n");
        assert!(err.to_string().contains("field endpoints: the bundle has no endpoint"), "{err}");
    }

    #[test]
    fn bad_values_inside_tables_are_manifest_errors() {
        let cases = [
            (
                "std = 0.1",
                "std = 0.0",
                "std of feature 'original_glcm_Id' must be positive and finite, got 0",
            ),
            ("channels = 1", "channels = 4", "channels must be 1 or 3, got 4"),
            ("[endpoints.LVI]", "[endpoints.LVII]", "unknown variant `LVII`"),
        ];
        for (from, to, expected) in cases {
            let (_dir, err) = load_err(|m| m.replace(from, to));
            assert!(matches!(err, BundleError::Manifest { .. }), "{to}: {err}");
            assert!(err.to_string().contains(expected), "{to}: {err}");
        }
    }

    #[test]
    fn classifier_must_fit_the_endpoint() {
        let dir = bundle_with(|m| m);
        let path = dir.path().join("classifiers/LVI.json");
        let wrong = format!(r#"{{"endpoint":"PI","features":{:?}}}"#, CLASSIFIER_FEATURES);
        std::fs::write(&path, &wrong).unwrap();
        let manifest = dir.path().join(MANIFEST);
        let text = std::fs::read_to_string(&manifest).unwrap();
        let old_hash = text.split("sha256 = \"").nth(3).unwrap()[..64].to_string();
        std::fs::write(&manifest, text.replace(&old_hash, &sha256_hex(&path).unwrap())).unwrap();
        let err = Bundle::load(dir.path()).unwrap_err();
        assert!(matches!(err, BundleError::Classifier { .. }), "{err}");
        assert!(err.to_string().ends_with("it is for endpoint 'PI', not 'LVI'"), "{err}");
    }

    #[test]
    fn invalid_parameter_file_is_refused() {
        let dir = bundle_with(|m| m);
        let params = dir.path().join("params.yaml");
        std::fs::write(&params, "setting:\n  binWidht: 25\n").unwrap();
        let manifest = dir.path().join(MANIFEST);
        let text = std::fs::read_to_string(&manifest).unwrap();
        let old_hash = text.split("sha256 = \"").nth(1).unwrap()[..64].to_string();
        std::fs::write(&manifest, text.replace(&old_hash, &sha256_hex(&params).unwrap())).unwrap();
        let err = Bundle::load(dir.path()).unwrap_err();
        assert!(matches!(err, BundleError::Params { .. }), "{err}");
        assert!(err.to_string().contains("field extraction.params"), "{err}");
    }

    #[test]
    fn endpoint_names_round_trip_through_serde() {
        for endpoint in Endpoint::ALL {
            let parsed: Endpoint = serde_json::from_str(&format!("\"{endpoint}\"")).unwrap();
            assert_eq!(parsed, endpoint);
        }
        assert!(serde_json::from_str::<Endpoint>("\"PDL1\"").is_err());
    }

    /// sha256("abc") from FIPS 180-2, appendix B.1.
    #[test]
    fn sha256_of_a_file_matches_the_fips_example() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_hex(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
