//! Contract tests for the Storage client against a stateful fake of Kong's `/storage/v1/` route and
//! supabase/storage (tests/support/storage_fake.rs): the steps of storage.feature, in upstream's
//! order (docker/tests/test-self-hosted.sh), and the refusals with Storage's own body and codes.

#[path = "support/storage_fake.rs"]
mod storage_fake;

use aiwah_suite::clients::storage::{Storage, sha256_hex};
use storage_fake::{SERVICE_KEY, StorageFake};

fn service(fake: &StorageFake) -> Storage {
    Storage::new(&fake.uri(), Some(SERVICE_KEY))
}

fn anonymous(fake: &StorageFake) -> Storage {
    Storage::new(&fake.uri(), None)
}

/// 1 MiB that is not one repeated byte, so a shifted or truncated copy hashes differently.
fn sample() -> Vec<u8> {
    (0..1u32 << 20).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}

#[tokio::test]
async fn a_file_goes_up_and_comes_back_with_the_same_hash() {
    let fake = StorageFake::start().await;
    let storage = service(&fake);
    assert_eq!(storage.create_bucket("smoke", true).await.unwrap(), "smoke");
    let uploaded = storage.upload("smoke", "dir/large.bin", sample(), "application/octet-stream").await.unwrap();
    assert_eq!(uploaded.key, "smoke/dir/large.bin");
    assert!(uploaded.id.is_some());
    let public = anonymous(&fake).download_public("smoke", "dir/large.bin").await.unwrap();
    let private = storage.download("smoke", "dir/large.bin").await.unwrap();
    assert_eq!(sha256_hex(&public), sha256_hex(&sample()));
    assert_eq!(sha256_hex(&private), sha256_hex(&sample()));
    let seen = fake.state.lock().unwrap().requests.clone();
    assert_eq!(
        seen,
        [
            "POST /storage/v1/bucket",
            "POST /storage/v1/object/smoke/dir/large.bin",
            "GET /storage/v1/object/public/smoke/dir/large.bin",
            "GET /storage/v1/object/authenticated/smoke/dir/large.bin"
        ]
    );
}

#[tokio::test]
async fn the_bucket_is_made_as_asked() {
    let fake = StorageFake::start().await;
    let storage = service(&fake);
    storage.create_bucket("private-one", false).await.unwrap();
    let bucket = storage.bucket("private-one").await.unwrap();
    assert_eq!((bucket.id.as_str(), bucket.name.as_str(), bucket.public), ("private-one", "private-one", false));
    let again = storage.create_bucket("private-one", false).await.unwrap_err();
    assert_eq!((again.status, again.code.as_deref()), (400, Some("BucketAlreadyExists")));
}

#[test]
fn sha256_is_the_hex_digest_sha256sum_prints() {
    // `printf 'signed url test content' | sha256sum`
    assert_eq!(sha256_hex(b"signed url test content"), "2a74f161e481643d29bcca5620702486adfd30f6cfa58581611be6af5e5f437a");
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[tokio::test]
async fn a_signed_url_opens_its_file_without_a_key_and_no_other() {
    let fake = StorageFake::start().await;
    let storage = service(&fake);
    storage.create_bucket("private", false).await.unwrap();
    storage.upload("private", "sign-test.txt", b"signed url test content".to_vec(), "text/plain").await.unwrap();
    storage.upload("private", "other.txt", b"other content".to_vec(), "text/plain").await.unwrap();
    let url = storage.sign("private", "sign-test.txt", 600).await.unwrap();
    assert!(url.starts_with("/object/sign/private/sign-test.txt?token="), "{url}");
    assert_eq!(anonymous(&fake).download_signed(&url).await.unwrap(), b"signed url test content");

    let token = url.split_once("?token=").unwrap().1;
    let elsewhere = anonymous(&fake).download_signed(&format!("/object/sign/private/other.txt?token={token}")).await.unwrap_err();
    assert_eq!((elsewhere.status, elsewhere.code.as_deref()), (400, Some("InvalidSignature")));
    assert!(!elsewhere.request.contains(token), "the label must not carry the token: {}", elsewhere.request);

    let public = anonymous(&fake).download_public("private", "sign-test.txt").await.unwrap_err();
    assert_eq!((public.status, public.code.as_deref()), (400, Some("NoSuchBucket")));
    assert_eq!(public.message, "404: Bucket not found");
}

#[tokio::test]
async fn a_deleted_file_and_bucket_are_gone_with_storage_codes() {
    let fake = StorageFake::start().await;
    let storage = service(&fake);
    storage.create_bucket("gone", true).await.unwrap();
    storage.upload("gone", "gone.txt", b"bye".to_vec(), "text/plain").await.unwrap();
    let full = storage.delete_bucket("gone").await.unwrap_err();
    assert_eq!((full.status, full.code.as_deref()), (400, Some("ResourceNotEmpty")));
    assert_eq!(storage.delete_object("gone", "gone.txt").await.unwrap(), "Successfully deleted");

    let missing = storage.download("gone", "gone.txt").await.unwrap_err();
    assert_eq!((missing.status, missing.code.as_deref()), (400, Some("NoSuchKey")));
    assert_eq!(missing.message, "404: Object not found");
    assert_eq!(missing.to_string(), "GET /storage/v1/object/authenticated/gone/gone.txt: HTTP 400 NoSuchKey: 404: Object not found");

    assert_eq!(storage.delete_bucket("gone").await.unwrap(), "Successfully deleted");
    let bucket = storage.bucket("gone").await.unwrap_err();
    assert_eq!((bucket.status, bucket.code.as_deref()), (400, Some("NoSuchBucket")));
}

#[tokio::test]
async fn a_key_storage_did_not_sign_or_no_key_is_refused_by_storage() {
    let fake = StorageFake::start().await;
    let forged = Storage::new(&fake.uri(), Some("eyJhbGciOiJIUzI1NiJ9.service-role.signed-with-another-secret"));
    let err = forged.create_bucket("nope", false).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (400, Some("AccessDenied")));
    assert_eq!(err.message, "403: signature verification failed");
    // No key: the route's header schema refuses before any JWT is looked at.
    let err = anonymous(&fake).create_bucket("nope", false).await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref()), (400, Some("InvalidRequest")));
    assert_eq!(err.message, "400: headers must have required property 'authorization'");
    // Positive control: the same call with the deployment's key passes.
    service(&fake).create_bucket("nope", false).await.unwrap();
}

#[tokio::test]
async fn older_bodies_and_gateway_refusals_keep_their_words() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let gw = MockServer::start().await;
    // Storage before `code` joined the body: `error` is the code.
    let old = serde_json::json!({ "statusCode": "404", "error": "not_found", "message": "Object not found" });
    Mock::given(method("GET")).and(path("/storage/v1/object/authenticated/b/x")).respond_with(ResponseTemplate::new(400).set_body_json(old)).mount(&gw).await;
    Mock::given(method("GET"))
        .and(path("/storage/v1/object/public/b/x"))
        .respond_with(ResponseTemplate::new(502).set_body_json(serde_json::json!({ "message": "An invalid response was received from the upstream server" })))
        .mount(&gw)
        .await;
    let storage = Storage::new(&gw.uri(), Some("k"));
    let err = storage.download("b", "x").await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref(), err.message.as_str()), (400, Some("not_found"), "404: Object not found"));
    let err = storage.download_public("b", "x").await.unwrap_err();
    assert_eq!((err.status, err.code.as_deref(), err.message.as_str()), (502, None, "An invalid response was received from the upstream server"));
}
