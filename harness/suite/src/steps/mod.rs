//! The cucumber World and the step definitions, one module per feature. Steps are the only place
//! that knows HTTP paths and SQL; features say what a user sees.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use cucumber::World as _;
use cucumber::writer::{self, Coloring};
use cucumber::{WriterExt as _, gherkin};

use aiwah_harness::suite::catalog::Case;
use std::time::Duration;

use crate::clients::auth::Auth;
use crate::clients::db::Db;
use crate::clients::rest::Rest;
use aiwah_harness::suite::shared::Suite;

pub mod auth;
pub mod functions;
pub mod gateway;
pub mod isolation;
pub mod n8n;
pub mod pooler;
pub mod realtime;
pub mod resilience;
pub mod rls;
pub mod security;
pub mod storage;
pub mod target_data;
pub mod ui;
pub mod users;

/// The suite the Worlds of this process use. Weak: whoever runs scenarios owns the suite, and a
/// suite started by this process is torn down when its owner drops it.
static SUITE: Mutex<Weak<Suite>> = Mutex::new(Weak::new());

/// Per-scenario state. Each concern keeps its own part.
#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct AiwahWorld {
    pub suite: Arc<Suite>,
    /// In every email and name this scenario creates: the run id and the scenario (see target_data).
    pub data_tag: String,
    /// Test users by the name the scenario gives them (`alice`).
    pub users: BTreeMap<String, users::TestUser>,
    /// The Supabase database as its admin, connected on first use.
    pub db: Option<crate::clients::db::Db>,
    /// Todos this scenario wrote: title → id.
    pub todos: BTreeMap<String, String>,
    pub isolation: isolation::State,
    pub rls: rls::State,
    pub auth: auth::State,
    pub realtime: realtime::State,
    pub n8n: n8n::State,
    pub security: security::State,
    pub gateway: gateway::State,
    pub ui: ui::State,
    pub storage: storage::State,
    pub functions: functions::State,
    pub pooler: pooler::State,
    pub resilience: resilience::State,
}

impl AiwahWorld {
    fn new() -> Result<AiwahWorld, aiwah_harness::Problem> {
        let suite = SUITE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .upgrade()
            .ok_or_else(|| aiwah_harness::Problem::new("conformance", "no suite deployment installed (steps run only through the conformance runner)"))?;
        Ok(AiwahWorld {
            suite,
            data_tag: target_data::new_data_tag(),
            users: BTreeMap::new(),
            db: None,
            todos: BTreeMap::new(),
            isolation: Default::default(),
            rls: Default::default(),
            auth: Default::default(),
            realtime: Default::default(),
            n8n: Default::default(),
            security: Default::default(),
            gateway: Default::default(),
            ui: Default::default(),
            storage: Default::default(),
            functions: Default::default(),
            pooler: Default::default(),
            resilience: Default::default(),
        })
    }

    pub fn user(&self, name: &str) -> Result<&users::TestUser, String> {
        self.users.get(name).ok_or_else(|| format!("no test user {name:?} in this scenario (a Given step creates them)"))
    }

    /// PostgREST through Kong with the anon key, as the UI calls it.
    pub fn rest(&self) -> Result<Rest, String> {
        Ok(Rest::new(&self.suite.gateway, &self.suite.secret("ANON_KEY").map_err(|p| p.to_string())?))
    }

    /// The deployment's service key (never print it).
    pub fn service_key(&self) -> Result<String, String> {
        self.suite.secret("SERVICE_ROLE_KEY").map_err(|p| p.to_string())
    }

    /// GoTrue through Kong with the anon key.
    pub fn auth_client(&self) -> Result<Auth, String> {
        Ok(Auth::new(&self.suite.gateway, &self.suite.secret("ANON_KEY").map_err(|p| p.to_string())?))
    }

    /// The Supabase database as its admin (connects on first use).
    pub async fn db(&mut self) -> Result<&Db, String> {
        if self.db.is_none() && self.suite.target.is_some() {
            self.db = Some(target_data::connect_database(&self.suite).await?);
        }
        if self.db.is_none() {
            let suite = self.suite.clone();
            let host = blocking("the database's address", move || suite.container_ip("supabase", "db")).await?.map_err(|p| p.to_string())?;
            let password = self.suite.secret("POSTGRES_PASSWORD").map_err(|p| p.to_string())?;
            let db = Db::connect(&host, 5432, "supabase_admin", &password, "postgres", Duration::from_secs(30)).await.map_err(|e| e.to_string())?;
            self.db = Some(db);
        }
        Ok(self.db.as_ref().expect("connected above"))
    }
}

