//! `cargo xtask` — the AIWAH OS developer and deploy CLI. One module per task; the work is in the
//! `aiwah-harness` library. Every failure is one line naming the file, key or service, and exit 1.

mod accept;
mod backup;
mod check;
mod clean;
mod copy;
mod deploy;
mod doctor;
mod down;
mod env;
mod gateway;
mod images;
mod logs;
mod restart;
mod restore;
mod status;
mod suite_deployment;
mod target_file;
mod ui_dev;
mod up;
mod upgrade_check;

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
    /// The image manifest (stacks/images.toml), offline builds, pulls.
    #[command(subcommand)]
    Images(images::Command),
    /// The gateway's Kong config, generated from the route table (harness/src/gateway/routes.rs).
    #[command(subcommand)]
    Gateway(gateway::Command),
    /// Start the persistent deployment (all stacks, or the ones named) and wait until healthy.
    Up(up::Args),
    /// Stop stacks; volumes (the data) stay.
    Down(down::Args),
    /// Restart a stack or a service, applying compose files changed since `up` (volumes kept), and wait until healthy again.
    Restart(restart::Args),
    /// State, health, tier and ports of every service.
    Status(status::Args),
    /// Logs of a stack or a service.
    Logs(logs::Args),
    /// Back up the running deployment: both databases, the Storage volume, a manifest (no secrets by default).
    Backup(backup::Args),
    /// Restore a backup into the running deployment (empty, or --yes); checks everything first.
    Restore(restore::Args),
    /// Remove containers and networks; volumes only with --volumes (asks first).
    Clean(clean::Args),
    /// Check this machine: engine, Compose, memory, ports, where each image comes from.
    Doctor(doctor::Args),
    /// An ephemeral copy (unique names, own network and secrets), held until Ctrl-C.
    Copy(deploy::StartArgs),
    /// Sign off a release: the whole suite, every scenario against real software; refuses any skip.
    Accept(accept::Args),
    /// Which newer upstream images pass the suite: discover tags, run baseline and candidates, name culprits (exit 0/1/2).
    UpgradeCheck(upgrade_check::Args),
    /// UI development with hot reload: the app's env file (gateway URL + anon key) from the running deployment, then `npm run dev`.
    UiDev(ui_dev::Args),
    /// The conformance suite's shared deployment: nextest's setup script runs this (see .config/nextest.toml).
    SuiteDeployment(suite_deployment::Args),
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
        Task::Gateway(cmd) => gateway::run(&root, cmd),
        Task::Up(args) => up::run(&root, args),
        Task::Down(args) => down::run(&root, args),
        Task::Restart(args) => restart::run(&root, args),
        Task::Status(args) => status::run(&root, args),
        Task::Logs(args) => logs::run(&root, args),
        Task::Backup(args) => backup::run(&root, args),
        Task::Restore(args) => restore::run(&root, args),
        Task::Clean(args) => clean::run(&root, args),
        Task::Doctor(args) => doctor::run(&root, args),
        Task::Copy(args) => copy::run(&root, args),
        Task::Accept(args) => accept::run(&root, args),
        Task::SuiteDeployment(args) => suite_deployment::run(&root, args),
        // Its own exit codes: 1 = a breaking upgrade found, 2 = could not check.
        Task::UpgradeCheck(args) => return upgrade_check::run(&root, args),
        Task::UiDev(args) => ui_dev::run(&root, args),
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
