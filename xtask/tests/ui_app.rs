//! The UI app's own checks, from the lockfile: `npm ci`, lint, typecheck, component tests (vitest).
//! (`next build` runs in the image build of the engine tests.) Needs Node >= 20.9 and npm.

use std::process::Command;

#[test]
fn ui_app_installs_from_its_lockfile_and_passes_lint_typecheck_and_component_tests() {
    let app = aiwah_harness::repo::this_checkout().join("stacks/ui/app");
    for args in [&["ci", "--no-audit", "--no-fund"][..], &["run", "lint"], &["run", "typecheck"], &["test"]] {
        let out = Command::new("npm").args(args).current_dir(&app).env("NEXT_TELEMETRY_DISABLED", "1").output().expect("npm is installed (Node >= 20.9)");
        assert!(
            out.status.success(),
            "npm {} failed in stacks/ui/app:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
