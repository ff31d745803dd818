//! stacks/supabase/volumes/logs/vector.toml (Vector, layered by compose.logs.yml) sends each service's
//! logs to the Logflare source upstream's self-hosting sends it to, and is wired soundly: read as Vector
//! 0.53 config (only the component types and fields we use, unknown fields refused), every input names
//! a component, every parser reaches a sink, every sink posts to Logflare with the access token, and the
//! compose override mounts the file where Vector's `--config` looks, with every variable it needs.

#[path = "support/vector_config.rs"]
mod vector_config;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use vector_config::{Codec, HttpMethod, Sink, Source, Transform, VectorConfig};

/// Upstream's routing (supabase/supabase docker/volumes/logs/vector.yml): compose service whose logs
/// Studio shows → the Logflare source they go to. Services not listed (studio, meta, imgproxy,
/// supavisor, analytics) ship no logs upstream.
const UPSTREAM_ROUTES: [(&str, &str); 7] = [
    ("kong", "cloudflare.logs.prod"),
    ("auth", "gotrue.logs.prod"),
    ("rest", "postgREST.logs.prod"),
    ("realtime", "realtime.logs.prod"),
    ("storage", "storage.logs.prod.2"),
    ("functions", "deno-relay-logs"),
    ("db", "postgres.logs"),
];
const INGEST: &str = "http://analytics:4000/api/logs?source_name=";
const TOKEN_VARIABLE: &str = "LOGFLARE_PUBLIC_ACCESS_TOKEN";

