//! `cargo xtask restore DIR [--yes]`: check the backup and the target, stage, then switch (the steps
//! and what "nothing half-restored" means are in harness/src/backup/restore.rs).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aiwah_harness::Problems;
use aiwah_harness::backup::{self, RestoreOptions};

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    /// A folder `cargo xtask backup` wrote.
    dir: PathBuf,
    /// Replace data the deployment already holds (restore names it and refuses without this).
    #[arg(long)]
    yes: bool,
    /// Deadline for n8n to become healthy on the restored database, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let t0 = Instant::now();
    eprintln!("restoring {} into deployment {}", args.dir.display(), deployment.id());
    let options = RestoreOptions { yes: args.yes, n8n_deadline: Some(Duration::from_secs(args.timeout)) };
    let restored = backup::restore(&deployment, &args.dir, options, &deploy::progress)?;
    if !restored.roles_created.is_empty() {
        eprintln!("created roles (without passwords; set them): {}", restored.roles_created.join(", "));
    }
    eprintln!("restore complete in {:.1}s: {} tables, n8n's database, the Storage volume", t0.elapsed().as_secs_f64(), restored.tables);
    Ok(())
}
