//! Where the command line finds what it needs when no option names it: the one place that reads
//! environment variables and looks beside the binary (the library never does).
//!
//! Search order of the install root (which holds `engines/`, `scripts/pyradiomics_peer.py` and,
//! in a development checkout, `.venv-ref/`): `$RADSCORED_HOME`; else the nearest folder above the
//! running binary that holds `engines/reference/manifest.toml` (a checkout's
//! `target/release/radscored`, or an install's `/usr/lib/radscored/bin/radscored`, laid out by
//! `scripts/install.sh`); else the current folder.
//!
//! Below the root: the default bundle `engines/reference/`; the ONNX Runtime library
//! (`$ORT_DYLIB_PATH`, else the `onnxruntime` wheel in `.venv-ref/`); `bench`'s peer,
//! `scripts/pyradiomics_peer.py`, run by `--python`, else `$RADSCORED_PYTHON`, else
//! `.venv-ref/bin/python`. The site key: `--site-key`, `$RADSCORED_SITE_KEY`,
//! `$STATE_DIRECTORY/site.key` (systemd), `~/.local/state/radscored/site.key`.

use std::path::{Path, PathBuf};

use crate::model::deep::{DeepConfig, ORT_DYLIB_ENV};

/// The reference bundle below the install root.
const REFERENCE_BUNDLE: &str = "engines/reference";

/// The install root (see the module docs for the order).
pub fn search_root() -> PathBuf {
    if let Some(home) = std::env::var_os("RADSCORED_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home);
    }
    let beside_binary = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .find(|dir| dir.join(REFERENCE_BUNDLE).join("manifest.toml").is_file())
            .map(Path::to_path_buf)
    });
    beside_binary.unwrap_or_else(|| PathBuf::from("."))
}

/// The reference bundle of the install root.
pub fn default_bundle() -> PathBuf {
    search_root().join(REFERENCE_BUNDLE)
}

/// `bench`'s PyRadiomics peer script below the install root.
pub fn peer_script() -> PathBuf {
    search_root().join("scripts/pyradiomics_peer.py")
}

/// The Python that runs `bench`'s peer unless `--python` names one: `$RADSCORED_PYTHON`, else the
/// install root's `.venv-ref/bin/python`.
pub fn peer_python() -> PathBuf {
    std::env::var_os("RADSCORED_PYTHON")
        .filter(|v| !v.is_empty())
        .map_or_else(|| search_root().join(".venv-ref/bin/python"), PathBuf::from)
}

/// The deep network's configuration: `$ORT_DYLIB_PATH` names the ONNX Runtime library, TensorRT
/// engines are cached in `$CACHE_DIRECTORY` (systemd), `$XDG_CACHE_HOME/radscored` or
/// `~/.cache/radscored`.
pub fn deep_config() -> DeepConfig {
    let env_path = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let cache_dir = env_path("CACHE_DIRECTORY")
        .or_else(|| env_path("XDG_CACHE_HOME").map(|d| d.join("radscored")))
        .or_else(|| env_path("HOME").map(|d| d.join(".cache/radscored")));
    DeepConfig { onnxruntime_library: env_path(ORT_DYLIB_ENV), cache_dir, ..DeepConfig::default() }
}

/// Where the site key lives unless configured: `$RADSCORED_SITE_KEY`, else
/// `$STATE_DIRECTORY/site.key` (systemd), else `$HOME/.local/state/radscored/site.key`.
pub fn site_key_path() -> PathBuf {
    if let Some(p) = std::env::var_os("RADSCORED_SITE_KEY") {
        return PathBuf::from(p);
    }
    if let Some(dir) = std::env::var_os("STATE_DIRECTORY") {
        return PathBuf::from(dir).join("site.key");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/state/radscored/site.key")
}
