//! `restore`: check everything first, stage what can be staged, then switch.
//!
//! 1. Checks that touch nothing: the manifest and every file's size and SHA-256; n8n's encryption
//!    key (its fingerprint) against the target's `.env`; the app migrations; the tables the data
//!    fills exist; the target is empty unless `--yes` (what would be replaced is named).
//! 2. Staging that touches no live data: the Storage tar is unpacked into a folder inside the
//!    volume (a full volume fails here), n8n's dump loads into a staging database.
//! 3. Switching: Supabase's roles and data in one transaction (all or nothing, rolled back on any
//!    error); then n8n stopped, its database swapped for the staged one by two renames in one
//!    transaction, n8n started again; then the Storage folder's entries swapped by renames.
//!
//! Any failure in 1–2, or in Supabase's transaction, removes what was staged: nothing is restored.

use std::path::Path;
use std::time::{Duration, Instant};

use super::manifest::{Manifest, Part};
use super::stream::{self, Piece};
use super::{N8N_STAGING_DB, Place, REPLACED_DIR, STAGING_DIR, SUPABASE_ADMIN, SUPABASE_DATABASE};
use crate::engine::Deployment;
use crate::engine::start::Progress;
use crate::problem::{Problem, Problems, Result};

#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreOptions {
    /// Replace data the target already holds.
    pub yes: bool,
    /// How long n8n may take to become healthy on its restored database.
    pub n8n_deadline: Option<Duration>,
}

/// What was restored, for the closing lines.
#[derive(Debug, Clone, Default)]
pub struct Restored {
    pub tables: usize,
    pub roles_created: Vec<String>,
    pub replaced: Vec<String>,
}

/// The n8n database the restored one replaces, until n8n is healthy on the new one.
const N8N_REPLACED_DB: &str = "aiwah_restore_replaced";

pub fn restore(deployment: &Deployment, dir: &Path, options: RestoreOptions, progress: Progress) -> std::result::Result<Restored, Problems> {
    let manifest = Manifest::load(dir)?;
    super::checksum::verify(dir, &manifest)?;
    progress(&format!("checksums of {} files match the manifest ({})", manifest.files.len(), manifest.created_utc));
    let file = |part: Part| {
        manifest
            .file(part)
            .map(|f| dir.join(&f.path))
            .ok_or_else(|| Problem::new(dir.join(super::manifest::MANIFEST_FILE).display().to_string(), format!("lists no {}", part.path())))
    };
    let (roles_file, data_file, n8n_file, storage_file) =
        (file(Part::SupabaseRoles)?, file(Part::SupabaseData)?, file(Part::N8nDatabase)?, file(Part::StorageVolume)?);
    let place = Place::find(deployment)?;
    check_key(deployment, &place, &manifest)?;
    check_migrations(&place, &manifest)?;
    let data = std::fs::File::open(&data_file).map_err(|e| Problem::new(data_file.display().to_string(), e.to_string()))?;
    let tables = super::sql::copied_tables(std::io::BufReader::new(data)).map_err(|e| Problem::new(data_file.display().to_string(), e.to_string()))?;
    let missing = super::target::missing_tables(&place, &tables)?;
    if !missing.is_empty() {
        return Err(Problem::new(format!("deployment {}", deployment.id()), format!("has no table {} that the backup fills", missing.join(", ")))
            .hint("its schema is in the backup's supabase/schema.sql; apply what is missing, then restore again")
            .into());
    }
    let replaced = super::target::existing_data(&place, &tables)?;
    if !replaced.is_empty() && !options.yes {
        return Err(Problem::new(format!("deployment {}", deployment.id()), format!("is not empty; restore would replace: {}", replaced.join(", ")))
            .hint("nothing was changed; add --yes to replace it")
            .into());
    }
    if !replaced.is_empty() {
        progress(&format!("replacing: {}", replaced.join(", ")));
    }

    stage_storage(&place, &storage_file, progress)?;
    if let Err(p) = stage_n8n(&place, &n8n_file, progress) {
        unstage(&place);
        return Err(p.into());
    }
    let roles_created = match commit_supabase(&place, &roles_file, &data_file, &tables, progress) {
        Ok(created) => created,
        Err(p) => {
            unstage(&place);
            return Err(p.into());
        }
    };
    swap_n8n(deployment, &place, options.n8n_deadline.unwrap_or(Duration::from_secs(300)), progress)?;
    swap_storage(&place, progress)?;
    Ok(Restored { tables: tables.len(), roles_created, replaced })
}

