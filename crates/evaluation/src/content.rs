//! What a generated certificate says, and how it is laid out: seven kinds of certificate seen
//! on teachers' uploads, each worded several ways, with names, trainings, organisers, dates
//! and hours drawn from pools. The truth is recorded as the certificate states it.

use rand::Rng;
use rand::seq::IndexedRandom;
use time::{Date, Duration, Month};

use crate::truth::Truth;

const NAMES: &[&str] = &[
    "陈伟",
    "李娜",
    "王芳",
    "张敏",
    "刘洋",
    "黄丽",
    "林晓东",
    "周婷",
    "吴俊杰",
    "郑静",
    "何志强",
    "罗雪梅",
    "梁家豪",
    "谢颖",
    "许文博",
    "邓慧敏",
    "冯嘉欣",
    "曾凡",
    "彭丽华",
    "欧阳明轩",
    "苏晓燕",
    "卢建国",
    "蔡思琪",
    "潘志华",
    "钟欣怡",
    "杨帆",
    "朱丽娟",
    "郭海涛",
    "马晓琳",
    "叶文",
];
const PINYIN: &[&str] = &[
    "Chen Wei",
    "Li Na",
    "Wang Fang",
    "Zhang Min",
    "Liu Yang",
    "Huang Li",
    "Lin Xiaodong",
];
const TITLES: &[&str] = &[
    "中小学教师信息技术应用能力提升工程2.0",
    "新课标背景下的单元整体教学设计",
    "班主任工作能力提升",
    "中小学心理健康教育",
    "学科核心素养导向的课堂教学",
    "师德师风建设专题",
    "义务教育数学课程标准解读",
    "STEM教育与跨学科学习",
    "人工智能教育应用",
    "幼儿园游戏活动组织与指导",
    "校园安全与应急处置",
    "作业设计与评价改革",
    "中小学劳动教育实践",
    "教育科研方法与论文写作",
    "高中英语阅读教学策略",
    "中小学书法教育",
    "融合教育与特殊需要学生支持",
    "名师工作室主持人高级研修",
    "教师数字素养提升",
    "初中物理实验教学创新",
];
const TITLES_EN: &[&str] = &[
    "Teaching English as a Foreign Language",
    "Inquiry-Based Science Teaching",
    "Digital Tools for the Classroom",
    "Assessment for Learning",
];
const ORGANIZERS: &[&str] = &[
    "广州市教育局",
    "广州市教育研究院",
    "天河区教师发展中心",
    "越秀区教师进修学校",
    "华南师范大学继续教育学院",
    "广东第二师范学院",
    "广州大学教师培训学院",
    "广东省教育研究院",
    "海珠区教育发展研究院",
    "番禺区教育局",
    "中国教育学会",
    "广东省中小学教师发展中心",
];
const UNIVERSITIES: &[&str] = &[
    "University of Leeds",
    "Monash University",
    "National Institute of Education, Singapore",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const HOURS: &[f64] = &[
    4.0, 6.0, 7.5, 8.0, 12.0, 12.5, 16.0, 18.0, 20.0, 24.0, 30.0, 32.0, 36.0, 40.0, 48.0, 50.0,
    60.0, 72.0, 90.0, 120.0,
];
const ACCENTS: &[&str] = &[
    "#8c1c1c", "#a0522d", "#1f4e79", "#2e5e3a", "#6b4c9a", "#333333",
];
const TINTS: &[&str] = &["#ffffff", "#fbf8f2", "#f6f1e4", "#f2f6fb", "#fdf3f3"];
const SCHOOLS: &[&str] = &[
    "广州市第一中学",
    "天河区华阳小学",
    "越秀区东风路小学",
    "海珠区实验中学",
];

/// The certificate kinds of the set; `Kind::ALL` in the order the generator cycles through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 结业证书: "…同志：于…参加…主办的《…》培训，共计32学时…", a frame and a seal.
    Award,
    /// 培训证明 as a form: 姓名, 培训项目, 培训时间, 学时, 主办单位 in a table.
    Table,
    /// 研修证书 counted in days: "…为期3天…" (8 学时 a day).
    Days,
    /// Credits with the conversion stated: "获得3学分（1学分=8学时）".
    Credits,
    /// A web course's 学习证明: 学员：…, 课程：《…》, 获得学时：….
    Online,
    /// An attendance 证明 that states no hours.
    NoHours,
    /// A foreign certificate in English (the translation rule).
    Foreign,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Award,
        Kind::Table,
        Kind::Days,
        Kind::Credits,
        Kind::Online,
        Kind::NoHours,
        Kind::Foreign,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Award => "award",
            Kind::Table => "table",
            Kind::Days => "days",
            Kind::Credits => "credits",
            Kind::Online => "online",
            Kind::NoHours => "no_hours",
            Kind::Foreign => "foreign",
        }
    }
}

