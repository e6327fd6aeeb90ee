//! Evidence: accepted by content, bounded in size, stored content-addressed with its hashes,
//! served back only to the teacher and the reviewers in scope; and the same flow on a real
//! S3-compatible server.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use sqlx::Row;
use xueshi_files::{MAX_EVIDENCE_BYTES, S3Config, sha256_hex};

use crate::declaring::{form, jpeg, pdf, pdf_of_size, png, scene, scene_in};
use crate::helpers::{PASSWORD, id_number, spawn_app_with, tree};

#[tokio::test]
async fn jpeg_png_and_pdf_are_accepted_by_content_whatever_their_name() {
    let s = scene("天河").await;
    let id = s
        .app
        .declare(&s.token, form("证书上传", "2030-06-01", "2030-06-02"))
        .await;
    let cases = [
        ("scan.txt", png(1), "image/png"),
        ("photo.pdf", jpeg(1), "image/jpeg"),
        ("document", pdf("certificate"), "application/pdf"),
    ];
    for (name, bytes, content_type) in cases {
        let sha = sha256_hex(&bytes);
        let size = bytes.len();
        let e = s
            .app
            .upload(&s.token, &id, "certificate", name, bytes)
            .await
            .expect(201);
        assert_eq!(e["kind"], "certificate");
        assert_eq!(e["content_type"], content_type, "{name}");
        // The upload's hash is kept; what is stored (and answered) is the file as served.
        assert_eq!(e["original_sha256"], sha);
        let served = fetch(&s.app, e["url"].as_str().unwrap(), &s.token)
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(e["sha256"], sha256_hex(&served));
        assert_eq!(e["size"], served.len());
        if content_type == "application/pdf" {
            assert_eq!(served.len(), size, "a PDF is stored as it came");
        }
        assert!(e["id"].as_str().is_some());
    }
    // Text named like a picture, and an empty file, are refused.
    let text = "结业证书 24学时".as_bytes().to_vec();
    s.app
        .upload(&s.token, &id, "certificate", "certificate.jpg", text)
        .await
        .expect_error(415, "unsupported_media");
    s.app
        .upload(&s.token, &id, "certificate", "empty.png", Vec::new())
        .await
        .expect_error(415, "unsupported_media");
    let d = s.app.declaration(&s.token, &id).await;
    assert_eq!(d["evidence"].as_array().unwrap().len(), 3);
    assert_eq!(
        s.app.audit_actions(&id).await[..3],
        ["evidence.upload", "evidence.upload", "evidence.upload"]
    );
}

#[tokio::test]
async fn files_up_to_20_mb_are_accepted_and_larger_ones_refused_with_413() {
    let s = scene("海珠").await;
    let id = s
        .app
        .declare(&s.token, form("大文件", "2030-06-01", "2030-06-02"))
        .await;
    let largest = pdf_of_size("large", MAX_EVIDENCE_BYTES);
    assert_eq!(largest.len(), MAX_EVIDENCE_BYTES);
    let mut too_large = largest.clone();
    s.app
        .upload(&s.token, &id, "certificate", "largest.pdf", largest)
        .await
        .expect(201);
    too_large.push(b'\n');
    s.app
        .upload(&s.token, &id, "certificate", "too-large.pdf", too_large)
        .await
        .expect_error(413, "too_large");
    // Beyond the server's body limit the answer is still the API's JSON error.
    let mut huge = pdf("huge");
    huge.resize(MAX_EVIDENCE_BYTES + 2 * 1024 * 1024, b' ');
    s.app
        .upload(&s.token, &id, "certificate", "huge.pdf", huge)
        .await
        .expect_error(413, "too_large");
}

#[tokio::test]
async fn the_kind_and_the_file_are_required() {
    let s = scene("荔湾").await;
    let id = s
        .app
        .declare(&s.token, form("缺字段", "2030-06-01", "2030-06-02"))
        .await;
    let answer = s
        .app
        .upload(&s.token, &id, "diploma", "c.png", png(1))
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "kind");
    let only_file = Form::new().part("file", Part::bytes(png(1)).file_name("c.png"));
    let answer = s
        .app
        .multipart(&s.token, &id, only_file)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "kind");
    let only_kind = Form::new().text("kind", "certificate");
    let answer = s
        .app
        .multipart(&s.token, &id, only_kind)
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "file");
}

