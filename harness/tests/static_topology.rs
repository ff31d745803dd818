//! The static checks on the committed stacks, and on mutated copies of them: every rule and every
//! topology property has a mutation that must make it fail. Needs Docker Compose v2 (not an engine).

use std::path::Path;

use aiwah_harness::Problem;
use aiwah_harness::secrets::{self, demo};
use aiwah_harness::stack::{self, Compose, LoadOptions};
use aiwah_harness::testing::StackCopy;

/// A mutable copy of the stacks plus the checks to run on it.
struct Copy(StackCopy);

impl Copy {
    fn new() -> Copy {
        Copy(StackCopy::new())
    }

    fn root(&self) -> &Path {
        self.0.root()
    }

    fn mutate(&self, file: &str, from: &str, to: &str) -> &Copy {
        self.0.mutate(file, from, to);
        self
    }

    fn opts(&self) -> LoadOptions {
        LoadOptions::hermetic("aiwah-test", vec![self.root().join("stacks/images.env"), self.root().join(".env")])
    }

    /// Every finding of the rules, the topology proof and the demo-secret scan, as lines.
    fn findings(&self) -> Result<Vec<String>, Problem> {
        let compose = Compose::locate().expect("Docker Compose v2 is installed (bash stacks/offline/engine.sh)");
        let checked = stack::check_platform(self.root(), &compose, &self.opts())?;
        let mut lines: Vec<String> = checked.problems.0.iter().map(ToString::to_string).collect();
        lines.extend(demo::scan(self.root(), &demo::committed_files(self.root())).iter().map(ToString::to_string));
        Ok(lines)
    }

    fn assert_finding(&self, needle: &str) {
        let findings = self.findings().unwrap();
        assert!(findings.iter().any(|f| f.contains(needle)), "expected a finding containing {needle:?}, got {findings:#?}");
    }
}

#[test]
fn committed_stacks_pass_every_check() {
    let copy = Copy::new();
    assert_eq!(copy.findings().unwrap(), Vec::<String>::new());
}

#[test]
fn committed_checkout_has_no_demo_secret_or_committed_key() {
    let root = aiwah_harness::repo::this_checkout();
    let found = demo::scan(&root, &demo::committed_files(&root));
    assert!(found.is_empty(), "{found:#?}");
}

// ── Topology mutations ───────────────────────────────────────────────────────────────────────────

#[test]
fn database_on_the_shared_network_is_caught() {
    let copy = Copy::new();
    copy.mutate(
        "stacks/n8n/compose.yml",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal]",
        "  postgres:\n    image: ${N8N_POSTGRES_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal, shared]",
    );
    copy.assert_finding(
        "stacks/n8n/compose.yml: services.postgres: database n8n/postgres is reachable from stack supabase (supabase/kong) via network aiwah-network",
    );
    copy.assert_finding(
        "stacks/n8n/compose.yml: services.postgres: n8n/postgres joins the shared network aiwah-network but is not an entry point of stack n8n",
    );
}

#[test]
fn database_host_port_is_caught() {
    let copy = Copy::new();
    copy.mutate(
        "stacks/n8n/compose.yml",
        "      PGDATA: /var/lib/postgresql/data\n",
        "      PGDATA: /var/lib/postgresql/data\n    ports:\n      - 127.0.0.1:5432:5432\n",
    );
    copy.assert_finding("stacks/n8n/compose.yml: services.postgres: database n8n/postgres publishes host port 127.0.0.1:5432 → 5432");
}

#[test]
fn admin_port_on_every_interface_is_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/n8n/compose.yml", "- 127.0.0.1:${N8N_PORT:-5678}:5678", "- ${N8N_PORT:-5678}:5678");
    copy.assert_finding("stacks/n8n/compose.yml: services.n8n: n8n/n8n publishes port 5678 on 0.0.0.0 (off loopback)");
}

#[test]
fn host_networking_is_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/ui/compose.yml", "    networks: [internal, shared]\n", "    network_mode: host\n");
    copy.assert_finding("stacks/ui/compose.yml: services.ui: ui/ui uses host networking");
    copy.assert_finding("stacks/supabase/compose.yml: services.db: database supabase/db is reachable from stack ui (ui/ui) via host networking");
}

#[test]
fn a_second_service_on_the_shared_network_is_caught() {
    let copy = Copy::new();
    copy.mutate(
        "stacks/supabase/compose.yml",
        "  auth:\n    image: ${SUPABASE_AUTH_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal]",
        "  auth:\n    image: ${SUPABASE_AUTH_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal, shared]",
    );
    copy.assert_finding(
        "stacks/supabase/compose.yml: services.auth: supabase/auth joins the shared network aiwah-network but is not an entry point of stack supabase",
    );
}

// ── Secrets mutations ────────────────────────────────────────────────────────────────────────────

#[test]
fn demo_secret_in_a_committed_file_is_caught() {
    let copy = Copy::new();
    let demo_password = demo::KNOWN_DEMO_VALUES.iter().find(|v| v.starts_with("this_password")).unwrap();
    copy.mutate("stacks/supabase/compose.yml", "${DASHBOARD_PASSWORD:?run cargo xtask env}", &format!("${{DASHBOARD_PASSWORD:-{demo_password}}}"));
    copy.assert_finding("stacks/supabase/compose.yml:");
    copy.assert_finding("contains the upstream demo secret this_pas…");
}

