//! GoTrue through Kong: sign-up, password and refresh grants, /user, logout, admin with the
//! service key — and what is refused.

use std::fmt;
use std::str::FromStr;

use aiwah_harness::secrets::Role;
use cucumber::{then, when};

use crate::clients::auth::{Auth, Session, SignUp, User};
use crate::clients::http::ApiError;
use crate::steps::AiwahWorld;
use crate::steps::users::password;

#[derive(Debug, Default)]
pub struct State {
    email: String,
    session: Option<Session>,
    /// GoTrue's answer to the last call a `Then` judges.
    last: Option<Result<Answered, ApiError>>,
    /// The refresh tokens of the scenario's signed-up user's session.
    chain: Option<RefreshChain>,
    /// A user the service role made: (id, email, password).
    admin_made: Option<(String, String, String)>,
    /// GoTrue's `/user` answer, with the id and email it should carry.
    user_answer: Option<(User, String, String)>,
}

/// What GoTrue answered instead of a refusal, for the report when a refusal was expected.
#[derive(Debug, Clone)]
pub enum Answered {
    Session(Session),
    User(User),
    Users(usize),
}

/// Which refresh token of a session's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The one the session started with.
    First,
    /// The one the last successful rotation returned (the first, before any).
    Newest,
}

impl FromStr for Which {
    type Err = String;
    fn from_str(s: &str) -> Result<Which, String> {
        match s {
            "first" => Ok(Which::First),
            "newest" => Ok(Which::Newest),
            other => Err(format!("no refresh token is called {other:?} (first, newest)")),
        }
    }
}

/// The refresh tokens one session went through, oldest first, and the access tokens that came
/// with them. GoTrue's rules (supabase/auth v2.196.0 `internal/tokens/service.go`, refresh tokens
/// of algorithm version 0, the default): a refresh revokes the token and issues its child; the
/// revoked parent of the active token is answered with the active token; any other revoked token
/// outside `GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL` is refused with 400
/// `refresh_token_already_used` and every token of its session is revoked.
#[derive(Clone, Default)]
pub struct RefreshChain {
    refresh: Vec<String>,
    access: Vec<String>,
}

// Hand-written so a failing scenario never prints tokens.
impl fmt::Debug for RefreshChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefreshChain({} refresh tokens)", self.refresh.len())
    }
}

impl RefreshChain {
    pub fn new(session: &Session) -> RefreshChain {
        RefreshChain { refresh: vec![session.refresh_token.clone()], access: vec![session.access_token.clone()] }
    }

    pub fn token(&self, which: Which) -> &str {
        match which {
            Which::First => self.refresh.first(),
            Which::Newest => self.refresh.last(),
        }
        .map(String::as_str)
        .unwrap_or("")
    }

    /// Refreshes with the newest token; GoTrue's new tokens become the newest.
    pub async fn rotate(&mut self, auth: &Auth) -> Result<(), String> {
        let session = auth.refresh(self.token(Which::Newest)).await.map_err(|e| e.to_string())?;
        self.refresh.push(session.refresh_token);
        self.access.push(session.access_token);
        Ok(())
    }

    /// Refreshes with `which` token and returns GoTrue's answer, whatever it is; the chain is left
    /// as it was (the answer is judged, not followed).
    pub async fn refresh_with(&self, auth: &Auth, which: Which) -> Result<Session, ApiError> {
        auth.refresh(self.token(which)).await
    }

    /// The last rotation gave a new access token and a refresh token unlike every earlier one.
    pub fn check_rotated(&self) -> Result<(), String> {
        let n = self.refresh.len();
        if n < 2 {
            return Err("the session was never refreshed".into());
        }
        let (new, earlier) = (&self.refresh[n - 1], &self.refresh[..n - 1]);
        if earlier.contains(new) {
            Err("the refresh returned a refresh token the session already had: it did not rotate".into())
        } else if self.access[n - 1].is_empty() || self.access[..n - 1].contains(&self.access[n - 1]) {
            Err("the refresh returned no new access token".into())
        } else {
            Ok(())
        }
    }

    /// `answer` is a session carrying the chain's newest refresh token (GoTrue's answer to the
    /// parent of the active token).
    pub fn check_answered_with_newest(&self, answer: &Result<Session, ApiError>) -> Result<(), String> {
        match answer {
            Ok(s) if s.refresh_token == self.token(Which::Newest) && !s.access_token.is_empty() => Ok(()),
            Ok(s) => match self.refresh.iter().position(|t| *t == s.refresh_token) {
                Some(i) => Err(format!("GoTrue answered with refresh token #{} of {}, not the newest", i + 1, self.refresh.len())),
                None => Err("GoTrue answered with a refresh token the session never had: it rotated the reused token".into()),
            },
            Err(e) => Err(format!("GoTrue refused it: {e}; expected its answer to carry the newest refresh token")),
        }
    }
}

