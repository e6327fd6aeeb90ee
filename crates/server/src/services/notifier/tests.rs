//! Each real notifier against a local fake server.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::HeaderMap;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;

/// What the fake gateway received: the Authorization header and the JSON body.
type Posted = (Option<String>, serde_json::Value);

fn code_message() -> Outbound {
    Outbound {
        phone: Some("13800138000".into()),
        title: "学时平台密码重置验证码".into(),
        body: "验证码为123456，10分钟内有效。".into(),
    }
}

#[tokio::test]
async fn the_sms_gateway_gets_one_json_post_with_the_token() {
    let seen: Arc<Mutex<Vec<Posted>>> = Arc::default();
    let keep = seen.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(
            move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
                let keep = keep.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .map(|v| v.to_str().unwrap().to_owned());
                    keep.lock().unwrap().push((auth, body));
                    "ok"
                }
            },
        ),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config: NotifierConfig = toml_config(&format!(
        "kind = \"sms_http\"\nurl = \"http://127.0.0.1:{port}/send\"\ntoken = \"t0k\"\nsign_name = \"学时平台\""
    ));
    let notifier = build(&config).unwrap();
    notifier.send(&code_message()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.as_deref(), Some("Bearer t0k"));
    assert_eq!(seen[0].1["phone"], "13800138000");
    assert!(seen[0].1["text"].as_str().unwrap().contains("123456"));
    assert_eq!(seen[0].1["sign_name"], "学时平台");
}

#[tokio::test]
async fn a_gateway_refusal_is_an_error_that_names_no_full_phone_number() {
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(|| async { (axum::http::StatusCode::BAD_GATEWAY, "no") }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = toml_config(&format!(
        "kind = \"sms_http\"\nurl = \"http://127.0.0.1:{port}/send\""
    ));
    let err = build(&config)
        .unwrap()
        .send(&code_message())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("502") && !err.contains("13800138000"), "{err}");
}

/// A minimal SMTP server: answers every command, keeps the message text.
async fn fake_smtp() -> (u16, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mail = Arc::new(Mutex::new(String::new()));
    let keep = mail.clone();
    tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            keep.lock().unwrap().push_str(&format!("{line}\n"));
            let reply: &[u8] = if in_data {
                if line == "." {
                    in_data = false;
                    b"250 queued\r\n"
                } else {
                    continue;
                }
            } else if line.starts_with("EHLO") {
                b"250-fake\r\n250 8BITMIME\r\n"
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if line.starts_with("QUIT") {
                write.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                b"250 ok\r\n"
            };
            write.write_all(reply).await.unwrap();
        }
    });
    (port, mail)
}

#[tokio::test]
async fn smtp_sends_to_the_address_made_from_the_phone_number() {
    let (port, mail) = fake_smtp().await;
    let config = toml_config(&format!(
        "kind = \"smtp\"\nhost = \"127.0.0.1\"\nport = {port}\nstarttls = false\n\
         from = \"学时平台 <noreply@example.gov.cn>\"\nrecipient = \"{{phone}}@sms.example.gov.cn\""
    ));
    build(&config).unwrap().send(&code_message()).await.unwrap();
    let text = mail.lock().unwrap().clone();
    assert!(
        text.contains("RCPT TO:<13800138000@sms.example.gov.cn>"),
        "{text}"
    );
    assert!(
        text.contains("MAIL FROM:<noreply@example.gov.cn>"),
        "{text}"
    );
}

#[test]
fn secrets_in_the_configuration_are_not_printed() {
    let config = toml_config(
        "kind = \"smtp\"\nhost = \"h\"\nusername = \"u\"\npassword = \"hunter2-secret\"\n\
         from = \"a@b.cn\"\nrecipient = \"{phone}@c.cn\"",
    );
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
    assert!(
        build(&toml_config(
            "kind = \"smtp\"\nhost = \"h\"\nfrom = \"a@b.cn\"\nrecipient = \"x@c.cn\""
        ))
        .is_err()
    );
}

fn toml_config(text: &str) -> NotifierConfig {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(text))
        .extract()
        .unwrap()
}
