//! Reading a certificate's text: Tesseract's OCR (simplified Chinese, and English for foreign
//! certificates) for photos; for a PDF its text layer (poppler's pdftotext), or OCR of its
//! first page rendered (pdftoppm) when it has none. Each tool runs as a bounded subprocess —
//! low priority, one thread, a memory cap, a time limit, its output capped — so no file can
//! stall or exhaust the server. Without the tools reading is off and all else works.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::EvidenceKind;

/// A tool's address space: Tesseract with the Chinese model needs about 300 MB.
const MEMORY_LIMIT: u64 = 1024 * 1024 * 1024;
/// A certificate's text is a few kilobytes; more is not a certificate.
const MAX_OUTPUT: u64 = 256 * 1024;
/// Rendering resolution of a PDF page without text, enough for certificate print.
const RENDER_DPI: &str = "150";

#[derive(Debug, Error)]
pub enum ReadError {
    #[error("识别超时")]
    Timeout,
    #[error("识别失败：{0}")]
    Failed(String),
}

/// The reading tools found on this machine.
#[derive(Clone, Debug)]
pub struct Reader {
    tesseract: PathBuf,
    pdftotext: Option<PathBuf>,
    pdftoppm: Option<PathBuf>,
    timeout: Duration,
}

impl Reader {
    /// The tools on `PATH`; `None` (reading off) without Tesseract and its simplified-Chinese
    /// model. PDFs are read when poppler's tools are there too.
    pub async fn detect(timeout: Duration) -> Option<Reader> {
        let tesseract = on_path("tesseract")?;
        let langs = Command::new(&tesseract)
            .arg("--list-langs")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .await
            .ok()?;
        let langs = String::from_utf8_lossy(&langs.stdout);
        if !langs.lines().any(|l| l.trim() == "chi_sim") {
            tracing::warn!(
                "tesseract has no chi_sim model (apt install tesseract-ocr-chi-sim): reading is off"
            );
            return None;
        }
        Some(Reader {
            tesseract,
            pdftotext: on_path("pdftotext"),
            pdftoppm: on_path("pdftoppm"),
            timeout,
        })
    }

    /// How long one tool may run.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The text of a certificate file.
    pub async fn read(&self, bytes: &[u8], kind: EvidenceKind) -> Result<String, ReadError> {
        match kind {
            EvidenceKind::Jpeg | EvidenceKind::Png => self.ocr(bytes).await,
            EvidenceKind::Pdf => self.read_pdf(bytes).await,
        }
    }

    /// The text of a certificate file, a photo read a second way when `retry` says its first
    /// text lacks what matters, and that text taken instead only when `take` accepts it.
    /// Block mode (`--psm 6`) keeps a certificate's lines in order but drops the short rows
    /// of a table form beside its cell borders (姓名 张敏, 学时 48); column mode (`--psm 4`)
    /// keeps them and misreads more elsewhere, so it only stands in.
    pub async fn read_with_retry(
        &self,
        bytes: &[u8],
        kind: EvidenceKind,
        retry: fn(&str) -> bool,
        take: fn(&str) -> bool,
    ) -> Result<String, ReadError> {
        let first = self.read(bytes, kind).await?;
        if kind == EvidenceKind::Pdf || !retry(&first) {
            return Ok(first);
        }
        match self.ocr_in(bytes, "4").await {
            Ok(second) if take(&second) => Ok(second),
            _ => Ok(first),
        }
    }

    async fn ocr(&self, image: &[u8]) -> Result<String, ReadError> {
        // --psm 6: one block of text, which keeps a certificate's lines in order.
        self.ocr_in(image, "6").await
    }

