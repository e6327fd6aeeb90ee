use std::collections::HashSet;
use std::fmt;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use xueshi_vault::{Vault, is_sealed_bytes};

use crate::FileError;

/// Where evidence lives. One code path for every backend: object_store provides both the
/// local-disk and the S3 implementation behind `dyn ObjectStore`.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    /// The same store when it is on local disk: a write there is flushed to the disk before
    /// `put` returns.
    local: Option<Arc<Local>>,
    /// Opens sealed objects on `get`; on local disk, also seals every `put` (S3 relies on its
    /// server-side encryption instead, see [`S3Config::server_side_encryption`]).
    vault: Option<Arc<Vault>>,
    description: String,
}

struct Local {
    store: Arc<LocalFileSystem>,
    root: PathBuf,
    /// Directories whose entries, up to the root, this process has flushed: a file put in one
    /// needs only itself and its directory flushed.
    durable_dirs: Mutex<HashSet<PathBuf>>,
}

/// Connection settings for S3-compatible storage (AWS, MinIO, Aliyun OSS, …).
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct S3Config {
    pub bucket: String,
    /// Custom endpoint such as `http://127.0.0.1:9000`; `None` means AWS.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Needed for plain-HTTP endpoints (local test servers).
    #[serde(default)]
    pub allow_http: bool,
    /// The bucket encrypts each object it stores: `AES256` (SSE-S3), `aws:kms` or
    /// `aws:kms:dsse` (with `sse_kms_key_id`). `None` leaves it to the bucket's default.
    #[serde(default)]
    pub server_side_encryption: Option<String>,
    #[serde(default)]
    pub sse_kms_key_id: Option<String>,
}

// By hand so that logging a config never prints the secret.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("allow_http", &self.allow_http)
            .field("server_side_encryption", &self.server_side_encryption)
            .field("sse_kms_key_id", &self.sse_kms_key_id)
            .finish()
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FileStore").field(&self.description).finish()
    }
}

/// Content-addressed key for evidence with this SHA-256 (hex): `evidence/<first 2 hex>/<hex>`.
/// Identical uploads share one object; the two-character fan-out keeps directories small.
pub fn evidence_key(sha256_hex: &str) -> String {
    let fan_out = sha256_hex.get(..2).unwrap_or(sha256_hex);
    format!("evidence/{fan_out}/{sha256_hex}")
}

fn parse_key(key: &str) -> Result<Path, FileError> {
    let path = Path::parse(key).map_err(|e| FileError::Invalid(e.to_string()))?;
    if path.is_root() {
        return Err(FileError::Invalid("empty key".into()));
    }
    Ok(path)
}

