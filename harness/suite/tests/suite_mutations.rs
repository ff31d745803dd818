//! The conformance scenarios can fail, each for its own reason: a copy of the platform with three
//! mutations — a todos policy opened to `using (true)`, the n8n database put on the shared network, and
//! n8n's old way of holding the service key (in its environment, read by the Kong workflow into plain
//! headers through `$env`, the bearer one renamed so the gateway check has something to miss) — makes
//! exactly the matching scenarios fail at the step, and with the message, that names the cause, while
//! unrelated ones still pass. Needs the engine and the offline images.

use std::path::Path;
use std::sync::Arc;

use aiwah_harness::engine::Source;
use aiwah_harness::suite::catalog::{self, Case};
use aiwah_harness::suite::shared::Suite;
use aiwah_harness::testing::StackCopy;
use serde_json::Value;

fn case<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no scenario {name}"))
}

/// `(step, error message)` of every failed step in a scenario's cucumber JSON report.
fn failed_steps(report: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(report).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let features: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", report.display()));
    let steps =
        features.iter().flat_map(|f| f["elements"].as_array().cloned().unwrap_or_default()).flat_map(|e| e["steps"].as_array().cloned().unwrap_or_default());
    steps
        .filter(|s| s["result"]["status"] == "failed")
        .map(|s| (s["name"].as_str().unwrap_or_default().to_string(), s["result"]["error_message"].as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The n8n stack and Kong workflow as they were before the service key became an n8n credential.
fn key_back_in_n8n_environment(copy: &StackCopy) {
    copy.mutate(
        "stacks/n8n/compose.yml",
        "      N8N_BLOCK_ENV_ACCESS_IN_NODE: \"true\"\n",
        "      N8N_BLOCK_ENV_ACCESS_IN_NODE: \"false\"\n      SUPABASE_SERVICE_ROLE_KEY: ${SERVICE_ROLE_KEY:?run cargo xtask env}\n",
    );
    copy.mutate(
        "fixtures/n8n/todo-through-kong.json",
        "        \"authentication\": \"genericCredentialType\",\n        \"genericAuthType\": \"httpCustomAuth\",\n        \"sendHeaders\": true,\n        \"headerParameters\": {\n          \"parameters\": [\n",
        "        \"sendHeaders\": true,\n        \"headerParameters\": {\n          \"parameters\": [\n            { \"name\": \"apikey\", \"value\": \"={{ $env.SUPABASE_SERVICE_ROLE_KEY }}\" },\n            { \"name\": \"X-Authorization\", \"value\": \"=Bearer {{ $env.SUPABASE_SERVICE_ROLE_KEY }}\" },\n",
    );
}

#[test]
fn each_mutation_fails_its_scenario_for_its_reason_and_nothing_else() {
    let copy = StackCopy::new();
    copy.mutate("fixtures/sql/0001_todos.sql", "for select to authenticated using (user_id = auth.uid());", "for select to authenticated using (true);");
    copy.mutate(
        "stacks/n8n/compose.yml",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal]",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal, shared]",
    );
    key_back_in_n8n_environment(&copy);
    let cases = catalog::load(copy.root()).unwrap();
    let suite = Arc::new(Suite::start(copy.root(), &Source::Offline, &["supabase", "n8n"], &|line| eprintln!("  {line}")).unwrap());
    let reports = copy.root().join("reports");
    let report = |name: &str| aiwah_harness::suite::report::scenario_file(&reports, name);
    let run = |name: &str| aiwah_suite::steps::run_scenario(suite.clone(), case(&cases, name), &report(name));

    // (scenario, the step that must fail, what its message must say)
    let mutated = [
        ("rls::A user sees only their own todos (SQL)", "she sees exactly the todos \"buy milk\"", "expected exactly [\"buy milk\"]"),
        (
            "isolation::supabase/kong cannot reach another stack's database n8n/postgres",
            "n8n/postgres is unreachable from there by every name and address",
            "reachable across stacks",
        ),
        (
            "n8n::A workflow calls Kong on the shared network with the service key",
            "the gateway saw POST /rest/v1/todos carrying the service key as apikey and as bearer token",
            "no request to /rest/v1/todos with the service key reached the gateway",
        ),
        (
            "n8n::A failed call to Kong leaves no copy of the service key in n8n's database",
            "a scan of every table of n8n's database finds the marker and no copy of the service key",
            "n8n's database holds the service key in public.execution_data",
        ),
        (
            "n8n::The n8n stack holds no Supabase credential in its environment",
            "no container of the n8n stack has the Supabase database password, the service key or a Supabase database address in its environment",
            "n8n/n8n: SUPABASE_SERVICE_ROLE_KEY holds the Supabase service key",
        ),
    ];
    for (scenario, step, reason) in mutated {
        let failure = run(scenario).expect_err(scenario);
        let failed = failed_steps(&report(scenario));
        eprintln!("{scenario}: fails as it must: {failure}: {failed:?}");
        assert_eq!(failed.len(), 1, "{scenario}: exactly one step fails, the one naming the cause: {failed:?}");
        let (name, message) = &failed[0];
        assert_eq!(name, step, "{scenario}: failed at another step ({message})");
        assert!(message.contains(reason), "{scenario}: failed for another reason: {message:?} does not say {reason:?}");
    }
    // Untouched by the mutations: still pass in the same deployment.
    run("isolation::n8n/n8n cannot reach another stack's database supabase/db").unwrap();
    run("rls::A user cannot write a todo for another user (SQL)").unwrap();
    run("n8n::A fixture workflow, published, answers its webhook").unwrap();

    // The engine's whole matrix sees the breach too (engine_live leaves this mutation to this copy).
    let probes = aiwah_harness::engine::probe::matrix(suite.deployment().unwrap(), &suite.probe_image().unwrap()).unwrap();
    let open = |p: &aiwah_harness::engine::probe::Probe| p.outcome == aiwah_harness::engine::probe::Outcome::Open;
    assert!(probes.iter().any(|p| p.from == "supabase/kong" && p.to == "n8n/postgres" && p.via == "postgres" && open(p)), "{probes:#?}");
}
