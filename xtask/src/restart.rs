//! `cargo xtask restart [STACK | STACK/SERVICE | SERVICE]`: restart, apply what changed in the compose
//! files since the containers were created, then wait until healthy again.
//!
//! `docker compose restart` alone restarts the old containers with their old configuration. Compose
//! labels each container with the hash of the configuration it was created from
//! (`com.docker.compose.config-hash`); services whose hash still matches are restarted as before, the
//! others are recreated by `docker compose up --detach` — named volumes are kept, as `up` keeps them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use aiwah_harness::engine::Deployment;
use aiwah_harness::{Problem, Problems};

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    /// What to restart (default: every stack).
    target: Option<String>,
    /// Deadline per stack for every service to become healthy again, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

const CONFIG_HASH_LABEL: &str = "com.docker.compose.config-hash";

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    let targets = match &args.target {
        Some(name) => vec![deploy::resolve_target(&deployment, name)?],
        None => deploy::stack_names(&deployment.platform).into_iter().map(|stack| deploy::Target { stack, service: None }).collect(),
    };
    for target in targets {
        restart(&deployment, &target, Duration::from_secs(args.timeout))?;
    }
    Ok(())
}

fn restart(deployment: &Deployment, target: &deploy::Target, deadline: Duration) -> Result<(), Problems> {
    let stack = &target.stack;
    let shown = format!("{stack}{}", target.service.as_ref().map(|s| format!("/{s}")).unwrap_or_default());
    let services: Vec<String> = match &target.service {
        Some(service) => vec![service.clone()],
        None => deployment.models.iter().find(|m| &m.stack == stack).map(|m| m.config.services.keys().cloned().collect()).unwrap_or_default(),
    };
    let before = containers(deployment, stack)?;
    let wanted = config_hashes(deployment, stack)?;
    // Unchanged: a container exists and was created from the configuration the files give now.
    let unchanged: Vec<&String> = services.iter().filter(|s| before.get(*s).is_some_and(|c| wanted.get(*s) == Some(&c.config_hash))).collect();
    eprintln!("restarting {shown}");
    if !unchanged.is_empty() {
        let mut cmd = deployment.compose_command(stack)?;
        cmd.args(["restart", "--timeout", "10"]).args(&unchanged);
        compose(&mut cmd, stack, "docker compose restart")?;
    }
    // Applies the files: recreates exactly the services whose configuration changed (their named
    // volumes stay) and starts any that is missing; images come from the engine, as `up` left them.
    let mut cmd = deployment.compose_command(stack)?;
    cmd.args(["up", "--detach", "--no-build", "--pull", "never"]);
    if target.service.is_none() {
        cmd.arg("--remove-orphans");
    }
    cmd.args(target.service.iter());
    compose(&mut cmd, stack, "docker compose up")?;
    deployment.wait_ready(stack, deadline, &deploy::progress)?;
    let after = containers(deployment, stack)?;
    let recreated: Vec<String> =
        services.iter().filter(|s| before.get(*s).map(|c| &c.id) != after.get(*s).map(|c| &c.id)).map(|s| format!("{stack}/{s}")).collect();
    if recreated.is_empty() {
        eprintln!("{shown}: restarted; no service's compose configuration had changed");
    } else {
        eprintln!("{shown}: recreated {} (compose configuration changed; volumes kept)", recreated.join(", "));
    }
    Ok(())
}

fn compose(cmd: &mut std::process::Command, stack: &str, what: &str) -> Result<std::process::Output, Problems> {
    let out = cmd.output().map_err(|e| Problem::new(what, format!("cannot start: {e}")))?;
    if !out.status.success() {
        let line = aiwah_harness::problem::last_line(&String::from_utf8_lossy(&out.stderr), "failed");
        return Err(Problem::new(format!("stack {stack}"), format!("{what}: {line}")).into());
    }
    Ok(out)
}

struct Container {
    id: String,
    config_hash: String,
}

/// service → its container (running or not), as compose lists them.
fn containers(deployment: &Deployment, stack: &str) -> Result<BTreeMap<String, Container>, Problems> {
    Ok(deployment
        .compose_ps(stack)?
        .iter()
        .map(|v| {
            let labels = v["Labels"].as_str().unwrap_or_default();
            // Compose joins the labels with commas; a hash never holds one.
            let config_hash = labels.split(',').find_map(|l| l.strip_prefix(&format!("{CONFIG_HASH_LABEL}="))).unwrap_or_default().to_string();
            (v["Service"].as_str().unwrap_or_default().to_string(), Container { id: v["ID"].as_str().unwrap_or_default().to_string(), config_hash })
        })
        .collect())
}

/// service → the hash of the configuration the compose files give now (`docker compose config --hash`).
fn config_hashes(deployment: &Deployment, stack: &str) -> Result<BTreeMap<String, String>, Problems> {
    let mut cmd = deployment.compose_command(stack)?;
    cmd.args(["config", "--hash", "*"]);
    let out = compose(&mut cmd, stack, "docker compose config --hash")?;
    Ok(String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_once(' ')).map(|(s, h)| (s.trim().to_string(), h.trim().to_string())).collect())
}
