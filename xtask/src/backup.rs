//! `cargo xtask backup [--to DIR] [--include-secrets]`: dump the running persistent deployment —
//! Supabase's roles, schema and data, n8n's database, the Storage volume — with a manifest of
//! versions, image digests, sizes and SHA-256s (harness/src/backup).

use std::path::{Path, PathBuf};
use std::time::Instant;

use aiwah_harness::Problems;
use aiwah_harness::backup::{self, BackupOptions};

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    /// Folder to create (default: backups/<deployment>-<UTC time> under the checkout).
    #[arg(long = "to", value_name = "DIR")]
    to: Option<PathBuf>,
    /// Also copy .env — every secret — into the backup (its files stay mode 0600).
    #[arg(long)]
    include_secrets: bool,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let dir = args.to.unwrap_or_else(|| {
        let stamp = backup::manifest::now_utc().replace([':', '-'], "");
        root.join("backups").join(format!("{}-{stamp}", deployment.id()))
    });
    let t0 = Instant::now();
    eprintln!("backing up deployment {} into {}", deployment.id(), dir.display());
    let manifest = backup::backup(&deployment, &dir, BackupOptions { include_secrets: args.include_secrets }, &deploy::progress)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
    eprintln!(
        "backup complete in {:.1}s: {} files, {}{}",
        t0.elapsed().as_secs_f64(),
        manifest.files.len(),
        backup::stream::megabytes(bytes),
        if manifest.secrets_included {
            "; it holds the deployment's secrets (secrets/env): keep it private"
        } else {
            "; no secrets (add --include-secrets to keep .env too)"
        }
    );
    println!("{}", dir.display());
    Ok(())
}
