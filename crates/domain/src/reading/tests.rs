use time::Month;
use time::macros::date;

use super::*;

fn hours(text: &str) -> Option<(Hours, f32)> {
    read_certificate(text)
        .hours
        .map(|r| (r.value, r.confidence))
}

#[test]
fn the_hours_a_certificate_states_are_read_and_a_doubtful_figure_is_left_out() {
    let h = Hours::from_whole;
    for (text, expected) in [
        ("经考核合格，共计32学时。", Some((h(32), 0.95))),
        ("学时：24", Some((h(24), 0.95))),
        ("学时数: 16", Some((h(16), 0.95))),
        ("获得继续教育 ３２ 学 时", Some((h(32), 0.95))),
        ("培训24.5学时", Some((Hours::from_tenths(245), 0.95))),
        ("计三十二学时", Some((h(32), 0.95))),
        ("理论12学时，实践20学时，共计32学时", Some((h(32), 0.7))),
        // Two figures and no total: which is meant is a guess, and a guess is worse than none.
        ("理论12学时，实践20学时", None),
        ("获得2学分（1学分=8学时）", Some((h(16), 0.8))),
        ("每学分折合10学时，共3学分", Some((h(30), 0.8))),
        ("共40课时，1课时计1学时", Some((h(40), 0.8))),
        // As OCR gives them: "=" read as "-", the "1" as "]", a line broken inside 学时.
        ("获得继续教育 2 学分 (1 学分-8 学时)。", Some((h(16), 0.8))),
        ("获得继续教育 3 学分 〈] 学分=8 学时)。", Some((h(24), 0.8))),
        ("修满 36 学\n时，准予结业。", Some((h(36), 0.95))),
        ("获得继续教育 3 学分 〈1 学分 8学时)", Some((h(24), 0.8))),
        // The unit garbled beyond reading: the rate is not taken for the hours.
        ("获得继续教育 4 学分 (1 学\n] 分=8学时)。", None),
        ("获得继续教育 6 学分 (1 了全\n-8 学时)", None),
        // A table's lines are not run together: "11-22" then "学时 [20" is no "22学时".
        ("培训时间 | 2025-11-21至11-22\n学时 [20", None),
        // "48" read as "4g": no figure rather than a wrong one.
        ("学时: 4g", None),
        // 课时 without a stated conversion are not 学时.
        ("共40课时", None),
        ("培训为期2天", Some((h(16), 0.6))),
        ("共3天", Some((h(24), 0.6))),
        // A foreign certificate's.
        ("totalling 15 contact hours.", Some((h(15), 0.8))),
        ("Hours: 12.5", Some((Hours::from_tenths(125), 0.8))),
        ("1 CPD hour", Some((h(1), 0.8))),
        ("6 hours on day one, 8 hours on day two", None),
        // The notice's own words about hours proofs are no figure.
        ("无明确培训时间的，须附学时证明", None),
        ("", None),
    ] {
        assert_eq!(hours(text), expected, "{text}");
    }
}

fn period(text: &str) -> Option<(Date, Date, f32)> {
    let f = read_certificate(text);
    let (start, end) = (f.start_date?, f.end_date?);
    Some((start.value, end.value, start.confidence))
}

#[test]
fn the_training_period_is_read_in_the_ways_certificates_write_dates() {
    let d = |y, m, day| Date::from_calendar_date(y, Month::try_from(m).unwrap(), day).unwrap();
    for (text, expected) in [
        (
            "于2021年3月5日至7日参加培训",
            Some((d(2021, 3, 5), d(2021, 3, 7), 0.9)),
        ),
        (
            "培训时间：2021.03.05-03.07",
            Some((d(2021, 3, 5), d(2021, 3, 7), 0.9)),
        ),
        ("2021-3-5至3-7", Some((d(2021, 3, 5), d(2021, 3, 7), 0.9))),
        // A foreign certificate's, only as ranges (a single date may be the issue's).
        (
            "held from July 12 to 14, 2024, totalling 15 hours",
            Some((d(2024, 7, 12), d(2024, 7, 14), 0.9)),
        ),
        (
            "March 28 to April 2, 2021",
            Some((d(2021, 3, 28), d(2021, 4, 2), 0.9)),
        ),
        (
            "12–14 Sept 2024",
            Some((d(2024, 9, 12), d(2024, 9, 14), 0.9)),
        ),
        (
            "28 March to 2 April 2021",
            Some((d(2021, 3, 28), d(2021, 4, 2), 0.9)),
        ),
        ("Issued on July 20, 2024", None),
        (
            "2021年3月5日—2021年3月7日",
            Some((d(2021, 3, 5), d(2021, 3, 7), 0.9)),
        ),
        (
            "2021年12月28日至1月3日",
            Some((d(2021, 12, 28), d(2022, 1, 3), 0.9)),
        ),
        (
            "兹证明陈伟同志于2021年3月5日参加培训。\n广州市教育研究院\n2021年3月10日",
            Some((d(2021, 3, 5), d(2021, 3, 5), 0.7)),
        ),
        (
            "于二〇二一年三月五日参加培训",
            Some((d(2021, 3, 5), d(2021, 3, 5), 0.7)),
        ),
        (
            "培训日期：2021年4月1日\n发证日期：2021年4月20日",
            Some((d(2021, 4, 1), d(2021, 4, 1), 0.7)),
        ),
        // Only the date of issue: the training's dates are not on the certificate.
        ("广州市教育局\n2021年3月10日", None),
        ("发证日期：2021年3月10日", None),
        // Two different ranges: which one is the training is a guess.
        ("2021年3月5日至7日，2021年4月1日至2日", None),
        ("2021年2月30日", None),
        // A date then a figure is no range, but the one date there is.
        (
            "2021年3月5日-8学时",
            Some((d(2021, 3, 5), d(2021, 3, 5), 0.5)),
        ),
    ] {
        assert_eq!(period(text), expected, "{text}");
    }
    assert_eq!(
        period("2021年3月5日培训，共8学时").map(|p| p.0),
        Some(date!(2021 - 03 - 05))
    );
}

