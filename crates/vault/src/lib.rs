//! Personal data at rest (PIPL Art. 28/51, GB/T 39786-2021 §8.4): ID numbers, phones and
//! evidence files are sealed with SM4-GCM under a key kept outside the database, and found
//! again through a keyed blind index (HMAC-SM3) of the normalised value.
//!
//! A sealed field reads `v1.sm4gcm.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>`: the
//! algorithm and key are named so AES-256-GCM and rotated keys open beside the first. The
//! caller's `context` (table, column, row) is authenticated, so a sealed value moved to another
//! row or column does not open.

mod keyfile;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};

use keyfile::{DataKey, Keys};

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;
type HmacSm3 = Hmac<sm3::Sm3>;

const FIELD_PREFIX: &str = "v1.";
/// The first bytes of a sealed file.
pub const FILE_MAGIC: &[u8; 4] = b"XSV1";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("data key file: {0}")]
    KeyFile(String),
    #[error("sealed with key {0}, which the key file does not hold")]
    UnknownKey(u32),
    #[error("not a sealed value")]
    Malformed,
    #[error("the value does not open with this key (wrong key, or the value was altered)")]
    Forged,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Sm4Gcm,
    Aes256Gcm,
}

impl Algorithm {
    pub fn code(self) -> &'static str {
        match self {
            Algorithm::Sm4Gcm => "sm4gcm",
            Algorithm::Aes256Gcm => "aes256gcm",
        }
    }

    pub fn from_code(code: &str) -> Option<Algorithm> {
        match code {
            "sm4gcm" => Some(Algorithm::Sm4Gcm),
            "aes256gcm" => Some(Algorithm::Aes256Gcm),
            _ => None,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Algorithm::Sm4Gcm => 1,
            Algorithm::Aes256Gcm => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Algorithm> {
        match b {
            1 => Some(Algorithm::Sm4Gcm),
            2 => Some(Algorithm::Aes256Gcm),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Algorithm::Sm4Gcm => 16,
            Algorithm::Aes256Gcm => 32,
        }
    }
}

/// The keys of one database. Cheap to share; reloads its file when it meets a key id it does
/// not know, so `xueshi keys rotate` can run beside a serving process.
pub struct Vault {
    keys: RwLock<Keys>,
    file: Option<PathBuf>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        f.debug_struct("Vault")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Reads the key file at `path`.
    pub fn load(path: &Path) -> Result<Vault, VaultError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| VaultError::KeyFile(format!("{}: {e}", path.display())))?;
        Ok(Vault {
            keys: RwLock::new(Keys::parse(&text)?),
            file: Some(path.to_owned()),
        })
    }

    /// Writes a fresh key file at `path` (0600, its directory 0700) and opens it.
    pub fn create(path: &Path) -> Result<Vault, VaultError> {
        let keys = Keys::generate();
        keyfile::write_private(path, &keys.render())?;
        Ok(Vault {
            keys: RwLock::new(keys),
            file: Some(path.to_owned()),
        })
    }

    /// Keys given as the key file's text (e.g. from an environment variable).
    pub fn from_text(text: &str) -> Result<Vault, VaultError> {
        Ok(Vault {
            keys: RwLock::new(Keys::parse(text)?),
            file: None,
        })
    }

    /// Fresh keys held in memory only (tests and benchmarks).
    pub fn ephemeral() -> Vault {
        Vault {
            keys: RwLock::new(Keys::generate()),
            file: None,
        }
    }

    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The id of the key that seals new values.
    pub fn current_key_id(&self) -> u32 {
        self.read().current().0
    }

    /// Adds a data key to the key file (which must exist) and makes it the current one.
    pub fn add_key(&self, algorithm: Algorithm) -> Result<u32, VaultError> {
        let path = self.file.as_deref().ok_or_else(|| {
            VaultError::KeyFile(
                "keys given in the environment cannot be rotated here; add a line to their source"
                    .into(),
            )
        })?;
        let mut keys = self.keys.write().expect("vault lock");
        let id = keys.add(algorithm);
        keyfile::write_private(path, &keys.render())?;
        Ok(id)
    }

    /// Seals a text field under the current key, bound to `context`.
    pub fn seal(&self, context: &str, plain: &str) -> String {
        let keys = self.read();
        let (id, key) = keys.current();
        let sealed = encrypt(key, context.as_bytes(), plain.as_bytes());
        format!(
            "{FIELD_PREFIX}{}.{id}.{}",
            key.algorithm.code(),
            URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Opens a field sealed by [`Vault::seal`] with the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, VaultError> {
        let (algorithm, id, body) = parse_field(sealed).ok_or(VaultError::Malformed)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::Malformed)?;
        let plain = self.with_key(id, |key| {
            if key.algorithm != algorithm {
                return Err(VaultError::Forged);
            }
            decrypt(key, context.as_bytes(), &bytes)
        })?;
        String::from_utf8(plain).map_err(|_| VaultError::Forged)
    }

    /// Seals a whole file: `XSV1`, the algorithm, the key id, nonce, ciphertext and tag.
    pub fn seal_bytes(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let keys = self.read();
        let (id, key) = keys.current();
        let sealed = encrypt(key, context.as_bytes(), plain);
        let mut out = Vec::with_capacity(9 + sealed.len());
        out.extend_from_slice(FILE_MAGIC);
        out.push(key.algorithm.byte());
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open_bytes(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        if !is_sealed_bytes(sealed) || sealed.len() < 9 + NONCE_LEN {
            return Err(VaultError::Malformed);
        }
        let algorithm = Algorithm::from_byte(sealed[4]).ok_or(VaultError::Malformed)?;
        let id = u32::from_be_bytes(sealed[5..9].try_into().expect("four bytes"));
        self.with_key(id, |key| {
            if key.algorithm != algorithm {
                return Err(VaultError::Forged);
            }
            decrypt(key, context.as_bytes(), &sealed[9..])
        })
    }

    /// The look-up key of a normalised value of one `kind` (e.g. `id_number`): equal values
    /// give equal indexes, and without the index key nothing can be learnt from them.
    pub fn blind_index(&self, kind: &str, normalised: &str) -> String {
        let keys = self.read();
        let mut mac = <HmacSm3 as Mac>::new_from_slice(&keys.index).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        let tag = mac.finalize().into_bytes();
        tag.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Keys> {
        self.keys.read().expect("vault lock")
    }

    /// Runs `f` with key `id`, reloading the key file once when the key is not yet known.
    fn with_key<T>(
        &self,
        id: u32,
        f: impl Fn(&DataKey) -> Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        if let Some(key) = self.read().data.get(&id) {
            return f(key);
        }
        let path = self.file.as_deref().ok_or(VaultError::UnknownKey(id))?;
        let reloaded = Keys::parse(
            &std::fs::read_to_string(path)
                .map_err(|e| VaultError::KeyFile(format!("{}: {e}", path.display())))?,
        )?;
        let mut keys = self.keys.write().expect("vault lock");
        // The index key never changes; a file whose index differs is another database's.
        if reloaded.index != keys.index {
            return Err(VaultError::KeyFile(
                "the key file now holds another index key".into(),
            ));
        }
        *keys = reloaded;
        let key = keys.data.get(&id).ok_or(VaultError::UnknownKey(id))?;
        f(key)
    }
}

/// The key that sealed a field, for rotation.
pub fn key_id_of(sealed: &str) -> Option<u32> {
    parse_field(sealed).map(|(_, id, _)| id)
}

pub fn is_sealed_bytes(bytes: &[u8]) -> bool {
    bytes.starts_with(FILE_MAGIC)
}

fn parse_field(value: &str) -> Option<(Algorithm, u32, &str)> {
    let rest = value.strip_prefix(FIELD_PREFIX)?;
    let mut parts = rest.splitn(3, '.');
    let algorithm = Algorithm::from_code(parts.next()?)?;
    let id = parts.next()?.parse().ok()?;
    Some((algorithm, id, parts.next()?))
}

fn encrypt(key: &DataKey, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let payload = Payload { msg: plain, aad };
    let (nonce, sealed) = match key.algorithm {
        Algorithm::Sm4Gcm => {
            let cipher = Sm4Gcm::new_from_slice(&key.material).expect("16-byte key");
            let nonce = Sm4Gcm::generate_nonce(&mut OsRng);
            (nonce, cipher.encrypt(&nonce, payload))
        }
        Algorithm::Aes256Gcm => {
            let cipher = Aes256Gcm::new_from_slice(&key.material).expect("32-byte key");
            let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
            (nonce, cipher.encrypt(&nonce, payload))
        }
    };
    let sealed = sealed.expect("GCM seals any length this program handles");
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn decrypt(key: &DataKey, aad: &[u8], bytes: &[u8]) -> Result<Vec<u8>, VaultError> {
    if bytes.len() < NONCE_LEN {
        return Err(VaultError::Malformed);
    }
    let (nonce, body) = bytes.split_at(NONCE_LEN);
    let payload = Payload { msg: body, aad };
    let opened = match key.algorithm {
        Algorithm::Sm4Gcm => Sm4Gcm::new_from_slice(&key.material)
            .expect("16-byte key")
            .decrypt(nonce.into(), payload),
        Algorithm::Aes256Gcm => Aes256Gcm::new_from_slice(&key.material)
            .expect("32-byte key")
            .decrypt(nonce.into(), payload),
    };
    opened.map_err(|_| VaultError::Forged)
}