fn check_key(deployment: &Deployment, place: &Place, manifest: &Manifest) -> Result<()> {
    if super::manifest::fingerprint(&place.encryption_key) == manifest.n8n_encryption_key_sha256 {
        return Ok(());
    }
    let env = crate::engine::deployment::env_file(&deployment.root);
    let hint = if manifest.secrets_included {
        "nothing was restored; the backup's secrets/env holds the original key: put it in .env, `cargo xtask up n8n`, then restore again"
    } else {
        "nothing was restored; put the original deployment's N8N_ENCRYPTION_KEY in .env, `cargo xtask up n8n`, then restore again"
    };
    Err(Problem::new(
        format!("{}: N8N_ENCRYPTION_KEY", env.display()),
        "is not the key the backup was made with: n8n could not decrypt the restored credentials",
    )
    .hint(hint))
}

fn check_migrations(place: &Place, manifest: &Manifest) -> Result<()> {
    let target = super::dump::migrations(&place.supabase_db)?;
    for m in &manifest.migrations {
        match target.iter().find(|t| t.name == m.name) {
            Some(t) if t.checksum == m.checksum => {}
            Some(_) => {
                return Err(Problem::new(format!("migration {}", m.name), "differs between the backup and this deployment")
                    .hint("restore with the checkout the backup was made from"));
            }
            None => {
                return Err(Problem::new(format!("migration {}", m.name), "is in the backup but not applied here")
                    .hint("restore with the checkout the backup was made from (cargo xtask up applies its migrations)"));
            }
        }
    }
    Ok(())
}

fn stage_storage(place: &Place, tar: &Path, progress: Progress) -> Result<()> {
    let t0 = Instant::now();
    // The tar's size bounds what it unpacks to: a volume with less room is refused before a byte is
    // written; the staging folder catches the rest (tar then fails and the folder is removed).
    let need_kb = std::fs::metadata(tar).map(|m| m.len().div_ceil(1024)).unwrap_or(0);
    let script = format!(
        "set -e; rm -rf /data/{STAGING_DIR}; free=$(df -Pk /data | awk 'NR==2 {{print $4}}'); \
         if [ \"$free\" -lt {need_kb} ]; then echo \"No space left: $free kB free, the files need {need_kb} kB\" >&2; exit 28; fi; \
         mkdir /data/{STAGING_DIR}; tar -xf - -C /data/{STAGING_DIR}"
    );
    let label = format!("storage volume {}", place.storage_volume);
    if let Err(p) = stream::from_pieces(place.volume_command(false, true, &script), vec![Piece::File(tar.to_path_buf())], &label, progress) {
        unstage(place);
        let size = std::fs::metadata(tar).map(|m| stream::megabytes(m.len())).unwrap_or_default();
        let message = if p.message.contains("No space left") || p.message.contains("Wrote only") {
            format!("has no room for the backup's files (storage/volume.tar is {size}): {}", p.message)
        } else {
            format!("staging the backup's files failed: {}", p.message)
        };
        return Err(Problem::new(label, message).hint("nothing was restored; free space on the volume (or give it more), then restore again"));
    }
    progress(&format!("storage: staged in {:.1}s", t0.elapsed().as_secs_f64()));
    Ok(())
}

fn stage_n8n(place: &Place, dump: &Path, progress: Progress) -> Result<()> {
    let t0 = Instant::now();
    let mut create = super::psql(&place.n8n_db, &place.n8n_admin, "postgres", false);
    create.args(["-c", &format!("DROP DATABASE IF EXISTS {N8N_STAGING_DB}"), "-c", &format!("CREATE DATABASE {N8N_STAGING_DB} OWNER \"{}\"", place.n8n_user)]);
    stream::from_pieces(create, vec![], "n8n database", progress)?;
    let pieces = vec![Piece::Text("BEGIN;\n".into()), Piece::File(dump.to_path_buf()), Piece::Text("COMMIT;\n".into())];
    stream::from_pieces(super::psql(&place.n8n_db, &place.n8n_user, N8N_STAGING_DB, true), pieces, "n8n database (staging)", progress)
        .map_err(|p| p.hint("nothing was restored"))?;
    progress(&format!("n8n: staged in {:.1}s", t0.elapsed().as_secs_f64()));
    Ok(())
}

