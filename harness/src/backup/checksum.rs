//! SHA-256 of every file, computed while it is written and checked before anything is restored:
//! a truncated or altered file is named with what the manifest expected.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::manifest::{FileEntry, Manifest, hex};
use crate::problem::{Problem, Problems, Result};

/// A writer that hashes and counts what passes through it.
pub struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    pub bytes: u64,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing { inner, hasher: Sha256::new(), bytes: 0 }
    }

    pub fn finish(mut self) -> std::io::Result<(u64, String)> {
        self.inner.flush()?;
        Ok((self.bytes, hex(&self.hasher.finalize())))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Size and SHA-256 of `path`.
pub fn of_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut out = Hashing::new(std::io::sink());
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])?;
    }
    out.finish()
}

/// Every file the manifest lists is there with its size and checksum, and nothing else is.
pub fn verify(dir: &Path, manifest: &Manifest) -> std::result::Result<(), Problems> {
    let mut problems = Vec::new();
    for entry in &manifest.files {
        if let Err(p) = verify_one(dir, entry) {
            problems.push(p);
        }
    }
    let listed: std::collections::BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for extra in files_under(dir).into_iter().filter(|f| f != super::manifest::MANIFEST_FILE && !listed.contains(f.as_str())) {
        problems.push(Problem::new(dir.join(&extra).display().to_string(), "is not listed in the manifest (added after the backup was made?)"));
    }
    if problems.is_empty() { Ok(()) } else { Err(Problems(problems)) }
}

fn verify_one(dir: &Path, entry: &FileEntry) -> Result<()> {
    let path = dir.join(&entry.path);
    let shown = path.display().to_string();
    let (bytes, sha) = of_file(&path).map_err(|e| Problem::new(&shown, format!("cannot read: {e}")))?;
    if bytes != entry.bytes {
        let what = if bytes < entry.bytes { "truncated: " } else { "" };
        return Err(Problem::new(&shown, format!("{what}{bytes} bytes, the manifest says {}", entry.bytes)));
    }
    if sha != entry.sha256 {
        return Err(Problem::new(&shown, format!("checksum mismatch: SHA-256 {sha}, the manifest says {}", entry.sha256)));
    }
    Ok(())
}

/// Paths of regular files under `dir`, relative, with `/`.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::manifest::{FORMAT, Part};
    use super::*;

    fn backup_with(content: &[u8]) -> (tempfile::TempDir, Manifest) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("supabase")).unwrap();
        let path = dir.path().join(Part::SupabaseData.path());
        std::fs::write(&path, content).unwrap();
        let (bytes, sha256) = of_file(&path).unwrap();
        let files = vec![FileEntry { part: Part::SupabaseData, path: Part::SupabaseData.path().into(), bytes, sha256 }];
        let manifest = Manifest {
            format: FORMAT,
            harness_version: "t".into(),
            created_utc: "t".into(),
            deployment: "t".into(),
            images: vec![],
            migrations: vec![],
            n8n_encryption_key_sha256: String::new(),
            secrets_included: false,
            files,
        };
        (dir, manifest)
    }

    #[test]
    fn an_intact_backup_verifies() {
        let (dir, manifest) = backup_with(b"COPY public.todos (id) FROM stdin;\n1\n\\.\n");
        verify(dir.path(), &manifest).unwrap();
    }

    #[test]
    fn truncated_altered_missing_and_extra_files_are_each_named() {
        let (dir, manifest) = backup_with(b"0123456789");
        let path = dir.path().join(Part::SupabaseData.path());
        std::fs::write(&path, b"01234").unwrap();
        let err = verify(dir.path(), &manifest).unwrap_err().to_string();
        assert!(err.contains("data.sql") && err.contains("truncated: 5 bytes, the manifest says 10"), "{err}");
        std::fs::write(&path, b"0123456780").unwrap();
        let err = verify(dir.path(), &manifest).unwrap_err().to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
        std::fs::remove_file(&path).unwrap();
        assert!(verify(dir.path(), &manifest).unwrap_err().to_string().contains("cannot read"));
        std::fs::write(&path, b"0123456789").unwrap();
        std::fs::write(dir.path().join("supabase/extra.sql"), b"x").unwrap();
        let err = verify(dir.path(), &manifest).unwrap_err().to_string();
        assert!(err.contains("extra.sql") && err.contains("not listed"), "{err}");
    }
}
