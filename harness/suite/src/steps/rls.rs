//! Row-level security on `public.todos`, asked two ways: in SQL as the API roles (the way PostgREST
//! runs a request: role and JWT claims set per transaction) and through Kong and PostgREST.

use aiwah_harness::secrets::Role;
use cucumber::{given, then, when};
use serde_json::json;

use crate::steps::AiwahWorld;

const LIST: &str = "select id::text, title, done from public.todos order by title";

#[derive(Debug, Default)]
pub struct State {
    /// Titles the last listing returned.
    seen: Vec<String>,
    /// SQLSTATE / PostgREST code and HTTP status (0 for SQL) of the last refusal.
    refused: Option<(String, u16)>,
    changed: usize,
}

impl AiwahWorld {
    /// Insert a todo for `owner` as the database admin; remembers its id by title.
    pub async fn write_todo(&mut self, owner: &str, title: &str) -> Result<String, String> {
        let user = self.user(owner)?.id.clone();
        let rows = self
            .db()
            .await?
            .admin("insert into public.todos (title, user_id) values ($1::text, $2::text::uuid) returning id::text", &[&title.to_string(), &user])
            .await
            .map_err(|e| e.to_string())?;
        let id: String = rows.first().map(|r| r.get(0)).ok_or("insert returned no id")?;
        self.todos.insert(title.to_string(), id.clone());
        Ok(id)
    }

    async fn list_sql(&mut self, role: Role, user: Option<&str>) -> Result<(), String> {
        let sub = match user {
            Some(name) => Some(self.user(name)?.id.clone()),
            None => None,
        };
        match self.db().await?.as_role(role, sub.as_deref(), LIST, &[]).await {
            Ok(rows) => self.rls.seen = rows.iter().map(|r| r.get::<_, String>(1)).collect(),
            Err(e) => self.rls.refused = Some((e.sqlstate.clone().unwrap_or_default(), 0)),
        }
        Ok(())
    }

    async fn list_rest(&mut self, bearer: Option<String>) -> Result<(), String> {
        match self.rest()?.select("todos", "select=id,title,done&order=title", bearer.as_deref()).await {
            Ok(rows) => self.rls.seen = rows.iter().filter_map(|r| r["title"].as_str().map(String::from)).collect(),
            Err(e) => self.rls.refused = Some((e.code.clone().unwrap_or_default(), e.status)),
        }
        Ok(())
    }
}

#[given(expr = "{string} has a todo {string} and {string} has a todo {string}")]
async fn todos_exist(w: &mut AiwahWorld, a: String, a_title: String, b: String, b_title: String) -> Result<(), String> {
    w.write_todo(&a, &a_title).await?;
    w.write_todo(&b, &b_title).await.map(|_| ())
}

#[when(expr = "{string} lists the todos in SQL")]
async fn user_lists_sql(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    w.list_sql(Role::Authenticated, Some(&name)).await
}

#[when(expr = "an anonymous caller lists the todos in SQL")]
async fn anon_lists_sql(w: &mut AiwahWorld) -> Result<(), String> {
    w.list_sql(Role::Anon, None).await
}

#[when(expr = "the service role lists the todos in SQL")]
async fn service_lists_sql(w: &mut AiwahWorld) -> Result<(), String> {
    w.list_sql(Role::ServiceRole, None).await
}

#[when(expr = "{string} adds a todo {string} for {string} in SQL")]
async fn add_for_other_sql(w: &mut AiwahWorld, name: String, title: String, other: String) -> Result<(), String> {
    let (me, them) = (w.user(&name)?.id.clone(), w.user(&other)?.id.clone());
    let result = w
        .db()
        .await?
        .as_role(Role::Authenticated, Some(&me), "insert into public.todos (title, user_id) values ($1::text, $2::text::uuid)", &[&title, &them])
        .await;
    match result {
        Ok(_) => Err(format!("{name} wrote a todo owned by {other}: row-level security let it through")),
        Err(e) => {
            w.rls.refused = Some((e.sqlstate.clone().unwrap_or_default(), 0));
            println!("refused: {e}");
            Ok(())
        }
    }
}

#[when(expr = "{string} marks every todo done in SQL")]
async fn mark_all_sql(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let me = w.user(&name)?.id.clone();
    let rows = w
        .db()
        .await?
        .as_role(Role::Authenticated, Some(&me), "update public.todos set done = true returning id::text", &[])
        .await
        .map_err(|e| e.to_string())?;
    w.rls.changed = rows.len();
    Ok(())
}

