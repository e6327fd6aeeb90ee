//! The `xueshi` command line: one file per command.

pub mod audit;
mod backup;
mod bench;
mod bench_floor;
mod bench_review;
mod create_admin;
mod export;
mod import;
mod keys;
mod serve;
mod verify;
mod worker;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};

#[derive(Debug, Parser)]
#[command(
    name = "xueshi",
    version,
    about = "学时：中小学教师继续教育学时申报、审核与验证平台"
)]
pub struct Cli {
    /// Where the SQLite database and evidence files live (default ./xueshi-data).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// A TOML configuration file (default ./xueshi.toml if present).
    #[arg(long, global = true, env = "XUESHI_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read certificates (OCR) in the background and answer no requests: a reading node of
    /// a cluster (needs tesseract-ocr and tesseract-ocr-chi-sim).
    Worker,
    /// Run the web server (migrating the database first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<String>,
        /// Fill an empty database with demo data and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a city administrator of the city organisation.
    CreateAdmin {
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Run the annual verification of a year (and re-derive later verified years).
    Verify {
        #[arg(long)]
        year: i32,
    },
    /// Bulk imports from spreadsheets.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Generate data and measure performance (docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Files for other systems.
    #[command(subcommand)]
    Export(ExportCommand),
    /// A consistent copy of the database and the evidence files while servers run, with a
    /// sealed manifest (the data key is never in it); or, with --verify, check one.
    Backup {
        /// An empty or new directory to write the backup to.
        #[arg(long, required_unless_present = "verify", conflicts_with = "verify")]
        out: Option<PathBuf>,
        /// Check the backup in this directory without restoring it.
        #[arg(long)]
        verify: Option<PathBuf>,
    },
    /// Restore a checked backup into an empty data directory or database, then check the
    /// audit chain.
    Restore {
        #[arg(long)]
        from: PathBuf,
        /// The data key file the backup was made under (default: the configured one).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The data key personal data is sealed with.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the chain of every entry (or those from a date on); exits non-zero naming the
    /// first entry where it breaks.
    Verify {
        /// First day to check (YYYY-MM-DD); earlier entries are trusted.
        #[arg(long)]
        from: Option<String>,
        /// Check an archive written by `audit export` instead of the database.
        #[arg(long, conflicts_with = "from")]
        archive: Option<PathBuf>,
    },
    /// Write the entries before a date (at least 180 days ago) to an archive of JSON lines
    /// ending with its chain head, after checking the chain. Nothing is removed.
    Export {
        /// First day not archived (YYYY-MM-DD).
        #[arg(long)]
        before: String,
        /// Where to write (default audit-before-DATE.jsonl here); never overwritten.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new data key and re-seal everything under it, in batches, while servers run.
    Rotate {
        /// sm4gcm (default) or aes256gcm.
        #[arg(long, default_value = "sm4gcm")]
        algorithm: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The verified hours of a year for the provincial system (full ID numbers; audited).
    Provincial {
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx"])]
        format: String,
        /// Where to write (default provincial-YEAR.csv or .xlsx here).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Register a training's attendance from an XLSX or CSV file (姓名, 身份证号, 学时).
    Attendance {
        #[arg(long)]
        training: String,
        file: PathBuf,
        /// Check only; register nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Fill the database with teachers and records.
    Seed {
        #[arg(long)]
        teachers: u64,
        #[arg(long, default_value_t = 20)]
        records_per_teacher: u64,
        #[arg(long, default_value_t = 2021)]
        year: i32,
    },
    /// Time a bare GROUP BY and the verification run over the same records.
    Verify {
        #[arg(long, default_value_t = 2021)]
        year: i32,
        #[arg(long, default_value_t = 3)]
        runs: u32,
    },
    /// Time importing an XLSX of bench teachers' attendance.
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
    },
    /// One district with a deep review queue and logged-in teachers, for the load test
    /// of declarations and review (scripts/bench/declarations.sh).
    SeedDeclarations {
        /// Declarations waiting for the district's review.
        #[arg(long, default_value_t = 100_000)]
        pending: u64,
        /// Teachers given a login token for submitting.
        #[arg(long, default_value_t = 2_000)]
        submitters: u64,
        /// Where to write the tokens (JSON, readable by the owner only).
        #[arg(long, default_value = "bench-logins.json")]
        out: PathBuf,
        /// Where to write a sample certificate photo (JPEG, about 300 KB) to upload.
        #[arg(long, default_value = "bench-scan.jpg")]
        scan_out: PathBuf,
    },
    /// Serve the load test's floors: an axum hello-world and one primary-key read through
    /// the server's own pool (scripts/bench/surge.sh).
    Floor {
        #[arg(long, default_value = "127.0.0.1:18090")]
        bind: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => bind.clone(),
        _ => None,
    };
    let config = Config::load(
        cli.config.clone(),
        Overrides {
            bind,
            data_dir: cli.data_dir.clone(),
        },
    )?;
    match cli.command {
        Command::Serve { demo, .. } => serve::run(config, demo).await,
        Command::Worker => worker::run(config).await,
        Command::Migrate => {
            let db = crate::app::open_db(&config).await?;
            db.close().await;
            println!("数据库已是最新结构");
            Ok(())
        }
        Command::CreateAdmin { username, .. } => create_admin::run(config, &username).await,
        Command::Verify { year } => verify::run(config, year).await,
        Command::Import(ImportCommand::Attendance {
            training,
            file,
            dry_run,
        }) => import::attendance(config, &training, &file, dry_run).await,
        Command::Bench(BenchCommand::Seed {
            teachers,
            records_per_teacher,
            year,
        }) => bench::seed(config, teachers, records_per_teacher, year).await,
        Command::Bench(BenchCommand::Verify { year, runs }) => {
            bench::verify(config, year, runs).await
        }
        Command::Bench(BenchCommand::Import { rows }) => bench::import(config, rows).await,
        Command::Bench(BenchCommand::Floor { bind }) => bench_floor::run(config, &bind).await,
        Command::Bench(BenchCommand::SeedDeclarations {
            pending,
            submitters,
            out,
            scan_out,
        }) => {
            std::fs::write(&scan_out, bench_review::sample_scan()?)?;
            bench_review::seed(config, pending, submitters, &out).await
        }
        Command::Export(ExportCommand::Provincial { year, format, out }) => {
            export::provincial(config, year, &format, out).await
        }
        Command::Backup { out, verify } => match (out, verify) {
            (_, Some(dir)) => backup::verify(config, &dir).await,
            (Some(out), None) => backup::backup(config, &out).await,
            (None, None) => anyhow::bail!("请给出 --out DIR 或 --verify DIR"),
        },
        Command::Restore { from, key_file } => {
            let mut config = config;
            if key_file.is_some() {
                config.data_key_file = key_file;
            }
            backup::restore(config, &from).await
        }
        Command::Audit(AuditCommand::Verify { from, archive }) => match archive {
            Some(file) => audit::verify_archive(config, &file),
            None => audit::verify(config, from.as_deref()).await,
        },
        Command::Audit(AuditCommand::Export { before, out }) => {
            let out = out.unwrap_or_else(|| PathBuf::from(format!("audit-before-{before}.jsonl")));
            audit::export(config, &before, &out).await
        }
        Command::Keys(KeysCommand::Rotate { algorithm }) => keys::rotate(config, &algorithm).await,
    }
}

/// A service error as the operator should read it: the Chinese message, or the cause of an
/// internal error (the terminal is not a client to hide it from).
pub fn cli_error(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Internal(cause) => cause,
        other => anyhow::anyhow!("{}", other.message()),
    }
}
