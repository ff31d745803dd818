//! The UI stack: health route, the sign-in form in headless Chromium (screenshot kept on failure),
//! the built bundle scanned for the service key, and — with the official images — a todo inserted
//! through REST appearing on the page without a reload.

use std::sync::Arc;
use std::time::Duration;

use cucumber::{given, then, when};
use serde_json::json;

use crate::clients::browser::Browser;
use crate::clients::bundle;
use crate::steps::{AiwahWorld, blocking};

#[derive(Default)]
pub struct State {
    health: Option<(u16, String)>,
    /// Shared with the blocking threads that drive it.
    browser: Option<Arc<Browser>>,
    leaks: Option<Vec<bundle::Leak>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ui::State {{ health: {:?}, browser: {} }}", self.health, self.browser.is_some())
    }
}

// The browser's WebDriver client is blocking: it must not be dropped on a runtime thread (Drop
// cannot await, so a plain thread closes the session and stops chromedriver).
impl Drop for State {
    fn drop(&mut self) {
        if let Some(browser) = self.browser.take() {
            let _ = std::thread::spawn(move || drop(browser)).join();
        }
    }
}

impl AiwahWorld {
    async fn browser(&mut self) -> Result<Arc<Browser>, String> {
        if self.ui.browser.is_none() {
            self.ui.browser = Some(Arc::new(blocking("starting Chromium", Browser::start).await?.map_err(|p| p.to_string())?));
        }
        Ok(self.ui.browser.clone().expect("started above"))
    }

    /// Keep what the browser saw, for the failure report.
    async fn screenshot(&self, name: &str) -> String {
        let Some(browser) = self.ui.browser.clone() else { return "no browser".into() };
        let file = self.suite.root.join("target/ui-screenshots").join(format!("{name}.png"));
        let shown = file.display().to_string();
        match blocking("screenshot", move || browser.save_screenshot(&file)).await {
            Ok(Ok(())) => format!("screenshot: {shown}"),
            Ok(Err(p)) => format!("no screenshot: {p}"),
            Err(e) => format!("no screenshot: {e}"),
        }
    }
}

#[when("the UI's health route is called")]
async fn health(w: &mut AiwahWorld) -> Result<(), String> {
    let url = format!("{}/api/health", w.suite.ui);
    let response = reqwest::Client::new().get(&url).send().await.map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status().as_u16();
    w.ui.health = Some((status, response.text().await.unwrap_or_default()));
    Ok(())
}

#[then("it answers HTTP 200 with status ok")]
async fn health_ok(w: &mut AiwahWorld) -> Result<(), String> {
    let (status, body) = w.ui.health.clone().ok_or("the health route was not called")?;
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    if status == 200 && json["status"] == "ok" { Ok(()) } else { Err(format!("HTTP {status}: {body}")) }
}

#[when("Chromium opens the UI's sign-in page")]
async fn open_login(w: &mut AiwahWorld) -> Result<(), String> {
    let url = format!("{}/login", w.suite.ui);
    let browser = w.browser().await?;
    blocking("opening the sign-in page", move || browser.goto(&url)).await?.map_err(|p| p.to_string())
}

#[then("the sign-in form is shown and ready for input")]
async fn form_ready(w: &mut AiwahWorld) -> Result<(), String> {
    let browser = w.browser().await?;
    let rendered = blocking("the sign-in form", move || -> aiwah_harness::Result<()> {
        // data-ready is set once React has hydrated the form: the bundle loaded and ran.
        let form = browser.wait_for("[data-testid=login-form][data-ready=true]", Duration::from_secs(30))?;
        if !form.is_displayed()? {
            return Err(aiwah_harness::Problem::new("ui/login", "the form is not displayed"));
        }
        for field in ["email", "password", "sign-in"] {
            browser.wait_for(&format!("[data-testid={field}]"), Duration::from_secs(5))?;
        }
        Ok(())
    })
    .await?;
    match rendered {
        Ok(()) => Ok(()),
        Err(p) => Err(format!("sign-in form did not render: {p} ({})", w.screenshot("login").await)),
    }
}

