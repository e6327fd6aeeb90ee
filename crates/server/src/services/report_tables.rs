//! The reports as spreadsheets with Chinese headers, one table per worksheet, so that what
//! a user downloads says the same as the JSON the page shows.

use super::allowance::Allowance;
use super::exports::{Cell, Table};
use super::reports::{Group, HoursDto, ReportBasis, Shortfalls, Summary};

fn basis_text(basis: ReportBasis) -> &'static str {
    match basis {
        ReportBasis::Verified => "年度验证结果",
        ReportBasis::Live => "实时进度（尚未进行年度验证）",
    }
}

fn about(rows: Vec<(&str, String)>) -> Table {
    let rows = rows
        .into_iter()
        .map(|(k, v)| vec![Cell::Text(k.into()), Cell::Text(v)])
        .collect();
    Table::new("说明", vec!["项目", "内容"], rows)
}

fn hours_cells(h: &HoursDto) -> [Cell; 4] {
    [
        Cell::Hours(h.public),
        Cell::Hours(h.professional),
        Cell::Hours(h.elective),
        Cell::Hours(h.total),
    ]
}

fn group_row(g: &Group) -> Vec<Cell> {
    let mut row = vec![
        Cell::Text(g.name.clone()),
        Cell::Count(g.teachers),
        Cell::Count(g.passed),
        Cell::Rate(g.pass_rate),
    ];
    row.extend(hours_cells(&g.hours));
    row.extend(hours_cells(&g.average_hours));
    row.extend([
        Cell::Count(g.pending_school),
        Cell::Count(g.pending_second),
        Cell::Count(g.overdue),
    ]);
    row
}

pub const SUMMARY_HEADER: [&str; 15] = [
    "单位",
    "教师人数",
    "合格人数",
    "合格率",
    "公需科目学时合计",
    "专业科目学时合计",
    "个人选修科目学时合计",
    "总学时合计",
    "人均公需科目学时",
    "人均专业科目学时",
    "人均个人选修科目学时",
    "人均总学时",
    "待学校初审",
    "待区（市）复审",
    "逾期未审核",
];

pub fn summary(s: &Summary) -> Vec<Table> {
    let mut rows: Vec<Vec<Cell>> = s.groups.iter().map(group_row).collect();
    rows.push(group_row(&s.total));
    vec![
        Table::new(format!("{}年度汇总", s.year), SUMMARY_HEADER.to_vec(), rows),
        about(vec![
            ("年度", s.year.to_string()),
            ("统计依据", basis_text(s.basis).into()),
            ("统计日期", s.as_of.clone()),
        ]),
    ]
}

pub const SHORTFALL_HEADER: [&str; 12] = [
    "姓名",
    "身份证号",
    "学校",
    "公需科目学时",
    "专业科目学时",
    "个人选修科目学时",
    "总学时",
    "公需科目尚差",
    "专业科目尚差",
    "个人选修科目尚差",
    "总学时尚差",
    "状态",
];

pub fn shortfalls(s: Shortfalls) -> Vec<Table> {
    let (year, basis) = (s.year, s.basis);
    let rows = s.items.into_iter().map(|i| {
        let mut row = vec![
            Cell::Text(i.name),
            Cell::Text(i.id_number),
            Cell::Text(i.school_name),
        ];
        row.extend(hours_cells(&i.hours));
        row.extend(hours_cells(&i.lacking));
        let status = if i.status == "departed" {
            "已离职"
        } else {
            "在职"
        };
        row.push(Cell::Text(status.into()));
        row
    });
    vec![
        Table {
            name: format!("{year}年度学时未达标"),
            header: SHORTFALL_HEADER.to_vec(),
            rows: Box::new(rows),
        },
        about(vec![
            ("年度", year.to_string()),
            ("统计依据", basis_text(basis).into()),
        ]),
    ]
}

pub const ALLOWANCE_HEADER: [&str; 6] = [
    "姓名",
    "身份证号",
    "学校",
    "学校类型",
    "上年度验证结果",
    "是否符合发放条件",
];

pub fn allowance(a: Allowance) -> Vec<Table> {
    let about_rows = vec![
        ("津贴年度", a.year.to_string()),
        ("依据年度", format!("{}年度学时验证", a.previous_year)),
        (
            "依据年度是否已验证",
            if a.previous_year_verified {
                "是"
            } else {
                "否"
            }
            .into(),
        ),
        (
            "政策依据",
            "穗教规字〔2020〕2号：上一年度继续教育学时验证合格".into(),
        ),
    ];
    let name = format!("{}年度民办学校从教津贴", a.year);
    let rows = a.items.into_iter().map(|i| {
        let result = match i.previous_year_passed {
            Some(true) => "合格",
            Some(false) => "不合格",
            None => "无验证结果",
        };
        vec![
            Cell::Text(i.name),
            Cell::Text(i.id_number),
            Cell::Text(i.school_name),
            Cell::Text(i.school_type.label_zh().into()),
            Cell::Text(result.into()),
            Cell::Text(if i.eligible { "是" } else { "否" }.into()),
        ]
    });
    vec![
        Table {
            name,
            header: ALLOWANCE_HEADER.to_vec(),
            rows: Box::new(rows),
        },
        about(about_rows),
    ]
}
