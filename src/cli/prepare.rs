//! `radscored prepare --config FILE`: loads the configured model as the daemon does (networks on
//! the first accelerator that starts, TensorRT engines built into `[model] cache_dir` when they
//! are missing, progress in the log) and runs every network once, then says where they run.
//! `scripts/install.sh` runs it as the service's user, so that the daemon's first start loads
//! cached engines instead of spending minutes building them. On a box without TensorRT it only
//! checks that the model loads.

use std::path::PathBuf;
use std::time::Instant;

use super::environment;
use crate::daemon::{self, ApplianceConfig};

/// Arguments of `radscored prepare`.
#[derive(Debug, clap::Args)]
pub struct PrepareArgs {
    /// The appliance configuration (see firmware-config/appliance.toml).
    #[arg(long)]
    pub config: PathBuf,
}

/// Runs `radscored prepare`.
pub fn run(args: PrepareArgs) -> anyhow::Result<()> {
    let config = ApplianceConfig::read(&args.config)?;
    let started = Instant::now();
    let predictor = daemon::load_model(&config.model, &environment::search_root())?;
    println!(
        "prepare: bundle {} loaded and warmed in {:.1} s; networks run on {}; engine cache {}",
        predictor.bundle().name(),
        started.elapsed().as_secs_f64(),
        predictor.providers().join(", "),
        config.model.cache_dir.display()
    );
    Ok(())
}