/// `last` is GoTrue refusing with `status` and `code` (its `error_code`).
pub fn check_refused(last: Option<&Result<Answered, ApiError>>, status: u16, code: &str) -> Result<(), String> {
    match last {
        None => Err("nothing was asked of GoTrue".into()),
        Some(Ok(answered)) => Err(format!("GoTrue answered {}; expected HTTP {status} {code}", describe(answered))),
        Some(Err(e)) if e.status == status && e.code.as_deref() == Some(code) => Ok(()),
        Some(Err(e)) => Err(format!("refused with {e}; expected HTTP {status} {code}")),
    }
}

fn describe(answered: &Answered) -> String {
    match answered {
        Answered::Session(s) => format!("with a session for user {}", s.user.id),
        Answered::User(u) => format!("with the user {}", u.id),
        Answered::Users(n) => format!("with a list of {n} users"),
    }
}

fn session_of<'a>(w: &'a AiwahWorld, name: &str) -> Result<&'a Session, String> {
    w.user(name)?.session.as_ref().ok_or_else(|| format!("{name} has no session (sign her up through the API)"))
}

/// The chain of `name`'s session, started from her sign-up session on first use.
fn chain_of<'a>(w: &'a mut AiwahWorld, name: &str) -> Result<&'a mut RefreshChain, String> {
    if w.auth.chain.is_none() {
        w.auth.chain = Some(RefreshChain::new(session_of(w, name)?));
    }
    Ok(w.auth.chain.as_mut().expect("set above"))
}

#[when("a new user signs up with an email and a password")]
async fn sign_up_new(w: &mut AiwahWorld) -> Result<(), String> {
    let email = w.unique_email("new");
    match w.auth_client()?.sign_up(&email, &password()).await.map_err(|e| e.to_string())? {
        SignUp::Session(s) => w.auth.session = Some(s),
        SignUp::User(u) => return Err(format!("sign-up returned the unconfirmed user {} and no session: autoconfirm is off", u.id)),
    }
    w.auth.email = email;
    Ok(())
}

#[then("they get a session for that email")]
async fn session_for_email(w: &mut AiwahWorld) -> Result<(), String> {
    let s = w.auth.session.as_ref().ok_or("no session")?;
    if s.user.email.as_deref() == Some(w.auth.email.as_str()) && !s.access_token.is_empty() {
        Ok(())
    } else {
        Err(format!("session is for {:?}", s.user.email))
    }
}

#[when(expr = "{string} signs in with her password")]
async fn sign_in(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let user = w.user(&name)?.clone();
    w.auth.session = Some(w.auth_client()?.sign_in_with_password(&user.email, &user.password).await.map_err(|e| e.to_string())?);
    w.auth.email = user.email;
    Ok(())
}

