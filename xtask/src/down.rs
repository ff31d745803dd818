//! `cargo xtask down [STACK...]`: stop and remove containers, in reverse start order. Volumes — the
//! databases' data — stay; `cargo xtask clean --volumes` is the only way to delete them.

use std::path::Path;

use aiwah_harness::Problems;

use crate::deploy;

#[derive(clap::Args)]
pub struct Args {
    stacks: Vec<String>,
}

pub fn run(root: &Path, args: Args) -> Result<(), Problems> {
    let deployment = deploy::running(root)?;
    for stack in deploy::select_stacks(&deployment.platform, &args.stacks)?.iter().rev() {
        eprintln!("stopping {stack} (volumes kept)");
        deployment.stop_stack(stack, false)?;
    }
    Ok(())
}
