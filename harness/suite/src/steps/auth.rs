//! GoTrue through Kong: sign-up, password and refresh grants, /user, logout, admin with the
//! service key — and what is refused.

use cucumber::{then, when};

use crate::clients::auth::{Session, SignUp};
use crate::clients::http::ApiError;
use crate::steps::AiwahWorld;
use crate::steps::users::{password, unique_email};

#[derive(Debug, Default)]
pub struct State {
    email: String,
    session: Option<Session>,
    /// The refresh token before the step that should have rotated or revoked it.
    old_refresh: Option<String>,
    refused: Option<ApiError>,
    /// A user the service role made: (id, email, password).
    admin_made: Option<(String, String, String)>,
    user_answer: Option<crate::clients::auth::User>,
}

fn session_of<'a>(w: &'a AiwahWorld, name: &str) -> Result<&'a Session, String> {
    w.user(name)?.session.as_ref().ok_or_else(|| format!("{name} has no session (sign her up through the API)"))
}

#[when("a new user signs up with an email and a password")]
async fn sign_up_new(w: &mut AiwahWorld) -> Result<(), String> {
    let email = unique_email("new");
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
    if claims["sub"] == s.user.id.as_str() && claims["email"] == w.auth.email.as_str() && claims["role"] == "authenticated" {
        Ok(())
    } else {
        Err(format!("token claims sub={} email={} role={}", claims["sub"], claims["email"], claims["role"]))
    }
}

#[when(expr = "{string} signs in with a wrong password")]
async fn sign_in_wrong(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let email = w.user(&name)?.email.clone();
    match w.auth_client()?.sign_in_with_password(&email, "Wrong-password-1").await {
        Ok(_) => Err("a wrong password was accepted".into()),
        Err(e) => {
            w.auth.refused = Some(e);
            Ok(())
        }
    }
}

#[then(expr = "GoTrue refuses it with HTTP {int} and code {word}")]
async fn gotrue_refused(w: &mut AiwahWorld, status: u16, code: String) -> Result<(), String> {
    let e = w.auth.refused.as_ref().ok_or("nothing was refused")?;
    if e.status == status && e.code.as_deref() == Some(code.as_str()) { Ok(()) } else { Err(format!("refused with {e}, expected HTTP {status} {code}")) }
}

#[then(expr = "GoTrue refuses it with HTTP {int} or {int}")]
async fn gotrue_refused_either(w: &mut AiwahWorld, a: u16, b: u16) -> Result<(), String> {
    let e = w.auth.refused.as_ref().ok_or("nothing was refused")?;
    if e.status == a || e.status == b { Ok(()) } else { Err(format!("refused with {e}, expected HTTP {a} or {b}")) }
}

#[when(expr = "{string} refreshes her session")]
async fn refresh(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let old = session_of(w, &name)?.refresh_token.clone();
    w.auth.session = Some(w.auth_client()?.refresh(&old).await.map_err(|e| e.to_string())?);
    w.auth.old_refresh = Some(old);
    Ok(())
}

#[then("she gets a new access token and a different refresh token")]
async fn rotated(w: &mut AiwahWorld) -> Result<(), String> {
    let s = w.auth.session.as_ref().ok_or("no session")?;
    if Some(&s.refresh_token) != w.auth.old_refresh.as_ref() && !s.access_token.is_empty() { Ok(()) } else { Err("the refresh token did not rotate".into()) }
}

#[then(expr = "the old refresh token cannot be used again")]
async fn old_refused(w: &mut AiwahWorld) -> Result<(), String> {
    let old = w.auth.old_refresh.clone().ok_or("no old refresh token")?;
    refresh_refused(w, &old).await
}

#[then(expr = "her refresh token cannot be used again")]
async fn her_refresh_refused(w: &mut AiwahWorld) -> Result<(), String> {
    let old = w.auth.old_refresh.clone().ok_or("no refresh token kept")?;
    refresh_refused(w, &old).await
}

async fn refresh_refused(w: &AiwahWorld, token: &str) -> Result<(), String> {
    // The reuse interval lets a just-rotated token refresh once more within seconds; past it the
    // token is refused. Logout revokes at once.
    match w.auth_client()?.refresh(token).await {
        Ok(_) => Err("the refresh token still works".into()),
        Err(e) if e.status == 400 || e.status == 401 => Ok(()),
        Err(e) => Err(format!("unexpected refusal: {e}")),
    }
}

#[when(expr = "{string} asks who she is")]
async fn who_am_i(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let token = session_of(w, &name)?.access_token.clone();
    w.auth.user_answer = Some(w.auth_client()?.user(&token).await.map_err(|e| e.to_string())?);
    w.auth.email = w.user(&name)?.email.clone();
    w.auth.admin_made = Some((w.user(&name)?.id.clone(), String::new(), String::new()));
    Ok(())
}

#[then("GoTrue answers with her id and email")]
async fn answered_user(w: &mut AiwahWorld) -> Result<(), String> {
    let u = w.auth.user_answer.as_ref().ok_or("no answer")?;
    let id = w.auth.admin_made.as_ref().map(|m| m.0.clone()).unwrap_or_default();
    if u.id == id && u.email.as_deref() == Some(w.auth.email.as_str()) { Ok(()) } else { Err(format!("answered {} {:?}", u.id, u.email)) }
}

#[when(expr = "{string} signs out")]
async fn sign_out(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let s = session_of(w, &name)?.clone();
    w.auth_client()?.logout(&s.access_token).await.map_err(|e| e.to_string())?;
    w.auth.old_refresh = Some(s.refresh_token);
    Ok(())
}

#[when("the service role creates a confirmed user")]
async fn admin_create(w: &mut AiwahWorld) -> Result<(), String> {
    let (email, pw) = (unique_email("made"), password());
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

#[when("the anon key alone asks for the list of users")]
async fn anon_admin(w: &mut AiwahWorld) -> Result<(), String> {
    let anon = w.suite.secret("ANON_KEY").map_err(|p| p.to_string())?;
    match w.auth_client()?.admin_list_users(&anon).await {
        Ok(users) => Err(format!("the anon key listed {} users", users.len())),
        Err(e) => {
            w.auth.refused = Some(e);
            Ok(())
        }
    }
}
