//! What sealing costs per value: `cargo run --release -p xueshi-vault --example cost`.
//! Figures in docs/benchmarks.md ("Personal data at rest").

use std::hint::black_box;
use std::time::Instant;

use xueshi_vault::{Algorithm, Vault};

fn per_op(label: &str, n: u32, mut f: impl FnMut(u32)) {
    let start = Instant::now();
    for i in 0..n {
        f(i);
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(n);
    println!("{label:<40} {:>8.2} µs", ns / 1000.0);
}

fn main() {
    let dir = std::env::temp_dir().join(format!("xueshi-vault-cost-{}", std::process::id()));
    let path = dir.join("data.key");
    let vault = Vault::create(&path).expect("a key file");
    let number = "44010619700101101X";
    let n = 200_000;
    per_op("seal an ID number (SM4-GCM)", n, |i| {
        black_box(vault.seal(&format!("teachers.id_number:{i}"), number));
    });
    let sealed = vault.seal("teachers.id_number:t", number);
    per_op("open an ID number (SM4-GCM)", n, |_| {
        black_box(vault.open("teachers.id_number:t", &sealed).unwrap());
    });
    per_op("blind index (HMAC-SM3)", n, |_| {
        black_box(vault.blind_index("id_number", number));
    });
    per_op("audit chain link (HMAC-SM3, 300 B entry)", n, |_| {
        black_box(vault.blind_index("audit-chain", &"x".repeat(300)));
    });
    let file = vec![7u8; 327 * 1024];
    per_op("seal a 327 KB scan (SM4-GCM)", 200, |_| {
        black_box(vault.seal_bytes("evidence", &file));
    });
    let sealed_file = vault.seal_bytes("evidence", &file);
    per_op("open a 327 KB scan (SM4-GCM)", 200, |_| {
        black_box(vault.open_bytes("evidence", &sealed_file).unwrap());
    });
    vault.add_key(Algorithm::Aes256Gcm).unwrap();
    let sealed = vault.seal("teachers.id_number:t", number);
    per_op("open an ID number (AES-256-GCM)", n, |_| {
        black_box(vault.open("teachers.id_number:t", &sealed).unwrap());
    });
    per_op("seal a 327 KB scan (AES-256-GCM)", 200, |_| {
        black_box(vault.seal_bytes("evidence", &file));
    });
    let _ = std::fs::remove_dir_all(dir);
}