/// The one of `all` that a feature names `text`: what the enums steps read from Gherkin share. The
/// error names `what` and lists every known name.
pub(crate) fn by_name<T: Copy, const N: usize>(all: [T; N], name: fn(T) -> &'static str, what: &str, text: &str) -> Result<T, String> {
    all.into_iter()
        .find(|t| name(*t) == text)
        .ok_or_else(|| format!("no {what} is called {text:?} (known: {})", all.map(|t| format!("{:?}", name(t))).join(", ")))
}

/// Run blocking work — the docker CLI, a browser driver — on tokio's blocking threads, so steps of
/// other scenarios' tasks and the runtime's timers keep running meanwhile.
pub async fn blocking<T: Send + 'static>(what: &str, work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(work).await.map_err(|e| format!("{what}: {e}"))
}

/// Run the one scenario `case` names; its cucumber JSON goes to `report`. `Err` carries why it failed.
/// The caller owns `suite`; the scenario's World borrows it only while it runs.
pub fn run_scenario(suite: Arc<Suite>, case: &Case, report: &Path) -> Result<(), String> {
    *SUITE.lock().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&suite);
    if let Some(dir) = report.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    }
    let json = std::fs::File::create(report).map_err(|e| format!("{}: cannot create: {e}", report.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("tokio runtime: {e}"))?;
    let (scenario, line) = (case.scenario.clone(), case.line);
    let out = writer::Basic::raw(std::io::stdout(), Coloring::Never, 0).summarized().tee::<AiwahWorld, _>(writer::Json::for_tee(json)).normalized();
    let finished = runtime.block_on(async {
        AiwahWorld::cucumber()
            .after(target_data::after_scenario)
            .with_writer(out)
            .fail_on_skipped()
            .with_default_cli()
            .filter_run(case.feature_file.clone(), move |_, _, s| s.name == scenario && s.position.line == line)
            .await
    });
    drop(runtime);
    drop(suite);
    use cucumber::writer::Stats as _;
    if finished.execution_has_failed() || finished.skipped_steps() > 0 {
        return Err(format!(
            "{}: failed ({} failed and {} undefined or skipped steps, {} parse errors, {} hook errors) — see the steps above",
            case.name,
            finished.failed_steps(),
            finished.skipped_steps(),
            finished.parsing_errors(),
            finished.hook_errors()
        ));
    }
    drop(finished);
    // The filter must have picked exactly this scenario: the report says what ran.
    let ran: Vec<serde_json::Value> = std::fs::read_to_string(report).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    let scenarios = ran.iter().flat_map(|f| f["elements"].as_array().cloned().unwrap_or_default()).filter(|e| e["type"] == "scenario").count();
    if scenarios != 1 {
        return Err(format!("{}: expected to run exactly one scenario, ran {scenarios} ({} line {})", case.name, case.feature_file.display(), case.line));
    }
    Ok(())
}

/// Every step of every scenario — skipped ones included — matches exactly one definition.
pub fn check_definitions(cases: &[Case]) -> Result<(), String> {
    let steps = AiwahWorld::collection();
    let mut files: Vec<&Path> = cases.iter().map(|c| c.feature_file.as_path()).collect();
    files.dedup();
    let mut problems = Vec::new();
    for file in files {
        let feature = gherkin::Feature::parse_path(file, gherkin::GherkinEnv::default()).map_err(|e| format!("{}: {e}", file.display()))?;
        let feature = cucumber::feature::Ext::expand_examples(feature).map_err(|e| format!("{}: {e}", file.display()))?;
        let scenarios = feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| &r.scenarios));
        // The catalog (aiwah-harness, no cucumber) expands outlines itself: it must name and place
        // every scenario exactly as cucumber does, or filters would pick nothing.
        let by_cucumber: Vec<(String, usize)> = scenarios.clone().map(|s| (s.name.clone(), s.position.line)).collect();
        let by_catalog: Vec<(String, usize)> = cases.iter().filter(|c| c.feature_file == file).map(|c| (c.scenario.clone(), c.line)).collect();
        if by_cucumber != by_catalog {
            problems.push(format!("{}: the catalog expands scenarios as {by_catalog:?}, cucumber as {by_cucumber:?}", file.display()));
        }
        let backgrounds = feature.background.iter().chain(feature.rules.iter().filter_map(|r| r.background.as_ref()));
        for step in scenarios.flat_map(|s| &s.steps).chain(backgrounds.flat_map(|b| &b.steps)) {
            match steps.find(step) {
                Ok(Some(_)) => {}
                Ok(None) => problems.push(format!("{}:{}: no step definition matches {:?}", file.display(), step.position.line, step.value)),
                Err(e) => problems.push(format!("{}:{}: {:?} matches several definitions: {e:?}", file.display(), step.position.line, step.value)),
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
}
