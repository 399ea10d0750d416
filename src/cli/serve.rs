//! `radscored serve --config FILE`: the appliance daemon in the foreground (logs on stderr).
//! SIGTERM or SIGINT stop it in order (intake first, the study in progress finished, `offline`
//! published) with exit code 0. A listening socket passed by systemd (radscored.socket) is used
//! for DICOM instead of `[dicom] listen`.

use std::os::fd::FromRawFd;
use std::path::PathBuf;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::environment;
use crate::daemon::{self, ApplianceConfig, Environment};

/// Arguments of `radscored serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The appliance configuration (see firmware-config/appliance.toml).
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs `radscored serve`.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = ApplianceConfig::read(&args.config)?;
    let env = Environment {
        install_root: environment::search_root(),
        listener: systemd_listener()?,
        backend: crate::gpu::detect(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("radscored-io")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        daemon::run(config, env, shutdown).await
    })?;
    Ok(())
}

/// Cancels `shutdown` on SIGTERM or SIGINT.
async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        tracing::error!("Cannot listen for SIGTERM/SIGINT; stop the daemon with SIGKILL.");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received."),
        _ = int.recv() => tracing::info!("SIGINT received."),
    }
    shutdown.cancel();
}

/// The listening socket systemd passed (socket activation), if any.
fn systemd_listener() -> anyhow::Result<Option<std::net::TcpListener>> {
    let mut fds = sd_notify::listen_fds().context("reading the sockets systemd passed")?;
    Ok(fds.next().map(|fd| {
        // SAFETY: systemd passed this descriptor to this process (LISTEN_PID was checked) as a
        // listening stream socket (radscored.socket); nothing else owns it.
        unsafe { std::net::TcpListener::from_raw_fd(fd) }
    }))
}