fn field(f: Option<Read<String>>) -> Option<(String, f32)> {
    f.map(|r| (r.value, r.confidence))
}

#[test]
fn title_organiser_and_holder_are_read_from_the_certificates_wording() {
    let s = |v: &str, c| Some((v.to_owned(), c));
    let f = read_certificate(
        "结业证书\n兹证明 陈 伟 同志于2021年3月5日至7日参加由广州市教育研究院主办的\n《信息技术应用能力提升》培训，共计24学时，特发此证。\n广州市教育研究院（盖章）\n2021年3月10日",
    );
    assert_eq!(field(f.title), s("信息技术应用能力提升", 0.9));
    assert_eq!(field(f.organizer), s("广州市教育研究院", 0.8));
    assert_eq!(field(f.name), s("陈伟", 0.8));
    assert_eq!(f.hours.map(|h| h.value), Some(Hours::from_whole(24)));
    assert!(f.is_chinese.value);

    for (text, title, organizer, name) in [
        (
            "主办单位：天河区教师发展中心\n姓名：李敏\n参加了“小学数学单元整体教学”研修班",
            s("小学数学单元整体教学研修班", 0.6),
            s("天河区教师发展中心", 0.85),
            s("李敏", 0.8),
        ),
        (
            "证明\n王小红老师参加培训。\n广东第二师范学院",
            None,
            s("广东第二师范学院", 0.5),
            None,
        ),
        ("", None, None, None),
    ] {
        let f = read_certificate(text);
        assert_eq!(field(f.title), title, "{text}");
        assert_eq!(field(f.organizer), organizer, "{text}");
        assert_eq!(field(f.name), name, "{text}");
    }
}

#[test]
fn a_certificate_in_another_language_is_recognised_as_not_chinese() {
    for (text, chinese) in [
        ("兹证明陈伟同志参加培训，共计24学时。", true),
        (
            "Certificate of Completion. This certifies that Chen Wei completed 24 hours.",
            false,
        ),
        ("STEM 教育研修班结业证书", true),
        ("Professional Development Workshop 广州", false),
        ("", false),
    ] {
        assert_eq!(read_certificate(text).is_chinese.value, chinese, "{text}");
    }
    assert_eq!(read_certificate("").is_chinese.confidence, 0.0);
    assert!(
        read_certificate("Certificate of Completion. This certifies that Chen Wei completed.")
            .is_chinese
            .confidence
            >= 1.0
    );
}

/// Tesseract 5.3's reading (`-l chi_sim --psm 6`) of a certificate rendered in Noto Serif CJK:
/// the title broken over two lines, a seal's bracket misread.
const OCR_OF_A_RENDERED_CERTIFICATE: &str = "结业证书
兹证明 陈伟 同志于2021年3月5日至7日参加由广州市教育研究院主办的《信息
技术应用能力提升》培训，经考核合格，共计24学时，特发此证。
广州市教育研究院 〈(盖章)
2021年3月10日";

#[test]
fn what_ocr_reads_off_a_certificate_gives_every_field() {
    let f = read_certificate(OCR_OF_A_RENDERED_CERTIFICATE);
    assert_eq!(f.hours.map(|h| h.value), Some(Hours::from_whole(24)));
    assert_eq!(f.start_date.map(|d| d.value), Some(date!(2021 - 03 - 05)));
    assert_eq!(f.end_date.map(|d| d.value), Some(date!(2021 - 03 - 07)));
    assert_eq!(
        f.title.map(|t| t.value).as_deref(),
        Some("信息技术应用能力提升")
    );
    assert_eq!(
        f.organizer.map(|o| o.value).as_deref(),
        Some("广州市教育研究院")
    );
    assert_eq!(f.name.map(|n| n.value).as_deref(), Some("陈伟"));
    assert!(f.is_chinese.value);
}

#[test]
fn hours_and_dates_are_marked_for_the_reviewers_eye() {
    let marked = marked_lines("兹证明陈伟于2021年3月5日至7日参加培训，\n共计 24 学时。");
    assert_eq!(
        marked,
        [
            vec![
                ("兹证明陈伟于".to_owned(), false),
                ("2021年3月5日至7日".to_owned(), true),
                ("参加培训,".to_owned(), false),
            ],
            vec![("共计24学时".to_owned(), true), ("。".to_owned(), false)],
        ]
    );
    // A foreign certificate's too.
    assert_eq!(
        marked_lines("held from July 12 to 14, 2024, totalling 15 contact hours."),
        [vec![
            ("held from ".to_owned(), false),
            ("July 12 to 14,2024".to_owned(), true),
            (",totalling ".to_owned(), false),
            ("15 contact hours".to_owned(), true),
            (".".to_owned(), false),
        ]]
    );
}

#[test]
fn a_second_reading_is_wanted_without_hours_and_taken_only_with_hours_stated_plainly() {
    for (text, missing, plain) in [
        ("特此证明", true, false),
        ("共计32学时", false, true),
        ("学时：24", false, true),
        // Derived or doubtful figures are no reason to take another pass's text.
        ("为期2天", false, false),
        ("获得2学分（1学分=8学时）", false, false),
        ("理论12学时，实践20学时，共计32学时", false, false),
        ("获得继续教育3学分(1了全-8学时)共计8学时", false, false),
    ] {
        assert_eq!(hours_missing(text), missing, "{text}");
        assert_eq!(hours_stated_plainly(text), plain, "{text}");
    }
}
