//! Helpers for the declaration tests: evidence files made on the spot, a teacher ready to
//! declare, and the requests of the declaration flow.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Answer, PASSWORD, TestApp, id_number, policy, spawn_app, tree};

/// A picture made of dark and light blocks chosen by `seed`, so different seeds give
/// clearly different images (and perceptual hashes) while re-encoding one keeps it close.
pub fn certificate_image(seed: u32) -> image::RgbImage {
    let mut bits = seed.wrapping_mul(2_654_435_761) ^ 0x9E37_79B9;
    let mut cells = [false; 64];
    for cell in &mut cells {
        bits ^= bits << 13;
        bits ^= bits >> 17;
        bits ^= bits << 5;
        *cell = bits & 1 == 1;
    }
    image::RgbImage::from_fn(240, 160, |x, y| {
        if cells[(y / 20 * 8 + x / 30) as usize] {
            image::Rgb([40, 40, 40])
        } else {
            image::Rgb([250, 250, 245])
        }
    })
}

fn encode(picture: &image::RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn png(seed: u32) -> Vec<u8> {
    encode(&certificate_image(seed), image::ImageFormat::Png)
}

pub fn jpeg(seed: u32) -> Vec<u8> {
    encode(&certificate_image(seed), image::ImageFormat::Jpeg)
}

/// A small one-page PDF; `text` makes each one different.
pub fn pdf(text: &str) -> Vec<u8> {
    pdf_of_size(text, 0)
}

/// A one-page PDF of at least `size` bytes (a comment pads it before the cross-references).
pub fn pdf_of_size(text: &str, size: usize) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Info ({text}) >>"),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let tail_len = 200;
    if size > out.len() + tail_len {
        out.push(b'%');
        out.resize(size - tail_len - 1, b' ');
        out.push(b'\n');
    }
    let xref = out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        tail.push_str(&format!("{offset:010} 00000 n \n"));
    }
    tail.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.extend_from_slice(tail.as_bytes());
    if size > out.len() {
        out.resize(size, b'\n');
    }
    out
}

/// A teacher of a fresh district and school, logged in, with the 2030 policy in place.
pub struct Scene {
    pub app: TestApp,
    pub tree: crate::helpers::Tree,
    pub teacher: String,
    pub token: String,
}

pub async fn scene(tag: &str) -> Scene {
    let app = spawn_app().await;
    scene_in(app, tag, 1).await
}

pub async fn scene_in(app: TestApp, tag: &str, n: u32) -> Scene {
    let tree = tree(&app, tag).await;
    app.set_policy(2030, policy(2030)).await;
    let teacher = app.teacher(&tree.school, "陈老师", n).await;
    let token = app.login(&id_number(n), PASSWORD).await;
    Scene {
        app,
        tree,
        teacher,
        token,
    }
}

/// A declaration body for `title` from `start` to `end`, 24 hours.
pub fn form(title: &str, start: &str, end: &str) -> Value {
    json!({
        "category": "professional", "activity_type": "training_course", "title": title,
        "organizer": "广州市教师发展中心", "start_date": start, "end_date": end, "hours": 24,
        "foreign_certificate": false, "certificate_states_hours": true
    })
}

impl TestApp {
    pub async fn declare(&self, token: &str, body: Value) -> String {
        self.post("/declarations", token, body).await.expect(201)["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Answer {
        self.call(
            reqwest::Method::DELETE,
            &format!("/api/v1{path}"),
            Some(token),
            None,
        )
        .await
    }

    /// Uploads `bytes` as evidence of `kind` (named `name`) to a declaration.
    pub async fn upload(
        &self,
        token: &str,
        declaration: &str,
        kind: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> Answer {
        let form = Form::new()
            .text("kind", kind.to_owned())
            .part("file", Part::bytes(bytes).file_name(name.to_owned()));
        self.multipart(token, declaration, form).await
    }

    pub async fn multipart(&self, token: &str, declaration: &str, form: Form) -> Answer {
        let resp = self
            .client
            .post(format!(
                "{}/api/v1/declarations/{declaration}/evidence",
                self.address
            ))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("the server answers");
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body }
    }

    /// A declaration with a certificate, ready to submit.
    pub async fn ready(&self, token: &str, body: Value, seed: u32) -> String {
        let id = self.declare(token, body).await;
        self.upload(token, &id, "certificate", "证书.png", png(seed))
            .await
            .expect(201);
        id
    }

    pub async fn submit(&self, token: &str, id: &str) -> Answer {
        self.post(&format!("/declarations/{id}/submit"), token, json!({}))
            .await
    }

    /// A submitted declaration of `title` in June 2030.
    pub async fn submitted(&self, token: &str, title: &str, seed: u32) -> String {
        let id = self
            .ready(token, form(title, "2030-06-01", "2030-06-03"), seed)
            .await;
        self.submit(token, &id).await.expect(200);
        id
    }

    pub async fn review(&self, token: &str, id: &str, body: Value) -> Answer {
        self.post(&format!("/declarations/{id}/review"), token, body)
            .await
    }

    pub async fn declaration(&self, token: &str, id: &str) -> Value {
        self.api_get(&format!("/declarations/{id}"), token)
            .await
            .expect(200)
    }
}
