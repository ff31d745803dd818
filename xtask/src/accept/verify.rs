//! `cargo xtask accept --verify DIR`: a bundle is what it says — its signature (with `--pubkey`),
//! its checksums, every scenario `release.toml` names present in `results.json` and passed, and
//! the JUnit report saying the same of each, with no failed or skipped test anywhere.

use std::path::Path;

use crate::accept::bundle;
use crate::accept::nextest::CONFORMANCE_BINARY;
use crate::accept::results::{self, Release, Results, Status};
use aiwah_harness::{Problem, Problems};

/// Every problem of the bundle in `dir` (empty: it verifies), and whether its signature was checked.
pub fn verify(dir: &Path, pubkey: Option<&Path>) -> Result<Vec<Problem>, Problems> {
    let shown = |name: &str| dir.join(name).display().to_string();
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| Problem::new(shown(name), format!("cannot read: {e}")));
    let mut problems = Vec::new();
    let sums = read(results::SUMS)?;
    match (pubkey, std::fs::read_to_string(dir.join(results::SIGNATURE))) {
        (Some(key), Ok(signature)) => problems.extend(crate::accept::sign::check(key, &sums, &signature).err()),
        (Some(_), Err(_)) => problems.push(Problem::new(shown(results::SIGNATURE), "is missing: the bundle is not signed")),
        (None, _) => {}
    }
    problems.extend(check_sums(dir, &String::from_utf8_lossy(&sums))?);
    let release: Release = toml::from_str(&String::from_utf8_lossy(&read(results::RELEASE)?))
        .map_err(|e| Problem::new(shown(results::RELEASE), format!("not a release record: {}", e.message())))?;
    let results: Results = serde_json::from_slice(&read(results::RESULTS)?).map_err(|e| Problem::new(shown(results::RESULTS), format!("not results: {e}")))?;
    let junit = results::read_junit(&String::from_utf8_lossy(&read(results::JUNIT)?)).map_err(|e| Problem::new(shown(results::JUNIT), e))?;
    problems.extend(check_scenarios(&release, &results));
    problems.extend(check_junit(&results, &junit));
    Ok(problems)
}

/// Each listed file has its checksum; no file is unlisted.
fn check_sums(dir: &Path, sums: &str) -> Result<Vec<Problem>, Problems> {
    let mut problems = Vec::new();
    let mut listed = Vec::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let Some((hex, name)) = line.split_once("  ") else {
            problems.push(Problem::new(results::SUMS, format!("line {line:?} is not `<sha256>  <file>`")));
            continue;
        };
        listed.push(name.to_string());
        let path = dir.join(name);
        if name.contains('/') || !path.is_file() {
            problems.push(Problem::new(path.display().to_string(), "is listed in SHA256SUMS but is not in the bundle"));
        } else if bundle::sha256_file(&path)? != hex {
            problems.push(Problem::new(path.display().to_string(), "does not match its SHA256SUMS checksum: changed after sealing"));
        }
    }
    for name in bundle::files(dir)?.into_iter().filter(|n| !listed.contains(n)) {
        problems.push(Problem::new(dir.join(&name).display().to_string(), "is not listed in SHA256SUMS"));
    }
    Ok(problems)
}

/// Every scenario of the release is in the results exactly once, passed; no other one is.
fn check_scenarios(release: &Release, results: &Results) -> Vec<Problem> {
    let mut problems = Vec::new();
    for name in &release.scenarios {
        match results.scenarios.iter().filter(|s| &s.name == name).collect::<Vec<_>>()[..] {
            [] => problems.push(Problem::new(format!("scenario {name}"), "is missing from results.json")),
            [one] if one.status != Status::Passed => {
                problems.push(Problem::new(format!("scenario {name}"), format!("is {} in results.json", results::label(one.status))))
            }
            [_] => {}
            _ => problems.push(Problem::new(format!("scenario {name}"), "is in results.json more than once")),
        }
    }
    for extra in results.scenarios.iter().filter(|s| !release.scenarios.contains(&s.name)) {
        problems.push(Problem::new(format!("scenario {}", extra.name), "is in results.json but not among release.toml's scenarios"));
    }
    problems
}

/// The JUnit report agrees with the results on every scenario, and no test of it failed or skipped.
fn check_junit(results: &Results, junit: &[results::TestCase]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for scenario in &results.scenarios {
        match junit.iter().find(|t| t.binary == CONFORMANCE_BINARY && t.name == scenario.name) {
            None => problems.push(Problem::new(format!("scenario {}", scenario.name), "is missing from junit.xml")),
            Some(t) if t.status != scenario.status || (t.duration_s - scenario.duration_s).abs() > 1e-6 => problems.push(Problem::new(
                format!("scenario {}", scenario.name),
                format!(
                    "junit.xml says {} in {} s, results.json {} in {} s",
                    results::label(t.status),
                    t.duration_s,
                    results::label(scenario.status),
                    scenario.duration_s
                ),
            )),
            Some(_) => {}
        }
    }
    for t in junit.iter().filter(|t| t.status != Status::Passed) {
        problems.push(Problem::new(format!("test {} {}", t.binary, t.name), format!("is {} in junit.xml", results::label(t.status))));
    }
    let counted = Results::from_junit(&[], junit).tests;
    if counted != results.tests {
        problems.push(Problem::new("results.json", format!("counts tests {:?}, junit.xml {:?}", results.tests, counted)));
    }
    problems
}
