//! `cargo xtask logs STACK|STACK/SERVICE|SERVICE [-f] [--tail N]`: compose's logs, streamed.

use std::path::Path;

use aiwah_harness::{Problem, Problems};

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    target: String,
    /// Keep streaming new lines.
    #[arg(short, long)]
    follow: bool,
    #[arg(long, default_value_t = 200)]
    tail: usize,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let target = deploy::resolve_target(&deployment, &args.target)?;
    let mut cmd = deployment.compose_command(&target.stack)?;
    cmd.args(["logs", "--no-color", "--tail", &args.tail.to_string()]);
    if args.follow {
        cmd.arg("--follow");
    }
    cmd.args(target.service.iter());
    let status = cmd.status().map_err(|e| Problem::new("docker compose logs", e.to_string()))?;
    if status.success() { Ok(()) } else { Err(Problem::new(format!("logs {}", args.target), format!("docker compose logs exited with {status}")).into()) }
}
