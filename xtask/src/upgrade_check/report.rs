//! `report.md` and `report.json` in `target/upgrade-check/<time>/`: the image table (current →
//! candidate → digest → verdict), the scenario × run matrix, culprits with the failing scenarios' output,
//! and the measured cost (suite runs, minutes).

use std::fmt::Write as _;
use std::path::Path;

use aiwah_harness::Problem;
use serde::Serialize;

use aiwah_harness::registry::dates::Dating;
use aiwah_harness::registry::policy::Holdback;

use super::discover::Discovery;
use super::search::{Outcome, Status, Verdict};

#[derive(Serialize)]
pub struct Report<'a> {
    pub registry: String,
    pub started_utc: String,
    pub images: &'a [Discovery],
    pub outcome: Option<&'a Outcome>,
    pub suite_runs: usize,
    pub suite_seconds: f64,
    pub wall_seconds: f64,
    /// Images `--write` applied (`key = image`), empty without `--write`.
    pub written: Vec<(String, String)>,
    pub exit_code: u8,
    /// Every breaking candidate once, flat (what the nightly workflow opens an issue for).
    pub culprits: Vec<Culprit>,
}

/// A newer image that breaks scenarios the baseline passes.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Culprit {
    /// The manifest key (`stacks/images.toml`).
    pub image: String,
    /// Today's pin.
    pub current: String,
    /// The breaking image reference.
    pub candidate: String,
    pub scenarios: Vec<String>,
    /// Other bumps it only breaks together with (empty: breaks alone).
    pub with: Vec<String>,
}

/// The culprits of an outcome, with the pins they would replace.
pub fn culprits(images: &[Discovery], outcome: Option<&Outcome>) -> Vec<Culprit> {
    let Some(outcome) = outcome else { return Vec::new() };
    let mut found = Vec::new();
    for (key, verdicts) in &outcome.verdicts {
        let current = images.iter().find(|d| &d.key == key).map(|d| d.current.clone()).unwrap_or_default();
        for verdict in verdicts {
            if let Verdict::Breaks { image, scenarios, with } = verdict {
                found.push(Culprit {
                    image: key.clone(),
                    current: current.clone(),
                    candidate: image.clone(),
                    scenarios: scenarios.clone(),
                    with: with.clone(),
                });
            }
        }
    }
    found
}

