use super::*;
use DeclarationStatus::*;

fn period(start: &str, end: &str) -> Option<Period> {
    Period::parse(start, end)
}

fn claim() -> Claim<'static> {
    Claim {
        id: "mine",
        title: "新课标解读",
        period: period("2030-03-01", "2030-03-03").unwrap(),
    }
}

fn other(
    id: &'static str,
    title: &'static str,
    status: DeclarationStatus,
    dates: (&str, &str),
) -> OtherDeclaration<'static> {
    OtherDeclaration {
        id,
        title,
        title_normalized: title,
        status,
        record_stands: status == Approved,
        period: period(dates.0, dates.1),
        shares_a_file: false,
    }
}

const OVERLAPPING: (&str, &str) = ("2030-03-03", "2030-03-05");
const APART: (&str, &str) = ("2030-04-01", "2030-04-02");

#[test]
fn a_submission_repeating_a_declaration_under_review_or_approved_is_refused() {
    // (other declaration, blocker expected)
    let same_file = |status, stands| OtherDeclaration {
        shares_a_file: true,
        record_stands: stands,
        ..other("o", "别的培训", status, APART)
    };
    let cases: Vec<(OtherDeclaration, Option<Blocker>)> = vec![
        (
            same_file(Submitted, false),
            Some(Blocker::SameFile {
                declaration_id: "o",
            }),
        ),
        (
            same_file(SchoolApproved, false),
            Some(Blocker::SameFile {
                declaration_id: "o",
            }),
        ),
        (
            same_file(Approved, true),
            Some(Blocker::SameFile {
                declaration_id: "o",
            }),
        ),
        // Its record was revoked: the certificate may be declared again.
        (same_file(Approved, false), None),
        (same_file(Rejected, false), None),
        (same_file(Returned, false), None),
        (same_file(Withdrawn, false), None),
        (
            other("o", "新课标解读", Submitted, OVERLAPPING),
            Some(Blocker::SameTitle {
                declaration_id: "o",
            }),
        ),
        (
            other("o", "新课标解读", SchoolApproved, OVERLAPPING),
            Some(Blocker::SameTitle {
                declaration_id: "o",
            }),
        ),
        (other("o", "新课标解读", Submitted, APART), None),
        (other("o", "新课标解读", Rejected, OVERLAPPING), None),
        (other("o", "新课标解读", Returned, OVERLAPPING), None),
        (other("o", "新课标解读", Draft, OVERLAPPING), None),
        // An approved one blocks through its record (below), not through its declaration.
        (other("o", "新课标解读", Approved, OVERLAPPING), None),
        (other("o", "新课标解读专题", Submitted, OVERLAPPING), None),
        // The claim itself, read back among the candidates.
        (
            OtherDeclaration {
                shares_a_file: true,
                ..other("mine", "新课标解读", Submitted, OVERLAPPING)
            },
            None,
        ),
    ];
    for (o, expected) in cases {
        let found = blocking_duplicate(&claim(), std::slice::from_ref(&o), &[]);
        assert_eq!(found, expected, "{o:?}");
    }
}

#[test]
fn identical_files_are_named_before_titles() {
    let by_title = other("a", "新课标解读", Submitted, OVERLAPPING);
    let by_file = OtherDeclaration {
        shares_a_file: true,
        ..other("b", "别的培训", Submitted, APART)
    };
    assert_eq!(
        blocking_duplicate(&claim(), &[by_title, by_file], &[]),
        Some(Blocker::SameFile {
            declaration_id: "b"
        })
    );
}

#[test]
fn a_registered_record_with_the_same_title_and_dates_blocks() {
    let record = |title, dates: Option<(&str, &str)>, origin| EffectiveRecord {
        id: "r",
        title,
        period: match dates {
            Some((s, e)) => period(s, e),
            None => Period::of_record(2030, None, None),
        },
        origin,
    };
    // (record, existing id named, message)
    let cases = [
        (
            record("新课标解读", Some(OVERLAPPING), Origin::Organizer),
            Some(("r", "主办单位已为您登记“新课标解读”的学时，不得重复申报")),
        ),
        (
            record("新课标解读", Some(OVERLAPPING), Origin::Declaration("d")),
            Some(("d", "“新课标解读”的学时已审核通过，不得重复申报")),
        ),
        // Typed with full-width letters and spaces: the same title once normalised.
        (
            record(" 新课标解读 ", None, Origin::Other),
            Some(("r", "您已有“ 新课标解读 ”的有效学时，不得重复申报")),
        ),
        (record("新课标解读", Some(APART), Origin::Organizer), None),
        (record("新课标", Some(OVERLAPPING), Origin::Organizer), None),
    ];
    for (r, expected) in cases {
        let found = blocking_duplicate(&claim(), &[], std::slice::from_ref(&r));
        assert_eq!(
            found.map(|b| (b.existing_id().to_owned(), b.message())),
            expected.map(|(id, m)| (id.to_owned(), m.to_owned())),
            "{r:?}"
        );
    }
}

#[test]
fn reviewers_are_warned_of_similar_titles_in_overlapping_dates() {
    let declarations = [
        other("alike", "新课标解读专题培训", Rejected, OVERLAPPING),
        other("draft", "新课标解读", Draft, OVERLAPPING),
        other("apart", "新课标解读", Submitted, APART),
        other("unlike", "心理健康教育", Submitted, OVERLAPPING),
    ];
    let records = [
        EffectiveRecord {
            id: "own",
            title: "新课标解读",
            period: period("2030-03-01", "2030-03-03"),
            origin: Origin::Declaration("mine"),
        },
        EffectiveRecord {
            id: "course",
            title: "新课标解读（网络）",
            period: Period::of_record(2030, None, None),
            origin: Origin::Other,
        },
    ];
    let (alike, registered) = possible_duplicates(&claim(), &declarations, &records);
    assert_eq!(alike.iter().map(|o| o.id).collect::<Vec<_>>(), ["alike"]);
    assert_eq!(
        registered.iter().map(|r| r.id).collect::<Vec<_>>(),
        ["course"]
    );
}

#[test]
fn a_record_without_dates_spans_its_credit_year() {
    let p = Period::of_record(2030, None, None).unwrap();
    assert_eq!(p, period("2030-01-01", "2030-12-31").unwrap());
    let p = Period::of_record(2030, Some("2030-05-01"), None).unwrap();
    assert_eq!(p, period("2030-05-01", "2030-12-31").unwrap());
    assert!(Period::of_record(2030, Some("bad"), None).is_none());
}

#[test]
fn titles_are_similar_when_equal_contained_or_mostly_shared() {
    let cases = [
        ("人工智能赋能课堂教学", "人工智能赋能课堂教学", true),
        (
            "人工智能赋能课堂教学",
            "2030年人工智能赋能课堂教学专题培训",
            true,
        ),
        (
            "人工智能赋能课堂教学研修班",
            "人工智能赋能课堂教学研修",
            true,
        ),
        ("人工智能赋能课堂教学", "小学语文阅读教学", false),
        ("数学", "数学建模与探究", false),
        ("", "数学", false),
    ];
    for (a, b, expected) in cases {
        assert_eq!(similar_titles(a, b), expected, "{a} / {b}");
    }
}
