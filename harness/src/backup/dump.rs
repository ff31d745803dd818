//! `backup`: dump both databases while they run (each `pg_dump` reads one consistent snapshot),
//! then tar the Storage volume (after the database, so every object row has its file), then write
//! the manifest last. A backup that fails part-way is removed: no half backup is left to restore.

use std::path::Path;
use std::time::Instant;

use super::manifest::{FileEntry, ImageEntry, Manifest, Migration, Part};
use super::stream::{self, megabytes};
use super::{EXCLUDED_TABLES, INTERNAL_SCHEMAS, Place, REPLACED_DIR, SERVICE_SCHEMAS, STAGING_DIR, SUPABASE_ADMIN, SUPABASE_DATABASE};
use crate::engine::Deployment;
use crate::engine::start::Progress;
use crate::problem::{Problem, Result};

#[derive(Debug, Clone, Copy, Default)]
pub struct BackupOptions {
    /// Also copy the deployment's `.env` (every secret) into the backup.
    pub include_secrets: bool,
}

/// How long a dump waits for a table lock before it fails (a migration holding one, say).
const LOCK_WAIT: &str = "--lock-wait-timeout=60000";

/// Back up `deployment` into `dir` (created, mode 0700; it must not exist or be empty).
pub fn backup(deployment: &Deployment, dir: &Path, options: BackupOptions, progress: Progress) -> Result<Manifest> {
    let shown = dir.display().to_string();
    if dir.read_dir().is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(Problem::new(&shown, "is not empty").hint("back up into a new folder"));
    }
    let place = Place::find(deployment)?;
    create_private_dir(dir)?;
    let made = write_all(deployment, &place, dir, options, progress);
    if made.is_err() {
        let _ = std::fs::remove_dir_all(dir);
    }
    made
}

fn write_all(deployment: &Deployment, place: &Place, dir: &Path, options: BackupOptions, progress: Progress) -> Result<Manifest> {
    for sub in ["supabase", "n8n", "storage", "secrets"] {
        if sub != "secrets" || options.include_secrets {
            create_private_dir(&dir.join(sub))?;
        }
    }
    let mut files = Vec::new();
    let mut save = |part: Part, cmd: std::process::Command, label: &str| -> Result<()> {
        let t0 = Instant::now();
        let (bytes, sha256) = stream::to_file(cmd, &dir.join(part.path()), label, progress)?;
        progress(&format!("{label}: {} in {:.1}s", megabytes(bytes), t0.elapsed().as_secs_f64()));
        files.push(FileEntry { part, path: part.path().into(), bytes, sha256 });
        Ok(())
    };
    let db = place.supabase_db.as_str();
    save(Part::SupabaseRoles, stream::exec(db, false, &["pg_dumpall", "-U", SUPABASE_ADMIN, "--roles-only", "--no-role-passwords"]), "supabase roles")?;
    let mut schema = vec!["pg_dump", "-U", SUPABASE_ADMIN, "-d", SUPABASE_DATABASE, "--schema-only", LOCK_WAIT];
    let skip_schema: Vec<String> = INTERNAL_SCHEMAS.iter().chain(SERVICE_SCHEMAS).map(|s| format!("--exclude-schema={s}")).collect();
    schema.extend(skip_schema.iter().map(String::as_str));
    save(Part::SupabaseSchema, stream::exec(db, false, &schema), "supabase schema")?;
    let mut data = vec!["pg_dump", "-U", SUPABASE_ADMIN, "-d", SUPABASE_DATABASE, "--data-only", LOCK_WAIT];
    let skip_data: Vec<String> =
        INTERNAL_SCHEMAS.iter().map(|s| format!("--exclude-schema={s}")).chain(EXCLUDED_TABLES.iter().map(|t| format!("--exclude-table={t}"))).collect();
    data.extend(skip_data.iter().map(String::as_str));
    save(Part::SupabaseData, stream::exec(db, false, &data), "supabase data")?;
    let n8n = stream::exec(&place.n8n_db, false, &["pg_dump", "-U", &place.n8n_admin, "-d", &place.n8n_database, "--no-owner", "--no-privileges", LOCK_WAIT]);
    save(Part::N8nDatabase, n8n, "n8n database")?;
    let tar = format!("tar -C /data --exclude=./{STAGING_DIR} --exclude=./{REPLACED_DIR} -cf - .");
    save(Part::StorageVolume, place.volume_command(true, false, &tar), &format!("storage volume {}", place.storage_volume))?;
    if options.include_secrets {
        let env = crate::engine::deployment::env_file(&deployment.root);
        let text = std::fs::read_to_string(&env).map_err(|e| Problem::new(env.display().to_string(), format!("cannot read: {e}")))?;
        let file = dir.join(Part::Secrets.path());
        crate::files::write_private(&file, &text).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
        let (bytes, sha256) = super::checksum::of_file(&file).map_err(|e| Problem::new(file.display().to_string(), e.to_string()))?;
        files.push(FileEntry { part: Part::Secrets, path: Part::Secrets.path().into(), bytes, sha256 });
    }
    let manifest = Manifest {
        format: super::manifest::FORMAT,
        harness_version: env!("CARGO_PKG_VERSION").into(),
        created_utc: super::manifest::now_utc(),
        deployment: deployment.id().into(),
        images: images(deployment)?,
        migrations: migrations(db)?,
        n8n_encryption_key_sha256: super::manifest::fingerprint(&place.encryption_key),
        secrets_included: options.include_secrets,
        files,
    };
    let file = dir.join(super::manifest::MANIFEST_FILE);
    crate::files::write_private(&file, &manifest.text()).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
    Ok(manifest)
}

/// The app migrations applied to Supabase's database: the schema the data fits.
pub fn migrations(db: &str) -> Result<Vec<Migration>> {
    let text = super::query(db, SUPABASE_ADMIN, SUPABASE_DATABASE, "select name || '|' || checksum from aiwah.migrations order by name")?;
    let mut list: Vec<Migration> =
        text.lines().filter_map(|l| l.split_once('|')).map(|(name, checksum)| Migration { name: name.into(), checksum: checksum.into() }).collect();
    list.sort();
    Ok(list)
}

/// Every running service's image, with the engine's id and registry digests.
fn images(deployment: &Deployment) -> Result<Vec<ImageEntry>> {
    let mut out = Vec::new();
    for model in &deployment.models {
        for (service, config) in &model.config.services {
            let Ok(container) = deployment.container(&model.stack, service) else { continue };
            let id = crate::engine::docker::docker(&["inspect", "--format", "{{.Image}}", &container])?.trim().to_string();
            let digests = crate::engine::docker::docker(&["image", "inspect", "--format", "{{json .RepoDigests}}", &id])?;
            out.push(ImageEntry {
                service: format!("{}/{service}", model.stack),
                image: config.image.clone().unwrap_or_default(),
                id,
                repo_digests: serde_json::from_str(digests.trim()).unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .and_then(|_| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)))
        .map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create: {e}")))
}
