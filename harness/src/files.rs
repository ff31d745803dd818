//! Writing files other processes read at the same time: whole or not at all, private from the
//! first byte (`.env`, generated overrides, the suite's handle, the n8n API key).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Write `text` to `path` with mode 0600 from the first byte (temporary file + rename: never
/// half-written, also when other processes or threads read or write it at the same time).
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{}.tmp-{}-{n}", path.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    let result = file.write_all(text.as_bytes()).and_then(|_| file.sync_all()).and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_whole_and_private_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("handle.json");
        std::fs::write(&file, "old").unwrap();
        super::write_private(&file, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("handle.json")], "no temporary file stays behind");
        assert!(super::write_private(&dir.path().join("missing/x"), "x").is_err(), "a folder that does not exist is an error");
    }
}
