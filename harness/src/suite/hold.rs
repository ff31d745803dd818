//! The shared deployment of one `cargo nextest run`. Nextest's setup script (`cargo xtask
//! suite-deployment`) spawns a detached holder and waits until its copy is healthy; the holder
//! then watches the nextest process and, when it is gone — a normal end, Ctrl-C, even a SIGKILL —
//! merges the run's reports and tears the copy down. A killed holder is swept by the next run.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::engine::{Source, sweep};
use crate::problem::{Problem, Result};
use crate::suite::shared::{self, Suite};
use crate::suite::{catalog, report};

/// How long the setup script waits for the holder's copy (cold image builds included).
pub const READY_DEADLINE: Duration = Duration::from_secs(1800);

/// What the holder is told on its command line.
pub struct HoldArgs {
    /// Run id (`pid@start@boot`) of the process whose end ends the copy.
    pub watch: String,
    /// Reports of this run; the holder writes `handle.json` there when the copy is ready.
    pub reports: PathBuf,
}

/// Setup-script side: start the holder (`exe` with `holder_args`), wait for it, hand the copy to
/// nextest through `$NEXTEST_ENV`; prints the holder's progress and the scenarios skipped here.
pub fn setup(root: &Path, exe: &Path, holder_args: &[&str]) -> Result<()> {
    // A caller that holds its own copy (`cargo xtask accept`) hands it down in the environment.
    if let Some(handle) = std::env::var_os(shared::HANDLE_ENV).map(PathBuf::from).filter(|h| h.is_file()) {
        println!("conformance: using the deployment its caller holds ({})", handle.display());
        return Ok(());
    }
    let watched = nextest_pid().unwrap_or_else(std::os::unix::process::parent_id);
    let watch = sweep::run_of(watched).ok_or_else(|| Problem::new(format!("process {watched}"), "is gone: nothing to hold the suite deployment for"))?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let reports = root.join("target/conformance").join(format!("run-{stamp}-{watched}"));
    std::fs::create_dir_all(&reports).map_err(|e| Problem::new(reports.display().to_string(), format!("cannot create: {e}")))?;
    let latest = root.join("target/conformance/latest");
    let _ = std::fs::remove_file(&latest);
    let _ = std::os::unix::fs::symlink(&reports, &latest);
    let log_file = reports.join("holder.log");
    let mut holder = spawn_holder(exe, holder_args, &watch, &reports, &log_file)?;
    let handle = reports.join("handle.json");
    let started = Instant::now();
    let mut shown = 0;
    loop {
        shown = echo_new_lines(&log_file, shown);
        if handle.is_file() {
            break;
        }
        if let Ok(Some(status)) = holder.try_wait() {
            echo_new_lines(&log_file, shown);
            return Err(Problem::new("suite deployment", format!("the holder stopped ({status}) before its copy was ready"))
                .hint(format!("its log: {}", log_file.display())));
        }
        if started.elapsed() > READY_DEADLINE {
            let _ = Command::new("kill").args(["-TERM", &holder.id().to_string()]).status();
            return Err(Problem::new("suite deployment", format!("not ready after {} s (waited for {})", READY_DEADLINE.as_secs(), handle.display())));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // The tiers the copy was started with (no second resolution that could differ from them).
    let tiers = shared::handle_tiers(root, &handle)?;
    let cases = catalog::load(root)?;
    let skipped: Vec<String> = cases.iter().filter_map(|c| Some(format!("  skipped: {} — {}", c.name, tiers.skip_reason(c)?))).collect();
    println!("conformance: {} scenarios, {} skipped here (placeholders), reports in {}", cases.len(), skipped.len(), reports.display());
    for line in &skipped {
        println!("{line}");
    }
    println!("conformance: the deployment is removed right after this run ends, and that is said on this run's output (captured output ends after it)");
    if let Some(env_file) = std::env::var_os("NEXTEST_ENV") {
        let mut out = std::fs::OpenOptions::new().append(true).open(&env_file).map_err(|e| Problem::new("NEXTEST_ENV", format!("cannot open: {e}")))?;
        writeln!(out, "{}={}\n{}={}", shared::HANDLE_ENV, handle.display(), shared::REPORTS_ENV, reports.display())
            .map_err(|e| Problem::new("NEXTEST_ENV", format!("cannot write: {e}")))?;
        // Each scenario process predicts its tiers as listing did; asking the registries once here
        // spares the engine a registry lookup per scenario process (and keeps them all agreeing).
        let _ = crate::engine::plan::Source::from_env().and_then(|source| crate::suite::tiers::Tiers::resolve(root, &source));
        if let Some(line) = crate::engine::pull::seen_env_line() {
            writeln!(out, "{line}").map_err(|e| Problem::new("NEXTEST_ENV", format!("cannot write: {e}")))?;
        }
    }
    Ok(())
}

/// Start the holder detached (its own process group), its output to `log_file`.
pub fn spawn_holder(exe: &Path, holder_args: &[&str], watch: &str, reports: &Path, log_file: &Path) -> Result<std::process::Child> {
    use std::os::unix::process::CommandExt as _;
    let log = std::fs::File::create(log_file).map_err(|e| Problem::new(log_file.display().to_string(), format!("cannot create: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.args(holder_args).args(["--watch", watch, "--reports"]).arg(reports);
    // Its own process group: the terminal's Ctrl-C goes to nextest, whose end the holder sees.
    cmd.process_group(0).stdin(Stdio::null()).stdout(log.try_clone().map_err(|e| Problem::new("holder log", e.to_string()))?).stderr(log);
    cmd.spawn().map_err(|e| Problem::new(exe.display().to_string(), format!("cannot start the suite holder: {e}")))
}

/// Holder side: start the copy, announce it, hold it while the watched run lives, then report
/// and tear down.
pub fn hold(root: &Path, source: &Source, args: &HoldArgs) -> Result<()> {
    let started = Instant::now();
    // Opened now, while the run lives: its end is told there, and readers of a captured run (CI
    // logs, pipes) see the end of their stream only when the copy is gone.
    let mut run_stream = RunStream::open(&args.watch);
    // Every stack, unless the run narrows them (AIWAH_SUITE_STACKS), as a standalone runner does.
    let stacks = shared::standalone_stacks();
    eprintln!("holder: starting the suite deployment (stacks {})", stacks.join(", "));
    let stacks: Vec<&str> = stacks.iter().map(String::as_str).collect();
    let suite = Suite::start(root, source, &stacks, &|line| eprintln!("  {line}"))?;
    let ready_in = started.elapsed();
    let handle = serde_json::to_string_pretty(&suite.deployment()?.handle()?).map_err(|e| Problem::new("handle", e.to_string()))?;
    let file = args.reports.join("handle.json");
    // Appearing whole is what tells the setup script the copy is ready.
    crate::files::write_private(&file, &handle).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
    eprintln!("holder: deployment {} ready in {:.1} s; gateway {}; held until {} ends", suite.id(), ready_in.as_secs_f64(), suite.gateway, args.watch);
    while sweep::run_is_alive(&args.watch) {
        std::thread::sleep(WATCH_EVERY);
    }
    let ended = Instant::now();
    let id = suite.id().to_string();
    run_stream.say(&format!("aiwah: the run has ended; removing its suite deployment {id} (containers, networks, volumes) ..."));
    let ran_for = started.elapsed() - ready_in;
    let cases = catalog::load(root)?;
    match report::finish(&args.reports, &cases, &suite.tiers) {
        Ok(summary) => eprintln!("holder: run over after {:.1} s of scenarios\n{summary}", ran_for.as_secs_f64()),
        Err(problem) => eprintln!("holder: {problem}"),
    }
    let timing = args.reports.join("timing.txt");
    let _ = std::fs::write(
        &timing,
        format!("deployment_ready_s {:.1}\nrun_s {:.1}\n{}", ready_in.as_secs_f64(), ran_for.as_secs_f64(), attach_summary(&args.reports)),
    );
    let Some(mut deployment) = suite.into_deployment() else { return Ok(()) };
    // The handle holds the copy's stack models, secrets in their environment included: it goes
    // with the copy (the reports stay).
    let _ = std::fs::remove_file(&file);
    let removed = deployment.down();
    let line = match &removed {
        Ok(()) => format!("aiwah: suite deployment {id} removed, {:.1} s after the run ended", ended.elapsed().as_secs_f64()),
        Err(problem) => format!("aiwah: suite deployment {id} not fully removed ({problem}); the next run sweeps it, or `cargo xtask clean`"),
    };
    eprintln!("holder: {line}");
    run_stream.say(&line);
    Ok(removed?)
}

/// How often the holder looks whether the watched run still lives (its end starts the teardown).
const WATCH_EVERY: Duration = Duration::from_millis(100);

/// The watched run's own stderr — the terminal or the CI log nextest writes to — held by the holder
/// until its copy is removed. Nextest has no teardown hook for setup scripts, so the run cannot wait
/// itself; this way a captured run's stream ends only after the teardown, and a terminal is told.
pub struct RunStream(Option<std::fs::File>);

impl RunStream {
    /// Opened in append mode (a run redirected to a file keeps its own output); none when the
    /// process is gone or its stderr cannot be opened (a socket).
    pub fn open(run: &str) -> RunStream {
        let pid = run.split('@').next().unwrap_or_default();
        RunStream(std::fs::OpenOptions::new().append(true).open(format!("/proc/{pid}/fd/2")).ok())
    }

    pub fn say(&mut self, line: &str) {
        if let Some(stream) = self.0.as_mut() {
            let _ = writeln!(stream, "{line}");
        }
    }
}

/// The file scenario processes append `<ms> <scenario>` to: how long each took from its start
/// (exec) to attached.
pub const ATTACH_TIMES: &str = "attach-ms.txt";

/// `attach_ms median … max … n …` over the scenario processes of the run ("" when none reported).
fn attach_summary(reports: &Path) -> String {
    let text = std::fs::read_to_string(reports.join(ATTACH_TIMES)).unwrap_or_default();
    let mut times: Vec<u64> = text.lines().filter_map(|l| l.split_whitespace().next()?.parse().ok()).collect();
    times.sort_unstable();
    match (times.get(times.len() / 2), times.last()) {
        (Some(median), Some(max)) => format!("scenario_attach_ms median {median} max {max} n {}\n", times.len()),
        _ => String::new(),
    }
}

/// The nearest ancestor that is cargo-nextest (the run whose end ends the copy).
pub(crate) fn nextest_pid() -> Option<u32> {
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..8 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let comm = &stat[stat.find('(')? + 1..stat.rfind(')')?];
        if comm.starts_with("cargo-nextest") {
            return Some(pid);
        }
        pid = stat[stat.rfind(')')? + 2..].split_whitespace().nth(1)?.parse().ok()?;
        if pid <= 1 {
            return None;
        }
    }
    None
}

/// Print the holder's log lines not shown yet (progress while the copy starts).
fn echo_new_lines(log: &Path, shown: usize) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter().skip(shown) {
        println!("{line}");
    }
    lines.len().max(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    /// A reader of the run's captured output (a CI log) sees the holder's lines, also after the run
    /// ended, and its end of stream only when the holder lets go (after the teardown).
    #[test]
    fn a_captured_run_stream_ends_only_after_the_holder_lets_go() {
        let mut run = Command::new("sleep").arg("0.3").stderr(Stdio::piped()).spawn().unwrap();
        let mut captured = run.stderr.take().unwrap();
        let mut stream = RunStream::open(&format!("{}@0", run.id()));
        assert!(stream.0.is_some(), "the live run's stderr opens");
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            captured.read_to_string(&mut text).unwrap();
            (text, Instant::now())
        });
        stream.say("removing ...");
        run.wait().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        stream.say("removed");
        let let_go = Instant::now();
        drop(stream);
        let (text, ended) = reader.join().unwrap();
        assert_eq!(text, "removing ...\nremoved\n");
        assert!(ended >= let_go, "the stream ended before the holder let go");
        assert!(RunStream::open("4194304@1").0.is_none(), "a gone run has no stream");
    }
}
