//! Runs the conformance suite on an image set: the suite's own test binary (built once with cargo), in
//! standalone mode — each run starts its own ephemeral copy, runs the chosen scenarios one at a time and
//! removes the copy. The image set reaches the deployment as an image-override file
//! (`AIWAH_IMAGE_OVERRIDES`, read by the harness's image plan); missing images are pulled first, with progress.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use aiwah_harness::Problem;
use aiwah_harness::engine::docker;
use aiwah_harness::engine::plan::OVERRIDES_ENV;
use aiwah_harness::suite::shared::{HANDLE_ENV, REPORTS_ENV, ROOT_ENV, STACKS_ENV};

use super::search::{ImageSet, RunResult, Status, SuiteRunner};

pub struct SuiteProcess {
    /// The checkout whose stacks and features run (may be a copy).
    root: PathBuf,
    binary: PathBuf,
    /// Where each run's override file and cucumber reports go.
    work: PathBuf,
    /// Stacks to start (the UI only when a chosen scenario needs it).
    stacks: String,
    pub runs: usize,
    pub seconds: f64,
}

impl SuiteProcess {
    /// Build the conformance binary of this workspace (cargo prints its path).
    pub fn build(root: &Path, work: &Path, stacks: &[&str]) -> Result<SuiteProcess, Problem> {
        let binary = match std::env::var_os("AIWAH_CONFORMANCE_BIN") {
            Some(path) => PathBuf::from(path),
            None => build_binary()?,
        };
        Ok(SuiteProcess { root: root.to_path_buf(), binary, work: work.to_path_buf(), stacks: stacks.join(","), runs: 0, seconds: 0.0 })
    }

    fn command(&self, set_file: Option<&Path>, reports: &Path) -> Command {
        let mut command = Command::new(&self.binary);
        command.env(ROOT_ENV, &self.root).env(REPORTS_ENV, reports).env(STACKS_ENV, &self.stacks).env_remove(HANDLE_ENV).stdin(Stdio::null());
        match set_file {
            Some(file) => command.env(OVERRIDES_ENV, file),
            None => command.env_remove(OVERRIDES_ENV),
        };
        command
    }
}

impl SuiteRunner for SuiteProcess {
    fn run(&mut self, label: &str, set: &ImageSet, scenarios: &[String]) -> Result<RunResult, Problem> {
        self.runs += 1;
        let dir = self.work.join(format!("run-{:02}", self.runs));
        std::fs::create_dir_all(&dir).map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create: {e}")))?;
        for reference in set.values() {
            if !docker::image_present(reference)? {
                eprintln!("upgrade-check: pulling {reference}");
                let status = Command::new("docker").args(["pull", reference]).stdout(Stdio::inherit()).status();
                if !status.is_ok_and(|s| s.success()) {
                    return Err(Problem::new(format!("docker pull {reference}"), "failed (see its output above)"));
                }
            }
        }
        let set_file = (!set.is_empty()).then(|| dir.join("images.toml"));
        if let Some(file) = &set_file {
            let body: String = set.iter().map(|(k, v)| format!("{k} = {v:?}\n")).collect();
            std::fs::write(file, format!("# upgrade-check run {}: {label}\n[images]\n{body}", self.runs))
                .map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
        }
        // Every trial the binary has, so that all but the chosen scenarios are skipped by exact name.
        let listed =
            self.command(set_file.as_deref(), &dir).args(["--list"]).output().map_err(|e| Problem::new(self.binary.display().to_string(), e.to_string()))?;
        let names: Vec<String> = String::from_utf8_lossy(&listed.stdout).lines().filter_map(|l| l.strip_suffix(": test")).map(String::from).collect();
        let mut args = vec!["--exact".to_string(), "--test-threads=1".into(), "--format=json".into()];
        for name in names.iter().filter(|n| !scenarios.contains(n)) {
            args.extend(["--skip".to_string(), name.clone()]);
        }
        eprintln!("upgrade-check: run {} ({label}): {} scenarios", self.runs, scenarios.len());
        let started = Instant::now();
        let out = self
            .command(set_file.as_deref(), &dir)
            .args(&args)
            .stderr(std::fs::File::create(dir.join("stderr.log")).map_err(|e| Problem::new(dir.display().to_string(), e.to_string()))?)
            .output()
            .map_err(|e| Problem::new(self.binary.display().to_string(), format!("cannot run: {e}")))?;
        self.seconds += started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&out.stdout);
        std::fs::write(dir.join("stdout.json"), stdout.as_bytes()).ok();
        let mut result = parse(&stdout);
        if !scenarios.is_empty() && !scenarios.iter().any(|s| result.scenarios.contains_key(s)) {
            let stderr = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
            return Err(Problem::new(
                format!("suite run {} ({label})", self.runs),
                format!("reported none of its scenarios ({}): {}", out.status, aiwah_harness::problem::last_line(&stderr, "no output")),
            ));
        }
        for scenario in scenarios {
            let entry = result.scenarios.entry(scenario.clone()).or_insert((Status::NotChecked, "not in the run's output".into()));
            // The runner's line points at the steps; the step that failed and its message are in the scenario's cucumber JSON.
            if entry.0 == Status::Failed {
                let steps = failed_steps(&aiwah_harness::suite::report::scenario_file(&dir, scenario));
                if !steps.is_empty() {
                    entry.1 = format!("{}\n{}", entry.1, steps.join("\n"));
                }
            }
        }
        Ok(result)
    }
}

