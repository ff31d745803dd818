//! `manifest.json`: what a backup holds and how to check it — every file with its size and SHA-256,
//! the images that made it, when (UTC), and whether secrets are inside. Written last, so a backup
//! without one is unfinished.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::problem::{Problem, Result};

pub const MANIFEST_FILE: &str = "manifest.json";
/// Raised when the layout changes; `restore` refuses formats it does not know.
pub const FORMAT: u32 = 1;

/// What each file of a backup is (its path inside the backup is fixed per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// `pg_dumpall --roles-only --no-role-passwords` of Supabase's database.
    SupabaseRoles,
    /// `pg_dump --schema-only` of the app's schemas: for reading and diffing; restore loads data into the
    /// schema the target's own init and migrations made.
    SupabaseSchema,
    /// `pg_dump --data-only` (COPY) of every schema but PostgreSQL's, extensions' and migration records.
    SupabaseData,
    /// `pg_dump` (schema and data) of n8n's own database.
    N8nDatabase,
    /// tar of the Storage volume.
    StorageVolume,
    /// The deployment's `.env`, only with `--include-secrets`.
    Secrets,
}

impl Part {
    pub fn path(self) -> &'static str {
        match self {
            Part::SupabaseRoles => "supabase/roles.sql",
            Part::SupabaseSchema => "supabase/schema.sql",
            Part::SupabaseData => "supabase/data.sql",
            Part::N8nDatabase => "n8n/database.sql",
            Part::StorageVolume => "storage/volume.tar",
            Part::Secrets => "secrets/env",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub part: Part,
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// An image a service of the backed-up deployment ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageEntry {
    pub service: String,
    pub image: String,
    /// The engine's image id (`sha256:…`).
    pub id: String,
    /// Registry digests, where the image came from a registry (none for images built here).
    pub repo_digests: Vec<String>,
}

/// One applied app migration (`aiwah.migrations`): the schema the data belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Migration {
    pub name: String,
    pub checksum: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub harness_version: String,
    /// RFC 3339, UTC.
    pub created_utc: String,
    pub deployment: String,
    pub images: Vec<ImageEntry>,
    pub migrations: Vec<Migration>,
    /// SHA-256 of n8n's `N8N_ENCRYPTION_KEY`: tells whether a target can decrypt the credentials
    /// without holding the key.
    pub n8n_encryption_key_sha256: String,
    pub secrets_included: bool,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    pub fn file(&self, part: Part) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.part == part)
    }

    pub fn load(dir: &Path) -> Result<Manifest> {
        let file = dir.join(MANIFEST_FILE);
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Problem::new(&shown, format!("cannot read: {e}")).hint("not a backup, or an unfinished one (the manifest is written last)"))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Problem::new(&shown, format!("not a backup manifest (truncated?): {e}")))?;
        if manifest.format != FORMAT {
            return Err(Problem::new(&shown, format!("backup format {} is not one this harness reads ({FORMAT})", manifest.format)));
        }
        Ok(manifest)
    }

    pub fn text(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest serialises")
    }
}

/// The fingerprint of a secret: SHA-256 with a purpose prefix, so it matches no other hash of it.
pub fn fingerprint(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(format!("aiwah-backup n8n-encryption-key\n{secret}").as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `secs` since the Unix epoch as RFC 3339 UTC (`2026-12-01T15:04:05Z`).
pub fn utc(secs: u64) -> String {
    crate::clock::Utc::from_unix(secs).rfc3339()
}

pub fn now_utc() -> String {
    crate::clock::Utc::now().rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_not_the_plain_hash() {
        use sha2::{Digest, Sha256};
        assert_eq!(fingerprint("k"), fingerprint("k"));
        assert_ne!(fingerprint("k"), fingerprint("l"));
        assert_ne!(fingerprint("k"), hex(&Sha256::digest(b"k")));
    }
}