#[then("she gets a session whose token names her")]
async fn token_names_her(w: &mut AiwahWorld) -> Result<(), String> {
    let s = w.auth.session.as_ref().ok_or("no session")?;
    let secret = w.suite.secret("JWT_SECRET").map_err(|p| p.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["authenticated"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(&s.access_token, &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map_err(|e| format!("access token does not verify with the deployment's secret: {e}"))?
        .claims;
    if claims["sub"] == s.user.id.as_str() && claims["email"] == w.auth.email.as_str() && claims["role"] == Role::Authenticated.as_str() {
        Ok(())
    } else {
        Err(format!("token claims sub={} email={} role={}", claims["sub"], claims["email"], claims["role"]))
    }
}

#[when(expr = "{string} signs in with a wrong password")]
async fn sign_in_wrong(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let email = w.user(&name)?.email.clone();
    w.auth.last = Some(w.auth_client()?.sign_in_with_password(&email, "Wrong-password-1").await.map(Answered::Session));
    Ok(())
}

#[then(expr = "GoTrue refuses it with HTTP {int} and code {word}")]
async fn gotrue_refused(w: &mut AiwahWorld, status: u16, code: String) -> Result<(), String> {
    check_refused(w.auth.last.as_ref(), status, &code)
}

#[when(expr = "{string} refreshes her session")]
async fn refresh(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let auth = w.auth_client()?;
    chain_of(w, &name)?.rotate(&auth).await
}

#[when(expr = "{string} refreshes with her {word} refresh token")]
async fn refresh_with(w: &mut AiwahWorld, name: String, which: String) -> Result<(), String> {
    let (which, auth): (Which, Auth) = (which.parse()?, w.auth_client()?);
    let answer = chain_of(w, &name)?.refresh_with(&auth, which).await;
    w.auth.last = Some(answer.map(Answered::Session));
    Ok(())
}

#[then("she gets a new access token and a different refresh token")]
async fn rotated(w: &mut AiwahWorld) -> Result<(), String> {
    w.auth.chain.as_ref().ok_or("no session was refreshed")?.check_rotated()
}

#[then("GoTrue answers with her newest refresh token")]
async fn answered_with_newest(w: &mut AiwahWorld) -> Result<(), String> {
    let chain = w.auth.chain.as_ref().ok_or("no session was refreshed")?;
    let answer = match w.auth.last.clone().ok_or("nothing was asked of GoTrue")? {
        Ok(Answered::Session(s)) => Ok(s),
        Ok(other) => return Err(format!("GoTrue answered {}, not a session", describe(&other))),
        Err(e) => Err(e),
    };
    chain.check_answered_with_newest(&answer)
}

#[when(expr = "{string} asks who she is")]
async fn who_am_i(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let token = session_of(w, &name)?.access_token.clone();
    let answer = w.auth_client()?.user(&token).await.map_err(|e| e.to_string())?;
    let user = w.user(&name)?;
    w.auth.user_answer = Some((answer, user.id.clone(), user.email.clone()));
    Ok(())
}

#[then("GoTrue answers with her id and email")]
async fn answered_user(w: &mut AiwahWorld) -> Result<(), String> {
    let (u, id, email) = w.auth.user_answer.as_ref().ok_or("no answer")?;
    if u.id == *id && u.email.as_deref() == Some(email.as_str()) { Ok(()) } else { Err(format!("answered {} {:?}, expected {id} {email}", u.id, u.email)) }
}

#[when(expr = "{string} signs out")]
async fn sign_out(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let access = session_of(w, &name)?.access_token.clone();
    chain_of(w, &name)?;
    w.auth_client()?.logout(&access).await.map_err(|e| e.to_string())
}

#[when(expr = "{string} asks who she is with her old access token")]
async fn who_am_i_after(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let access = session_of(w, &name)?.access_token.clone();
    w.auth.last = Some(w.auth_client()?.user(&access).await.map(Answered::User));
    Ok(())
}

#[when("the service role creates a confirmed user")]
async fn admin_create(w: &mut AiwahWorld) -> Result<(), String> {
    let (email, pw) = (w.unique_email("made"), password());
    let user = w.auth_client()?.admin_create_user(&w.service_key()?, &email, &pw, true).await.map_err(|e| e.to_string())?;
    w.auth.admin_made = Some((user.id, email, pw));
    Ok(())
}

#[then("that user can sign in")]
async fn made_signs_in(w: &mut AiwahWorld) -> Result<(), String> {
    let (_, email, pw) = w.auth.admin_made.clone().ok_or("no user was made")?;
    w.auth_client()?.sign_in_with_password(&email, &pw).await.map(|_| ()).map_err(|e| e.to_string())
}

#[when("the service role deletes that user")]
async fn admin_delete(w: &mut AiwahWorld) -> Result<(), String> {
    let (id, _, _) = w.auth.admin_made.clone().ok_or("no user was made")?;
    w.auth_client()?.admin_delete_user(&w.service_key()?, &id).await.map_err(|e| e.to_string())
}

#[then("that user can no longer sign in")]
async fn made_refused(w: &mut AiwahWorld) -> Result<(), String> {
    let (_, email, pw) = w.auth.admin_made.clone().ok_or("no user was made")?;
    match w.auth_client()?.sign_in_with_password(&email, &pw).await {
        Ok(_) => Err("a deleted user signed in".into()),
        Err(e) if e.code.as_deref() == Some("invalid_credentials") => Ok(()),
        Err(e) => Err(format!("refused, but not as invalid credentials: {e}")),
    }
}

#[when("the anon key, as apikey and bearer, asks GoTrue for the list of users")]
async fn anon_admin(w: &mut AiwahWorld) -> Result<(), String> {
    let anon = w.suite.secret("ANON_KEY").map_err(|p| p.to_string())?;
    w.auth.last = Some(w.auth_client()?.admin_list_users(&anon).await.map(|users| Answered::Users(users.len())));
    Ok(())
}
