//! Debian's headless Chromium, driven over W3C WebDriver (chromedriver) — a real browser for the UI.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use aiwah_harness::problem::{Problem, Result};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::blocking::Client,
    profile: PathBuf,
}

impl Browser {
    /// Start chromedriver on a free loopback port and open a headless session.
    pub fn start() -> Result<Browser> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                return Err(Problem::new(path, "not installed").hint(format!("apt-get install -y {package} (.ci/run does)")));
            }
        }
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| Problem::new("chromedriver", e.to_string()))?.port();
        let driver = Command::new(CHROMEDRIVER)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Problem::new(CHROMEDRIVER, format!("cannot start: {e}")))?;
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| Problem::new("http client", e.to_string()))?;
        let base = format!("http://127.0.0.1:{port}");
        let profile = std::env::temp_dir().join(format!("aiwah-chromium-{}-{port}", std::process::id()));
        let mut browser = Browser { driver, base, session: String::new(), http, profile };
        browser.wait_ready(Duration::from_secs(15))?;
        // The closed network refuses Chromium's background connections; these flags keep it quiet.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}});
        let reply = browser.call(reqwest::Method::POST, "/session", Some(caps))?;
        browser.session = reply["sessionId"].as_str().map(String::from).ok_or_else(|| Problem::new("chromedriver", format!("no session id in {reply}")))?;
        Ok(browser)
    }

    fn wait_ready(&self, deadline: Duration) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < deadline {
            if let Ok(r) = self.http.get(format!("{}/status", self.base)).send() {
                if r.json::<Value>().ok().is_some_and(|v| v["value"]["ready"] == json!(true)) {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(Problem::new("chromedriver", format!("not ready after {}s (waited for GET /status ready)", deadline.as_secs())))
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply: Value = req.send().and_then(|r| r.json()).map_err(|e| Problem::new("chromedriver", format!("{path}: {e}")))?;
        if let Some(error) = reply["value"]["error"].as_str() {
            return Err(Problem::new(
                "chromedriver",
                format!("{path}: {error}: {}", reply["value"]["message"].as_str().unwrap_or("").lines().next().unwrap_or("")),
            ));
        }
        Ok(reply.get("value").cloned().unwrap_or(Value::Null))
    }

    fn session_call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        self.call(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn goto(&self, url: &str) -> Result<()> {
        self.session_call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).map(|_| ())
    }

    pub fn title(&self) -> Result<String> {
        Ok(self.session_call(reqwest::Method::GET, "/title", None)?.as_str().unwrap_or_default().to_string())
    }

    /// The first element matching `css`, waiting up to `deadline` for it to appear.
    pub fn wait_for(&self, css: &str, deadline: Duration) -> Result<Element<'_>> {
        let start = Instant::now();
        loop {
            if let Ok(found) = self.session_call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))) {
                if let Some(id) = found[ELEMENT_KEY].as_str() {
                    return Ok(Element { browser: self, id: id.to_string() });
                }
            }
            if start.elapsed() >= deadline {
                return Err(Problem::new("browser", format!("no element {css:?} after {}s", deadline.as_secs())));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>> {
        let found = self.session_call(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css})))?;
        Ok(found.as_array().into_iter().flatten().filter_map(|e| e[ELEMENT_KEY].as_str()).map(|id| Element { browser: self, id: id.to_string() }).collect())
    }

    pub fn screenshot(&self) -> Result<Vec<u8>> {
        let b64 = self.session_call(reqwest::Method::GET, "/screenshot", None)?;
        base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or_default()).map_err(|e| Problem::new("browser", format!("screenshot: {e}")))
    }

    pub fn save_screenshot(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::write(path, self.screenshot()?).map_err(|e| Problem::new(path.display().to_string(), e.to_string()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    pub fn text(&self) -> Result<String> {
        Ok(self.browser.session_call(reqwest::Method::GET, &format!("/element/{}/text", self.id), None)?.as_str().unwrap_or_default().to_string())
    }

    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        Ok(self.browser.session_call(reqwest::Method::GET, &format!("/element/{}/attribute/{name}", self.id), None)?.as_str().map(String::from))
    }

    pub fn is_displayed(&self) -> Result<bool> {
        Ok(self.browser.session_call(reqwest::Method::GET, &format!("/element/{}/displayed", self.id), None)?.as_bool().unwrap_or(false))
    }

    pub fn click(&self) -> Result<()> {
        self.browser.session_call(reqwest::Method::POST, &format!("/element/{}/click", self.id), Some(json!({}))).map(|_| ())
    }

    pub fn type_text(&self, text: &str) -> Result<()> {
        self.browser.session_call(reqwest::Method::POST, &format!("/element/{}/value", self.id), Some(json!({"text": text}))).map(|_| ())
    }
}
