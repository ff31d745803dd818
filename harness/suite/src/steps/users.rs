//! Test users: made directly in `auth.users` (scenarios about the database and Realtime, which need
//! a user id, not GoTrue), or signed up through GoTrue (scenarios about the API). Emails are unique
//! per scenario, so scenarios running side by side never share a user.

use aiwah_harness::secrets::Role;
use cucumber::given;
use serde::Serialize;

use crate::clients::auth::{Session, SignUp};
use crate::steps::AiwahWorld;

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    /// Set for users signed up through the API.
    pub session: Option<Session>,
}

pub fn unique_email(name: &str) -> String {
    format!("{name}.{}@aiwah.test", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 10))
}

/// Where every test user's email ends: the scenario's data tag (run id + scenario) names them all.
pub fn email_domain_suffix(data_tag: &str) -> String {
    format!(".{data_tag}@aiwah.test")
}

pub fn password() -> String {
    format!("Pw-{}", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20))
}

impl AiwahWorld {
    /// A fresh email carrying this scenario's data tag (what the end of a target run removes by).
    pub fn unique_email(&self, name: &str) -> String {
        let fresh = aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 6);
        format!("{name}.{fresh}{}", email_domain_suffix(&self.data_tag))
    }

    /// An access token for `name` signed with the deployment's JWT secret, as GoTrue would issue it.
    pub fn token_for(&self, name: &str) -> Result<String, String> {
        #[derive(Serialize)]
        struct Claims<'a> {
            sub: &'a str,
            role: Role,
            aud: &'a str,
            email: &'a str,
            iat: u64,
            exp: u64,
        }
        let user = self.user(name)?;
        if let Some(session) = &user.session {
            return Ok(session.access_token.clone());
        }
        let secret = self.suite.secret("JWT_SECRET").map_err(|p| p.to_string())?;
        let iat = aiwah_harness::secrets::keys::now();
        let claims = Claims { sub: &user.id, role: Role::Authenticated, aud: "authenticated", email: &user.email, iat, exp: iat + 3600 };
        Ok(aiwah_harness::secrets::keys::sign(&claims, &secret))
    }

    async fn create_user_in_db(&mut self, name: &str) -> Result<(), String> {
        let email = self.unique_email(name);
        // Columns of the image's own auth schema (GoTrue's migrations, which add more, may not have run).
        let sql = "insert into auth.users (instance_id, id, aud, role, email, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
                   values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1::text, '', '{}', '{}', now(), now()) returning id::text";
        let rows = self.db().await?.admin(sql, &[&email]).await.map_err(|e| format!("creating test user {name}: {e}"))?;
        let id: String = rows.first().map(|r| r.get(0)).ok_or("no id returned")?;
        self.users.insert(name.to_string(), TestUser { id, email, password: String::new(), session: None });
        Ok(())
    }

    pub async fn sign_up(&mut self, name: &str) -> Result<(), String> {
        let (email, password) = (self.unique_email(name), password());
        let session = match self.auth_client()?.sign_up(&email, &password).await.map_err(|e| e.to_string())? {
            SignUp::Session(session) => session,
            SignUp::User(_) => return Err("sign-up returned no session: is ENABLE_EMAIL_AUTOCONFIRM on?".into()),
        };
        self.users.insert(name.to_string(), TestUser { id: session.user.id.clone(), email, password, session: Some(session) });
        Ok(())
    }
}

#[given(expr = "users {string} and {string} exist")]
async fn users_exist(w: &mut AiwahWorld, a: String, b: String) -> Result<(), String> {
    w.create_user_in_db(&a).await?;
    w.create_user_in_db(&b).await
}

#[given(expr = "users {string} and {string} signed up through the API")]
async fn users_signed_up(w: &mut AiwahWorld, a: String, b: String) -> Result<(), String> {
    w.sign_up(&a).await?;
    w.sign_up(&b).await
}

#[given(expr = "a user {string} signed up through the API")]
async fn user_signed_up(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    w.sign_up(&name).await
}