#[tokio::test]
async fn evidence_is_added_or_removed_only_by_its_teacher_while_draft_or_returned() {
    let s = scene("越秀").await;
    let id = s.app.submitted(&s.token, "已提交", 1).await;
    s.app
        .upload(&s.token, &id, "hours_proof", "h.png", png(2))
        .await
        .expect_error(409, "conflict");
    s.app
        .upload(&s.tree.school_token, &id, "certificate", "c.png", png(3))
        .await
        .expect_error(403, "forbidden");
    s.app.teacher(&s.tree.school, "另一位", 2).await;
    let other = s.app.login(&id_number(2), PASSWORD).await;
    s.app
        .upload(&other, &id, "certificate", "c.png", png(3))
        .await
        .expect_error(404, "not_found");
    // A wrong file is removed from a draft, after which the certificate is missing again.
    let draft = s
        .app
        .ready(&s.token, form("草稿", "2030-07-01", "2030-07-01"), 4)
        .await;
    let file = s.app.declaration(&s.token, &draft).await["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.app
        .delete(&format!("/declarations/{draft}/evidence/{file}"), &other)
        .await
        .expect_error(404, "not_found");
    let answer = s
        .app
        .delete(&format!("/declarations/{draft}/evidence/{file}"), &s.token)
        .await;
    assert_eq!(answer.status, 204);
    s.app
        .submit(&s.token, &draft)
        .await
        .expect_error(422, "missing_evidence");
    let submitted_file = s.app.declaration(&s.token, &id).await["evidence"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.app
        .delete(
            &format!("/declarations/{id}/evidence/{submitted_file}"),
            &s.token,
        )
        .await
        .expect_error(409, "conflict");
    assert_eq!(s.app.audit_actions(&draft).await[0], "evidence.delete");
}

#[tokio::test]
async fn a_declaration_holds_at_most_20_files() {
    let s = scene("从化").await;
    let id = s
        .app
        .declare(&s.token, form("多页证书", "2030-06-01", "2030-06-02"))
        .await;
    for page in 0..20 {
        s.app
            .upload(
                &s.token,
                &id,
                "certificate",
                "p.pdf",
                pdf(&format!("page {page}")),
            )
            .await
            .expect(201);
    }
    let answer = s
        .app
        .upload(&s.token, &id, "certificate", "p.pdf", pdf("page 21"))
        .await
        .expect_error(422, "invalid");
    assert_eq!(answer["error"]["details"][0]["field"], "file");
}

async fn fetch(app: &crate::helpers::TestApp, url: &str, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{url}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn evidence_is_served_only_to_the_teacher_and_the_reviewers_in_scope() {
    let s = scene("白云").await;
    let bytes = jpeg(5);
    let id = s
        .app
        .declare(&s.token, form("照片", "2030-06-01", "2030-06-02"))
        .await;
    let e = s
        .app
        .upload(&s.token, &id, "certificate", "photo.jpg", bytes.clone())
        .await
        .expect(201);
    let url = e["url"].as_str().unwrap().to_owned();
    for token in [
        &s.token,
        &s.tree.school_token,
        &s.tree.district_token,
        &s.app.city_token,
    ] {
        let resp = fetch(&s.app, &url, token).await;
        assert_eq!(resp.status(), 200);
        let headers = resp.headers();
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
        assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
    let b = tree(&s.app, "黄埔").await;
    s.app.teacher(&s.tree.school, "同校老师", 2).await;
    let colleague = s.app.login(&id_number(2), PASSWORD).await;
    for token in [&b.school_token, &b.district_token, &colleague] {
        let resp = fetch(&s.app, &url, token).await;
        assert_eq!(resp.status(), 404);
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    let wrong = format!("/api/v1/declarations/{id}/evidence/00000000-0000-0000-0000-000000000000");
    assert_eq!(fetch(&s.app, &wrong, &s.token).await.status(), 404);
    let anonymous = s
        .app
        .client
        .get(format!("{}{url}", s.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn evidence_is_stored_once_by_content_hash_with_a_perceptual_hash_for_images() {
    let dir = tempfile::tempdir().unwrap();
    let evidence_dir = dir.path().join("files");
    let app = spawn_app_with(|c| c.evidence_dir = Some(evidence_dir.clone())).await;
    let s = scene_in(app, "番禺", 1).await;
    let picture = png(8);
    let sha = sha256_hex(&picture);
    let a = s
        .app
        .declare(&s.token, form("甲", "2030-06-01", "2030-06-02"))
        .await;
    let b = s
        .app
        .declare(&s.token, form("乙", "2030-07-01", "2030-07-02"))
        .await;
    let first = s
        .app
        .upload(&s.token, &a, "certificate", "a.png", picture.clone())
        .await
        .expect(201);
    s.app
        .upload(&s.token, &b, "certificate", "b.png", picture.clone())
        .await
        .expect(201);
    let pdf_file = s
        .app
        .upload(&s.token, &b, "hours_proof", "p.pdf", pdf("proof"))
        .await
        .expect(201);
    let stored = evidence_dir.join("evidence").join(&sha[..2]).join(&sha);
    assert!(xueshi_vault::is_sealed_bytes(
        &std::fs::read(&stored).unwrap()
    ));
    let key = xueshi_files::evidence_key(&sha);
    assert_eq!(
        s.app.files.get(&key).await.unwrap().as_ref(),
        picture.as_slice()
    );
    assert_eq!(
        std::fs::read_dir(evidence_dir.join("evidence"))
            .unwrap()
            .count(),
        2
    );
    s.app.images_hashed().await;
    let mut c = s.app.db.pool().acquire().await.unwrap();
    let phash =
        |id: String| sqlx::query("SELECT phash, storage_key FROM evidence WHERE id = $1").bind(id);
    let row = phash(first["id"].as_str().unwrap().to_owned())
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert!(row.get::<Option<String>, _>("phash").is_some());
    assert_eq!(
        row.get::<String, _>("storage_key"),
        format!("evidence/{}/{sha}", &sha[..2])
    );
    let row = phash(pdf_file["id"].as_str().unwrap().to_owned())
        .fetch_one(&mut *c)
        .await
        .unwrap();
    assert!(row.get::<Option<String>, _>("phash").is_none());
}

/// A local S3-compatible server: moto, started here, as crates/files/tests/s3.rs does.
struct Moto {
    endpoint: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_moto() -> Option<Moto> {
    let installed = Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        let msg = "S3 declaration test SKIPPED: `pip install 'moto[server]'` to run it";
        assert!(std::env::var("XUESHI_REQUIRE_S3_TEST").is_err(), "{msg}");
        eprintln!("{msg}");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn moto server");
    let moto = Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        child,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(&moto.endpoint).send().await.is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Some(moto)
}

#[tokio::test]
async fn declarations_keep_their_evidence_on_s3_compatible_storage() {
    let Some(moto) = start_moto().await else {
        return;
    };
    let bucket = format!("xueshi-{}", uuid::Uuid::now_v7().simple());
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "create bucket: {created:?}");
    let config = S3Config {
        bucket,
        endpoint: Some(moto.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        allow_http: true,
        server_side_encryption: Some("AES256".into()),
        sse_kms_key_id: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("must-stay-empty");
    let s3 = config.clone();
    let app = spawn_app_with(move |c| {
        c.s3 = Some(s3);
        c.evidence_dir = Some(local);
    })
    .await;
    let s = scene_in(app, "南沙", 1).await;
    let picture = jpeg(9);
    let id = s
        .app
        .declare(&s.token, form("云端证书", "2030-06-01", "2030-06-02"))
        .await;
    let e = s
        .app
        .upload(&s.token, &id, "certificate", "c.jpg", picture.clone())
        .await
        .expect(201);
    s.app.submit(&s.token, &id).await.expect(200);
    let resp = fetch(&s.app, e["url"].as_str().unwrap(), &s.tree.school_token).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), picture.as_slice());
    // The object is in the bucket under its content address, and nothing went to local disk.
    let store = xueshi_files::FileStore::s3(&config).unwrap();
    let key = xueshi_files::evidence_key(&sha256_hex(&picture));
    assert_eq!(store.get(&key).await.unwrap().as_ref(), picture.as_slice());
    assert!(!dir.path().join("must-stay-empty").join("evidence").exists());
    // Stored with the server-side encryption asked for (moto's own record of the object).
    let state: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", moto.endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let object = state["s3"]["FakeKey"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == key.as_str() && k["bucket_name"] == config.bucket.as_str())
        .expect("moto holds the object");
    assert_eq!(object["encryption"], "AES256", "{object}");
}

/// Where the test server keeps evidence on local disk.
fn evidence_on_disk(app: &crate::helpers::TestApp, sha: &str) -> std::path::PathBuf {
    let dir = app.config.evidence_dir.clone();
    dir.unwrap_or_else(|| app.config.data_dir.join("evidence"))
        .join(xueshi_files::evidence_key(sha))
}

#[tokio::test]
async fn evidence_on_local_disk_is_sealed_and_older_clear_files_are_sealed_at_start() {
    let s = scene("加密").await;
    let picture = jpeg(11);
    let id = s
        .app
        .declare(&s.token, form("封存证书", "2030-06-01", "2030-06-02"))
        .await;
    let e = s
        .app
        .upload(&s.token, &id, "certificate", "c.jpg", picture.clone())
        .await
        .expect(201);
    let path = evidence_on_disk(&s.app, &sha256_hex(&picture));
    let sealed = std::fs::read(&path).unwrap();
    assert!(xueshi_vault::is_sealed_bytes(&sealed), "{}", path.display());
    assert!(!sealed.windows(4).any(|w| w == b"JFIF") && sealed[..2] != [0xFF, 0xD8]);
    let url = e["url"].as_str().unwrap();
    let served = fetch(&s.app, url, &s.token).await;
    assert_eq!(served.bytes().await.unwrap().as_ref(), picture.as_slice());

    // As an older version left it: in clear. Still served, and sealed by the next start.
    std::fs::write(&path, &picture).unwrap();
    let served = fetch(&s.app, url, &s.token).await;
    assert_eq!(served.bytes().await.unwrap().as_ref(), picture.as_slice());
    let restarted = xueshi_server::app::Application::build(s.app.config.clone())
        .await
        .unwrap();
    tokio::spawn(restarted.run_until(std::future::pending()));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !xueshi_vault::is_sealed_bytes(&std::fs::read(&path).unwrap()) {
        assert!(Instant::now() < deadline, "not sealed at start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let served = fetch(&s.app, url, &s.token).await;
    assert_eq!(served.bytes().await.unwrap().as_ref(), picture.as_slice());
}
