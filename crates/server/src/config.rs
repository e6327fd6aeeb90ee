//! Configuration: command-line flags win over `XUESHI_*` environment variables, which win
//! over an optional TOML file (`--config`, default `xueshi.toml` if present), then defaults.

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use xueshi_store::SqliteMemory;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    /// Address the server listens on.
    pub bind: String,
    /// Where the SQLite database and evidence files live.
    pub data_dir: PathBuf,
    /// `postgres://…` selects PostgreSQL; empty means SQLite under `data_dir`.
    pub database_url: Option<String>,
    /// Name of the city organisation created in a fresh database.
    pub city_name: String,
    /// Reverse proxies (CIDR blocks; comma-separated in `XUESHI_TRUSTED_PROXIES`) whose
    /// `X-Forwarded-For` is believed: the client is the right-most hop not among them.
    pub trusted_proxies: crate::client_ip::ProxyList,
    /// Session lifetime in hours, however active (API.md: 12).
    pub session_hours: i64,
    /// Minutes a teacher's session may stay unused before it ends.
    pub idle_minutes: i64,
    /// Minutes every other role's session may stay unused.
    pub admin_idle_minutes: i64,
    /// The second factor of every role but teacher: `required`, or `off` for a demo. Unset
    /// means required, except under `serve --demo` on a demo database.
    pub admin_mfa: Option<AdminMfa>,
    /// A listener of its own for `/metrics` (e.g. `127.0.0.1:9464`); unset: none.
    pub metrics_bind: Option<String>,
    /// A bearer token with which `/metrics` answers on the public listener too.
    pub metrics_token: Option<String>,
    /// The longest delay, in milliseconds, of a login from an address with many recent
    /// failures (the delay grows with them; other users are never locked out).
    pub login_delay_cap_ms: u64,
    /// Where messages to people go (`[notifier]` in TOML; see `services::notifier`).
    pub notifier: crate::services::notifier::NotifierConfig,
    /// Mark the UI session cookie `Secure` (serve over HTTPS in production).
    pub secure_cookies: bool,
    /// Verification runs over more teachers than this answer 202 and run as a job.
    pub verification_job_threshold: i64,
    /// Days before each deadline on which reminders go out (e.g. `[30, 7, 1]`).
    pub reminder_days: Vec<u32>,
    /// The key file personal data is sealed with (default `<data_dir>/keys/data.key`; keep it
    /// outside the data directory and its backups in production).
    pub data_key_file: Option<PathBuf>,
    /// The key file's text itself, instead of a file (e.g. from a secret store).
    pub data_key: Option<crate::services::notifier::Secret>,
    /// Where evidence files are kept on local disk (default `<data_dir>/evidence`).
    pub evidence_dir: Option<PathBuf>,
    /// S3-compatible storage for evidence instead of local disk (production).
    pub s3: Option<xueshi_files::S3Config>,
    /// Compute evidence images' perceptual hashes in the background on this server (at low
    /// CPU priority). Servers sharing a database may all do it; switch it off on one that
    /// should only answer requests.
    pub evidence_hashing: bool,
    /// Read certificates (OCR) in the background on this server, when Tesseract with its
    /// simplified-Chinese model is installed (`tesseract-ocr`, `tesseract-ocr-chi-sim`);
    /// without them, or switched off, reading is off and everything else works.
    pub evidence_reading: bool,
    /// Longest a file may take to read, in seconds, before the reader gives up on it.
    pub reading_timeout_secs: u64,
    /// Extra CJK font files or directories for certificates; the Debian `fonts-noto-cjk`
    /// directory (`/usr/share/fonts/opentype/noto/`) is always searched.
    pub font_paths: Vec<PathBuf>,
    /// Where people reach the site: certificates' QR codes open `<this>/verify/<code>`.
    pub public_base_url: String,
    /// Authenticated requests per second per user, sustained, with bursts of three times as
    /// many (API.md); `0` turns the limit off (load tests).
    pub user_rate: u32,
    /// Public verification lookups per minute per client address (API.md); `0` off.
    pub address_rate: u32,
    /// Seconds a connection may take to send a request's headers, or stay idle between
    /// requests, before it is closed (slow clients hold no socket for long).
    pub header_timeout_secs: u64,
    /// Seconds between SIGTERM and closing the listener, while `/healthz` answers 503 so a
    /// load balancer stops sending new requests here first (0 on a single box).
    pub drain_secs: u64,
    /// Seconds a background job's lease lasts unrenewed (renewed every third of it): how
    /// soon another server takes over a job whose server died.
    pub job_lease_secs: u64,
    /// SQLite page cache per reading connection (eight of them), MiB: what bounds a small
    /// box's memory on deadline day.
    pub sqlite_reader_cache_mib: u32,
    /// SQLite page cache of the one writing connection, MiB (imports, verification runs).
    pub sqlite_writer_cache_mib: u32,
    /// How much of the SQLite file the writer maps into memory, MiB (0: none).
    pub sqlite_writer_mmap_mib: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./xueshi-data"),
            database_url: None,
            data_key_file: None,
            data_key: None,
            city_name: "广州市教育局".into(),
            trusted_proxies: crate::client_ip::ProxyList::default(),
            session_hours: 12,
            idle_minutes: 30,
            admin_idle_minutes: 15,
            admin_mfa: None,
            metrics_bind: None,
            metrics_token: None,
            login_delay_cap_ms: 3000,
            notifier: crate::services::notifier::NotifierConfig::default(),
            secure_cookies: false,
            verification_job_threshold: 50_000,
            reminder_days: vec![30, 7, 1],
            evidence_dir: None,
            s3: None,
            evidence_hashing: true,
            evidence_reading: true,
            reading_timeout_secs: 60,
            font_paths: Vec::new(),
            public_base_url: "http://127.0.0.1:8080".into(),
            // The heaviest page (a review queue of 50 with their thumbnails) is about 55
            // requests: well inside a burst of 120.
            user_rate: 40,
            address_rate: 120,
            header_timeout_secs: 10,
            drain_secs: 0,
            job_lease_secs: 30,
            sqlite_reader_cache_mib: SqliteMemory::default().reader_cache_mib,
            sqlite_writer_cache_mib: SqliteMemory::default().writer_cache_mib,
            sqlite_writer_mmap_mib: SqliteMemory::default().writer_mmap_mib,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminMfa {
    Required,
    Off,
}

