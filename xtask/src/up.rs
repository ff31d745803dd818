//! `cargo xtask up [STACK...]`: .env if missing, static checks, images, shared network, then
//! supabase → n8n → ui, each waited on until healthy with a progress line per service. On failure,
//! the stacks this command started are stopped again (volumes kept).

use std::path::Path;
use std::time::{Duration, Instant};

use aiwah_harness::Problems;
use aiwah_harness::engine::obtain::{self, Pulls};
use aiwah_harness::secrets::{self, Template};
use aiwah_harness::stack::{self, Compose, LoadOptions};

use crate::deploy::{self, StartArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    start: StartArgs,
    /// Optional overrides to layer (e.g. `logs` for Logflare + Vector).
    #[arg(long = "with", value_name = "OVERRIDE")]
    with: Vec<String>,
    /// Never pull: refuse, naming the images the engine lacks.
    #[arg(long)]
    no_pull: bool,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    deploy::require_engine()?;
    // Unknown stacks are refused before anything is written.
    let stacks = deploy::select_stacks(&aiwah_harness::stack::Platform::load(root)?, &args.start.stacks)?;
    let env = aiwah_harness::engine::deployment::env_file(root);
    deploy::refuse_new_secrets_over_data(&env, &aiwah_harness::engine::deployment::persistent_name()?)?;
    let report = secrets::ensure(&Template::load(root)?, &env)?;
    if report.created {
        eprintln!("created {} with generated secrets (mode 0600)", env.display());
    } else if !report.added.is_empty() {
        eprintln!("added to {}: {}", env.display(), report.added.join(", "));
    }
    // The user's own .env may change what compose reads: prove the rules on that, not only on ours.
    let opts = LoadOptions {
        project_prefix: aiwah_harness::engine::deployment::persistent_name()?,
        env_files: Some(vec![root.join(stack::manifest::IMAGES_ENV_FILE), env.clone()]),
        overrides: args.with.clone(),
        ..LoadOptions::persistent()
    };
    let checked = stack::check_platform(root, &Compose::locate()?, &opts)?;
    if !checked.problems.0.is_empty() {
        eprintln!("refusing to start: the stacks as configured break the platform's rules");
        return Err(checked.problems);
    }
    let source = args.start.source.source()?;
    let mut deployment = deploy::persistent(root, &source, args.with.clone())?;
    // Like `docker compose up`: missing images are pulled, or built offline when no registry answers.
    let pulls = if args.no_pull { Pulls::Refused } else { Pulls::Allowed };
    obtain::obtain(&mut deployment, &stacks, pulls)?;
    for stack in &stacks {
        deployment.require_images(stack, &deploy::progress)?;
    }
    if deployment.ensure_shared_network()? {
        eprintln!("created network {}", deployment.shared_network);
    }
    let mut started_now = Vec::new();
    for stack in &stacks {
        let was_running = deployment.states(stack).map(|s| !s.is_empty()).unwrap_or(false);
        if !was_running {
            started_now.push(stack.clone());
        }
        let t0 = Instant::now();
        eprintln!("starting {stack}");
        // Nothing is left half-started: a stack that fails, or whose migrations fail, takes down
        // every stack this command started (volumes kept).
        let started = deployment.start_stack(stack, Duration::from_secs(args.start.timeout), &deploy::progress).and_then(|()| {
            eprintln!("{stack} healthy after {:.1}s", t0.elapsed().as_secs_f64());
            if stack == "supabase" { migrate(&deployment) } else { Ok(()) }
        });
        if let Err(problem) = started {
            for started in started_now.iter().rev() {
                eprintln!("stopping {started} again (volumes kept)");
                if let Err(p) = deployment.stop_stack(started, false) {
                    eprintln!("error: {p}");
                }
            }
            return Err(problem.into());
        }
    }
    crate::status::print_table(&deployment, &stacks)?;
    print_placeholders(&deployment, &stacks)?;
    print_urls(&deployment, &stacks);
    Ok(())
}

/// The app migrations; a refused password means the database was initialised with other secrets.
fn migrate(deployment: &aiwah_harness::engine::Deployment) -> Result<(), aiwah_harness::Problem> {
    let migrations = deployment.migrate().map_err(|p| {
        if p.message.contains("password authentication failed") {
            p.hint("the database volume was initialised with another POSTGRES_PASSWORD than .env's: put back the .env that created it, or `cargo xtask clean --volumes` to start afresh")
        } else {
            p
        }
    })?;
    if !migrations.applied.is_empty() {
        eprintln!("applied migrations: {}", migrations.applied.join(", "));
    }
    Ok(())
}

/// Loudly, before the URLs: the services that only hold their place, and what does not work for it.
fn print_placeholders(deployment: &aiwah_harness::engine::Deployment, stacks: &[String]) -> Result<(), Problems> {
    let lines = obtain::placeholders(deployment, stacks)?;
    if !lines.is_empty() {
        println!("\n!! {} services run as PLACEHOLDERS (no official image here): they hold their network position and answer 503", lines.len());
        for line in &lines {
            println!("!!   {line}");
        }
        println!();
    }
    Ok(())
}

/// The main URL of each started stack's entry point (its first published port).
fn print_urls(deployment: &aiwah_harness::engine::Deployment, stacks: &[String]) {
    for stack in deployment.platform.stacks.iter().filter(|s| stacks.contains(&s.name)) {
        for entry in &stack.entrypoints {
            if let Some(url) = deployment.urls(&stack.name, entry).first() {
                println!("{:<9} {url}", stack.name);
            }
        }
    }
    if deployment.plan.by_official.values().any(|c| c.tier != aiwah_harness::engine::Tier::Official) {
        println!("note: not every service runs its official image (see TIER above); `cargo xtask doctor` explains");
    }
}
