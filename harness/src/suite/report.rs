//! Reports of a conformance run: each scenario process writes its cucumber JSON; when the run
//! ends the holder merges them into one `cucumber.json` and writes `summary.txt` (passed, failed,
//! and skipped with the image each skipped scenario needs).

use std::path::{Path, PathBuf};

use crate::problem::{Problem, Result};
use crate::suite::catalog::Case;
use crate::suite::tiers::Tiers;

/// Where one scenario's cucumber JSON goes.
pub fn scenario_file(dir: &Path, test_name: &str) -> PathBuf {
    let safe: String = test_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    dir.join(format!("{safe}.json"))
}

/// Merge the scenario files of `dir` into `dir/cucumber.json`; write `dir/summary.txt`.
pub fn finish(dir: &Path, cases: &[Case], tiers: &Tiers) -> Result<String> {
    let mut features: Vec<serde_json::Value> = Vec::new();
    let mut lines = Vec::new();
    for case in cases {
        let file = scenario_file(dir, &case.name);
        if let Some(reason) = tiers.skip_reason(&case) {
            lines.push(format!("SKIPPED  {} — {reason}", case.name));
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            lines.push(format!("NOT RUN  {} (filtered out or interrupted)", case.name));
            continue;
        };
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap_or_default();
        let failed = parsed
            .iter()
            .flat_map(|f| f["elements"].as_array().cloned().unwrap_or_default())
            .flat_map(|e| e["steps"].as_array().cloned().unwrap_or_default())
            .any(|s| s["result"]["status"] != "passed");
        lines.push(format!("{}  {}", if failed || parsed.is_empty() { "FAILED " } else { "PASSED " }, case.name));
        features.extend(parsed);
    }
    let out = dir.join("cucumber.json");
    let json = serde_json::to_string_pretty(&features).unwrap_or_else(|_| "[]".into());
    std::fs::write(&out, json).map_err(|e| Problem::new(out.display().to_string(), format!("cannot write: {e}")))?;
    let summary = lines.join("\n") + "\n";
    let file = dir.join("summary.txt");
    std::fs::write(&file, &summary).map_err(|e| Problem::new(file.display().to_string(), format!("cannot write: {e}")))?;
    Ok(summary)
}
