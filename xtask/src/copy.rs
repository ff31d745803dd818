//! `cargo xtask copy [STACK...]`: an ephemeral copy of the platform — unique names, its own network,
//! fresh secrets, random loopback ports — held until Ctrl-C (or SIGTERM), then torn down with its
//! volumes. What a SIGKILL leaves is swept by the next run.

use std::path::Path;
use std::time::Duration;

use aiwah_harness::Problems;
use aiwah_harness::engine::Deployment;

use crate::deploy::{self, StartArgs};

pub fn run(root: &Path, args: StartArgs) -> Result<(), Problems> {
    deploy::require_engine()?;
    let names: Vec<&str> = args.stacks.iter().map(String::as_str).collect();
    let mut deployment = Deployment::ephemeral(root, &args.source.source()?, &names)?;
    eprintln!("deployment {}: starting {}", deployment.id(), if names.is_empty() { "every stack".into() } else { names.join(", ") });
    let stacks = deploy::stack_names(&deployment.platform);
    aiwah_harness::engine::obtain::obtain(&mut deployment, &stacks, aiwah_harness::engine::obtain::Pulls::Allowed)?;
    deployment.up(&[], Duration::from_secs(args.timeout), &deploy::progress)?;
    crate::status::print_table(&deployment, &stacks)?;
    println!("ready: deployment {} — Ctrl-C tears it down", deployment.id());
    loop {
        // The signal handler tears the copy down and exits; until then, hold it.
        std::thread::sleep(Duration::from_secs(3600));
    }
}
