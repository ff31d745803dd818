//! `cargo xtask` — the AIWAH OS developer and deploy CLI. One module per task; the work is in the
//! `aiwah-harness` library. Every failure is one line naming the file, key or service, and exit 1.

mod check;
mod env;
mod images;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "AIWAH OS: set up, check and run the Supabase + n8n + UI platform")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Write .env (mode 0600) from stacks/env.template: generate what is missing, keep what exists.
    Env(env::Args),
    /// Validate the stacks: compose's reading, our rules, the static topology proof, the demo-secret scan.
    Check(check::Args),
    /// The image manifest (stacks/images.toml).
    #[command(subcommand)]
    Images(images::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = match aiwah_harness::repo::find_root(&std::env::current_dir().unwrap_or_default()) {
        Ok(root) => root,
        Err(problem) => return fail(&problem),
    };
    let result = match cli.task {
        Task::Env(args) => env::run(&root, args),
        Task::Check(args) => check::run(&root, args),
        Task::Images(cmd) => images::run(&root, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problems) => fail(&problems),
    }
}

fn fail(problems: &dyn std::fmt::Display) -> ExitCode {
    for line in problems.to_string().lines() {
        eprintln!("error: {line}");
    }
    ExitCode::FAILURE
}
