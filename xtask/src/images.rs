//! `cargo xtask images`: keep stacks/images.env in step with the manifest.

use std::path::Path;

use aiwah_harness::stack::manifest::{IMAGES_ENV_FILE, MANIFEST_FILE, Manifest};
use aiwah_harness::{Problem, Problems};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Regenerate stacks/images.env from stacks/images.toml.
    Sync,
    /// List every image, its role and where it comes from offline.
    List,
}

pub fn run(root: &Path, cmd: Command) -> Result<(), Problems> {
    let manifest = Manifest::load(root)?;
    match cmd {
        Command::Sync => {
            let path = root.join(IMAGES_ENV_FILE);
            let wanted = manifest.render_env();
            if std::fs::read_to_string(&path).ok().as_deref() == Some(wanted.as_str()) {
                println!("{IMAGES_ENV_FILE} is up to date with {MANIFEST_FILE}");
            } else {
                std::fs::write(&path, wanted).map_err(|e| Problem::new(IMAGES_ENV_FILE, format!("cannot write: {e}")))?;
                println!("wrote {IMAGES_ENV_FILE} from {MANIFEST_FILE}");
            }
        }
        Command::List => {
            for (key, entry) in &manifest.images {
                println!("{key:<20} {:<45} {:<9} offline: {:?}", entry.image, format!("{:?}", entry.role).to_lowercase(), entry.offline);
            }
        }
    }
    Ok(())
}
