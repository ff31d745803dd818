//! `cargo xtask check`: read every stack through compose, apply our rules, prove the topology and scan
//! committed files for demo secrets. Prints one line per breach; exit 1 if there is any.

use std::path::{Path, PathBuf};

use aiwah_harness::secrets::demo;
use aiwah_harness::stack::{self, Compose, LoadOptions};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Args)]
pub struct Args {
    /// Env file with the stack variables (default: .env at the root; `cargo xtask env` writes it).
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let compose = Compose::locate()?;
    let env_file = args.env_file.unwrap_or_else(|| aiwah_harness::engine::deployment::env_file(root));
    if !env_file.is_file() {
        return Err(Problem::new(env_file.display().to_string(), "does not exist").hint("run `cargo xtask env` first").into());
    }
    let opts = LoadOptions::hermetic("aiwah", vec![root.join(stack::manifest::IMAGES_ENV_FILE), env_file]);
    let checked = stack::check_platform(root, &compose, &opts)?;
    let mut problems = checked.problems.0;
    // The optional overrides (logs, ...) must keep every rule too.
    let platform = stack::Platform::load(root)?;
    let overrides: Vec<String> = platform.stacks.iter().flat_map(|s| s.overrides.keys().cloned()).collect();
    if !overrides.is_empty() {
        let with_overrides = LoadOptions { overrides, ..opts.clone() };
        for problem in stack::check_platform(root, &compose, &with_overrides)?.problems.0 {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    problems.extend(demo::scan(root, &demo::committed_files(root)));
    for model in &checked.models {
        println!("{:<9} {} services: {}", model.stack, model.config.services.len(), model.config.services.keys().cloned().collect::<Vec<_>>().join(", "));
    }
    if problems.is_empty() {
        println!(
            "ok: compose reads every stack; rules hold; databases unreachable across stacks; only entry points share a network; ports on loopback; no demo secrets"
        );
        Ok(())
    } else {
        Err(Problems(problems))
    }
}
