//! `cargo xtask doctor`: is this machine ready to run AIWAH OS? Engine and API version, Compose,
//! memory, the host ports the deployment publishes, and for every image where it will come from.
//! Exit 1 when something would stop `cargo xtask up`.

use std::net::TcpListener;
use std::path::Path;

use aiwah_harness::engine::plan::{self, recipe_for};
use aiwah_harness::engine::{Source, docker};
use aiwah_harness::stack::{Compose, Manifest};
use aiwah_harness::{Problem, Problems};

use crate::deploy::{self, SourceArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: SourceArgs,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let mut blockers: Vec<Problem> = Vec::new();
    match docker::docker(&["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"]) {
        Ok(v) => println!("engine    ok: Docker {}", v.trim()),
        Err(p) => {
            blockers.push(Problem::new("docker engine", format!("not reachable: {}", p.message)).hint("start dockerd (here: bash stacks/offline/engine.sh)"))
        }
    }
    match Compose::locate() {
        Ok(c) => println!("compose   ok: v{}", c.version),
        Err(p) => blockers.push(p),
    }
    if let Ok(mem) = docker::docker(&["info", "--format", "{{.MemTotal}} {{.NCPU}}"]) {
        let mut it = mem.split_whitespace();
        let bytes: f64 = it.next().and_then(|b| b.parse().ok()).unwrap_or(0.0);
        let gib = bytes / (1u64 << 30) as f64;
        println!(
            "memory    {gib:.1} GiB, {} CPUs for containers{}",
            it.next().unwrap_or("?"),
            if gib < 4.0 { " — below the ~4 GiB the three stacks need" } else { "" }
        );
    }
    if !blockers.is_empty() {
        return Err(Problems(blockers));
    }

    let source = args.source.source()?;
    let manifest = Manifest::load(root)?;
    println!(
        "images    (source: {})",
        match &source {
            Source::Auto => "auto: official if present, else offline build".to_string(),
            Source::Registry => "registry".into(),
            Source::Mirror(m) => format!("mirror {m}"),
            Source::Offline => "offline builds".into(),
        }
    );
    for (key, entry) in &manifest.images {
        let official = docker::image_present(&entry.image);
        let offline = recipe_for(&entry.image, entry.offline).map(|r| plan::offline_tag(root, r).map(|t| (r, docker::image_present(&t), t)));
        let (verdict, blocking) = match (&source, official, &offline) {
            (Source::Offline, _, Some(Ok((r, true, _)))) | (Source::Auto, false, Some(Ok((r, true, _)))) => {
                (format!("offline {r} build ({})", if *r == "placeholder" { "placeholder: scenarios needing it skip" } else { "substitute" }), false)
            }
            (Source::Offline, _, Some(Ok((r, false, _)))) => (format!("offline {r} build missing — cargo xtask images build --offline"), true),
            (_, true, _) => ("official image present".to_string(), false),
            (_, false, None) => ("built from source by compose".to_string(), false),
            (_, false, Some(Err(p))) => (format!("missing; no offline recipe ({})", p.message), true),
            (_, false, Some(Ok((r, false, _)))) => (format!("missing — docker pull it, or cargo xtask images build --offline ({r})"), true),
            (_, false, Some(Ok(_))) => ("missing".to_string(), true),
        };
        println!("  {key:<20} {:<42} {verdict}", entry.image);
        if blocking {
            blockers.push(Problem::new(format!("image {}", entry.image), verdict));
        }
    }

    if aiwah_harness::engine::deployment::env_file(root).is_file() {
        let deployment = deploy::persistent(root, &source, vec![])?;
        println!("ports");
        for model in &deployment.models {
            let states = deployment.states(&model.stack).unwrap_or_default();
            for (name, service) in &model.config.services {
                for port in
                    service.ports.iter().filter_map(|p| p.published.as_deref().and_then(|x| x.parse::<u16>().ok()).map(|n| (p.host_address().to_string(), n)))
                {
                    let ours = states.iter().any(|s| &s.service == name && s.state == "running");
                    let free = TcpListener::bind((port.0.as_str(), port.1)).is_ok();
                    let verdict = if ours {
                        "held by this deployment"
                    } else if free {
                        "free"
                    } else {
                        "IN USE by something else"
                    };
                    println!("  {:<9} {:<10} {}:{} {verdict}", model.stack, name, port.0, port.1);
                    if !ours && !free {
                        blockers.push(
                            Problem::new(format!("port {}:{}", port.0, port.1), format!("needed by {}/{name} but in use", model.stack))
                                .hint("stop what holds it or change the port in .env"),
                        );
                    }
                }
            }
        }
    } else {
        println!(".env      missing — `cargo xtask up` writes it (ports not checked)");
    }
    if blockers.is_empty() { Ok(()) } else { Err(Problems(blockers)) }
}
