//! Assembling and running the server.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware;
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;
use xueshi_store::{Db, StoreError, Vault, repo};

use crate::config::Config;
use crate::state::AppState;
use crate::{api, metrics, security, web};

/// Longest pause between two pieces of a request body (a phone on a weak signal pauses for
/// seconds, not half a minute).
const BODY_FRAME_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Application {
    listener: TcpListener,
    /// `/metrics` alone, when `metrics_bind` is set.
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
}

impl Application {
    /// Opens the database (migrating it), makes sure the city exists, and binds the port
    /// (`:0` picks a free one; [`Application::port`] tells which).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let notifier = crate::services::notifier::build(&config.notifier)?;
        Self::build_with(config, notifier).await
    }

    /// [`Application::build`] with the notifier one-time codes go through.
    pub async fn build_with(
        config: Config,
        notifier: Arc<dyn crate::services::reminders::Notifier>,
    ) -> anyhow::Result<Application> {
        config.check()?;
        let db = open_db(&config).await?;
        let files = config.file_store(db.shared_vault())?;
        tracing::info!(store = files.describe(), "evidence store");
        let limits = crate::rate_limit::RateLimits::new(config.user_rate, config.address_rate);
        let reader = if config.evidence_reading {
            let timeout = Duration::from_secs(config.reading_timeout_secs.max(1));
            let reader = xueshi_files::Reader::detect(timeout).await;
            if reader.is_none() {
                tracing::warn!("certificate reading is off: tesseract with chi_sim not found");
            }
            reader
        } else {
            None
        };
        let state = AppState::new(crate::state::Shared {
            db,
            files,
            config: Arc::new(config),
            metrics: metrics::handle(),
            in_flight: crate::in_flight::InFlight::default(),
            limits,
            clock: crate::clock::Clock::default(),
            notifier,
            touches: Default::default(),
            reader,
            draining: Default::default(),
        });
        let listener = TcpListener::bind(&state.config.bind).await?;
        let metrics_listener = match state.config.metrics_bind.as_deref() {
            Some(bind) if !bind.is_empty() => Some(TcpListener::bind(bind).await?),
            _ => None,
        };
        Ok(Application {
            listener,
            metrics_listener,
            router: router(state.clone()),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The port of the metrics listener, if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        let listener = self.metrics_listener.as_ref()?;
        listener.local_addr().ok().map(|a| a.port())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let janitor = tokio::spawn(sweep_sessions(self.state.clone()));
        // The cache keeps entries while the change feed runs (see `xueshi_store::cache`).
        let db = self.state.db.clone();
        let feed = tokio::spawn(async move { db.follow_changes().await });
        // This server's name on the job leases it holds.
        let owner = format!("{}:{}", std::process::id(), uuid::Uuid::now_v7().simple());
        let jobs = tokio::spawn(crate::services::job_runner::run_forever(
            self.state.db.clone(),
            owner.clone(),
            Duration::from_secs(self.state.config.job_lease_secs.max(1)),
        ));
        let metrics_server = self.metrics_listener.map(|listener| {
            let router = Router::new()
                .route("/metrics", get(metrics::render))
                .with_state(self.state.clone());
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let reminders = tokio::spawn(crate::services::reminders::run_forever(
            self.state.db.clone(),
            self.state.config.reminder_days.clone(),
            self.state.notifier.clone(),
        ));
        let hashing = self.state.config.evidence_hashing.then(|| {
            tokio::spawn(crate::services::evidence_hashing::run_forever(
                self.state.db.clone(),
                self.state.files.clone(),
                self.state.in_flight.clone(),
            ))
        });
        let reading = self.state.reader.clone().map(|reader| {
            tokio::spawn(crate::services::evidence_reading::run_forever(
                self.state.db.clone(),
                self.state.files.clone(),
                reader,
                owner.clone(),
                self.state.in_flight.clone(),
            ))
        });
        let limits = tokio::spawn(self.state.limits.clone().sweep_forever());
        let touches = tokio::spawn(
            self.state
                .touches
                .clone()
                .flush_forever(self.state.db.clone(), self.state.clock.clone()),
        );
        // Evidence an older version wrote in clear is sealed while the server serves.
        let files = self.state.files.clone();
        let sealing = tokio::spawn(async move {
            if let Err(e) = files.seal_existing().await {
                tracing::error!(error = %e, "sealing evidence stored in clear stopped; it resumes at the next start");
            }
        });
        let header_timeout = Duration::from_secs(self.state.config.header_timeout_secs.max(1));
        // Draining: health checks fail first, then the listener closes and in-flight
        // requests finish (see `serve`).
        let (draining, drain) = (
            self.state.draining.clone(),
            Duration::from_secs(self.state.config.drain_secs),
        );
        let shutdown = async move {
            shutdown.await;
            draining.store(true, std::sync::atomic::Ordering::Release);
            tracing::info!(seconds = drain.as_secs(), "draining");
            tokio::time::sleep(drain).await;
        };
        crate::serve::serve(self.listener, self.router, header_timeout, shutdown).await?;
        limits.abort();
        touches.abort();
        // A job cut short here rolls back; another server takes it over at once.
        jobs.abort();
        let _ = jobs.await;
        match crate::services::job_runner::release(&self.state.db, &owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "job leases given back"),
            Err(e) => tracing::warn!(error = %e, "job leases not given back; they expire"),
        }
        // What was used since the last batch is written before the database closes.
        if let Err(e) = self
            .state
            .touches
            .flush(&self.state.db, self.state.clock.now_ms())
            .await
        {
            tracing::warn!(error = %e, "the last session activity was not recorded");
        }
        sealing.abort();
        janitor.abort();
        feed.abort();
        if let Some(server) = metrics_server {
            server.abort();
        }
        reminders.abort();
        if let Some(hashing) = hashing {
            hashing.abort();
        }
        if let Some(reading) = reading {
            reading.abort();
            // The file being read is given back for another server to read at once.
            if let Err(e) = crate::services::evidence_reading::release(&self.state.db, &owner).await
            {
                tracing::warn!(error = %e, "reading claims not released; they expire");
            }
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Opens the configured database and makes sure the city organisation exists.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let sqlite = config.database_url.as_deref().is_none_or(str::is_empty);
    if sqlite {
        std::fs::create_dir_all(&config.data_dir)?;
    }
    let db = connect_sealed(config).await?;
    if sqlite {
        restrict_data_dir(&config.data_dir)?;
    }
    let mut tx = db.begin().await?;
    repo::orgs::ensure_city(
        &mut tx,
        &uuid::Uuid::now_v7().to_string(),
        &config.city_name,
    )
    .await?;
    tx.commit().await?;
    Ok(db)
}

/// Opens the database with its data key: the key text given in the configuration, or the key
/// file — created with a fresh key when there is none, which only an empty (or never sealed)
/// database accepts.
async fn connect_sealed(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if let Some(text) = config.data_key.as_ref().filter(|k| !k.0.trim().is_empty()) {
        let vault =
            Vault::from_text(&text.0).map_err(|e| anyhow::anyhow!("XUESHI_DATA_KEY: {e}"))?;
        return Db::connect_with(&url, Arc::new(vault), config.sqlite_memory())
            .await
            .map_err(key_error);
    }
    let path = config.data_key_path();
    if path.exists() {
        let vault = Vault::load(&path)?;
        return Db::connect_with(&url, Arc::new(vault), config.sqlite_memory())
            .await
            .map_err(key_error);
    }
    let vault = Vault::create(&path)?;
    tracing::warn!(
        path = %path.display(),
        "created a new data key; in production keep it outside the data directory and out of \
         the backups (XUESHI_DATA_KEY_FILE), and keep a copy of it somewhere safe: without it \
         no ID number or phone can be read"
    );
    match Db::connect_with(&url, Arc::new(vault), config.sqlite_memory()).await {
        Ok(db) => Ok(db),
        Err(StoreError::WrongKey(_)) => {
            // This database was sealed under a key that is not here: leave no new key behind.
            let _ = std::fs::remove_file(&path);
            anyhow::bail!(
                "数据库中的个人信息已加密，但找不到数据密钥文件 {}（the database is encrypted and its \
                 data key is missing: put its key file there or set XUESHI_DATA_KEY_FILE）",
                path.display()
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// The configured data key, which must already exist (for commands that read a backup).
pub fn data_key(config: &Config) -> anyhow::Result<Vault> {
    if let Some(text) = config.data_key.as_ref().filter(|k| !k.0.trim().is_empty()) {
        return Vault::from_text(&text.0).map_err(|e| anyhow::anyhow!("XUESHI_DATA_KEY: {e}"));
    }
    let path = config.data_key_path();
    Vault::load(&path).map_err(|e| {
        anyhow::anyhow!(
            "找不到数据密钥（{e}）：请用 --key-file 或 XUESHI_DATA_KEY_FILE 指明备份所用的密钥文件"
        )
    })
}

fn key_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::WrongKey(reason) => anyhow::anyhow!(
            "数据密钥与数据库不符，服务未启动（the data key does not match this database: {reason}）"
        ),
        e => e.into(),
    }
}

/// The data directory and the SQLite files in it are the server user's alone (0700, 0600),
/// also when an older version or a loose umask made them readable by others.
#[cfg(unix)]
fn restrict_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let set = |path: &std::path::Path, mode: u32| -> anyhow::Result<()> {
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(()); // a WAL or SHM file that does not exist yet
        };
        if meta.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            tracing::info!(path = %path.display(), mode = format!("{mode:o}"), "restricted permissions");
        }
        Ok(())
    };
    set(dir, 0o700)?;
    for name in ["xueshi.db", "xueshi.db-wal", "xueshi.db-shm"] {
        set(&dir.join(name), 0o600)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_data_dir(_dir: &std::path::Path) -> anyhow::Result<()> {
    Ok(())
}

pub fn router(state: AppState) -> Router {
    let hsts = state.config.secure_cookies;
    let demo_banner = !state.config.mfa_required();
    Router::new()
        .nest(
            "/api/v1",
            api::router()
                .fallback(api::not_found)
                .layer(middleware::map_response(api::errors_as_json)),
        )
        .merge(web::router())
        .route("/healthz", get(api::healthz))
        .fallback(web::not_found)
        .route("/metrics", get(metrics::render_public))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::refusals::audit_refusals,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(RequestBodyLimitLayer::new(security::BODY_LIMIT))
        // A client that stops sending a body half way holds nothing for long.
        .layer(RequestBodyTimeoutLayer::new(BODY_FRAME_TIMEOUT))
        // A handler's panic answers 500 instead of dropping the connection.
        .layer(CatchPanicLayer::new())
        .layer(middleware::map_response(too_large_as_json))
        .layer(middleware::map_response(move |r| async move {
            if demo_banner {
                web::with_demo_banner(r).await
            } else {
                r
            }
        }))
        .layer(middleware::map_response(move |r| async move {
            security::add_headers(r, hsts)
        }))
        // The path without its query: a query can carry an ID number (`q=`) or a code.
        .layer(TraceLayer::new_for_http().make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                tracing::debug_span!("request", method = %req.method(), path = req.uri().path())
            },
        ))
        .with_state(state)
}

/// The body limit's own 413 is plain text: answer in the API's error format instead.
async fn too_large_as_json(response: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        crate::error::AppError::TooLarge.into_response()
    } else {
        response
    }
}

/// Deletes expired sessions and old failure counts now and then. Safe on several servers:
/// each delete is idempotent.
async fn sweep_sessions(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    let longest_idle = state
        .config
        .idle_minutes
        .max(state.config.admin_idle_minutes)
        * 60_000;
    loop {
        tick.tick().await;
        let result = async {
            let now = state.clock.now_ms();
            let mut tx = state.db.begin().await?;
            repo::sessions::delete_expired(&mut tx, now, now - longest_idle).await?;
            tx.commit().await?;
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "session sweep failed");
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