/// One page to typeset (the template's inputs) and what it states.
#[derive(Clone, Debug)]
pub struct Page {
    pub layout: &'static str,
    pub paper: &'static str,
    pub flipped: bool,
    pub font: &'static str,
    pub weight: &'static str,
    /// Body size in points.
    pub size: f64,
    pub accent: &'static str,
    pub paper_tint: &'static str,
    pub header: String,
    pub heading: String,
    pub serial: String,
    pub rows: Vec<(String, String)>,
    pub body: Vec<String>,
    pub signature: Vec<String>,
    /// The organiser's name on a round seal, or empty.
    pub seal: String,
    pub truth: Truth,
}

fn pick<'a, R: Rng>(rng: &mut R, pool: &[&'a str]) -> &'a str {
    pool.choose(rng).expect("a non-empty pool")
}

fn hours_text(hours: f64) -> String {
    if hours.fract() == 0.0 {
        format!("{hours:.0}")
    } else {
        format!("{hours}")
    }
}

/// 二〇二一年三月十日, as some seals' dates are written.
fn chinese_date(date: Date) -> String {
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let year: String = date
        .year()
        .to_string()
        .chars()
        .map(|c| DIGITS[c.to_digit(10).unwrap_or(0) as usize])
        .collect();
    let small = |n: u8| match n {
        1..=9 => DIGITS[n as usize].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
        20 | 30 => format!("{}十", DIGITS[(n / 10) as usize]),
        _ => format!(
            "{}十{}",
            DIGITS[(n / 10) as usize],
            DIGITS[(n % 10) as usize]
        ),
    };
    format!(
        "{year}年{}月{}日",
        small(u8::from(date.month())),
        small(date.day())
    )
}