/// Values given on the command line; `None` means "not given".
#[derive(Clone, Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// SQLite's memory as set.
    pub fn sqlite_memory(&self) -> SqliteMemory {
        SqliteMemory {
            reader_cache_mib: self.sqlite_reader_cache_mib,
            writer_cache_mib: self.sqlite_writer_cache_mib,
            writer_mmap_mib: self.sqlite_writer_mmap_mib,
        }
    }

    pub fn load(file: Option<PathBuf>, overrides: Overrides) -> anyhow::Result<Config> {
        let file = file.unwrap_or_else(|| PathBuf::from("xueshi.toml"));
        let mut figment =
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::file(file));
        // The conventional DATABASE_URL is honoured too; XUESHI_DATABASE_URL wins over it.
        if let Ok(url) = std::env::var("DATABASE_URL") {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        let config: Config = figment
            .merge(Env::prefixed("XUESHI_").ignore(&["CONFIG"]))
            .merge(Serialized::defaults(overrides))
            .extract()?;
        config.check()?;
        Ok(config)
    }

    /// Refuses settings no server should start with.
    pub fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.idle_minutes >= 1 && self.admin_idle_minutes >= 1,
            "idle_minutes and admin_idle_minutes must be whole minutes, at least 1"
        );
        anyhow::ensure!(self.session_hours >= 1, "session_hours must be at least 1");
        Ok(())
    }

    /// Whether every role but teacher must pass a second factor.
    pub fn mfa_required(&self) -> bool {
        self.admin_mfa != Some(AdminMfa::Off)
    }

    /// How long a session of `role` may stay unused, in milliseconds.
    pub fn idle_ms(&self, role: xueshi_domain::Role) -> i64 {
        let minutes = match role {
            xueshi_domain::Role::Teacher => self.idle_minutes,
            _ => self.admin_idle_minutes,
        };
        minutes * 60_000
    }

    /// The evidence store under the data key: S3 when configured, else local disk.
    pub fn file_store(
        &self,
        vault: std::sync::Arc<xueshi_vault::Vault>,
    ) -> Result<xueshi_files::FileStore, xueshi_files::FileError> {
        let store = match &self.s3 {
            Some(s3) => xueshi_files::FileStore::s3(s3)?,
            None => xueshi_files::FileStore::local(
                self.evidence_dir
                    .clone()
                    .unwrap_or_else(|| self.data_dir.join("evidence")),
            )?,
        };
        Ok(store.with_vault(vault))
    }

    /// Where the data key file is (or will be created).
    pub fn data_key_path(&self) -> PathBuf {
        self.data_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("keys").join("data.key"))
    }

    /// The database to open: `database_url`, or SQLite inside the data directory.
    pub fn database_url(&self) -> String {
        match self.database_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => url.to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("xueshi.db").display()
            ),
        }
    }
}
