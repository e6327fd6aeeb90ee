//! The key file: an index key and numbered data keys, one per line, in plain text so an
//! operator can read what it holds (not the keys' values) and back it up on its own.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::{Algorithm, VaultError};

pub(crate) const HEADER: &str = "# Xueshi data keys. Keep this file outside the data directory and out of every backup:\n\
# whoever holds it and a backup can read every ID number and phone in it.\n\
# `index` keys the look-up index (never changes); each `key ID ALGORITHM` decrypts what it\n\
# sealed, and the highest ID seals new data (`xueshi keys rotate` adds one).\n";

#[derive(Clone)]
pub(crate) struct DataKey {
    pub algorithm: Algorithm,
    pub material: Vec<u8>,
}

#[derive(Clone)]
pub(crate) struct Keys {
    pub index: Vec<u8>,
    pub data: BTreeMap<u32, DataKey>,
}

impl Keys {
    pub fn current(&self) -> (u32, &DataKey) {
        let (id, key) = self
            .data
            .last_key_value()
            .expect("a key file holds a data key");
        (*id, key)
    }

    pub fn generate() -> Keys {
        let mut data = BTreeMap::new();
        data.insert(1, fresh_key(Algorithm::Sm4Gcm));
        Keys {
            index: random_bytes(32),
            data,
        }
    }

    pub fn parse(text: &str) -> Result<Keys, VaultError> {
        let mut index = None;
        let mut data = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || {
                VaultError::KeyFile(format!(
                    "line {} is not `index KEY` or `key ID ALGORITHM KEY`",
                    n + 1
                ))
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                ["index", value] => {
                    let bytes = decode(value).ok_or_else(bad)?;
                    if bytes.len() != 32 {
                        return Err(VaultError::KeyFile("the index key must be 32 bytes".into()));
                    }
                    index = Some(bytes);
                }
                ["key", id, algorithm, value] => {
                    let id: u32 = id.parse().map_err(|_| bad())?;
                    let algorithm = Algorithm::from_code(algorithm).ok_or_else(|| {
                        VaultError::KeyFile(format!(
                            "unknown algorithm `{algorithm}` on line {}",
                            n + 1
                        ))
                    })?;
                    let material = decode(value).ok_or_else(bad)?;
                    if material.len() != algorithm.key_len() {
                        return Err(VaultError::KeyFile(format!(
                            "key {id} must be {} bytes for {}",
                            algorithm.key_len(),
                            algorithm.code()
                        )));
                    }
                    if data
                        .insert(
                            id,
                            DataKey {
                                algorithm,
                                material,
                            },
                        )
                        .is_some()
                    {
                        return Err(VaultError::KeyFile(format!("key {id} appears twice")));
                    }
                }
                _ => return Err(bad()),
            }
        }
        let index = index.ok_or_else(|| VaultError::KeyFile("no `index` line".into()))?;
        if data.is_empty() {
            return Err(VaultError::KeyFile("no `key` line".into()));
        }
        Ok(Keys { index, data })
    }

    pub fn render(&self) -> String {
        let mut out = String::from(HEADER);
        out.push_str(&format!("index {}\n", STANDARD.encode(&self.index)));
        for (id, key) in &self.data {
            out.push_str(&format!(
                "key {id} {} {}\n",
                key.algorithm.code(),
                STANDARD.encode(&key.material)
            ));
        }
        out
    }

    /// Adds a data key numbered one above the highest and returns its id.
    pub fn add(&mut self, algorithm: Algorithm) -> u32 {
        let id = self.current().0 + 1;
        self.data.insert(id, fresh_key(algorithm));
        id
    }
}

fn fresh_key(algorithm: Algorithm) -> DataKey {
    DataKey {
        algorithm,
        material: random_bytes(algorithm.key_len()),
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn decode(value: &str) -> Option<Vec<u8>> {
    STANDARD.decode(value).ok()
}

/// Writes `text` to `path` readable by its owner only, replacing it atomically.
pub(crate) fn write_private(path: &Path, text: &str) -> Result<(), VaultError> {
    let io = |e: std::io::Error| VaultError::KeyFile(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io)?;
        set_mode(dir, 0o700).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    set_mode(&tmp, 0o600).map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