impl Report<'_> {
    pub fn write(&self, dir: &Path) -> Result<(), Problem> {
        std::fs::create_dir_all(dir).map_err(|e| Problem::new(dir.display().to_string(), format!("cannot create: {e}")))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| Problem::new("report.json", e.to_string()))?;
        std::fs::write(dir.join("report.json"), json).map_err(|e| Problem::new(dir.join("report.json").display().to_string(), e.to_string()))?;
        std::fs::write(dir.join("report.md"), self.markdown()).map_err(|e| Problem::new(dir.join("report.md").display().to_string(), e.to_string()))
    }

    fn verdicts(&self, key: &str) -> String {
        let Some(outcome) = self.outcome else { return "not run".into() };
        let Some(list) = outcome.verdicts.get(key) else { return "not run".into() };
        list.iter()
            .map(|v| match v {
                Verdict::Passes { image } => format!("passes: {image}"),
                Verdict::Breaks { image, scenarios, with } if with.is_empty() => format!("**breaks** {image}: {}", scenarios.join("; ")),
                Verdict::Breaks { image, scenarios, with } => format!("**breaks** {image} together with {}: {}", with.join(", "), scenarios.join("; ")),
                Verdict::NotChecked { image, why } => format!("not checked ({image}): {why}"),
            })
            .collect::<Vec<_>>()
            .join("<br>")
    }

    pub fn markdown(&self) -> String {
        let mut md = format!("# Upgrade check {}\n\nRegistry: {}\n\n", self.started_utc, self.registry);
        md.push_str("| image | current | candidate | digest | cool-down | verdict |\n|---|---|---|---|---|---|\n");
        for d in self.images {
            let (candidate, digest) = match &d.candidate {
                Some(c) => (format!("{} ({})", c.image, c.bump), c.digest.clone()),
                None => ("nothing newer allowed".to_string(), String::new()),
            };
            let held: Vec<String> = d.held_back.iter().map(|h| format!("{} held back", h.tag)).collect();
            let verdict = if d.candidate.is_some() { self.verdicts(&d.key) } else { held.join(", ") };
            let _ = writeln!(md, "| {} | {} | {candidate} | `{digest}` | {} | {verdict} |", d.key, d.current, cooldown_cell(d));
        }
        if let Some(outcome) = self.outcome {
            md.push_str("\n## Scenarios × runs\n\n| scenario |");
            for run in &outcome.runs {
                let _ = write!(md, " {} |", run.label);
            }
            md.push_str("\n|---|");
            md.push_str(&"---|".repeat(outcome.runs.len()));
            md.push('\n');
            let mut scenarios: Vec<&String> = outcome.runs.iter().flat_map(|r| r.result.scenarios.keys()).collect();
            scenarios.sort();
            scenarios.dedup();
            for scenario in scenarios {
                let _ = write!(md, "| {scenario} |");
                for run in &outcome.runs {
                    let cell = match run.result.scenarios.get(scenario).map(|(s, _)| *s) {
                        Some(Status::Passed) => "passed",
                        Some(Status::Failed) => "**failed**",
                        Some(Status::NotChecked) => "not checked",
                        None => "",
                    };
                    let _ = write!(md, " {cell} |");
                }
                md.push('\n');
            }
            if !outcome.flaky.is_empty() {
                let _ = writeln!(md, "\nFlaky (failed once, passed on the re-run): {}", outcome.flaky.join("; "));
            }
            md.push_str("\n## Culprits\n");
            for (key, verdicts) in &outcome.verdicts {
                for v in verdicts {
                    if let Verdict::Breaks { image, scenarios, .. } = v {
                        let _ = writeln!(md, "\n### {key}: {image}\n");
                        for scenario in scenarios {
                            let output = outcome
                                .runs
                                .iter()
                                .rev()
                                .find_map(|r| r.result.scenarios.get(scenario).filter(|(s, _)| *s == Status::Failed).map(|(_, o)| o.clone()));
                            let _ = writeln!(md, "- {scenario}\n\n```\n{}\n```", output.unwrap_or_default());
                        }
                    }
                }
            }
        }
        let _ =
            writeln!(md, "\n{} suite runs, {:.1} min in the suite, {:.1} min wall time.", self.suite_runs, self.suite_seconds / 60.0, self.wall_seconds / 60.0);
        if !self.written.is_empty() {
            let applied: Vec<String> = self.written.iter().map(|(k, i)| format!("{k} = {i}")).collect();
            let _ = writeln!(md, "\n--write applied: {}", applied.join(", "));
        }
        md
    }
}

/// What the cool-down decided for an image: per release checked, its date and the date's source, and
/// whether it was held back (`3 d: 2.41.3 config created 2026-12-01T10:00:00Z, held back (2 d left); ...`).
pub fn cooldown_cell(d: &Discovery) -> String {
    if d.cooldown_days == 0 {
        return "none".into();
    }
    if d.dates.is_empty() {
        return format!("{} d: no newer release to date", d.cooldown_days);
    }
    let entries: Vec<String> = d
        .dates
        .iter()
        .map(|t| {
            let date = match &t.dating {
                Dating::Known(date) => format!("{} {}", date.source.label(), date.utc),
                Dating::Unknown { why } => format!("no date ({why})"),
            };
            let held = d.held_back.iter().find(|h| h.tag == t.tag).map(|h| match &h.why {
                Holdback::CoolingDown { days_left, .. } => format!("held back ({days_left} d left)"),
                Holdback::DateUnknown { .. } => "held back (no date)".to_string(),
                Holdback::BumpTooLarge { .. } => "held back (bump)".to_string(),
            });
            format!("{} {date}, {}", t.tag, held.unwrap_or_else(|| "old enough".into()))
        })
        .collect();
    format!("{} d: {}", d.cooldown_days, entries.join("; "))
}

/// `YYYYMMDDTHHMMSSZ` for a Unix time.
pub fn utc_stamp(unix: u64) -> String {
    aiwah_harness::clock::Utc::from_unix(unix).compact()
}
