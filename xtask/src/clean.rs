//! `cargo xtask clean [--volumes] [--yes]`: remove the persistent deployment's containers and networks,
//! and what dead test runs left behind. Volumes — all data — only with `--volumes` and a confirmation.

use std::path::Path;

use aiwah_harness::Problems;
use aiwah_harness::engine::docker::{self, Kind};
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::engine::sweep;

use crate::deploy::{self, SourceArgs};

#[derive(clap::Args)]
pub struct Args {
    /// Also delete the volumes: every database's data. Asks first.
    #[arg(long)]
    volumes: bool,
    /// Do not ask (for scripts).
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    deploy::require_engine()?;
    let name = aiwah_harness::engine::deployment::persistent_name()?;
    let cleaned = clean(root, &name, &args);
    if cleaned.is_ok() && args.volumes {
        // No data, no deployment: its work folder (overrides, record) goes too.
        let _ = std::fs::remove_dir_all(aiwah_harness::engine::deployment::persistent_workdir(root, &name));
    }
    cleaned
}

fn clean(root: &Path, name: &str, args: &Args) -> Result<(), Problems> {
    if args.volumes {
        deploy::confirm("delete every volume of the persistent deployment — all Supabase and n8n data?", args.yes, "cargo xtask clean --volumes")?;
    }
    if !aiwah_harness::engine::deployment::env_file(root).exists() {
        // Without .env compose cannot read the stacks; the engine's labels still say what is ours.
        return clean_by_labels(name, args.volumes);
    }
    let deployment = deploy::persistent(root, &args.source.source()?, vec![])?;
    for stack in deploy::stack_names(&deployment.platform).iter().rev() {
        eprintln!("removing {stack}{}", if args.volumes { " and its volumes" } else { " (volumes kept)" });
        deployment.stop_stack(stack, args.volumes)?;
    }
    // The shared network only if this deployment created it (a user's own network stays).
    let ours = docker::list(Kind::Network, &format!("{}={}", labels::DEPLOYMENT, deployment.id()))?;
    if ours.contains(&deployment.shared_network) {
        docker::remove(Kind::Network, std::slice::from_ref(&deployment.shared_network))?;
        eprintln!("removed network {}", deployment.shared_network);
    }
    let swept = sweep::sweep_dead_runs();
    if !swept.is_empty() {
        eprintln!(
            "swept leftovers of dead test runs: {} containers, {} networks, {} volumes",
            swept.containers.len(),
            swept.networks.len(),
            swept.volumes.len()
        );
    }
    Ok(())
}

/// Remove the deployment's containers and the shared network it created (and, with `volumes`, its
/// data volumes) by their `io.aiwah.deployment` label.
fn clean_by_labels(name: &str, volumes: bool) -> Result<(), Problems> {
    let label = format!("{}={name}", labels::DEPLOYMENT);
    let containers = docker::list(Kind::Container, &label)?;
    docker::remove(Kind::Container, &containers)?;
    eprintln!("no .env: removed deployment {name}'s {} containers by label", containers.len());
    let networks = docker::list(Kind::Network, &label)?;
    docker::remove(Kind::Network, &networks)?;
    if volumes {
        let data = deploy::data_volumes(name)?;
        docker::remove(Kind::Volume, &data)?;
        if data.is_empty() {
            eprintln!("no data volumes of deployment {name} to delete");
        } else {
            eprintln!("deleted {} volumes: {}", data.len(), data.join(", "));
        }
    } else if !deploy::data_volumes(name)?.is_empty() {
        eprintln!("volumes kept (their data needs the .env that created them)");
    }
    Ok(())
}
