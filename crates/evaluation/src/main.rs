//! The certificate-reading evaluation (issue 19).
//!
//! `xueshi-eval generate --out DIR` writes the generated set — the same images from the same
//! seed on every machine — and `xueshi-eval run DIR…` reads a set as the platform does and
//! prints per-field precision and recall, the quality check's recall and false alarms, and
//! the time per image. The hand-made photos are in `crates/evaluation/hand`.
//! See docs/benchmarks.md for how to run it and what it measured.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use rand::SeedableRng;
use rand::rngs::StdRng;

use xueshi_evaluation::{content, degrade, evaluate, report, truth};

#[derive(Parser)]
#[command(
    name = "xueshi-eval",
    about = "证书识别评测：生成评测集，并统计各字段的准确率与召回率"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generates the set: certificates typeset from varied templates, photographed.
    Generate {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 240)]
        count: usize,
        #[arg(long, default_value_t = 2021)]
        seed: u64,
    },
    /// Reads the sets in the directories given and reports.
    Run {
        #[arg(required = true)]
        sets: Vec<PathBuf>,
        /// Images read at once (each Tesseract on one thread); default: the machine's cores.
        #[arg(long)]
        jobs: Option<usize>,
        /// Also list every wrong or missing value.
        #[arg(long)]
        verbose: bool,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = match Cli::parse().command {
        Command::Generate { out, count, seed } => generate(&out, count, seed),
        Command::Run {
            sets,
            jobs,
            verbose,
        } => run(&sets, jobs, verbose).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xueshi-eval: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn generate(out: &std::path::Path, count: usize, seed: u64) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let typesetter = xueshi_evaluation::render::Typesetter::new()?;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut entries = Vec::with_capacity(count);
    for index in 0..count {
        let kind = content::Kind::ALL[index % content::Kind::ALL.len()];
        let page = content::page(&mut rng, kind);
        let px_per_pt = rand::Rng::random_range(&mut rng, 1.6..2.6);
        let pixels = typesetter.render(&page, px_per_pt)?;
        let condition = degrade::condition_for(index);
        let shot = degrade::shoot(&mut rng, pixels, condition);
        let file = format!("{index:03}-{}.{}", kind.code(), shot.extension);
        std::fs::write(out.join(&file), &shot.bytes).map_err(|e| format!("{file}: {e}"))?;
        entries.push(truth::Entry {
            file,
            condition,
            made: shot.made,
            truth: page.truth,
        });
    }
    let index = serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?;
    std::fs::write(out.join(truth::INDEX), index).map_err(|e| e.to_string())?;
    println!("{count} images in {}", out.display());
    Ok(())
}

async fn run(sets: &[PathBuf], jobs: Option<usize>, verbose: bool) -> Result<(), String> {
    let reader = xueshi_files::Reader::detect(Duration::from_secs(120))
        .await
        .ok_or(
            "未找到 tesseract 或其简体中文模型（apt install tesseract-ocr tesseract-ocr-chi-sim）",
        )?;
    let mut images = Vec::new();
    for set in sets {
        images.extend(evaluate::load_set(set)?);
    }
    let jobs = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let started = Instant::now();
    let outcomes = evaluate::read_all(reader, images, jobs).await?;
    print!(
        "{}",
        report::render(&outcomes, started.elapsed(), jobs, verbose)
    );
    Ok(())
}
