//! `cargo xtask gateway`: the gateway's Kong config, generated from the route table.

use std::path::Path;

use aiwah_harness::gateway::kong::{KeySet, render};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Regenerate stacks/supabase/volumes/api/gateway-*.yml from harness/src/gateway/routes.rs.
    Sync,
}

pub fn run(root: &Path, cmd: Command) -> Result<(), Problems> {
    match cmd {
        Command::Sync => {
            for keys in KeySet::ALL {
                let (file, wanted) = (keys.file(), render(keys));
                let path = root.join(file);
                if std::fs::read_to_string(&path).ok().as_deref() == Some(wanted.as_str()) {
                    println!("{file} is up to date with the route table");
                } else {
                    std::fs::write(&path, wanted).map_err(|e| Problem::new(file, format!("cannot write: {e}")))?;
                    println!("wrote {file} from the route table");
                }
            }
        }
    }
    Ok(())
}
