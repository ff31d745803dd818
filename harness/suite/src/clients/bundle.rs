//! Scanning what a browser downloads for secrets that must never reach one: the service-role key
//! itself, its payload (the role claim, even if the key was split), or any JWT whose role is
//! `service_role`.

use std::path::{Path, PathBuf};

use base64::Engine;

use aiwah_harness::engine::docker;
use aiwah_harness::problem::{Problem, Result};
use aiwah_harness::secrets::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leak {
    pub file: PathBuf,
    pub what: String,
}

/// What one scan of a folder saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Files read (recursively).
    pub files: usize,
    pub leaks: Vec<Leak>,
}

/// Every leak under `dir` (recursively), given the deployment's service key. A folder with no file in
/// it (empty, missing, a wrong path) or a file that cannot be read is an error: nothing scanned is not clean.
pub fn scan_dir(dir: &Path, service_key: &str) -> Result<Scan> {
    let payload = service_key.split('.').nth(1).unwrap_or_default();
    let mut leaks = Vec::new();
    let files = files(dir)?;
    if files.is_empty() {
        return Err(Problem::new(dir.display().to_string(), "holds no file to scan (empty or missing): nothing scanned is not clean"));
    }
    for file in &files {
        let bytes = std::fs::read(file).map_err(|e| Problem::new(file.display().to_string(), format!("cannot read it to scan: {e}")))?;
        let text = String::from_utf8_lossy(&bytes);
        let rel = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
        if !service_key.is_empty() && text.contains(service_key) {
            leaks.push(Leak { file: rel.clone(), what: "the service-role key".into() });
        } else if payload.len() > 16 && text.contains(payload) {
            leaks.push(Leak { file: rel.clone(), what: "the service-role key's payload (role claim)".into() });
        }
        for token in jwts(&text) {
            if role_of(token) == Some(Role::ServiceRole) {
                leaks.push(Leak { file: rel.clone(), what: "a JWT with role service_role".into() });
            }
        }
    }
    Ok(Scan { files: files.len(), leaks })
}

/// Copy `path` out of `image` into `dest` (no container is started).
pub fn extract(image: &str, path: &str, dest: &Path) -> Result<()> {
    let id = docker::docker(&["create", image, "true"])?.trim().to_string();
    let result = docker::docker(&["cp", &format!("{id}:{path}"), &dest.display().to_string()]).map(|_| ());
    let _ = docker::docker(&["rm", "-f", "-v", &id]);
    result.map_err(|p| Problem::new(format!("image {image}"), format!("cannot copy {path} out: {}", p.message)))
}

/// Every file under `dir`; a missing `dir` has none, a folder that cannot be listed is an error.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = dir.is_dir().then(|| dir.to_path_buf()).into_iter().collect();
    while let Some(d) = stack.pop() {
        let unlisted = |e: std::io::Error| Problem::new(d.display().to_string(), format!("cannot list it to scan: {e}"));
        for entry in std::fs::read_dir(&d).map_err(unlisted)? {
            let p = entry.map_err(unlisted)?.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    Ok(out)
}

/// JWT-shaped tokens in `text`.
fn jwts(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')).filter(|w| {
        let parts: Vec<&str> = w.split('.').collect();
        parts.len() == 3 && parts[0].starts_with("eyJ") && parts[1].starts_with("eyJ")
    })
}

/// The `role` claim of a JWT-shaped string; `None` when it is not one of the known roles.
fn role_of(token: &str) -> Option<Role> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims["role"].as_str()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiwah_harness::secrets::keys::api_key;

    #[test]
    fn finds_the_key_its_payload_and_any_service_role_jwt() {
        let dir = std::env::temp_dir().join(format!("aiwah-bundle-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("chunks")).unwrap();
        let secret = "0123456789abcdef0123456789abcdef";
        let service = api_key(Role::ServiceRole, secret);
        let anon = api_key(Role::Anon, secret);
        let other_service = api_key(Role::ServiceRole, "another-secret-another-secret-xx");
        std::fs::write(dir.join("chunks/a.js"), format!("const k=\"{anon}\";")).unwrap();
        assert_eq!(scan_dir(&dir, &service).unwrap(), Scan { files: 1, leaks: vec![] }, "the anon key is allowed");
        std::fs::write(dir.join("chunks/b.js"), format!("x=\"{}\"", service.split('.').nth(1).unwrap())).unwrap();
        std::fs::write(dir.join("chunks/c.js"), format!("y=\"{other_service}\"")).unwrap();
        std::fs::write(dir.join("page.html"), format!("<script>z='{service}'</script>")).unwrap();
        let scan = scan_dir(&dir, &service).unwrap();
        assert_eq!(scan.files, 4);
        let what: Vec<(String, String)> = scan.leaks.iter().map(|l| (l.file.display().to_string(), l.what.clone())).collect();
        assert!(what.contains(&("chunks/b.js".into(), "the service-role key's payload (role claim)".into())), "{what:?}");
        assert!(what.contains(&("chunks/c.js".into(), "a JWT with role service_role".into())), "{what:?}");
        assert!(what.contains(&("page.html".into(), "the service-role key".into())), "{what:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_folder_without_files_is_an_error_not_clean() {
        let dir = std::env::temp_dir().join(format!("aiwah-bundle-empty-{}", std::process::id()));
        let key = api_key(Role::ServiceRole, "0123456789abcdef0123456789abcdef");
        let missing = scan_dir(&dir, &key).unwrap_err();
        assert!(missing.to_string().contains("holds no file to scan"), "{missing}");
        std::fs::create_dir_all(dir.join("chunks/empty")).unwrap();
        let empty = scan_dir(&dir, &key).unwrap_err();
        assert!(empty.to_string().contains(&dir.display().to_string()) && empty.to_string().contains("nothing scanned is not clean"), "{empty}");
        // Positive control: one clean file is a clean scan of one file.
        std::fs::write(dir.join("chunks/empty/a.js"), "const x = 1;").unwrap();
        assert_eq!(scan_dir(&dir, &key).unwrap(), Scan { files: 1, leaks: vec![] });
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