#[test]
fn committed_signed_key_is_caught() {
    let copy = Copy::new();
    let key = secrets::keys::api_key(secrets::Role::ServiceRole, "a-secret-that-is-at-least-32-characters");
    copy.mutate("stacks/supabase/compose.yml", "${SERVICE_ROLE_KEY:?run cargo xtask env}", &key);
    copy.assert_finding("stacks/supabase/compose.yml:");
    copy.assert_finding("contains a signed JWT");
}

// ── Rule mutations ───────────────────────────────────────────────────────────────────────────────

#[test]
fn fixed_container_name_is_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/supabase/compose.yml", "\n  db:\n", "\n  db:\n    container_name: supabase-db\n");
    copy.assert_finding("stacks/supabase/compose.yml: services.db.container_name: fixed container name \"supabase-db\"");
}

#[test]
fn container_name_derived_from_the_project_is_accepted() {
    let copy = Copy::new();
    copy.mutate("stacks/supabase/compose.yml", "\n  db:\n", "\n  db:\n    container_name: ${COMPOSE_PROJECT_NAME}-database\n");
    assert_eq!(copy.findings().unwrap(), Vec::<String>::new());
}

#[test]
fn fixed_network_and_volume_names_are_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/n8n/compose.yml", "  internal: {}\n", "  internal:\n    name: n8n-internal\n");
    copy.mutate("stacks/n8n/compose.yml", "  n8n-data:\n", "  n8n-data:\n    name: n8n-data\n");
    copy.assert_finding("stacks/n8n/compose.yml: networks.internal.name: fixed network name \"n8n-internal\"");
    copy.assert_finding("stacks/n8n/compose.yml: volumes.n8n-data.name: fixed volume name \"n8n-data\"");
}

#[test]
fn image_outside_the_manifest_is_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/n8n/compose.yml", "image: ${N8N_IMAGE:?pass --env-file stacks/images.env}", "image: n8nio/n8n:latest");
    copy.assert_finding("stacks/n8n/compose.yml: services.n8n.image: image \"n8nio/n8n:latest\" is not in stacks/images.toml");
}

#[test]
fn waiting_on_a_service_without_health_check_is_caught() {
    let copy = Copy::new();
    copy.mutate("stacks/n8n/compose.yml", "      test: [\"CMD-SHELL\", \"pg_isready", "      disable: true\n      test: [\"CMD-SHELL\", \"pg_isready");
    copy.assert_finding("stacks/n8n/compose.yml: services.postgres.healthcheck: n8n waits for postgres to be healthy, but postgres has no health check");
}

// ── Bad input ────────────────────────────────────────────────────────────────────────────────────

#[test]
fn malformed_compose_file_names_the_file() {
    let copy = Copy::new();
    copy.mutate("stacks/ui/compose.yml", "services:\n", "services:\n  - this is: [not a mapping\n");
    let problem = copy.findings().unwrap_err().to_string();
    assert!(problem.starts_with("stacks/ui/compose.yml: yaml: line "), "{problem}");
    assert_eq!(problem.lines().count(), 1, "{problem}");
}

#[test]
fn unset_required_variable_names_file_and_variable() {
    let copy = Copy::new();
    let env = std::fs::read_to_string(copy.root().join(".env")).unwrap();
    let without: String = env.lines().filter(|l| !l.starts_with("N8N_ENCRYPTION_KEY=")).map(|l| format!("{l}\n")).collect();
    std::fs::write(copy.root().join(".env"), without).unwrap();
    let problem = copy.findings().unwrap_err().to_string();
    assert!(problem.starts_with("stacks/n8n/compose.yml: ${N8N_ENCRYPTION_KEY}: required variable N8N_ENCRYPTION_KEY is not set"), "{problem}");
    assert!(problem.contains(".env"), "{problem}");
}

#[test]
fn default_value_for_a_secret_is_caught() {
    let copy = Copy::new();
    copy.mutate(
        "stacks/supabase/compose.yml",
        "DB_ENC_KEY: ${REALTIME_DB_ENC_KEY:?run cargo xtask env}",
        "DB_ENC_KEY: ${REALTIME_DB_ENC_KEY:-my16characterkey}",
    );
    copy.assert_finding("secret REALTIME_DB_ENC_KEY has a default value");
}

#[test]
fn a_database_in_an_entry_points_network_namespace_is_caught() {
    let copy = Copy::new();
    copy.mutate(
        "stacks/supabase/compose.yml",
        "  db:\n    image: ${SUPABASE_DB_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    networks: [internal]",
        "  db:\n    image: ${SUPABASE_DB_IMAGE:?pass --env-file stacks/images.env}\n    restart: unless-stopped\n    network_mode: service:kong",
    );
    copy.assert_finding("stacks/supabase/compose.yml: services.db: database supabase/db is reachable from stack n8n (n8n/n8n) via network aiwah-network");
}
