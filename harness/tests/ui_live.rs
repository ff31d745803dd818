//! The whole platform as an ephemeral copy with offline images, and the UI in a real browser:
//! all three stacks come up, the probe matrix holds, the UI answers its health route, headless
//! Chromium renders the sign-in form, and the browser bundle carries no service-role key — while a
//! copy whose build is handed the service key is caught. Needs the engine, offline images, Chromium.

use std::time::Duration;

use aiwah_harness::clients::browser::Browser;
use aiwah_harness::clients::bundle;
use aiwah_harness::engine::{Deployment, Source, plan, probe};

fn root() -> std::path::PathBuf {
    aiwah_harness::repo::this_checkout()
}

fn ui_image(deployment: &Deployment) -> String {
    deployment.models.iter().find(|m| m.stack == "ui").unwrap().config.services["ui"].image.clone().unwrap()
}

/// The bundle's leaks for `deployment`'s own service key.
fn bundle_leaks(deployment: &Deployment) -> Vec<bundle::Leak> {
    let dir = std::env::temp_dir().join(format!("aiwah-bundle-{}", deployment.id()));
    let _ = std::fs::remove_dir_all(&dir);
    bundle::extract(&ui_image(deployment), "/app/.next/static", &dir).unwrap();
    let service_key = deployment.env_value("SERVICE_ROLE_KEY").unwrap();
    let leaks = bundle::scan_dir(&dir, &service_key);
    let _ = std::fs::remove_dir_all(&dir);
    leaks
}

#[test]
fn the_whole_platform_comes_up_isolated_and_the_ui_renders_without_secrets() {
    let deployment = Deployment::ephemeral(&root(), &Source::Offline, &[]).unwrap();
    deployment.up(&[], Duration::from_secs(600), &|line| eprintln!("{line}")).unwrap();

    let probes = probe::matrix(&deployment, &plan::offline_tag(&root(), "base").unwrap()).unwrap();
    let broken: Vec<String> = probes.iter().filter(|p| !p.holds()).map(ToString::to_string).collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(probes.iter().any(|p| p.from == "ui/ui" && p.to == "n8n/postgres"), "the UI's position is probed too");

    let port = deployment.host_port("ui", "ui", 3000).unwrap();
    let health = reqwest::blocking::get(format!("http://127.0.0.1:{port}/api/health")).unwrap();
    assert_eq!(health.status(), 200);

    let browser = Browser::start().unwrap();
    browser.goto(&format!("http://127.0.0.1:{port}/login")).unwrap();
    let screenshot = root().join("target/ui-screenshots/login.png");
    let rendered = (|| {
        // data-ready is set once React has hydrated the form: the bundle loaded and ran in the browser.
        let form = browser.wait_for("[data-testid=login-form][data-ready=true]", Duration::from_secs(30))?;
        assert!(form.is_displayed()?);
        browser.wait_for("[data-testid=email]", Duration::from_secs(5))?;
        browser.wait_for("[data-testid=password]", Duration::from_secs(5))?;
        browser.wait_for("[data-testid=sign-in]", Duration::from_secs(5))
    })();
    if let Err(problem) = rendered {
        // Keep what the browser saw for the failure report.
        let _ = browser.save_screenshot(&screenshot);
        panic!("sign-in form did not render: {problem} (screenshot: {})", screenshot.display());
    }

    // Signing in through a gateway that cannot answer (Kong is a placeholder here) shows an error
    // instead of hanging or navigating away: the real sign-in flow needs the official images.
    let failed_sign_in = (|| {
        browser.wait_for("[data-testid=email]", Duration::from_secs(5))?.type_text("someone@example.com")?;
        browser.wait_for("[data-testid=password]", Duration::from_secs(5))?.type_text("Secret12345")?;
        browser.wait_for("[data-testid=sign-in]", Duration::from_secs(5))?.click()?;
        browser.wait_for("[data-testid=auth-error]", Duration::from_secs(30))?.text()
    })();
    match failed_sign_in {
        // "Failed to fetch" would mean the bundle points somewhere nobody listens (not this copy's Kong).
        Ok(message) => assert!(!message.trim().is_empty() && !message.contains("Failed to fetch"), "sign-in error: {message:?}"),
        Err(problem) => {
            let _ = browser.save_screenshot(&root().join("target/ui-screenshots/sign-in-error.png"));
            panic!("no sign-in error shown: {problem}");
        }
    }
    assert_eq!(browser.find_all("[data-testid=login-form]").unwrap().len(), 1, "still on the sign-in page");

    assert_eq!(bundle_leaks(&deployment), vec![], "the browser bundle must not hold the service key");
    let kong = deployment.host_port("supabase", "kong", 8000).unwrap();
    assert_eq!(deployment.env_value("SUPABASE_PUBLIC_URL").unwrap(), format!("http://127.0.0.1:{kong}"), "the copy's public URL is its own Kong");
}

#[test]
fn a_build_handed_the_service_key_is_caught_by_the_bundle_scan() {
    let copy = aiwah_harness::testing::StackCopy::new();
    copy.mutate("stacks/ui/compose.yml", "NEXT_PUBLIC_SUPABASE_ANON_KEY: ${ANON_KEY:?run cargo xtask env}", "NEXT_PUBLIC_SUPABASE_ANON_KEY: ${SERVICE_ROLE_KEY:?run cargo xtask env}");
    let deployment = Deployment::ephemeral(copy.root(), &Source::Offline, &["ui"]).unwrap();
    deployment.require_images("ui", &|line| eprintln!("{line}")).unwrap();
    let leaks = bundle_leaks(&deployment);
    assert!(leaks.iter().any(|l| l.what == "the service-role key"), "{leaks:?}");
}
