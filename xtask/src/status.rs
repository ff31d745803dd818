//! `cargo xtask status [STACK...] [-o table|env|json]`: every service's state, health, tier (the
//! `io.aiwah.tier` label its container carries) and ports. Reads the deployment `up` started; writes
//! nothing — except `-o target FILE`, the target file for the suite's target mode (see target_file.rs).

use std::path::Path;

use aiwah_harness::Problems;
use aiwah_harness::engine::Deployment;

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    /// Stacks to show (default: all); with `-o target`, the one file to write.
    stacks: Vec<String>,
    /// table (default), env (KEY=value lines for scripts), json, or target (writes the target file FILE).
    #[arg(short = 'o', long = "output", default_value = "table")]
    output: Format,
    /// With `-o target`: replace FILE if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Table,
    Env,
    Json,
    Target,
}

pub struct Row {
    pub stack: String,
    pub service: String,
    pub state: String,
    pub health: String,
    pub tier: String,
    pub image: String,
    pub urls: Vec<String>,
}

pub fn rows(deployment: &Deployment, stacks: &[String]) -> Result<Vec<Row>, Problems> {
    let mut rows = Vec::new();
    for model in deployment.models.iter().filter(|m| stacks.contains(&m.stack)) {
        let states = deployment.states(&model.stack)?;
        for (name, service) in &model.config.services {
            let state = states.iter().find(|s| &s.service == name);
            rows.push(Row {
                stack: model.stack.clone(),
                service: name.clone(),
                state: state.map(|s| s.state.clone()).unwrap_or_else(|| "absent".into()),
                health: state.map(|s| s.health.clone()).unwrap_or_default(),
                // What the container carries, not what a plan would decide now.
                tier: state.and_then(|s| s.tier).map(|t| t.label().to_string()).unwrap_or_else(|| "-".into()),
                image: service.image.clone().unwrap_or_default(),
                urls: if state.is_some() { deployment.urls(&model.stack, name) } else { vec![] },
            });
        }
    }
    Ok(rows)
}

pub fn print_table(deployment: &Deployment, stacks: &[String]) -> Result<(), Problems> {
    println!("{:<9} {:<10} {:<9} {:<10} {:<12} {:<44} PORTS", "STACK", "SERVICE", "STATE", "HEALTH", "TIER", "IMAGE");
    for r in rows(deployment, stacks)? {
        println!(
            "{:<9} {:<10} {:<9} {:<10} {:<12} {:<44} {}",
            r.stack,
            r.service,
            r.state,
            if r.health.is_empty() { "-" } else { &r.health },
            r.tier,
            r.image,
            r.urls.join(" ")
        );
    }
    Ok(())
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    if let Format::Target = args.output {
        let [file] = args.stacks.as_slice() else {
            return Err(aiwah_harness::Problem::new("status -o target", "needs the one file to write: cargo xtask status -o target FILE").into());
        };
        return crate::target_file::write(&deploy::running(root)?, std::path::Path::new(file), args.force);
    }
    let deployment = deploy::running(root)?;
    let stacks = deploy::select_stacks(&deployment.platform, &args.stacks)?;
    match args.output {
        Format::Table => print_table(&deployment, &stacks)?,
        Format::Env => {
            for r in rows(&deployment, &stacks)? {
                let key = format!("AIWAH_{}_{}", r.stack, r.service).to_uppercase().replace(['-', '.'], "_");
                println!("{key}_STATE={}", r.state);
                println!("{key}_HEALTH={}", r.health);
                println!("{key}_TIER={}", r.tier);
                if let Some(url) = r.urls.first() {
                    println!("{key}_URL={url}");
                }
            }
        }
        Format::Target => unreachable!("written above"),
        Format::Json => {
            let items: Vec<serde_json::Value> = rows(&deployment, &stacks)?
                .into_iter()
                .map(|r| serde_json::json!({"stack": r.stack, "service": r.service, "state": r.state, "health": r.health, "tier": r.tier, "image": r.image, "urls": r.urls}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&items).expect("json"));
        }
    }
    Ok(())
}
