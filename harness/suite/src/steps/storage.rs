//! Storage through Kong, as upstream's self-hosted smoke test checks it: a bucket, a file that
//! comes back with the same SHA-256, a signed URL that opens one file without a key, deletes — and
//! what Storage refuses, with its own codes.

use std::collections::BTreeMap;

use cucumber::{given, then, when};

use crate::clients::http::ApiError;
use crate::clients::storage::{Storage, sha256_hex};
use crate::steps::AiwahWorld;

#[derive(Debug, Default)]
pub struct State {
    bucket: Option<String>,
    /// Files this scenario uploaded: name → content.
    files: BTreeMap<String, Vec<u8>>,
    signed_url: Option<String>,
    /// What the last probing step got: the bytes served, or Storage's refusal.
    outcome: Option<Result<Vec<u8>, ApiError>>,
}

/// Who calls Storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    ServiceRole,
    /// A service_role key signed with a secret that is not the deployment's.
    Forged,
    NoKey,
}

impl AiwahWorld {
    fn storage_as(&self, caller: Caller) -> Result<Storage, String> {
        let key = match caller {
            Caller::ServiceRole => Some(self.service_key()?),
            Caller::Forged => {
                Some(aiwah_harness::secrets::keys::api_key(aiwah_harness::secrets::Role::ServiceRole, &aiwah_harness::secrets::random::alnum(40)))
            }
            Caller::NoKey => None,
        };
        Ok(Storage::new(&self.suite.gateway, key.as_deref()))
    }

    fn storage_bucket(&self) -> Result<String, String> {
        self.storage.bucket.clone().ok_or_else(|| "no bucket in this scenario (a Given step makes one)".to_owned())
    }

    fn storage_file(&self, name: &str) -> Result<&[u8], String> {
        self.storage.files.get(name).map(Vec::as_slice).ok_or_else(|| format!("no file {name:?} was uploaded in this scenario"))
    }

    async fn storage_upload(&mut self, name: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), String> {
        let bucket = self.storage_bucket()?;
        let uploaded = self.storage_as(Caller::ServiceRole)?.upload(&bucket, name, bytes.clone(), content_type).await.map_err(|e| e.to_string())?;
        let key = format!("{bucket}/{name}");
        if uploaded.key != key {
            return Err(format!("Storage stored the upload as {:?}, expected {key:?}", uploaded.key));
        }
        self.storage.files.insert(name.to_owned(), bytes);
        Ok(())
    }
}

/// `n` bytes that differ every run (SplitMix64 from a random seed): enough to tell a truncated or
/// altered download from the original, without a random-number dependency.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut state = u64::from_str_radix(&aiwah_harness::secrets::random::hex(16), 16).unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(n);
    out
}

fn same_content(name: &str, expected: &[u8], got: &[u8]) -> Result<(), String> {
    let (want, have) = (sha256_hex(expected), sha256_hex(got));
    println!("{name}: {} bytes, sha256 {have}", got.len());
    if want == have { Ok(()) } else { Err(format!("{name}: got {} bytes with sha256 {have}, uploaded {} bytes with sha256 {want}", got.len(), expected.len())) }
}

#[given(regex = r"^a new (public|private) bucket made with the service role key$")]
async fn new_bucket(w: &mut AiwahWorld, visibility: String) -> Result<(), String> {
    let id = format!("aiwah-{}", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 12));
    let name = w.storage_as(Caller::ServiceRole)?.create_bucket(&id, visibility == "public").await.map_err(|e| e.to_string())?;
    if name != id {
        return Err(format!("Storage created bucket {name:?}, asked for {id:?}"));
    }
    w.storage.bucket = Some(id);
    Ok(())
}

#[when(expr = "a {int} MiB file of random bytes {string} is uploaded to it with the service role key")]
async fn upload_random(w: &mut AiwahWorld, mib: usize, name: String) -> Result<(), String> {
    w.storage_upload(&name, random_bytes(mib << 20), "application/octet-stream").await
}

#[given(expr = "a text file {string} uploaded to it with the service role key")]
async fn upload_text(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let text = format!("signed url test content of {name} ({})", aiwah_harness::secrets::random::alnum(12));
    w.storage_upload(&name, text.into_bytes(), "text/plain").await
}

#[then(expr = "{string} downloads without a key from its public URL with the same SHA-256")]
async fn public_download_same(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let got = w.storage_as(Caller::NoKey)?.download_public(&w.storage_bucket()?, &name).await.map_err(|e| e.to_string())?;
    same_content(&name, w.storage_file(&name)?, &got)
}