    async fn ocr_in(&self, image: &[u8], page_mode: &str) -> Result<String, ReadError> {
        let args = ["stdin", "stdout", "-l", "chi_sim+eng", "--psm", page_mode];
        let out = self.run(&self.tesseract, &args, Some(image)).await?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    async fn read_pdf(&self, pdf: &[u8]) -> Result<String, ReadError> {
        let (Some(pdftotext), Some(pdftoppm)) = (&self.pdftotext, &self.pdftoppm) else {
            return Err(ReadError::Failed(
                "未安装 poppler-utils，无法读取 PDF".into(),
            ));
        };
        let dir = tempfile::tempdir().map_err(failed)?;
        let file = dir.path().join("certificate.pdf");
        tokio::fs::write(&file, pdf).await.map_err(failed)?;
        let path = file.to_string_lossy();
        let text = self
            .run(pdftotext, &["-l", "2", "-enc", "UTF-8", &path, "-"], None)
            .await?;
        let text = String::from_utf8_lossy(&text);
        if text.chars().filter(|c| !c.is_whitespace()).count() >= 10 {
            return Ok(text.into_owned());
        }
        // No text layer (a scan saved as PDF): read its first page as a picture.
        let prefix = dir.path().join("page");
        let args = [
            "-f",
            "1",
            "-l",
            "1",
            "-r",
            RENDER_DPI,
            "-png",
            "-singlefile",
            &path,
            &prefix.to_string_lossy(),
        ];
        self.run(pdftoppm, &args, None).await?;
        let png = tokio::fs::read(prefix.with_extension("png"))
            .await
            .map_err(failed)?;
        self.ocr(&png).await
    }

    /// Runs a tool on `input`, bounded; its standard output.
    async fn run(
        &self,
        program: &Path,
        args: &[&str],
        input: Option<&[u8]>,
    ) -> Result<Vec<u8>, ReadError> {
        let mut command = Command::new(program);
        command
            .args(args)
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        limit(&mut command);
        let mut child = command.spawn().map_err(failed)?;
        if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
            let input = input.to_vec();
            // Written beside the reading, so a tool that answers early cannot deadlock us.
            tokio::spawn(async move {
                let _ = stdin.write_all(&input).await;
            });
        }
        let mut stdout = child.stdout.take().ok_or_else(|| failed("no stdout"))?;
        let work = async {
            let mut out = Vec::new();
            (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut out).await?;
            let status = child.wait().await?;
            io::Result::Ok((status, out))
        };
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(ReadError::Timeout),
            Ok(Err(e)) => Err(failed(e)),
            Ok(Ok((status, _))) if !status.success() => Err(failed(format!(
                "{} exited with {status}",
                program.display()
            ))),
            Ok(Ok((_, out))) => Ok(out),
        }
    }
}

fn failed(e: impl std::fmt::Display) -> ReadError {
    ReadError::Failed(e.to_string())
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.is_file())
}

/// Low priority and a memory cap for the child, set between fork and exec.
fn limit(command: &mut Command) {
    // SAFETY: only async-signal-safe calls (setrlimit, nice) run in the forked child.
    unsafe {
        command.pre_exec(|| {
            let cap = libc::rlimit {
                rlim_cur: MEMORY_LIMIT,
                rlim_max: MEMORY_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &cap) != 0 {
                return Err(io::Error::last_os_error());
            }
            libc::nice(10);
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERTIFICATE: &[u8] = include_bytes!("../tests/fixtures/certificate.png");

    async fn reader() -> Option<Reader> {
        let found = Reader::detect(Duration::from_secs(30)).await;
        if found.is_none() && std::env::var_os("XUESHI_REQUIRE_OCR").is_some() {
            panic!("XUESHI_REQUIRE_OCR is set but tesseract with chi_sim was not found");
        }
        found
    }

    static SECOND_READINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    fn second_taken(text: &str) -> bool {
        SECOND_READINGS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        text.contains("学时")
    }

    #[tokio::test]
    async fn a_photo_is_read_a_second_way_only_when_the_first_lacks_what_matters() {
        let Some(reader) = reader().await else { return };
        let enough = |_: &str| false;
        let text = reader
            .read_with_retry(CERTIFICATE, EvidenceKind::Png, enough, second_taken)
            .await
            .unwrap();
        assert!(text.contains("学时"), "{text}");
        assert_eq!(SECOND_READINGS.load(std::sync::atomic::Ordering::SeqCst), 0);
        let lacking = |_: &str| true;
        let text = reader
            .read_with_retry(CERTIFICATE, EvidenceKind::Png, lacking, second_taken)
            .await
            .unwrap();
        assert!(text.contains("学时"), "{text}");
        assert_eq!(SECOND_READINGS.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_photographed_certificate_is_read_in_chinese() {
        let Some(reader) = reader().await else { return };
        let text = reader.read(CERTIFICATE, EvidenceKind::Png).await.unwrap();
        assert!(text.contains("共计24学时"), "{text}");
        assert!(text.contains("广州市教育研究院"), "{text}");
    }

    #[tokio::test]
    async fn a_pdf_is_read_from_its_text_layer() {
        let Some(reader) = reader().await else { return };
        if reader.pdftotext.is_none() {
            return;
        }
        let pdf = include_bytes!("../tests/fixtures/certificate.pdf");
        let text = reader.read(pdf, EvidenceKind::Pdf).await.unwrap();
        assert!(text.contains("共计24学时"), "{text}");
    }

    #[tokio::test]
    async fn a_file_that_is_no_picture_fails_and_a_slow_tool_is_stopped() {
        let Some(reader) = reader().await else { return };
        assert!(matches!(
            reader.read(b"not a picture", EvidenceKind::Png).await,
            Err(ReadError::Failed(_))
        ));
        let hurried = Reader {
            timeout: Duration::from_millis(1),
            ..reader
        };
        assert!(matches!(
            hurried.read(CERTIFICATE, EvidenceKind::Png).await,
            Err(ReadError::Timeout)
        ));
    }
}
