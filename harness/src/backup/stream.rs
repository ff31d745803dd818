//! Moving dumps between the host and the containers: a command's stdout into a file (hashed as it
//! is written), or files and text into a command's stdin. Both print a progress line every few
//! seconds, and turn a failure into one line from the command's stderr.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::checksum::Hashing;
use crate::engine::start::Progress;
use crate::problem::{Problem, Result};

const EVERY: Duration = Duration::from_secs(3);

/// One piece of what a command reads on stdin.
pub enum Piece {
    Text(String),
    File(PathBuf),
}

/// Run `cmd`, writing its stdout to `file` (mode 0600); returns size and SHA-256.
pub fn to_file(mut cmd: Command, file: &Path, label: &str, progress: Progress) -> Result<(u64, String)> {
    use std::os::unix::fs::OpenOptionsExt;
    let shown = file.display().to_string();
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| Problem::new(&shown, format!("cannot write: {e}")))?;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| Problem::new(label, format!("cannot run docker: {e}")))?;
    let stderr = drain(child.stderr.take().expect("piped"));
    let mut stdout = child.stdout.take().expect("piped");
    let mut sink = Hashing::new(std::io::BufWriter::new(out));
    let copied = pump(&mut stdout, &mut sink, label, "written", progress);
    let status = child.wait().map_err(|e| Problem::new(label, e.to_string()))?;
    let err = stderr.join().unwrap_or_default();
    copied.map_err(|e| Problem::new(&shown, format!("cannot write: {e}")))?;
    if !status.success() {
        return Err(Problem::new(label, crate::problem::last_line(&err, &format!("exited with {status}"))));
    }
    sink.finish().map_err(|e| Problem::new(&shown, format!("cannot write: {e}")))
}

/// Run `cmd` with `pieces` on its stdin, in order; returns its stdout. A failure is the command's
/// first `ERROR`/`FATAL` (psql) or out-of-space line, or else its last line.
pub fn from_pieces(mut cmd: Command, pieces: Vec<Piece>, label: &str, progress: Progress) -> Result<String> {
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| Problem::new(label, format!("cannot run docker: {e}")))?;
    let stderr = drain(child.stderr.take().expect("piped"));
    let stdout = drain(child.stdout.take().expect("piped"));
    let mut stdin = child.stdin.take().expect("piped");
    let mut fed = Ok(0u64);
    for piece in pieces {
        let step = match piece {
            Piece::Text(text) => stdin.write_all(text.as_bytes()).map(|_| text.len() as u64),
            Piece::File(path) => std::fs::File::open(&path).and_then(|mut f| pump(&mut f, &mut stdin, label, "read", progress)),
        };
        match step {
            Ok(n) => fed = fed.map(|total| total + n),
            Err(e) => {
                fed = Err(e);
                break;
            }
        }
    }
    drop(stdin);
    let status = child.wait().map_err(|e| Problem::new(label, e.to_string()))?;
    let err = stderr.join().unwrap_or_default();
    let out = stdout.join().unwrap_or_default();
    if !status.success() {
        let line = err.lines().find(|l| ["ERROR", "FATAL", "No space left", "Wrote only"].iter().any(|k| l.contains(k))).map(str::to_string);
        return Err(Problem::new(label, line.unwrap_or_else(|| crate::problem::last_line(&err, &format!("exited with {status}")))));
    }
    // The command may end before reading everything (and still succeed): that is a failure here.
    fed.map_err(|e| Problem::new(label, format!("stopped reading its input: {e}")))?;
    Ok(out)
}

/// Copy everything, printing `label: N MB <verb>` every few seconds; returns the bytes copied.
fn pump(from: &mut dyn Read, to: &mut dyn Write, label: &str, verb: &str, progress: Progress) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 16];
    let (start, mut shown, mut total) = (Instant::now(), Instant::now(), 0u64);
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
        if shown.elapsed() >= EVERY {
            progress(&format!("{label}: {} {verb} ({:.0}s)", megabytes(total), start.elapsed().as_secs_f64()));
            shown = Instant::now();
        }
    }
    Ok(total)
}

/// A size for people: kB below one megabyte.
pub fn megabytes(bytes: u64) -> String {
    if bytes < 1_000_000 { format!("{:.1} kB", bytes as f64 / 1e3) } else { format!("{:.1} MB", bytes as f64 / 1e6) }
}

fn drain(mut from: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = from.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `docker exec [-i] container args…`.
pub fn exec(container: &str, stdin: bool, args: &[&str]) -> Command {
    let mut cmd = Command::new("docker");
    cmd.arg("exec");
    if stdin {
        cmd.arg("-i");
    }
    cmd.arg(container).args(args);
    cmd
}
