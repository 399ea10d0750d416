//! The `radscored` binary: parse arguments, set up logging, run, turn an error into exit code 2.

use std::process::ExitCode;

/// Log filter without `RADSCORED_LOG`: warnings and errors, but not the embedded broker's own
/// connection chatter (rumqttd logs every closed probe connection as an error), nor dicom-rs'
/// warnings about files it reads anyway (an unknown character set, an odd meta group): a file
/// radscored cannot use is refused with its own error, and a run that succeeds prints no extra
/// line. `RADSCORED_LOG=warn` shows them, each with the file it concerns.
const DEFAULT_LOG: &str = "warn,rumqttd=off,dicom_parser=error,dicom_object=error,dicom_encoding=error,\
                           dicom_pixeldata=error,dicom_transfer_syntax_registry=error";

/// The error and its causes on one line, `a: b: c`, leaving out a cause whose words the line
/// already holds (radscored's errors name their cause in their own message, so that an alert
/// carries it too).
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line += ": ";
        }
        line += &text;
    }
    line
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RADSCORED_LOG")
                .unwrap_or_else(|_| DEFAULT_LOG.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match radscored::cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}