#[when(expr = "{string} lists the todos through REST")]
async fn user_lists_rest(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let token = w.token_for(&name)?;
    w.list_rest(Some(token)).await
}

#[when(expr = "the anon key alone lists the todos through REST")]
async fn anon_lists_rest(w: &mut AiwahWorld) -> Result<(), String> {
    w.list_rest(None).await
}

#[when(expr = "the service role lists the todos through REST")]
async fn service_lists_rest(w: &mut AiwahWorld) -> Result<(), String> {
    let key = w.service_key()?;
    w.list_rest(Some(key)).await
}

#[when(expr = "{string} adds a todo {string} for {string} through REST")]
async fn add_for_other_rest(w: &mut AiwahWorld, name: String, title: String, other: String) -> Result<(), String> {
    let (token, them) = (w.token_for(&name)?, w.user(&other)?.id.clone());
    match w.rest()?.insert("todos", &json!({ "title": title, "user_id": them }), Some(&token)).await {
        Ok(rows) => Err(format!("{name} wrote a todo owned by {other} through REST: {rows:?}")),
        Err(e) => {
            w.rls.refused = Some((e.code.clone().unwrap_or_default(), e.status));
            Ok(())
        }
    }
}

#[when(expr = "{string} marks every todo done through REST")]
async fn mark_all_rest(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let token = w.token_for(&name)?;
    // PostgREST refuses an unfiltered PATCH only when configured to; a filter that matches every row
    // is what a careless client sends.
    let rows = w.rest()?.update("todos", "id=gt.0", &json!({ "done": true }), Some(&token)).await.map_err(|e| e.to_string())?;
    w.rls.changed = rows.len();
    Ok(())
}

#[then(expr = "she sees exactly the todos {string}")]
async fn sees_exactly(w: &mut AiwahWorld, title: String) -> Result<(), String> {
    if let Some((code, status)) = &w.rls.refused {
        return Err(format!("the listing was refused ({code}, HTTP {status})"));
    }
    if w.rls.seen == [title.clone()] { Ok(()) } else { Err(format!("saw {:?}, expected exactly [{title:?}]", w.rls.seen)) }
}

#[then(expr = "it sees the todos {string} and {string}")]
async fn sees_both(w: &mut AiwahWorld, a: String, b: String) -> Result<(), String> {
    let missing: Vec<&String> = [&a, &b].into_iter().filter(|t| !w.rls.seen.contains(t)).collect();
    if missing.is_empty() { Ok(()) } else { Err(format!("missing {missing:?} among {} todos seen", w.rls.seen.len())) }
}

#[then(expr = "the database refuses it with SQLSTATE {word}")]
async fn sql_refused(w: &mut AiwahWorld, code: String) -> Result<(), String> {
    match &w.rls.refused {
        Some((got, _)) if *got == code => Ok(()),
        Some((got, _)) => Err(format!("refused with SQLSTATE {got}, expected {code}")),
        None => Err(format!("not refused (saw {} todos), expected SQLSTATE {code}", w.rls.seen.len())),
    }
}

#[then(expr = "REST refuses it with HTTP {int} and code {word}")]
async fn rest_refused(w: &mut AiwahWorld, status: u16, code: String) -> Result<(), String> {
    match &w.rls.refused {
        Some((got, s)) if *got == code && *s == status => Ok(()),
        Some((got, s)) => Err(format!("refused with HTTP {s} {got}, expected HTTP {status} {code}")),
        None => Err(format!("not refused (saw {} todos)", w.rls.seen.len())),
    }
}

#[then(expr = "{int} todo was changed")]
async fn changed(w: &mut AiwahWorld, n: usize) -> Result<(), String> {
    if w.rls.changed == n { Ok(()) } else { Err(format!("{} todos were changed, expected {n}", w.rls.changed)) }
}

#[then(expr = "the todo {string} is still not done")]
async fn still_not_done(w: &mut AiwahWorld, title: String) -> Result<(), String> {
    let id = w.todos.get(&title).cloned().ok_or_else(|| format!("this scenario wrote no todo {title:?}"))?;
    let rows = w.db().await?.admin("select done from public.todos where id = $1::text::bigint", &[&id]).await.map_err(|e| e.to_string())?;
    match rows.first().map(|r| r.get::<_, bool>(0)) {
        Some(false) => Ok(()),
        Some(true) => Err(format!("{title:?} was marked done by another user")),
        None => Err(format!("{title:?} is gone")),
    }
}