#[when("the UI image's built files are scanned")]
async fn scan(w: &mut AiwahWorld) -> Result<(), String> {
    let suite = w.suite.clone();
    let image = suite
        .deployment()?
        .models
        .iter()
        .find(|m| m.stack == "ui")
        .and_then(|m| m.config.services.get("ui")?.image.clone())
        .ok_or("the deployment runs no ui/ui image")?;
    let service_key = w.service_key()?;
    let dir = std::env::temp_dir().join(format!("aiwah-bundle-{}-{}", suite.deployment()?.id(), std::process::id()));
    let leaks = blocking("scanning the UI image", move || {
        let _ = std::fs::remove_dir_all(&dir);
        bundle::extract(&image, "/app/.next/static", &dir)?;
        let scan = bundle::scan_dir(&dir, &service_key);
        let _ = std::fs::remove_dir_all(&dir);
        let scan = scan?;
        println!("scanned {image}:/app/.next/static ({} files)", scan.files);
        Ok::<_, aiwah_harness::Problem>(scan.leaks)
    })
    .await?
    .map_err(|p| p.to_string())?;
    w.ui.leaks = Some(leaks);
    Ok(())
}

#[then("they contain neither the service key, nor its payload, nor any service_role token")]
async fn no_leaks(w: &mut AiwahWorld) -> Result<(), String> {
    match w.ui.leaks.as_deref() {
        Some([]) => Ok(()),
        Some(leaks) => Err(format!("the browser bundle leaks: {leaks:?}")),
        None => Err("nothing was scanned".into()),
    }
}

#[given(expr = "{string} is signed in to the UI in Chromium")]
async fn signed_in_ui(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let user = w.user(&name)?.clone();
    let url = format!("{}/login", w.suite.ui);
    let browser = w.browser().await?;
    let signed_in = blocking("signing in", move || -> aiwah_harness::Result<()> {
        browser.goto(&url)?;
        browser.wait_for("[data-testid=login-form][data-ready=true]", Duration::from_secs(30))?;
        browser.wait_for("[data-testid=email]", Duration::from_secs(5))?.type_text(&user.email)?;
        browser.wait_for("[data-testid=password]", Duration::from_secs(5))?.type_text(&user.password)?;
        browser.wait_for("[data-testid=sign-in]", Duration::from_secs(5))?.click()?;
        browser.wait_for("[data-testid=todos][data-live=true]", Duration::from_secs(30)).map(|_| ())
    })
    .await?;
    match signed_in {
        Ok(()) => Ok(()),
        Err(p) => Err(format!("signing in to the UI: {p} ({})", w.screenshot("sign-in").await)),
    }
}

#[when(expr = "a todo {string} is inserted for {string} through REST")]
async fn insert_rest(w: &mut AiwahWorld, title: String, name: String) -> Result<(), String> {
    let token = w.token_for(&name)?;
    w.rest()?.insert("todos", &json!({ "title": title }), Some(&token)).await.map(|_| ()).map_err(|e| e.to_string())
}

#[then(expr = "the todos page shows {string} without a reload")]
async fn shows_live(w: &mut AiwahWorld, title: String) -> Result<(), String> {
    let browser = w.browser().await?;
    let wanted = title.clone();
    let shown = blocking("watching the todos page", move || -> aiwah_harness::Result<bool> {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            for item in browser.find_all("[data-testid=todo-item]")? {
                if item.text()?.contains(&wanted) {
                    return Ok(true);
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(false)
    })
    .await?;
    match shown {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("{title:?} did not appear within 15 s ({})", w.screenshot("live-todo").await)),
        Err(p) => Err(format!("{p} ({})", w.screenshot("live-todo").await)),
    }
}
