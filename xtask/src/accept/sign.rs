//! Signing a bundle's `SHA256SUMS` in minisign's format (`SHA256SUMS.minisig`, checkable with the
//! `minisign` tool too), and checking that signature.

use std::io::Cursor;
use std::path::Path;

use minisign::{PublicKey, SecretKey, SecretKeyBox, SignatureBox};

use aiwah_harness::{Problem, Problems};

/// Names the minisign secret key file a sign-off is signed with (unset: the bundle is not signed).
pub const KEY_FILE_ENV: &str = "AIWAH_SIGNING_KEY_FILE";
/// The key file's password, when it is encrypted (minisign's default).
pub const KEY_PASSWORD_ENV: &str = "AIWAH_SIGNING_KEY_PASSWORD";

/// The secret key `$AIWAH_SIGNING_KEY_FILE` names, if set.
pub fn key_from_env() -> Result<Option<SecretKey>, Problems> {
    let Some(file) = std::env::var_os(KEY_FILE_ENV).filter(|v| !v.is_empty()) else { return Ok(None) };
    let shown = format!("{KEY_FILE_ENV}={}", Path::new(&file).display());
    let text = std::fs::read_to_string(&file).map_err(|e| Problem::new(&shown, format!("cannot read the signing key: {e}")))?;
    let boxed = SecretKeyBox::from_string(&text).map_err(|e| Problem::new(&shown, format!("not a minisign secret key: {e}")))?;
    let key = match std::env::var(KEY_PASSWORD_ENV) {
        Ok(password) if !password.is_empty() => SecretKey::from_box(boxed, Some(password)),
        _ => SecretKey::from_unencrypted_box(boxed),
    };
    key.map(Some).map_err(|e| {
        Problem::new(&shown, format!("cannot open the signing key: {e}")).hint(format!("an encrypted key needs its password in {KEY_PASSWORD_ENV}")).into()
    })
}

/// The minisign signature of `data` (its trusted comment names what was signed).
pub fn sign(key: &SecretKey, data: &[u8], what: &str) -> Result<String, Problems> {
    let comment = format!("aiwah acceptance bundle: {what}");
    let signature = minisign::sign(None, key, Cursor::new(data), Some(&comment), None).map_err(|e| Problem::new("signing", e.to_string()))?;
    Ok(signature.into_string())
}

/// Whether `signature` (minisign text) signs `data` with the public key in `pubkey_file`.
pub fn check(pubkey_file: &Path, data: &[u8], signature: &str) -> Result<(), Problem> {
    let shown = pubkey_file.display().to_string();
    let text = std::fs::read_to_string(pubkey_file).map_err(|e| Problem::new(&shown, format!("cannot read the public key: {e}")))?;
    // Either the `minisign.pub` file (comment line + key) or the bare base64 key `minisign -P` takes.
    let key = PublicKey::from_box(text.clone().into())
        .or_else(|_| PublicKey::from_base64(text.trim()))
        .map_err(|e| Problem::new(&shown, format!("not a minisign public key: {e}")))?;
    let signature = SignatureBox::from_string(signature).map_err(|e| Problem::new("signature", format!("not a minisign signature: {e}")))?;
    minisign::verify(&key, &signature, Cursor::new(data), true, false, false).map_err(|e| Problem::new("signature", format!("does not verify: {e}")))
}
