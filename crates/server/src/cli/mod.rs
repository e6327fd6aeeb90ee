//! The `xueshi` command line: one file per command.

mod create_admin;
mod serve;

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
        Command::Migrate => {
            let db = crate::app::open_db(&config).await?;
            db.close().await;
            println!("数据库已是最新结构");
            Ok(())
        }
        Command::CreateAdmin { username, .. } => create_admin::run(config, &username).await,
    }
}
