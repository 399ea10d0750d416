//! `radscored send HOST PORT FILE|DIR... [--aet CALLING] [--aec CALLED]`: a C-STORE SCU with
//! storescu's argument order. Folders are searched recursively (non-DICOM files in them are
//! skipped); every DICOM file goes over one association. Prints each failure with its file and a
//! summary line; fails (exit 2) unless every file was stored.

use std::path::PathBuf;

use anyhow::{bail, Context};

use crate::export::scu::{collect_files, send_files, Peer};

/// Arguments of `radscored send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Host name or address of the storage SCP.
    pub host: String,
    /// Its TCP port.
    pub port: u16,
    /// DICOM files, or folders searched recursively.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Our (calling) AE title.
    #[arg(long, default_value = "RADSCORED", value_name = "CALLING")]
    pub aet: String,
    /// The peer's (called) AE title.
    #[arg(long, default_value = "ANY-SCP", value_name = "CALLED")]
    pub aec: String,
    /// Limit for connecting and for each network read or write, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
}

/// Runs `radscored send`.
pub fn run(args: SendArgs) -> anyhow::Result<()> {
    let collected = collect_files(&args.paths).context("could not list the files to send")?;
    let peer = Peer {
        host: args.host,
        port: args.port,
        called_ae: args.aec,
        calling_ae: args.aet,
        timeout_s: args.timeout,
    };
    let report = send_files(&peer, &collected.files)?;
    for outcome in report.failed() {
        if let Err(failure) = &outcome.result {
            eprintln!("not stored: {}: {failure}", outcome.path.display());
        }
    }
    let total = report.outcomes.len();
    let stored = report.stored();
    let skipped = match collected.skipped {
        0 => String::new(),
        n => format!(", {n} non-DICOM files skipped"),
    };
    println!(
        "sent {stored} of {total} files to {} at {}:{} ({} failed{skipped})",
        peer.called_ae,
        peer.host,
        peer.port,
        total - stored
    );
    if !report.all_stored() {
        bail!("{} of {total} files were not stored", total - stored);
    }
    Ok(())
}
