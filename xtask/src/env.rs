//! `cargo xtask env`: create or complete `.env`; rotate a secret only when asked.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use aiwah_harness::secrets::{self, Template};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Args)]
pub struct Args {
    /// Replace this generated secret (and what derives from it). Repeatable. Leaves a backup of .env.
    #[arg(long, value_name = "KEY")]
    rotate: Vec<String>,
    /// Do not ask before rotating (needed when stdin is not a terminal).
    #[arg(long)]
    yes: bool,
    /// Write this file instead of .env at the repository root (or $AIWAH_ENV_FILE).
    #[arg(long, value_name = "PATH")]
    file: Option<std::path::PathBuf>,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let template = Template::load(root)?;
    let path = args.file.clone().unwrap_or_else(|| aiwah_harness::engine::deployment::env_file(root));
    let report = if args.rotate.is_empty() {
        secrets::ensure(&template, &path)?
    } else {
        confirm_rotation(&template, &args)?;
        secrets::rotate(&template, &path, &args.rotate)?
    };
    print_report(&report, &path);
    Ok(())
}

fn confirm_rotation(template: &Template, args: &Args) -> Result<(), Problems> {
    for key in template.with_dependents(&args.rotate) {
        eprintln!("warning: rotating {key}: {}", secrets::rotation_warning(&key));
    }
    if args.yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Problem::new("cargo xtask env --rotate", "refusing to rotate without confirmation").hint("add --yes").into());
    }
    eprint!("type 'rotate' to go on: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() == "rotate" { Ok(()) } else { Err(Problem::new("cargo xtask env --rotate", "not confirmed; nothing changed").into()) }
}

fn print_report(report: &secrets::EnvReport, path: &Path) {
    let shown = path.display();
    let env = std::fs::read_to_string(path).map(|t| secrets::dotenv::DotEnv::parse(&t)).unwrap_or_default();
    let value = |key: &str| env.get(key).map(secrets::masked).unwrap_or_default();
    if report.created {
        println!("created {shown} (mode 0600) with {} values", report.added.len());
    } else if !report.added.is_empty() {
        println!("added {} missing keys to {shown}:", report.added.len());
        for key in &report.added {
            println!("  {key} = {}", value(key));
        }
    }
    if let Some(backup) = &report.backup {
        println!("previous file kept as {}", backup.display());
    }
    for key in &report.rotated {
        println!("rotated {key} = {}", value(key));
    }
    if report.tightened_permissions {
        println!("{shown} was readable by others: mode set to 0600");
    }
    if !report.changed() {
        println!("{shown} is complete; nothing changed");
    }
}
