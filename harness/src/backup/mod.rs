//! Backups of a running deployment and their restore. A backup is a folder: Supabase's database as
//! upstream's self-hosting guide splits it (roles without passwords, schema, data as COPY), n8n's
//! database, a tar of the Storage volume, and `manifest.json` with the SHA-256 of every file.
//! Dumps run inside the database containers (`docker exec`), so client and server versions always
//! match; the Storage volume is read by a throwaway container on an image the engine already has.

pub mod checksum;
pub mod dump;
pub mod manifest;
pub mod restore;
pub mod sql;
pub mod stream;
pub mod target;

pub use dump::{BackupOptions, backup};
pub use manifest::{Manifest, Part};
pub use restore::{RestoreOptions, restore};

use crate::engine::Deployment;
use crate::problem::{Problem, Result};

/// Schemas whose data is not the platform's data: extensions' own, services' internal state that
/// they rebuild, job queues. (Upstream's `supabase db dump --data-only` leaves these out too.)
pub const INTERNAL_SCHEMAS: &[&str] = &[
    "_analytics",
    "_realtime",
    "_supavisor",
    "extensions",
    "graphql",
    "graphql_public",
    "net",
    "pgbouncer",
    "pgsodium",
    "pgsodium_masks",
    "supabase_migrations",
    "vault",
];
/// Schemas Supabase's services create and migrate themselves: in the data, never in `schema.sql`.
pub const SERVICE_SCHEMAS: &[&str] = &["auth", "storage", "realtime", "supabase_functions", "cron", "supabase_subscription_mgmt"];
/// Tables that record a service's own migrations (the target's services wrote theirs), and
/// Realtime's transient tables (subscriptions of connected clients, broadcast partitions by day).
pub const EXCLUDED_TABLES: &[&str] = &[
    "auth.schema_migrations",
    "storage.migrations",
    "realtime.schema_migrations",
    "realtime.subscription",
    "realtime.messages*",
    "supabase_functions.migrations",
    "aiwah.migrations",
];
/// Where services keep files in the Storage volume's mount; staging folders restore uses inside it.
pub const STORAGE_VOLUME_KEY: &str = "storage-data";
pub const STAGING_DIR: &str = ".aiwah-restore";
pub const REPLACED_DIR: &str = ".aiwah-replaced";
/// n8n's database is restored into this one first, then swapped in by renaming.
pub const N8N_STAGING_DB: &str = "aiwah_restore_staging";

/// The containers and names a backup or restore works with, found once.
pub struct Place {
    pub supabase_db: String,
    pub n8n_db: String,
    pub n8n_admin: String,
    pub n8n_user: String,
    pub n8n_database: String,
    pub storage_volume: String,
    /// An image the engine already has, with `sh` and `tar`, for the throwaway container.
    pub helper_image: String,
    pub encryption_key: String,
}

impl Place {
    pub fn find(d: &Deployment) -> Result<Place> {
        let env = |key: &str| {
            d.env_value(key).filter(|v| !v.is_empty()).ok_or_else(|| Problem::new(format!("deployment {}", d.id()), format!("{key} is not set in its .env")))
        };
        let supabase_db = d.container("supabase", "db").map_err(|p| p.hint("start it: cargo xtask up"))?;
        let n8n_db = d.container("n8n", "postgres").map_err(|p| p.hint("start it: cargo xtask up"))?;
        let model = d.models.iter().find(|m| m.stack == "supabase").ok_or_else(|| Problem::new("stack supabase", "is not part of this deployment"))?;
        let storage_volume = match model.config.volumes.get(STORAGE_VOLUME_KEY) {
            Some(v) => v.name.clone().unwrap_or_else(|| format!("{}_{STORAGE_VOLUME_KEY}", model.config.name)),
            None => return Err(Problem::new("stack supabase", format!("has no volume {STORAGE_VOLUME_KEY}"))),
        };
        let helper_image = crate::engine::docker::docker(&["inspect", "--format", "{{.Config.Image}}", &supabase_db])?.trim().to_string();
        Ok(Place {
            supabase_db,
            n8n_db,
            n8n_admin: env("N8N_POSTGRES_USER")?,
            n8n_user: env("N8N_DB_USER")?,
            n8n_database: env("N8N_POSTGRES_DB")?,
            storage_volume,
            helper_image,
            encryption_key: env("N8N_ENCRYPTION_KEY")?,
        })
    }

    /// `docker run --rm` of the helper image with the Storage volume at `/data`: no pulls, no network.
    pub fn volume_command(&self, read_only: bool, stdin: bool, script: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new("docker");
        cmd.args(["run", "--rm", "--pull", "never", "--network", "none", "--entrypoint", "sh"]);
        if stdin {
            cmd.arg("-i");
        }
        let mount = format!("{}:/data{}", self.storage_volume, if read_only { ":ro" } else { "" });
        cmd.args(["-v", &mount, &self.helper_image, "-c", script]);
        cmd
    }
}

/// psql in a database container, over its socket, stopping at the first error.
pub fn psql(container: &str, user: &str, database: &str, stdin: bool) -> std::process::Command {
    stream::exec(container, stdin, &["psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-U", user, "-d", database])
}

/// One query's unaligned output.
pub fn query(container: &str, user: &str, database: &str, sql: &str) -> Result<String> {
    let mut cmd = psql(container, user, database, false);
    cmd.args(["-c", sql]);
    let out = cmd.output().map_err(|e| Problem::new("docker exec psql", e.to_string()))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Problem::new(
            format!("{container}: psql"),
            err.lines().find(|l| l.contains("ERROR") || l.contains("FATAL")).unwrap_or(err.trim()).to_string(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Supabase's database superuser (its init makes `supabase_admin`; the harness's migrations use it too).
pub const SUPABASE_ADMIN: &str = "supabase_admin";
pub const SUPABASE_DATABASE: &str = "postgres";