/// The runner's JSON events (`{"type":"test","name":...,"event":"ok|failed|ignored","stdout":...}`).
pub fn parse(stdout: &str) -> RunResult {
    let mut result = RunResult::default();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        let (Some(name), Some(kind)) = (event["name"].as_str(), event["event"].as_str()) else { continue };
        let status = match kind {
            "ok" => Status::Passed,
            "failed" => Status::Failed,
            "ignored" => Status::NotChecked,
            _ => continue,
        };
        result.scenarios.insert(name.to_string(), (status, event["stdout"].as_str().unwrap_or_default().trim().to_string()));
    }
    result
}

/// `step: message` of every failed step in a cucumber JSON report (none when the file is missing).
fn failed_steps(report: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(report) else { return Vec::new() };
    let Ok(features) = serde_json::from_str::<Vec<serde_json::Value>>(&text) else { return Vec::new() };
    features
        .iter()
        .flat_map(|f| f["elements"].as_array().cloned().unwrap_or_default())
        .flat_map(|e| e["steps"].as_array().cloned().unwrap_or_default())
        .filter(|s| s["result"]["status"] == "failed")
        .map(|s| format!("step \"{}\": {}", s["name"].as_str().unwrap_or_default(), s["result"]["error_message"].as_str().unwrap_or_default()))
        .collect()
}

fn build_binary() -> Result<PathBuf, Problem> {
    eprintln!("upgrade-check: building the conformance suite (cargo test --no-run -p aiwah-suite --test conformance)");
    let workspace = aiwah_harness::repo::this_checkout();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["test", "--no-run", "-p", "aiwah-suite", "--test", "conformance", "--message-format=json"])
        .current_dir(&workspace)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| Problem::new("cargo", format!("cannot run: {e}")))?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "conformance")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| Problem::new("cargo test --no-run -p aiwah-suite --test conformance", "built no conformance executable (see its output above)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runners_json_events_become_statuses_with_failure_output() {
        // As libtest-mimic 0.8 prints them with --format=json (scenario output lines interleave).
        let stdout = concat!(
            "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 3 }\n",
            "{ \"type\": \"test\", \"event\": \"started\", \"name\": \"n8n::a\" }\n",
            "runs against a substitute: n8nio/n8n:2.41.1\n",
            "{ \"type\": \"test\", \"name\": \"n8n::a\", \"event\": \"ok\" }\n",
            "{ \"type\": \"test\", \"name\": \"n8n::b\", \"event\": \"failed\", \"stdout\": \"Error: \\\"POST /webhook/x: 404\\\"\\n\" }\n",
            "{ \"type\": \"test\", \"name\": \"n8n::c\", \"event\": \"ignored\" }\n",
        );
        let result = parse(stdout);
        assert_eq!(result.status("n8n::a"), Status::Passed);
        assert_eq!(result.scenarios["n8n::b"], (Status::Failed, "Error: \"POST /webhook/x: 404\"".to_string()));
        assert_eq!(result.status("n8n::c"), Status::NotChecked, "skipped never counts as passed");
        assert_eq!(result.status("n8n::absent"), Status::NotChecked);
    }
}