fn read(relative: &str) -> String {
    let path: PathBuf = aiwah_harness::repo::this_checkout().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config_text() -> String {
    read("stacks/supabase/volumes/logs/vector.toml")
}

fn parse(text: &str) -> VectorConfig {
    toml::from_str(text).unwrap_or_else(|e| panic!("vector.toml is not the Vector config this test knows: {e}"))
}

/// `name` or `route_transform.output` → the components reading it.
fn readers(config: &VectorConfig) -> BTreeMap<String, Vec<String>> {
    let mut readers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let transforms = config.transforms.iter().map(|(name, t)| (name, t.inputs()));
    let sinks = config.sinks.iter().map(|(name, s)| (name, s.inputs()));
    for (name, inputs) in transforms.chain(sinks) {
        for input in inputs {
            readers.entry(input.clone()).or_default().push(name.clone());
        }
    }
    readers
}

/// The Logflare source a sink posts to, from its URI.
fn logflare_source(sink: &Sink) -> Option<&str> {
    let Sink::Http { uri, .. } = sink;
    uri.strip_prefix(INGEST)
}

/// Compose service → the Logflare sources its lines can reach, following the route conditions
/// (`.appname == "service"`) and then every path from the route output to a sink.
fn delivery(config: &VectorConfig) -> Result<BTreeMap<String, BTreeSet<String>>, String> {
    let readers = readers(config);
    let mut delivered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (router, transform) in &config.transforms {
        let Transform::Route { route, .. } = transform else { continue };
        for (output, condition) in route {
            let service = condition
                .trim()
                .strip_prefix(".appname == \"")
                .and_then(|rest| rest.strip_suffix('"'))
                .ok_or_else(|| format!("route {router}.{output}: condition {condition:?} is not `.appname == \"service\"`"))?;
            let reached = delivered.entry(service.to_string()).or_default();
            let mut queue = vec![format!("{router}.{output}")];
            let mut seen = BTreeSet::new();
            while let Some(component) = queue.pop() {
                if !seen.insert(component.clone()) {
                    continue;
                }
                if let Some(sink) = config.sinks.get(&component) {
                    reached.insert(logflare_source(sink).unwrap_or("(not Logflare)").to_string());
                }
                queue.extend(readers.get(&component).into_iter().flatten().cloned());
            }
        }
    }
    Ok(delivered)
}

/// Every way the wiring can be wrong, one line each.
fn wiring_problems(config: &VectorConfig) -> Vec<String> {
    let mut found = Vec::new();
    let mut outputs: BTreeSet<String> = config.sources.keys().cloned().collect();
    for (name, transform) in &config.transforms {
        match transform {
            Transform::Route { route, .. } => outputs.extend(route.keys().map(|key| format!("{name}.{key}"))),
            Transform::Remap { .. } => {
                outputs.insert(name.clone());
            }
        }
    }
    let readers = readers(config);
    for (name, inputs) in config.transforms.iter().map(|(n, t)| (n, t.inputs())).chain(config.sinks.iter().map(|(n, s)| (n, s.inputs()))) {
        if inputs.is_empty() {
            found.push(format!("{name}: no inputs"));
        }
        for input in inputs.iter().filter(|i| !outputs.contains(*i)) {
            found.push(format!("{name}: input {input} is no source, transform or route output"));
        }
    }
    for output in outputs.iter().filter(|o| !readers.contains_key(*o)) {
        found.push(format!("{output}: nothing reads it (its lines are lost)"));
    }
    for (name, source) in &config.sources {
        let Source::DockerLogs { include_labels, exclude_containers } = source;
        if !include_labels.iter().any(|l| l.starts_with("com.docker.compose.project=${AIWAH_LOGS_PROJECT")) {
            found.push(format!("{name}: does not select the compose project's containers by label"));
        }
        if !exclude_containers.iter().any(|c| c.ends_with("}-vector-")) {
            found.push(format!("{name}: does not leave out Vector's own container"));
        }
    }
    // The route conditions compare compose service names, so the event must carry that label as appname.
    let appname_from_label = config
        .transforms
        .values()
        .any(|t| matches!(t, Transform::Remap { source, .. } if source.contains("\"appname\": .label.\"com.docker.compose.service\"")));
    if !appname_from_label {
        found.push("no remap sets appname from the com.docker.compose.service label".into());
    }
    let token = format!("${{{TOKEN_VARIABLE}?");
    for (name, sink) in &config.sinks {
        let Sink::Http { uri, method, encoding, request, .. } = sink;
        if !uri.starts_with(INGEST) {
            found.push(format!("{name}: uri {uri} is not Logflare's ingest endpoint {INGEST}…"));
        }
        if *method != HttpMethod::Post || encoding.codec != Codec::Json {
            found.push(format!("{name}: must POST JSON"));
        }
        match request.headers.get("x-api-key") {
            Some(key) if key.starts_with(&token) && key.ends_with('}') => {}
            other => found.push(format!("{name}: x-api-key is {other:?}, not the required ${{{TOKEN_VARIABLE}?…}}")),
        }
        if (request.retry_initial_backoff_secs, request.retry_max_duration_secs) != (1, 30) {
            found.push(format!("{name}: retries are not upstream's 1 s initial backoff for up to 30 s"));
        }
    }
    found
}

fn expected_delivery() -> BTreeMap<String, BTreeSet<String>> {
    UPSTREAM_ROUTES.iter().map(|(service, source)| (service.to_string(), BTreeSet::from([source.to_string()]))).collect()
}

#[test]
fn every_service_upstream_ships_logs_for_reaches_its_logflare_source_and_no_other() {
    let config = parse(&config_text());
    assert_eq!(delivery(&config).unwrap(), expected_delivery());
    let compose = read("stacks/supabase/compose.yml");
    for (service, _) in UPSTREAM_ROUTES {
        assert!(compose.contains(&format!("\n  {service}:\n")), "{service} is routed but is no service of stacks/supabase/compose.yml");
    }
}

#[test]
fn kong_access_and_error_lines_both_reach_the_edge_source() {
    let config = parse(&config_text());
    let readers = readers(&config);
    let kong_parsers = readers.get("by_service.kong").cloned().unwrap_or_default();
    assert_eq!(kong_parsers.len(), 2, "Kong's lines need an access-log and an error-log parser: {kong_parsers:?}");
    for parser in kong_parsers {
        let Some(Transform::Remap { source, .. }) = config.transforms.get(&parser) else { panic!("{parser} is not a remap") };
        let format = ["\"combined\"", "\"error\""].into_iter().find(|f| source.contains(&format!("parse_nginx_log(.event_message, {f})")));
        assert!(format.is_some(), "{parser} parses no nginx log format");
    }
}

#[test]
fn the_pipeline_is_wired_soundly() {
    assert_eq!(wiring_problems(&parse(&config_text())), Vec::<String>::new());
}

/// compose.logs.yml's `vector:` service block, line by line (no YAML parser in the workspace; the
/// block is flat enough to read by indentation).
fn vector_service(compose: &str) -> Vec<&str> {
    let mut lines = compose.lines().skip_while(|l| *l != "  vector:").skip(1);
    let block: Vec<&str> = lines.by_ref().take_while(|l| l.is_empty() || l.starts_with("   ")).collect();
    assert!(!block.is_empty(), "compose.logs.yml has no `vector:` service");
    block
}

#[test]
fn the_logs_override_mounts_the_config_where_vector_reads_it_and_sets_its_variables() {
    let compose = read("stacks/supabase/compose.logs.yml");
    let block = vector_service(&compose);
    let command = block.iter().find_map(|l| l.trim().strip_prefix("command: ")).expect("vector has a command");
    let args: Vec<String> = serde_json::from_str(command).expect("vector's command is a JSON-style list");
    assert_eq!(args.first().map(String::as_str), Some("--config"), "{args:?}");
    let config_path = &args[1];
    let mount = block
        .iter()
        .filter_map(|l| l.trim().strip_prefix("- ./"))
        .find_map(|m| m.split_once(':').filter(|(_, rest)| rest.starts_with(config_path.as_str())).map(|(from, _)| from))
        .unwrap_or_else(|| panic!("nothing is mounted at {config_path}"));
    assert_eq!(mount, "volumes/logs/vector.toml", "Vector must read our config");
    assert!(config_path.ends_with(".toml"), "Vector picks the format from the extension: {config_path}");

    let environment: BTreeSet<&str> = block
        .iter()
        .skip_while(|l| l.trim() != "environment:")
        .skip(1)
        .take_while(|l| l.starts_with("      "))
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k))
        .collect();
    let text = config_text();
    let used: BTreeSet<&str> = text.split("${").skip(1).map(|rest| rest.split(['?', ':', '}', '-']).next().unwrap_or_default()).collect();
    assert!(!used.is_empty() && used.contains(TOKEN_VARIABLE), "vector.toml uses {used:?}");
    let missing: Vec<&&str> = used.difference(&environment).collect();
    assert!(missing.is_empty(), "vector.toml needs {missing:?}, which compose.logs.yml does not set for vector ({environment:?})");

    let config = parse(&text);
    let port = config.api.address.rsplit(':').next().unwrap_or_default();
    assert!(config.api.enabled, "the healthcheck needs Vector's API");
    assert!(block.iter().any(|l| l.contains(&format!("http://vector:{port}/health"))), "the healthcheck does not probe the API port {port}");
}