impl FileStore {
    /// A store in `dir` on local disk, created if missing.
    pub fn local(dir: impl AsRef<FsPath>) -> Result<FileStore, FileError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)
            .map_err(|e| FileError::Backend(format!("creating {}: {e}", dir.display())))?;
        // Evidence is personal data: nobody but the server's own user enters this directory.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| FileError::Backend(format!("restricting {}: {e}", dir.display())))?;
        }
        let root = std::fs::canonicalize(dir)
            .map_err(|e| FileError::Backend(format!("resolving {}: {e}", dir.display())))?;
        // Removes the emptied fan-out directories when evidence is deleted.
        let store = Arc::new(LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true));
        Ok(FileStore {
            inner: store.clone(),
            local: Some(Arc::new(Local {
                store,
                root,
                durable_dirs: Mutex::default(),
            })),
            vault: None,
            description: format!("local:{}", dir.display()),
        })
    }

    /// A store in an S3-compatible bucket (path-style requests, which every S3 clone accepts).
    pub fn s3(config: &S3Config) -> Result<FileStore, FileError> {
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http)
            .with_virtual_hosted_style_request(false);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(sse) = &config.server_side_encryption {
            if !matches!(sse.as_str(), "AES256" | "aws:kms" | "aws:kms:dsse") {
                return Err(FileError::Invalid(format!(
                    "S3 server_side_encryption must be AES256, aws:kms or aws:kms:dsse, not {sse:?}"
                )));
            }
            // object_store names its encryption keys only through their configuration names.
            let key = |name: &str| name.parse::<AmazonS3ConfigKey>();
            builder = builder.with_config(key("aws_server_side_encryption")?, sse);
            if let Some(kms) = &config.sse_kms_key_id {
                builder = builder.with_config(key("aws_sse_kms_key_id")?, kms);
            }
        }
        let inner = builder
            .build()
            .map_err(|e| FileError::Invalid(format!("S3 configuration: {e}")))?;
        let description = match &config.endpoint {
            Some(endpoint) => format!("s3://{} at {endpoint}", config.bucket),
            None => format!("s3://{} ({})", config.bucket, config.region),
        };
        Ok(FileStore::from_object_store(Arc::new(inner), description))
    }

    /// A store in memory, for tests of code that uses a `FileStore`.
    pub fn memory() -> FileStore {
        FileStore::from_object_store(Arc::new(InMemory::new()), "memory".into())
    }

    /// Wraps any object_store backend.
    pub fn from_object_store(inner: Arc<dyn ObjectStore>, description: String) -> FileStore {
        FileStore {
            inner,
            local: None,
            vault: None,
            description,
        }
    }

    /// This store with the data key: on local disk every object is written sealed (SM4-GCM,
    /// bound to its key), and on any backend a sealed object is opened when read. Objects an
    /// older version wrote in clear are still read, and sealed by [`FileStore::seal_existing`].
    pub fn with_vault(mut self, vault: Arc<Vault>) -> FileStore {
        self.vault = Some(vault);
        self
    }

    fn seals_puts(&self) -> bool {
        self.local.is_some() && self.vault.is_some()
    }

    /// `bytes` as this store keeps them at `key`.
    fn stored_form(&self, key: &str, bytes: Bytes) -> Bytes {
        match &self.vault {
            Some(v) if self.seals_puts() && !is_sealed_bytes(&bytes) => {
                Bytes::from(v.seal_bytes(key, &bytes))
            }
            _ => bytes,
        }
    }

    fn opened(&self, key: &str, stored: Bytes) -> Result<Bytes, FileError> {
        if !is_sealed_bytes(&stored) {
            return Ok(stored);
        }
        let v = self.vault.as_ref().ok_or_else(|| {
            FileError::Backend(format!("{key} is sealed and this store has no data key"))
        })?;
        v.open_bytes(key, &stored)
            .map(Bytes::from)
            .map_err(|e| FileError::Backend(format!("opening {key}: {e}")))
    }

    /// Writes `bytes` at `key`, replacing what was there; atomic on every backend, and durable
    /// when it returns (S3 answers once it has stored the object; on local disk the file and
    /// the directories naming it are flushed), so that no committed row names a file a power
    /// cut could take back.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), FileError> {
        let path = parse_key(key)?;
        let bytes = if self.seals_puts() {
            // About 3 ms a megabyte: off the async threads, like the flush below.
            let (this, key) = (self.clone(), key.to_owned());
            tokio::task::spawn_blocking(move || this.stored_form(&key, bytes))
                .await
                .map_err(|e| FileError::Backend(e.to_string()))?
        } else {
            bytes
        };
        self.inner.put(&path, PutPayload::from(bytes)).await?;
        if let Some(local) = &self.local {
            let file = local.store.path_to_filesystem(&path)?;
            let local = local.clone();
            tokio::task::spawn_blocking(move || local.flush(&file))
                .await
                .map_err(|e| FileError::Backend(e.to_string()))?
                .map_err(|e| FileError::Backend(format!("flushing {key}: {e}")))?;
        }
        Ok(())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, FileError> {
        let path = parse_key(key)?;
        let stored = self.inner.get(&path).await?.bytes().await?;
        if !is_sealed_bytes(&stored) {
            return Ok(stored);
        }
        let (this, key) = (self.clone(), key.to_owned());
        tokio::task::spawn_blocking(move || this.opened(&key, stored))
            .await
            .map_err(|e| FileError::Backend(e.to_string()))?
    }

    /// Seals, in place, every object an older version wrote in clear to local disk (nothing
    /// to do elsewhere). Each file is replaced atomically, so a stopped run is simply run
    /// again. Returns the number sealed.
    pub async fn seal_existing(&self) -> Result<u64, FileError> {
        if !self.seals_puts() {
            return Ok(0);
        }
        let mut listing = self.inner.list(None);
        let mut sealed = 0u64;
        while let Some(meta) = listing.try_next().await? {
            // Each start walks every file: reading the magic alone keeps that cheap.
            let magic_len = xueshi_vault::FILE_MAGIC.len() as u64;
            if meta.size >= magic_len {
                let head = self.inner.get_range(&meta.location, 0..magic_len).await?;
                if is_sealed_bytes(&head) {
                    continue;
                }
            }
            let stored = self.inner.get(&meta.location).await?.bytes().await?;
            if !is_sealed_bytes(&stored) {
                self.put(meta.location.as_ref(), stored).await?;
                sealed += 1;
            }
        }
        if sealed > 0 {
            tracing::info!(
                sealed,
                store = self.describe(),
                "sealed evidence stored in clear"
            );
        }
        Ok(sealed)
    }

    /// Whether `key` exists: lets a caller skip uploading content it already holds.
    pub async fn exists(&self, key: &str) -> Result<bool, FileError> {
        match self.inner.head(&parse_key(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes `key`. Deleting a missing key succeeds, as it does on S3, so retries are safe.
    pub async fn delete(&self, key: &str) -> Result<(), FileError> {
        let path = parse_key(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        // The emptied directory is removed with its last file: if it is made again, its
        // entry must be flushed again.
        if let Some(local) = &self.local
            && let Some(dir) = local.store.path_to_filesystem(&path)?.parent()
            && let Ok(mut dirs) = local.durable_dirs.lock()
        {
            dirs.remove(dir);
        }
        Ok(())
    }

    /// Human-readable location, without credentials, for logs and health pages.
    pub fn describe(&self) -> &str {
        &self.description
    }
}

impl Local {
    /// Flushes a new `file` and its directory; the first time in a directory, also each
    /// directory above it up to the root (a new fan-out directory is on disk only once its
    /// parent's entry is).
    fn flush(&self, file: &FsPath) -> std::io::Result<()> {
        // object_store creates files under the umask: evidence is the server user's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))?;
        }
        let Some(dir) = file.parent() else {
            return Ok(());
        };
        let known = self.durable_dirs.lock().is_ok_and(|d| d.contains(dir));
        sync_to(file, if known { dir } else { &self.root })?;
        if !known && let Ok(mut dirs) = self.durable_dirs.lock() {
            dirs.insert(dir.to_owned());
        }
        Ok(())
    }
}

/// Flushes `file`, then each directory from its own up to and including `last`.
fn sync_to(file: &FsPath, last: &FsPath) -> std::io::Result<()> {
    std::fs::File::open(file)?.sync_all()?;
    let mut dir = file.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(last)) {
        std::fs::File::open(d)?.sync_all()?;
        dir = d.parent();
    }
    Ok(())
}

/// Copies every object under `prefix` (whole path segments; `""` for everything) from one
/// store to another, e.g. to migrate local evidence to S3. Keys are kept, so re-running after
/// an interruption just copies again. Sealed objects are copied sealed; clear ones are sealed
/// if the target seals. Returns the number of objects copied.
pub async fn copy_all(from: &FileStore, to: &FileStore, prefix: &str) -> Result<u64, FileError> {
    let prefix = Path::parse(prefix).map_err(|e| FileError::Invalid(e.to_string()))?;
    let prefix = (!prefix.is_root()).then_some(prefix);
    let mut listing = from.inner.list(prefix.as_ref());
    let mut copied = 0u64;
    while let Some(meta) = listing.try_next().await? {
        let bytes = from.inner.get(&meta.location).await?.bytes().await?;
        let bytes = to.stored_form(meta.location.as_ref(), bytes);
        to.inner
            .put(&meta.location, PutPayload::from(bytes))
            .await?;
        copied += 1;
        tracing::debug!(key = %meta.location, "copied");
    }
    tracing::info!(
        copied,
        from = from.describe(),
        to = to.describe(),
        "copy_all finished"
    );
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_keys_fan_out() {
        let sha = crate::sha256_hex(b"abc");
        assert_eq!(evidence_key(&sha), format!("evidence/ba/{sha}"));
        assert_eq!(evidence_key("a"), "evidence/a/a");
    }

    #[test]
    fn s3_config_debug_redacts_secret() {
        let config = S3Config {
            bucket: "b".into(),
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI-very-secret".into(),
            allow_http: false,
            server_side_encryption: Some("aws:kms".into()),
            sse_kms_key_id: Some("alias/xueshi".into()),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("AKIDEXAMPLE"));
        let store = FileStore::s3(&config).unwrap();
        assert!(!format!("{store:?} {}", store.describe()).contains("very-secret"));
    }

    #[test]
    fn s3_config_deserialises_with_defaults() {
        let config: S3Config = serde_json::from_str(
            r#"{"bucket":"b","region":"r","access_key_id":"a","secret_access_key":"s"}"#,
        )
        .unwrap();
        assert_eq!(config.endpoint, None);
        assert!(!config.allow_http);
    }

    #[tokio::test]
    async fn a_local_put_flushes_its_directories_once_then_the_file_and_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::local(dir.path()).unwrap();
        store
            .put("evidence/ab/one", Bytes::from_static(b"1"))
            .await
            .unwrap();
        store
            .put("evidence/ab/two", Bytes::from_static(b"2"))
            .await
            .unwrap();
        let local = store.local.as_ref().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(
            *local.durable_dirs.lock().unwrap(),
            HashSet::from([root.join("evidence/ab")])
        );
        store.delete("evidence/ab/one").await.unwrap();
        assert!(local.durable_dirs.lock().unwrap().is_empty());
        assert!(sync_to(&root.join("evidence/ab/missing"), &root).is_err());
    }

    #[tokio::test]
    async fn local_put_get_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::local(dir.path().join("files")).unwrap();
        assert!(store.describe().starts_with("local:"));

        let body = Bytes::from_static(b"%PDF-1.7 evidence");
        let key = evidence_key(&crate::sha256_hex(&body));
        assert!(!store.exists(&key).await.unwrap());
        store.put(&key, body.clone()).await.unwrap();
        assert!(store.exists(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap(), body);
        assert!(dir.path().join("files").join(&key).is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &FsPath| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir.path().join("files").join(&key)), 0o600);
            assert_eq!(mode(&dir.path().join("files")), 0o700);
        }

        store.delete(&key).await.unwrap();
        assert!(matches!(store.get(&key).await, Err(FileError::NotFound)));
        store.delete(&key).await.unwrap(); // idempotent
    }

    #[tokio::test]
    async fn bad_keys_are_invalid() {
        let store = FileStore::memory();
        for key in ["", "../etc/passwd", "a//b", "a/./b"] {
            let r = store.put(key, Bytes::from_static(b"x")).await;
            assert!(matches!(r, Err(FileError::Invalid(_))), "{key:?}: {r:?}");
        }
    }

    #[tokio::test]
    async fn copy_all_between_local_stores() {
        let dir = tempfile::tempdir().unwrap();
        let from = FileStore::local(dir.path().join("a")).unwrap();
        let to = FileStore::local(dir.path().join("b")).unwrap();
        let bodies: Vec<Bytes> = (0..3).map(|i| Bytes::from(format!("file {i}"))).collect();
        for body in &bodies {
            from.put(&evidence_key(&crate::sha256_hex(body)), body.clone())
                .await
                .unwrap();
        }
        from.put("other/x", Bytes::from_static(b"not evidence"))
            .await
            .unwrap();

        assert_eq!(copy_all(&from, &to, "evidence").await.unwrap(), 3);
        for body in &bodies {
            let key = evidence_key(&crate::sha256_hex(body));
            assert_eq!(to.get(&key).await.unwrap(), *body);
        }
        assert!(matches!(to.get("other/x").await, Err(FileError::NotFound)));

        assert_eq!(copy_all(&from, &to, "").await.unwrap(), 4);
        assert_eq!(to.get("other/x").await.unwrap().as_ref(), b"not evidence");
    }
}
