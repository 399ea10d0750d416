//! systemd notifications (sd_notify protocol, `sd-notify` crate): READY=1 once the model is
//! loaded and warmed and intake is open, STATUS lines, WATCHDOG=1 pings at half the configured
//! watchdog interval, STOPPING=1 on an orderly stop. Outside systemd (no `NOTIFY_SOCKET`) every
//! call does nothing.

use sd_notify::NotifyState;
use tokio_util::sync::CancellationToken;

/// The service manager, when there is one.
#[derive(Debug, Default)]
pub struct Service;

impl Service {
    /// The service manager of this process.
    pub fn new() -> Service {
        Service
    }

    /// Sends `states`; failures are logged, never fatal.
    fn notify(&self, states: &[NotifyState]) {
        if let Err(error) = sd_notify::notify(states) {
            tracing::debug!(%error, "systemd notification failed.");
        }
    }

    /// A STATUS line for `systemctl status`.
    pub fn status(&self, text: &str) {
        self.notify(&[NotifyState::Status(text)]);
    }

    /// READY=1 with a STATUS line.
    pub fn ready(&self, text: &str) {
        self.notify(&[NotifyState::Ready, NotifyState::Status(text)]);
    }

    /// STOPPING=1.
    pub fn stopping(&self) {
        self.notify(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    /// Pings the watchdog at half its interval until `stop`, when systemd asked for one.
    pub fn watchdog(&self, stop: CancellationToken) -> Option<tokio::task::JoinHandle<()>> {
        let interval = sd_notify::watchdog_enabled()? / 2;
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    _ = tick.tick() => {
                        if let Err(error) = sd_notify::notify(&[NotifyState::Watchdog]) {
                            tracing::debug!(%error, "watchdog notification failed.");
                        }
                    }
                }
            }
        }))
    }
}
