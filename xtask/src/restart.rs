//! `cargo xtask restart [STACK | STACK/SERVICE | SERVICE]`: restart, then wait until healthy again.

use std::path::Path;
use std::time::Duration;

use aiwah_harness::{Problem, Problems};

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    /// What to restart (default: every stack).
    target: Option<String>,
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let targets = match &args.target {
        Some(name) => vec![deploy::resolve_target(&deployment, name)?],
        None => deploy::stack_names(&deployment.platform).into_iter().map(|stack| deploy::Target { stack, service: None }).collect(),
    };
    for target in targets {
        let mut cmd = deployment.compose_command(&target.stack)?;
        cmd.args(["restart", "--timeout", "10"]);
        cmd.args(target.service.iter());
        eprintln!("restarting {}{}", target.stack, target.service.as_ref().map(|s| format!("/{s}")).unwrap_or_default());
        let out = cmd.output().map_err(|e| Problem::new("docker compose restart", e.to_string()))?;
        if !out.status.success() {
            return Err(Problem::new(format!("stack {}", target.stack), String::from_utf8_lossy(&out.stderr).trim().to_string()).into());
        }
        deployment.wait_ready(&target.stack, Duration::from_secs(args.timeout), &deploy::progress)?;
    }
    Ok(())
}
