//! A real S3 round trip against a local S3-compatible server; README.md says how the server
//! is found or started, and when the test skips.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use xueshi_files::{FileError, FileStore, S3Config, copy_all, evidence_key, sha256_hex};

/// The endpoint under test, and the moto process when this test started it.
struct Server {
    endpoint: String,
    child: Option<Child>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn moto_installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn start_moto() -> Server {
    // Ask the OS for a free port; the tiny race until moto binds it is acceptable in tests.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
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
    Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        child: Some(child),
    }
}

async fn wait_until_answering(server: &mut Server) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if client.get(&server.endpoint).send().await.is_ok() {
            return;
        }
        if let Some(child) = &mut server.child
            && let Ok(Some(status)) = child.try_wait()
        {
            panic!("moto server exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "no answer from {}",
            server.endpoint
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn s3_round_trip() {
    let mut server = if let Some(endpoint) = env("XUESHI_TEST_S3_ENDPOINT") {
        Server {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            child: None,
        }
    } else if moto_installed() {
        start_moto()
    } else {
        let msg = "S3 test SKIPPED: set XUESHI_TEST_S3_ENDPOINT or `pip install 'moto[server]'`";
        assert!(env("XUESHI_REQUIRE_S3_TEST").is_none(), "{msg}");
        eprintln!("{msg}");
        return;
    };
    wait_until_answering(&mut server).await;

    let bucket = match env("XUESHI_TEST_S3_BUCKET") {
        Some(bucket) => bucket,
        None => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos();
            let bucket = format!("xueshi-test-{}-{nanos}", std::process::id());
            // object_store cannot create buckets; moto accepts an unsigned PUT.
            let response = reqwest::Client::new()
                .put(format!("{}/{bucket}", server.endpoint))
                .send()
                .await
                .expect("create bucket");
            assert!(
                response.status().is_success(),
                "create bucket: {response:?}"
            );
            bucket
        }
    };
    eprintln!(
        "S3 test running against {} bucket {bucket}",
        server.endpoint
    );

    let config = S3Config {
        bucket,
        endpoint: Some(server.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: env("XUESHI_TEST_S3_ACCESS_KEY").unwrap_or_else(|| "testing".into()),
        secret_access_key: env("XUESHI_TEST_S3_SECRET_KEY").unwrap_or_else(|| "testing".into()),
        allow_http: true,
        ..Default::default()
    };
    let s3 = FileStore::s3(&config).unwrap();

    let body = Bytes::from_static(b"%PDF-1.7\n certificate of 24 training hours");
    let key = evidence_key(&sha256_hex(&body));
    assert!(matches!(s3.get(&key).await, Err(FileError::NotFound)));
    assert!(!s3.exists(&key).await.unwrap());

    s3.put(&key, body.clone()).await.unwrap();
    assert_eq!(s3.get(&key).await.unwrap(), body);
    assert!(s3.exists(&key).await.unwrap());

    s3.delete(&key).await.unwrap();
    assert!(matches!(s3.get(&key).await, Err(FileError::NotFound)));
    s3.delete(&key).await.unwrap();

    // The migration path: local disk → S3.
    let dir = tempfile::tempdir().unwrap();
    let local = FileStore::local(dir.path()).unwrap();
    local.put(&key, body.clone()).await.unwrap();
    assert_eq!(copy_all(&local, &s3, "evidence").await.unwrap(), 1);
    assert_eq!(s3.get(&key).await.unwrap(), body);
    s3.delete(&key).await.unwrap();
}