fn ymd(date: Date) -> String {
    format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The training's period as certificates write it, one of several ways.
fn period_text<R: Rng>(rng: &mut R, start: Date, end: Date) -> String {
    let (y, m, d) = (start.year(), u8::from(start.month()), start.day());
    let (m2, d2) = (u8::from(end.month()), end.day());
    if start == end {
        return match rng.random_range(0..3) {
            0 => ymd(start),
            1 => format!("{y}.{m:02}.{d:02}"),
            _ => format!("{y}-{m}-{d}"),
        };
    }
    match rng.random_range(0..5) {
        0 => format!("{}至{}月{}日", ymd(start), m2, d2),
        1 => format!("{}—{}", ymd(start), ymd(end)),
        2 => format!("{y}.{m:02}.{d:02}-{m2:02}.{d2:02}"),
        3 => format!("{y}-{m}-{d}至{m2}-{d2}"),
        _ if m == m2 => format!("{}至{}日", ymd(start), d2),
        _ => format!("{}至{}", ymd(start), ymd(end)),
    }
}

fn random_date<R: Rng>(rng: &mut R) -> Date {
    let year = rng.random_range(2021..=2026);
    let month = Month::try_from(rng.random_range(1..=12u8)).expect("1–12");
    Date::from_calendar_date(year, month, rng.random_range(1..=24)).expect("a day ≤ 24")
}

/// A page of the given kind, its wording and look drawn from `rng`.
pub fn page<R: Rng>(rng: &mut R, kind: Kind) -> Page {
    let name = pick(rng, NAMES).to_owned();
    let title = pick(rng, TITLES).to_owned();
    let organizer = pick(rng, ORGANIZERS).to_owned();
    let start = random_date(rng);
    let days = rng.random_range(1..=5i64);
    let end = start + Duration::days(days - 1);
    let issued = end + Duration::days(rng.random_range(1..=20));
    let hours = *HOURS.choose(rng).expect("hours");
    let period = period_text(rng, start, end);
    let issued_text = if rng.random_bool(0.3) {
        chinese_date(issued)
    } else {
        ymd(issued)
    };
    let serif = rng.random_bool(0.5);
    let mut page = Page {
        layout: "notice",
        paper: if rng.random_bool(0.3) { "a5" } else { "a4" },
        flipped: rng.random_bool(0.4),
        font: if serif {
            "Noto Serif CJK SC"
        } else {
            "Noto Sans CJK SC"
        },
        weight: if rng.random_bool(0.2) {
            "bold"
        } else {
            "regular"
        },
        size: f64::from(rng.random_range(12..=16u8)),
        accent: pick(rng, ACCENTS),
        paper_tint: pick(rng, TINTS),
        header: String::new(),
        heading: String::new(),
        serial: if rng.random_bool(0.5) {
            format!(
                "证书编号：{}{:06}",
                start.year(),
                rng.random_range(1..999_999)
            )
        } else {
            String::new()
        },
        rows: Vec::new(),
        body: Vec::new(),
        signature: vec![organizer.clone(), issued_text],
        seal: if rng.random_bool(0.7) {
            organizer.clone()
        } else {
            String::new()
        },
        truth: Truth {
            kind: kind.code().into(),
            hours: Some(hours_text(hours)),
            start_date: Some(start.to_string()),
            end_date: Some(end.to_string()),
            title: Some(title.clone()),
            organizer: Some(organizer.clone()),
            name: Some(name.clone()),
            is_chinese: true,
        },
    };
    let h = hours_text(hours);
    match kind {
        Kind::Award => {
            page.layout = "award";
            page.heading = pick(rng, &["结业证书", "培训证书", "继续教育证书"]).into();
            page.body = vec![format!("{name}同志：")];
            page.body.push(match rng.random_range(0..3) {
                0 => format!(
                    "于{period}参加{organizer}主办的《{title}》培训，共计{h}学时，经考核合格，特发此证。"
                ),
                1 => format!(
                    "你于{period}参加了由{organizer}举办的《{title}》培训班，完成培训{h}学时，成绩合格。"
                ),
                _ => format!(
                    "在{period}参加《{title}》专题培训，修满{h}学时，准予结业。"
                ),
            });
        }
        Kind::Table => {
            page.layout = "table";
            page.heading = pick(
                rng,
                &["继续教育培训证明", "教师培训学时证明", "培训学时登记表"],
            )
            .into();
            let hours_row = if rng.random_bool(0.5) {
                ("培训学时".to_owned(), format!("{h}学时"))
            } else {
                ("学时".to_owned(), h.clone())
            };
            page.rows = vec![
                ("姓名".into(), name.clone()),
                ("工作单位".into(), pick(rng, SCHOOLS).into()),
                ("培训项目".into(), title.clone()),
                ("培训时间".into(), period.clone()),
                hours_row,
                ("主办单位".into(), organizer.clone()),
            ];
            page.body = vec!["经审核，以上情况属实，特此证明。".into()];
            page.signature[0] = format!("{organizer}（盖章）");
        }
        Kind::Days => {
            page.layout = if rng.random_bool(0.5) {
                "award"
            } else {
                "notice"
            };
            page.heading = "研修证书".into();
            let days_text = if rng.random_bool(0.5) {
                days.to_string()
            } else {
                ["一", "两", "三", "四", "五"][(days - 1) as usize].to_owned()
            };
            page.body = vec![format!(
                "兹证明{name}老师于{period}参加“{title}”研修班，为期{days_text}天，特发此证。"
            )];
            page.truth.hours = Some(hours_text(days as f64 * 8.0));
            page.truth.title = Some(format!("{title}研修班"));
        }
        Kind::Credits => {
            page.layout = "award";
            page.heading = "学分证书".into();
            let credits = rng.random_range(1..=6u8);
            page.body = vec![
                format!("{name}同志："),
                format!(
                    "于{period}参加{organizer}组织的{title}专题培训，考核合格，获得继续教育{credits}学分（1学分=8学时）。"
                ),
            ];
            page.truth.hours = Some(hours_text(f64::from(credits) * 8.0));
            // "…专题培训": the title the certificate itself names.
            page.truth.title = Some(format!("{title}专题培训"));
        }
        Kind::Online => {
            page.layout = "online";
            page.header = "广东省中小学教师继续教育网络研修平台".into();
            page.heading = "学习证明".into();
            page.body = vec![
                format!("学员：{name}"),
                format!("课程：《{title}》"),
                format!("学习时间：{period}"),
                if rng.random_bool(0.5) {
                    format!("获得学时：{h}")
                } else {
                    format!("学时：{h}")
                },
                format!("主办单位：{organizer}"),
            ];
        }
        Kind::NoHours => {
            page.layout = "notice";
            page.heading = "证明".into();
            page.body = vec![
                format!(
                    "兹证明{name}同志于{}参加了{organizer}组织的《{title}》专题讲座。",
                    ymd(start)
                ),
                "特此证明。".into(),
            ];
            page.truth.hours = None;
            page.truth.end_date = Some(start.to_string());
        }
        Kind::Foreign => {
            let university = pick(rng, UNIVERSITIES);
            let title_en = pick(rng, TITLES_EN);
            let month = MONTHS_EN[usize::from(u8::from(start.month())) - 1];
            page.layout = "award";
            page.font = "Noto Serif CJK SC";
            page.heading = "Certificate of Completion".into();
            page.serial = String::new();
            page.body = vec![
                "This is to certify that".into(),
                pick(rng, PINYIN).into(),
                format!("has successfully completed the course {title_en},"),
                format!(
                    "held from {month} {} to {}, {}, totalling {h} contact hours.",
                    start.day(),
                    end.day(),
                    start.year()
                ),
            ];
            page.signature = vec![
                university.into(),
                format!("{} {}, {}", month, issued.day(), issued.year()),
            ];
            page.seal = String::new();
            // The Chinese fields do not apply; hours and dates are what the translation rule
            // compares.
            page.truth.is_chinese = false;
            page.truth.title = None;
            page.truth.organizer = None;
            page.truth.name = None;
        }
    }
    page
}
