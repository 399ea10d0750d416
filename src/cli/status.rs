//! `radscored status`: the engineer's view of the box, read from the spool without disturbing
//! a running daemon: the queue by state, recent studies with their state and latency from the
//! last instance to the acknowledged result, the quarantine with codes and reasons, the outbox.

use std::path::PathBuf;

use crate::daemon::ApplianceConfig;
use crate::spool::Overview;

/// Arguments of `radscored status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The appliance configuration whose spool to read.
    #[arg(long, required_unless_present = "spool", conflicts_with = "spool")]
    pub config: Option<PathBuf>,
    /// The spool folder, instead of a configuration.
    #[arg(long)]
    pub spool: Option<PathBuf>,
    /// Recent studies listed.
    #[arg(long, default_value_t = 20)]
    pub recent: usize,
}

/// Runs `radscored status`.
pub fn run(args: StatusArgs) -> anyhow::Result<()> {
    let dir = match (&args.spool, &args.config) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => ApplianceConfig::read(config)?.spool.dir,
        (None, None) => anyhow::bail!("give --config FILE or --spool DIR"),
    };
    let overview = Overview::read(&dir, args.recent)?;
    print!("{overview}");
    Ok(())
}
