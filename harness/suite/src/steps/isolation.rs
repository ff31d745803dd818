//! Isolation: the engine's probe matrix, one position per scenario, with positive controls.

use cucumber::{then, when};

use crate::steps::{AiwahWorld, blocking};
use aiwah_harness::engine::docker;
use aiwah_harness::engine::overrides::labels;
use aiwah_harness::engine::probe::{self, Outcome, Probe};

#[derive(Debug, Default)]
pub struct State {
    position: String,
    probes: Vec<Probe>,
}

#[when(expr = "the isolation probes run from {word}")]
async fn probes_run(w: &mut AiwahWorld, position: String) -> Result<(), String> {
    let (suite, pos) = (w.suite.clone(), position.clone());
    let probes =
        blocking("isolation probes", move || probe::from_position(suite.deployment()?, &suite.probe_image()?, &pos)).await?.map_err(|p| p.to_string())?;
    for p in &probes {
        println!("probe: {p}");
    }
    w.isolation = State { position, probes };
    Ok(())
}

fn probes_to<'a>(w: &'a AiwahWorld, database: &str) -> Result<Vec<&'a Probe>, String> {
    let found: Vec<&Probe> = w.isolation.probes.iter().filter(|p| p.to == database).collect();
    if found.is_empty() {
        return Err(format!("no probe from {} reached for {database}: is it a database of this deployment?", w.isolation.position));
    }
    Ok(found)
}

#[then(expr = "{word} is unreachable from there by every name and address")]
async fn unreachable(w: &mut AiwahWorld, database: String) -> Result<(), String> {
    let open: Vec<String> = probes_to(w, &database)?.into_iter().filter(|p| p.outcome == Outcome::Open).map(ToString::to_string).collect();
    if open.is_empty() { Ok(()) } else { Err(format!("reachable across stacks:\n{}", open.join("\n"))) }
}

#[then(expr = "{word} answers from there")]
async fn answers(w: &mut AiwahWorld, database: String) -> Result<(), String> {
    let probes = probes_to(w, &database)?;
    // By service name at least; the positive control proves the probe itself can succeed.
    let by_name = database.split('/').nth(1).unwrap_or_default();
    let named: Vec<&&Probe> = probes.iter().filter(|p| p.via == by_name).collect();
    if named.is_empty() {
        return Err(format!("no probe of {database} by its service name {by_name}"));
    }
    match named.iter().find(|p| p.outcome != Outcome::Open) {
        Some(p) => Err(format!("own database not reachable: {p}")),
        None => Ok(()),
    }
}

#[then(expr = "the shared network holds exactly supabase\\/kong, n8n\\/n8n and ui\\/ui")]
async fn shared_members(w: &mut AiwahWorld) -> Result<(), String> {
    let network = w.suite.deployment()?.shared_network.clone();
    let members = blocking("shared network members", move || -> aiwah_harness::Result<(String, Vec<String>)> {
        let names = docker::docker(&["network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", &network])?;
        let names: Vec<&str> = names.split_whitespace().collect();
        if names.is_empty() {
            return Ok((network, Vec::new()));
        }
        let format = format!("{{{{index .Config.Labels \"{}\"}}}}/{{{{index .Config.Labels \"{}\"}}}}", labels::STACK, labels::SERVICE);
        let mut args = vec!["inspect", "--format", &format];
        args.extend(&names);
        let mut members: Vec<String> = docker::docker(&args)?.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        members.sort();
        Ok((network, members))
    })
    .await?
    .map_err(|p| p.to_string())?;
    let (network, members) = members;
    let expected = ["n8n/n8n", "supabase/kong", "ui/ui"];
    if members == expected { Ok(()) } else { Err(format!("shared network {network} holds {members:?}, expected {expected:?}")) }
}
