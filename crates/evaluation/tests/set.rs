//! The evaluation set is the same from the same seed, every kind and condition present, its
//! truth read back as written; and, where Tesseract is installed, the hand-made photos are
//! read as the platform reads them with no wrong number of hours.

use std::path::Path;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use xueshi_evaluation::content::{Kind, page};
use xueshi_evaluation::degrade::{condition_for, shoot};
use xueshi_evaluation::evaluate::{load_set, read_all, score};
use xueshi_evaluation::render::Typesetter;
use xueshi_evaluation::truth::Condition;

fn generate(seed: u64, count: usize) -> Vec<(Vec<u8>, String)> {
    let typesetter = Typesetter::new().expect("fonts-noto-cjk is installed");
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count)
        .map(|i| {
            let page = page(&mut rng, Kind::ALL[i % Kind::ALL.len()]);
            let pixels = typesetter.render(&page, 1.0).expect("typesets");
            let shot = shoot(&mut rng, pixels, condition_for(i));
            (shot.bytes, format!("{:?}", page.truth))
        })
        .collect()
}

#[test]
fn the_same_seed_makes_the_same_set() {
    let first = generate(7, 3);
    assert_eq!(first, generate(7, 3));
    assert_ne!(first, generate(8, 3));
    for (bytes, _) in &first {
        assert!(image::load_from_memory(bytes).is_ok());
    }
}

#[test]
fn every_condition_is_in_any_twenty() {
    let conditions: Vec<Condition> = (40..60).map(condition_for).collect();
    for c in [
        Condition::Scan,
        Condition::Photo,
        Condition::Blurred,
        Condition::Borderline,
        Condition::Dark,
        Condition::Small,
    ] {
        assert!(conditions.contains(&c), "{c:?}");
    }
}

#[tokio::test]
async fn the_hand_made_photos_are_read_without_a_wrong_number() {
    let Some(reader) = xueshi_files::Reader::detect(Duration::from_secs(120)).await else {
        assert!(
            std::env::var_os("XUESHI_REQUIRE_OCR").is_none(),
            "XUESHI_REQUIRE_OCR is set but tesseract with chi_sim is missing"
        );
        eprintln!("skipped: tesseract with chi_sim is not installed");
        return;
    };
    let set = load_set(&Path::new(env!("CARGO_MANIFEST_DIR")).join("hand")).expect("truth.json");
    assert_eq!(set.len(), 6);
    let outcomes = read_all(reader, set, 2).await.expect("read");
    let scores = score(&outcomes);
    let hours = scores.iter().find(|(f, _)| *f == "hours").unwrap().1;
    assert_eq!(
        hours.given, hours.right,
        "a wrong number of hours: {outcomes:#?}"
    );
    assert!(hours.right >= 4, "{hours:?}");
}