/// Roles the target lacks, then every table's data, in one transaction: all of it or none.
fn commit_supabase(place: &Place, roles_file: &Path, data_file: &Path, tables: &[String], progress: Progress) -> Result<Vec<String>> {
    let t0 = Instant::now();
    let roles = std::fs::read_to_string(roles_file).map_err(|e| Problem::new(roles_file.display().to_string(), e.to_string()))?;
    let (roles, created) = super::sql::new_roles_only(&roles, &super::target::roles(place)?);
    let mut head = String::from("BEGIN;\nSET lock_timeout = '60s';\n");
    head.push_str(&roles);
    // As upstream's restore does: no triggers or foreign-key checks while rows arrive in dump order.
    head.push_str("SET session_replication_role = replica;\n");
    head.push_str(&super::sql::truncate_statement(tables).unwrap_or_default());
    let pieces = vec![Piece::Text(head), Piece::File(data_file.to_path_buf()), Piece::Text("COMMIT;\n".into())];
    stream::from_pieces(super::psql(&place.supabase_db, SUPABASE_ADMIN, SUPABASE_DATABASE, true), pieces, "supabase database", progress)
        .map_err(|p| p.hint("nothing was restored (its transaction was rolled back)"))?;
    progress(&format!("supabase: {} tables restored in one transaction in {:.1}s", tables.len(), t0.elapsed().as_secs_f64()));
    Ok(created)
}

fn swap_n8n(deployment: &Deployment, place: &Place, deadline: Duration, progress: Progress) -> Result<()> {
    let t0 = Instant::now();
    let compose = |verb: &str| -> Result<()> {
        let out = crate::stack::compose::run(deployment.compose_command("n8n")?.args([verb, "n8n"]), "docker compose")?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Problem::new("service n8n/n8n", crate::problem::last_line(&String::from_utf8_lossy(&out.stderr), "failed")))
        }
    };
    compose("stop")?;
    let db = &place.n8n_database;
    let mut swap = super::psql(&place.n8n_db, &place.n8n_admin, "postgres", false);
    swap.args([
        "-c",
        &format!("select pg_terminate_backend(pid) from pg_stat_activity where datname in ('{db}', '{N8N_STAGING_DB}') and pid <> pg_backend_pid()"),
        "-c",
        &format!("DROP DATABASE IF EXISTS {N8N_REPLACED_DB}"),
        "-c",
        &format!("BEGIN; ALTER DATABASE \"{db}\" RENAME TO {N8N_REPLACED_DB}; ALTER DATABASE {N8N_STAGING_DB} RENAME TO \"{db}\"; COMMIT;"),
        "-c",
        &format!("DROP DATABASE {N8N_REPLACED_DB}"),
    ]);
    stream::from_pieces(swap, vec![], "n8n database (swap)", progress)
        .map_err(|p| p.hint("Supabase's data is restored; n8n is stopped: start it with cargo xtask up n8n and restore again with --yes"))?;
    compose("start")?;
    deployment.wait_ready("n8n", deadline, progress)?;
    progress(&format!("n8n: database swapped, healthy again in {:.1}s", t0.elapsed().as_secs_f64()));
    Ok(())
}

fn swap_storage(place: &Place, progress: Progress) -> Result<()> {
    let script = format!(
        "set -e; cd /data; rm -rf {REPLACED_DIR}; mkdir {REPLACED_DIR}; \
         find . -mindepth 1 -maxdepth 1 ! -name {STAGING_DIR} ! -name {REPLACED_DIR} -exec mv {{}} {REPLACED_DIR}/ \\; ; \
         find {STAGING_DIR} -mindepth 1 -maxdepth 1 -exec mv {{}} . \\; ; rmdir {STAGING_DIR}; rm -rf {REPLACED_DIR}"
    );
    stream::from_pieces(place.volume_command(false, false, &script), vec![], &format!("storage volume {}", place.storage_volume), progress)?;
    progress("storage: files swapped in");
    Ok(())
}

/// Remove what was staged (best effort: it is also replaced by the next restore).
fn unstage(place: &Place) {
    let _ = place.volume_command(false, false, &format!("rm -rf /data/{STAGING_DIR}")).output();
    let _ = super::query(&place.n8n_db, &place.n8n_admin, "postgres", &format!("DROP DATABASE IF EXISTS {N8N_STAGING_DB}"));
}
