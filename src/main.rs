//! The `radscored` binary: parses arguments, runs, and turns an error into exit status 2.

use std::process::ExitCode;

fn main() -> ExitCode {
    match radscored::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
