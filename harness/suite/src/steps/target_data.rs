//! Test data in target mode. A target is someone's running platform: every user and workflow a
//! scenario creates carries the scenario's data tag (`<run id>-<fresh>`, in emails and workflow
//! names), and the scenario removes them when it ends, failed or not. Todos go with their users
//! (`on delete cascade`). What cannot be removed fails the scenario, naming the tag.

use std::time::Duration;

use cucumber::event::ScenarioFinished;
use cucumber::gherkin::{Feature, Rule, Scenario};
use futures_util::future::LocalBoxFuture;

use aiwah_harness::suite::shared::Suite;
use aiwah_harness::suite::target::run_id;

use crate::clients::auth::Auth;
use crate::clients::db::Db;
use crate::clients::n8n::N8n;
use crate::steps::AiwahWorld;
use crate::steps::users::email_domain_suffix;

/// A data tag for one scenario: the run's id and a fresh part (scenarios of one run run side by side).
pub fn new_data_tag() -> String {
    format!("{}-{}", run_id(), aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 6))
}

/// The Supabase database at the target's `database_url`.
pub async fn connect_database(suite: &Suite) -> Result<Db, String> {
    let target = suite.target.as_ref().ok_or("not in target mode")?;
    let url = target
        .database
        .as_ref()
        .ok_or_else(|| format!("{}: gives no database_url (a scenario that needs it is tagged @uses:database)", target.file.display()))?;
    Db::connect(&url.host, url.port, &url.user, &url.password, &url.dbname, Duration::from_secs(30))
        .await
        .map_err(|e| format!("{}: database_url: {e}", target.file.display()))
}

/// Cucumber's after hook: in target mode, remove what the scenario created.
pub fn after_scenario<'a>(
    feature: &'a Feature,
    rule: Option<&'a Rule>,
    scenario: &'a Scenario,
    _: &'a ScenarioFinished,
    world: Option<&'a mut AiwahWorld>,
) -> LocalBoxFuture<'a, ()> {
    // Only a scenario that needs GoTrue can have made users through it.
    let tags = feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(&scenario.tags);
    let through_gotrue = tags.into_iter().any(|t| t == "needs:supabase-auth");
    Box::pin(async move {
        let Some(w) = world.filter(|w| w.suite.target.is_some()) else { return };
        match remove(w, through_gotrue).await {
            Ok(removed) => println!("target: removed the test data tagged {} ({removed})", w.data_tag),
            // A hook that panics fails the scenario: data left on someone's platform is a failure.
            Err(problem) => panic!("target: test data tagged {} is left on the target: {problem}", w.data_tag),
        }
    })
}

async fn remove(w: &mut AiwahWorld, through_gotrue: bool) -> Result<String, String> {
    let target = w.suite.target.clone().ok_or("not in target mode")?;
    let mut workflows = 0;
    if let Some(id) = w.n8n.workflow.take() {
        let n8n = N8n::new(&w.suite.n8n).with_api_key(target.n8n_api_key.clone());
        n8n.delete_workflow(&id).await.map_err(|e| format!("workflow {id}: {e}"))?;
        workflows += 1;
    }
    let suffix = email_domain_suffix(&w.data_tag);
    let users = if target.database.is_some() {
        let sql = "delete from auth.users where email like '%' || $1::text returning id::text";
        w.db().await?.admin(sql, &[&suffix]).await.map_err(|e| format!("users *{suffix}: {e}"))?.len()
    } else if !through_gotrue {
        0
    } else {
        // Without SQL, through GoTrue's admin API with the service key.
        let auth = Auth::new(&w.suite.gateway, &target.anon_key);
        let mut removed = 0;
        for user in auth.admin_list_users(&target.service_role_key).await.map_err(|e| format!("listing users: {e}"))? {
            if user.email.as_deref().is_some_and(|e| e.ends_with(&suffix)) {
                auth.admin_delete_user(&target.service_role_key, &user.id).await.map_err(|e| format!("user {}: {e}", user.id))?;
                removed += 1;
            }
        }
        removed
    };
    Ok(format!("{users} users with their todos, {workflows} workflows"))
}
