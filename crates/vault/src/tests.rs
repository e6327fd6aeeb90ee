use super::*;

#[test]
fn a_sealed_field_opens_only_in_its_own_context_and_names_its_algorithm_and_key() {
    let vault = Vault::ephemeral();
    let sealed = vault.seal("teachers.id_number:t1", "44010619700101101X");
    assert!(sealed.starts_with("v1.sm4gcm.1."), "{sealed}");
    assert!(!sealed.contains("440106"));
    assert_eq!(
        vault.open("teachers.id_number:t1", &sealed).unwrap(),
        "44010619700101101X"
    );
    assert!(matches!(
        vault.open("teachers.id_number:t2", &sealed),
        Err(VaultError::Forged)
    ));
    // Two seals of one value differ (a fresh nonce each time).
    assert_ne!(
        sealed,
        vault.seal("teachers.id_number:t1", "44010619700101101X")
    );
}

#[test]
fn an_altered_or_foreign_value_is_refused() {
    let vault = Vault::ephemeral();
    let mut sealed = vault.seal("c", "13800138000");
    let last = sealed.pop().unwrap();
    sealed.push(if last == 'A' { 'B' } else { 'A' });
    assert!(vault.open("c", &sealed).is_err());
    let other = Vault::ephemeral();
    assert!(matches!(
        other.open("c", &vault.seal("c", "x")),
        Err(VaultError::Forged)
    ));
    for junk in [
        "",
        "13800138000",
        "v1.sm4gcm.1.",
        "v1.rot13.1.abc",
        "v1.sm4gcm.x.abc",
    ] {
        assert!(vault.open("c", junk).is_err(), "{junk}");
    }
    assert!(matches!(
        vault.open("c", "v1.sm4gcm.9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Err(VaultError::UnknownKey(9))
    ));
}

#[test]
fn the_blind_index_is_stable_per_key_and_says_nothing_without_it() {
    let a = Vault::ephemeral();
    let b = Vault::ephemeral();
    let x = a.blind_index("id_number", "44010619700101101X");
    assert_eq!(x, a.blind_index("id_number", "44010619700101101X"));
    assert_eq!(x.len(), 64);
    assert_ne!(x, a.blind_index("phone", "44010619700101101X"));
    assert_ne!(x, b.blind_index("id_number", "44010619700101101X"));
}

#[test]
fn files_are_sealed_with_a_header_and_bound_to_their_context() {
    let vault = Vault::ephemeral();
    let plain = b"%PDF-1.7 certificate".repeat(1000);
    let sealed = vault.seal_bytes("evidence", &plain);
    assert!(is_sealed_bytes(&sealed));
    assert_eq!(vault.open_bytes("evidence", &sealed).unwrap(), plain);
    assert!(vault.open_bytes("other", &sealed).is_err());
    assert!(vault.open_bytes("evidence", &sealed[..20]).is_err());
    assert!(vault.open_bytes("evidence", &plain).is_err());
}

#[test]
fn a_key_file_is_private_survives_a_reload_and_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/data.key");
    let vault = Vault::create(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
    }
    let old = vault.seal("c", "13800138000");
    let index = vault.blind_index("k", "v");

    // Another process (the rotate command) adds a key; this one learns it on first sight.
    let rotator = Vault::load(&path).unwrap();
    assert_eq!(rotator.add_key(Algorithm::Aes256Gcm).unwrap(), 2);
    let new = rotator.seal("c", "13800138000");
    assert!(new.starts_with("v1.aes256gcm.2."), "{new}");
    assert_eq!(vault.open("c", &new).unwrap(), "13800138000");
    assert_eq!(vault.current_key_id(), 2);
    assert_eq!(rotator.open("c", &old).unwrap(), "13800138000");
    assert_eq!(rotator.blind_index("k", "v"), index);
    assert_eq!(key_id_of(&old), Some(1));
    assert_eq!(key_id_of(&new), Some(2));
}

#[test]
fn a_broken_key_file_is_refused_with_its_reason() {
    for (text, expect) in [
        ("", "no `index` line"),
        ("index AAAA\n", "32 bytes"),
        (
            "index AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
            "no `key` line",
        ),
        (
            "index AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nkey 1 des AAAA\n",
            "unknown algorithm",
        ),
        (
            "index AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nkey 1 sm4gcm AAAA\n",
            "16 bytes",
        ),
        ("garbage\n", "line 1"),
    ] {
        let err = Vault::from_text(text).unwrap_err().to_string();
        assert!(err.contains(expect), "{text:?}: {err}");
    }
}

#[test]
fn debug_output_shows_no_key_material() {
    let vault = Vault::ephemeral();
    let text = vault.read().render();
    let shown = format!("{vault:?}");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.split_whitespace().last().unwrap();
        assert!(!shown.contains(value));
    }
}