#[then(expr = "{string} downloads with the service role key with the same SHA-256")]
async fn download_same(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let got = w.storage_as(Caller::ServiceRole)?.download(&w.storage_bucket()?, &name).await.map_err(|e| e.to_string())?;
    same_content(&name, w.storage_file(&name)?, &got)
}

#[when(expr = "the service role signs a URL for {string} valid for {int} seconds")]
async fn sign(w: &mut AiwahWorld, name: String, seconds: u64) -> Result<(), String> {
    let url = w.storage_as(Caller::ServiceRole)?.sign(&w.storage_bucket()?, &name, seconds).await.map_err(|e| e.to_string())?;
    w.storage.signed_url = Some(url);
    Ok(())
}

#[then(expr = "the signed URL downloads {string} without any key")]
async fn signed_download(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let url = w.storage.signed_url.clone().ok_or("no signed URL in this scenario")?;
    let got = w.storage_as(Caller::NoKey)?.download_signed(&url).await.map_err(|e| e.to_string())?;
    same_content(&name, w.storage_file(&name)?, &got)
}

#[when(expr = "the signed URL's token is used for {string}")]
async fn token_elsewhere(w: &mut AiwahWorld, other: String) -> Result<(), String> {
    let url = w.storage.signed_url.clone().ok_or("no signed URL in this scenario")?;
    let token = url.split_once("?token=").map(|(_, t)| t.to_owned()).ok_or("the signed URL carries no token")?;
    let bucket = w.storage_bucket()?;
    w.storage_file(&other)?;
    let forwarded = format!("/object/sign/{bucket}/{other}?token={token}");
    w.storage.outcome = Some(w.storage_as(Caller::NoKey)?.download_signed(&forwarded).await);
    Ok(())
}

#[when(expr = "{string} is downloaded without a key from its public URL")]
async fn public_download(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    w.storage.outcome = Some(w.storage_as(Caller::NoKey)?.download_public(&w.storage_bucket()?, &name).await);
    Ok(())
}

#[when(expr = "{string} is downloaded with the service role key")]
async fn download(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    w.storage.outcome = Some(w.storage_as(Caller::ServiceRole)?.download(&w.storage_bucket()?, &name).await);
    Ok(())
}

#[when(expr = "the service role deletes {string}")]
async fn delete_object(w: &mut AiwahWorld, name: String) -> Result<(), String> {
    let message = w.storage_as(Caller::ServiceRole)?.delete_object(&w.storage_bucket()?, &name).await.map_err(|e| e.to_string())?;
    deleted(&message)
}

#[when("the service role deletes the bucket")]
async fn delete_bucket(w: &mut AiwahWorld) -> Result<(), String> {
    let message = w.storage_as(Caller::ServiceRole)?.delete_bucket(&w.storage_bucket()?).await.map_err(|e| e.to_string())?;
    deleted(&message)
}

/// Storage's answer to a delete (`createResponse('Successfully deleted')`).
fn deleted(message: &str) -> Result<(), String> {
    if message == "Successfully deleted" { Ok(()) } else { Err(format!("Storage answered the delete with {message:?}")) }
}

#[when("the service role reads the bucket")]
async fn read_bucket(w: &mut AiwahWorld) -> Result<(), String> {
    let answer = w.storage_as(Caller::ServiceRole)?.bucket(&w.storage_bucket()?).await;
    w.storage.outcome = Some(answer.map(|b| format!("{b:?}").into_bytes()));
    Ok(())
}

#[when(regex = r"^a bucket is created with (a forged service role key|no key)$")]
async fn create_with(w: &mut AiwahWorld, credentials: String) -> Result<(), String> {
    let caller = if credentials == "no key" { Caller::NoKey } else { Caller::Forged };
    let id = format!("aiwah-refused-{}", aiwah_harness::secrets::random::from_alphabet(b"abcdefghijklmnopqrstuvwxyz0123456789", 8));
    w.storage.outcome = Some(w.storage_as(caller)?.create_bucket(&id, false).await.map(String::into_bytes));
    Ok(())
}

#[then(expr = "Storage refuses it with HTTP {int} and code {word}")]
async fn refused(w: &mut AiwahWorld, status: u16, code: String) -> Result<(), String> {
    match w.storage.outcome.take() {
        Some(Err(e)) if e.status == status && e.code.as_deref() == Some(code.as_str()) => Ok(()),
        Some(Err(e)) => Err(format!("refused as {e}, expected HTTP {status} and code {code}")),
        Some(Ok(body)) => Err(format!("Storage answered ({} bytes), expected HTTP {status} and code {code}", body.len())),
        None => Err("nothing was asked of Storage in this scenario".to_owned()),
    }
}