/// The checks above catch a broken config: each mutation of the real file must be reported.
#[test]
fn the_checks_fail_on_a_dropped_route_a_misrouted_service_or_a_keyless_sink() {
    let text = config_text();
    let mutate = |from: &str, to: &str| {
        assert!(text.contains(from), "mutation target {from:?} is no longer in vector.toml");
        text.replacen(from, to, 1)
    };

    let dropped = parse(&mutate("db = '.appname == \"db\"'\n", ""));
    assert!(delivery(&dropped).unwrap() != expected_delivery(), "dropping the db route went unnoticed");
    assert!(wiring_problems(&dropped).iter().any(|p| p.contains("db_fields: input by_service.db")), "{:?}", wiring_problems(&dropped));

    let misrouted = parse(&mutate("inputs = [\"storage_fields\"]", "inputs = [\"rest_fields\", \"storage_fields\"]").replacen(
        "inputs = [\"rest_fields\"]\nuri",
        "inputs = [\"auth_fields\"]\nuri",
        1,
    ));
    let delivered = delivery(&misrouted).unwrap();
    assert_eq!(delivered["rest"], BTreeSet::from(["storage.logs.prod.2".to_string()]), "misrouting rest went unnoticed");

    let renamed = parse(&mutate("storage = '.appname == \"storage\"'", "storage = '.appname == \"supabase-storage\"'"));
    assert!(delivery(&renamed).unwrap() != expected_delivery(), "routing by container name instead of service went unnoticed");

    let keyless =
        parse(&mutate("request.headers.x-api-key = \"${LOGFLARE_PUBLIC_ACCESS_TOKEN?", "request.headers.x-api-nope = \"${LOGFLARE_PUBLIC_ACCESS_TOKEN?"));
    assert!(wiring_problems(&keyless).iter().any(|p| p.contains("x-api-key is None")), "a sink without the API key went unnoticed");

    let misspelt = mutate("request.retry_max_duration_secs", "request.retry_max_duration_sec");
    assert!(toml::from_str::<VectorConfig>(&misspelt).is_err(), "a misspelt field was accepted");
}
