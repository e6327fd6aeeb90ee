//! Evidence on local disk is sealed under the data key; older clear files are still read and
//! are sealed in place.

use std::sync::Arc;

use bytes::Bytes;
use xueshi_files::{FileStore, copy_all, evidence_key, sha256_hex};
use xueshi_vault::Vault;

const SCAN: &[u8] = b"%PDF-1.7 \xe8\xaf\x81\xe4\xb9\xa6 440106198001011234 13912345678";

fn holds(path: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read(path)
        .unwrap()
        .windows(needle.len())
        .any(|w| w == needle)
}

#[tokio::test]
async fn a_local_store_with_the_key_writes_sealed_and_reads_clear() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::ephemeral());
    let store = FileStore::local(dir.path())
        .unwrap()
        .with_vault(vault.clone());
    let key = evidence_key(&sha256_hex(SCAN));
    store.put(&key, Bytes::from_static(SCAN)).await.unwrap();

    let on_disk = dir.path().join(&key);
    assert!(!holds(&on_disk, b"440106198001011234") && !holds(&on_disk, b"%PDF"));
    assert!(xueshi_vault::is_sealed_bytes(
        &std::fs::read(&on_disk).unwrap()
    ));
    assert_eq!(store.get(&key).await.unwrap().as_ref(), SCAN);

    // Bound to its key: the same bytes moved to another name do not open.
    let moved = "evidence/00/moved";
    std::fs::create_dir_all(dir.path().join("evidence/00")).unwrap();
    std::fs::copy(&on_disk, dir.path().join(moved)).unwrap();
    assert!(store.get(moved).await.is_err());
    // Without the key a sealed file is an error, never ciphertext handed out as evidence.
    let keyless = FileStore::local(dir.path()).unwrap();
    assert!(keyless.get(&key).await.is_err());
    // Another key does not open it either.
    let other = FileStore::local(dir.path())
        .unwrap()
        .with_vault(Arc::new(Vault::ephemeral()));
    assert!(other.get(&key).await.is_err());
}

#[tokio::test]
async fn files_an_older_version_wrote_in_clear_are_read_then_sealed_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let key = evidence_key(&sha256_hex(SCAN));
    FileStore::local(dir.path())
        .unwrap()
        .put(&key, Bytes::from_static(SCAN))
        .await
        .unwrap();
    assert!(holds(&dir.path().join(&key), b"440106198001011234"));

    let store = FileStore::local(dir.path())
        .unwrap()
        .with_vault(Arc::new(Vault::ephemeral()));
    assert_eq!(store.get(&key).await.unwrap().as_ref(), SCAN);
    assert_eq!(store.seal_existing().await.unwrap(), 1);
    assert!(!holds(&dir.path().join(&key), b"440106198001011234"));
    assert_eq!(store.get(&key).await.unwrap().as_ref(), SCAN);
    assert_eq!(
        store.seal_existing().await.unwrap(),
        0,
        "a second run finds nothing"
    );
}

#[tokio::test]
async fn copies_stay_sealed_and_clear_sources_are_sealed_on_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::ephemeral());
    let key = evidence_key(&sha256_hex(SCAN));
    // A store without local sealing (as S3) holding the object in clear.
    let clear = FileStore::memory().with_vault(vault.clone());
    clear.put(&key, Bytes::from_static(SCAN)).await.unwrap();

    let backup = FileStore::local(dir.path().join("b"))
        .unwrap()
        .with_vault(vault.clone());
    assert_eq!(copy_all(&clear, &backup, "").await.unwrap(), 1);
    assert!(!holds(
        &dir.path().join("b").join(&key),
        b"440106198001011234"
    ));

    // Back to a store that does not seal: the object stays sealed there and still opens.
    let restored = FileStore::memory().with_vault(vault);
    copy_all(&backup, &restored, "").await.unwrap();
    assert_eq!(restored.get(&key).await.unwrap().as_ref(), SCAN);
}
