//! `cargo xtask doctor`: is this machine ready to run AIWAH OS? Engine and API version, Compose,
//! memory, the host ports the deployment publishes, and for every image where it will come from.
//! Exit 1 when something would stop `cargo xtask up`.

use std::net::TcpListener;
use std::path::Path;

use aiwah_harness::engine::plan::recipe_for;
use aiwah_harness::engine::{Deployment, ImagePlan, Source, Tier, docker};
use aiwah_harness::stack::{Compose, LoadOptions, Manifest, Platform};
use aiwah_harness::{Problem, Problems};

use crate::deploy::SourceArgs;

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
            Source::Auto => "auto: official if present or its registry answers (pulled), else offline build".to_string(),
            Source::Registry => "registry".into(),
            Source::Mirror(m) => format!("mirror {m}"),
            Source::Offline => "offline builds".into(),
        }
    );
    // The engine's own resolution: what `up` and the suite would run from this source.
    let plan = ImagePlan::resolve(root, &manifest, &source)?;
    for (key, entry) in &manifest.images {
        let choice = plan.choice(&entry.image).ok_or_else(|| Problem::new(format!("image {}", entry.image), "has no place in the image plan"))?;
        let present = docker::image_present(&choice.image)?;
        let recipe = recipe_for(&entry.image, entry.offline);
        let (verdict, blocking) = match (choice.tier, present) {
            (Tier::Source, _) => ("built from source by compose".to_string(), false),
            (Tier::Official, true) => ("official image present".to_string(), false),
            (Tier::Official, false) => match recipe {
                Some(r) => (format!("missing — docker pull it, or cargo xtask images build --offline ({r})"), true),
                None => ("missing — docker pull it".to_string(), true),
            },
            (Tier::Substitute, true) => (format!("offline build {} (substitute)", choice.image), false),
            (Tier::Placeholder, true) => (format!("offline build {} (placeholder: scenarios needing it skip)", choice.image), false),
            (Tier::Substitute | Tier::Placeholder, false) => (format!("offline build {} missing — cargo xtask images build --offline", choice.image), true),
        };
        println!("  {key:<20} {:<42} {verdict}", entry.image);
        if blocking {
            blockers.push(Problem::new(format!("image {}", entry.image), verdict));
        }
    }

    let env_file = aiwah_harness::engine::deployment::env_file(root);
    if env_file.is_file() {
        // Read-only: the running deployment as `up` left it, else the stacks as `up` would read them.
        let running = Deployment::open_persistent(root).ok();
        let models = match &running {
            Some(deployment) => deployment.models.clone(),
            None => {
                let opts = LoadOptions {
                    project_prefix: aiwah_harness::engine::deployment::persistent_name()?,
                    env_files: Some(vec![root.join(aiwah_harness::stack::manifest::IMAGES_ENV_FILE), env_file]),
                    ..LoadOptions::persistent()
                };
                Platform::load(root)?.load_all(&Compose::locate()?, &opts)?
            }
        };
        println!("ports");
        for model in &models {
            let states = running.as_ref().and_then(|d| d.states(&model.stack).ok()).unwrap_or_default();
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
