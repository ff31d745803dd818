//! Plan and culprit search over suite runs: the baseline (today's pins) and the candidate set each run the
//! scenarios that need a bumped image; a scenario the candidate fails and the baseline passes is run once
//! more (flaky or regression); regressions are pinned on an image by running each bumped image alone, then
//! the smallest failing combination; a culprit's next-lower allowed release is tried alone as a fallback.

use std::collections::{BTreeMap, BTreeSet};

use aiwah_harness::Problem;
use serde::Serialize;

/// Manifest key → the reference a run uses for it (registry-qualified). Empty = the baseline.
pub type ImageSet = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    /// Skipped (an image it needs is a placeholder here) or absent from the run: never counted as passed.
    NotChecked,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RunResult {
    /// Scenario → status and, for failures, the runner's output for it.
    pub scenarios: BTreeMap<String, (Status, String)>,
}

impl RunResult {
    pub fn status(&self, scenario: &str) -> Status {
        self.scenarios.get(scenario).map(|(s, _)| *s).unwrap_or(Status::NotChecked)
    }
}

/// Runs the conformance suite (or a fake, in tests) on an image set.
pub trait SuiteRunner {
    fn run(&mut self, label: &str, set: &ImageSet, scenarios: &[String]) -> Result<RunResult, Problem>;
}

/// One image's proposed step, with the next-lower allowed releases to fall back on (newest first).
#[derive(Debug, Clone, Serialize)]
pub struct Bump {
    pub key: String,
    /// `name:tag` the candidate is (manifest form) and the reference a run pulls.
    pub image: String,
    pub reference: String,
    pub fallbacks: Vec<(String, String)>,
    /// Scenarios that need this image.
    pub scenarios: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "verdict")]
pub enum Verdict {
    /// Passes every scenario that needs it: proposed (`--write` applies `image`).
    Passes { image: String },
    /// Breaks scenarios the baseline passes (alone or in `with`).
    Breaks { image: String, scenarios: Vec<String>, with: Vec<String> },
    /// No scenario that needs it ran here (skipped for a placeholder, or none exists).
    NotChecked { image: String, why: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Labelled {
    pub label: String,
    pub set: ImageSet,
    pub result: RunResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Per image key; a culprit with a working fallback has both a `Breaks` and a `Passes` entry.
    pub verdicts: BTreeMap<String, Vec<Verdict>>,
    /// Scenarios that failed once with the candidates and passed on the re-run.
    pub flaky: Vec<String>,
    pub runs: Vec<Labelled>,
}

pub fn search(bumps: &[Bump], runner: &mut dyn SuiteRunner) -> Result<Outcome, Problem> {
    let mut out = Outcome { verdicts: BTreeMap::new(), flaky: Vec::new(), runs: Vec::new() };
    let all: Vec<String> = bumps.iter().flat_map(|b| b.scenarios.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let mut run = |label: String, set: ImageSet, scenarios: &[String], out: &mut Outcome| -> Result<RunResult, Problem> {
        let result = runner.run(&label, &set, scenarios)?;
        out.runs.push(Labelled { label, set, result: result.clone() });
        Ok(result)
    };
    let baseline = run("baseline".into(), ImageSet::new(), &all, &mut out)?;
    let full: ImageSet = bumps.iter().map(|b| (b.key.clone(), b.reference.clone())).collect();
    let candidate = run("candidates".into(), full.clone(), &all, &mut out)?;
    let suspects: Vec<String> = all.iter().filter(|s| baseline.status(s) == Status::Passed && candidate.status(s) == Status::Failed).cloned().collect();
    let regressions: Vec<String> = if suspects.is_empty() {
        Vec::new()
    } else {
        let again = run("candidates, failures again".into(), full.clone(), &suspects, &mut out)?;
        out.flaky = suspects.iter().filter(|s| again.status(s) == Status::Passed).cloned().collect();
        suspects.iter().filter(|s| again.status(s) != Status::Passed).cloned().collect()
    };
    // Culprits: each bumped image alone (the candidate run already is that when only one was bumped).
    let mut culprits: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    if !regressions.is_empty() {
        for bump in bumps {
            let own: Vec<String> = regressions.iter().filter(|s| bump.scenarios.contains(s)).cloned().collect();
            if own.is_empty() {
                continue;
            }
            let failed = if bumps.len() == 1 {
                own
            } else {
                let alone = run(format!("{} alone", bump.image), ImageSet::from([(bump.key.clone(), bump.reference.clone())]), &own, &mut out)?;
                own.into_iter().filter(|s| alone.status(s) == Status::Failed).collect()
            };
            if !failed.is_empty() {
                culprits.insert(bump.key.clone(), (failed, Vec::new()));
            }
        }
        if culprits.is_empty() {
            smallest_failing_combination(bumps, &regressions, &mut |label, set, s| run(label, set, s, &mut out), &mut culprits)?;
        }
    }
    for bump in bumps {
        let verdicts = out.verdicts.entry(bump.key.clone()).or_default();
        let checked = bump.scenarios.iter().any(|s| candidate.status(s) != Status::NotChecked);
        match culprits.get(&bump.key) {
            Some((scenarios, with)) => verdicts.push(Verdict::Breaks { image: bump.image.clone(), scenarios: scenarios.clone(), with: with.clone() }),
            None if checked => verdicts.push(Verdict::Passes { image: bump.image.clone() }),
            None => verdicts.push(Verdict::NotChecked { image: bump.image.clone(), why: not_checked_why(bump, &candidate) }),
        }
    }
    // A culprit's next-lower allowed release, alone, on the scenarios that need the image.
    for bump in bumps.iter().filter(|b| culprits.contains_key(&b.key)) {
        for (image, reference) in &bump.fallbacks {
            let result = run(format!("{image} alone (fallback)"), ImageSet::from([(bump.key.clone(), reference.clone())]), &bump.scenarios, &mut out)?;
            let failed: Vec<String> =
                bump.scenarios.iter().filter(|s| result.status(s) == Status::Failed && baseline.status(s) == Status::Passed).cloned().collect();
            let verdicts = out.verdicts.entry(bump.key.clone()).or_default();
            if failed.is_empty() && bump.scenarios.iter().any(|s| result.status(s) == Status::Passed) {
                verdicts.push(Verdict::Passes { image: image.clone() });
                break;
            }
            verdicts.push(Verdict::Breaks { image: image.clone(), scenarios: failed, with: Vec::new() });
        }
    }
    Ok(out)
}

type RunFn<'a> = dyn FnMut(String, ImageSet, &[String]) -> Result<RunResult, Problem> + 'a;

/// No image fails alone: the smallest set of bumped images (pairs, then triples, ...) that fails.
fn smallest_failing_combination(
    bumps: &[Bump],
    regressions: &[String],
    run: &mut RunFn<'_>,
    culprits: &mut BTreeMap<String, (Vec<String>, Vec<String>)>,
) -> Result<(), Problem> {
    for size in 2..bumps.len() {
        for combo in combinations(bumps.len(), size) {
            let members: Vec<&Bump> = combo.iter().map(|&i| &bumps[i]).collect();
            let set: ImageSet = members.iter().map(|b| (b.key.clone(), b.reference.clone())).collect();
            let names: Vec<String> = members.iter().map(|b| b.image.clone()).collect();
            let result = run(format!("{} together", names.join(" + ")), set, regressions)?;
            let failed: Vec<String> = regressions.iter().filter(|s| result.status(s) == Status::Failed).cloned().collect();
            if !failed.is_empty() {
                for b in &members {
                    let with = names.iter().filter(|n| **n != b.image).cloned().collect();
                    culprits.insert(b.key.clone(), (failed.clone(), with));
                }
                return Ok(());
            }
        }
    }
    // Only all of them together fail (the candidate run showed it).
    for b in bumps {
        let with = bumps.iter().filter(|o| o.key != b.key).map(|o| o.image.clone()).collect();
        culprits.insert(b.key.clone(), (regressions.to_vec(), with));
    }
    Ok(())
}

/// Index sets of size `k` out of `0..n`, in lexicographic order.
fn combinations(n: usize, k: usize) -> Vec<Vec<usize>> {
    fn extend(from: usize, n: usize, k: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == k {
            out.push(current.clone());
            return;
        }
        for i in from..n {
            current.push(i);
            extend(i + 1, n, k, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    extend(0, n, k, &mut Vec::new(), &mut out);
    out
}

fn not_checked_why(bump: &Bump, candidate: &RunResult) -> String {
    if bump.scenarios.is_empty() {
        return "no scenario needs it".into();
    }
    let skipped: Vec<&str> = bump.scenarios.iter().filter(|s| candidate.status(s) == Status::NotChecked).map(String::as_str).collect();
    format!("every scenario needing it was skipped here ({})", skipped.join("; "))
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
