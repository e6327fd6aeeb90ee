//! The teacher's to-do (待办), first on the home page: declarations that wait for them —
//! returned with the reviewer's comment, rejected with the reason, drafts — each with what
//! can still be done before the declaration deadline, and what is missing per category with
//! the way to get it.

use std::collections::HashMap;

use xueshi_domain::authz::Scope;
use xueshi_domain::{Category, DeclarationStatus, Hours, Policy, ReasonCode, time_rules};
use xueshi_store::Conn;
use xueshi_store::models::Declaration;
use xueshi_store::repo::declarations::{self, DeclarationFilter};
use xueshi_store::repo::{courses, policies, reviews};

use crate::error::AppResult;

pub struct TodoItem {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub status: &'static str,
    /// The reviewer's comment, or the reason of a rejection, and what to call it.
    pub note: String,
    pub note_label: &'static str,
    /// What the teacher can do about it.
    pub advice: String,
    /// 去修改 (returned), 继续 and 删除 (draft): only while the year's declarations are open.
    pub fixable: bool,
    pub draft: bool,
}

pub struct Missing {
    pub label: &'static str,
    pub short: String,
    pub how: String,
    /// The year's public courses (公需科目), which only the platform's courses credit.
    pub courses: Vec<String>,
    /// Professional and elective hours may be declared.
    pub declarable: bool,
}

#[derive(Default)]
pub struct TeacherTodo {
    pub items: Vec<TodoItem>,
    pub missing: Vec<Missing>,
}

impl TeacherTodo {
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.missing.is_empty()
    }
}

/// What a rejection leaves the teacher to do, by its reason.
fn rejection_advice(reason: Option<ReasonCode>) -> &'static str {
    match reason {
        Some(ReasonCode::MissingTranslation) => {
            "驳回的申报不能再提交。补齐学校盖章的中文翻译后，可新建申报重新提交。"
        }
        Some(ReasonCode::MissingHoursProof) => {
            "驳回的申报不能再提交。补齐学校盖章的学时证明后，可新建申报重新提交。"
        }
        Some(ReasonCode::CopyNotOriginal) => {
            "驳回的申报不能再提交。请拍摄证书原件后新建申报，复印件无效。"
        }
        Some(ReasonCode::Duplicate) => "该学时已登记，不能重复申报，无需处理。",
        _ => "驳回的申报不能再提交。如对审核结果有疑问，请联系学校继续教育管理员。",
    }
}

async fn policy_of<'a>(
    c: &mut Conn,
    cache: &'a mut HashMap<i32, Option<Policy>>,
    year: i32,
) -> AppResult<Option<&'a Policy>> {
    if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(year) {
        slot.insert(policies::get(c, year).await?);
    }
    Ok(cache.get(&year).and_then(Option::as_ref))
}

async fn waiting(
    c: &mut Conn,
    teacher_id: &str,
    status: DeclarationStatus,
) -> AppResult<Vec<Declaration>> {
    let filter = DeclarationFilter {
        status: Some(status),
        newest_first: true,
        limit: Some(20),
        ..Default::default()
    };
    let scope = Scope::Teacher(teacher_id.to_owned());
    Ok(declarations::list(c, &scope, &filter).await?.items)
}

/// The declarations that wait for the teacher. Rejections are listed for the years still
/// being declared or reviewed; older ones are history, on the declarations page.
pub async fn items(c: &mut Conn, teacher_id: &str) -> AppResult<Vec<TodoItem>> {
    let now = time::OffsetDateTime::now_utc();
    let recent = time_rules::year_under_review(now);
    let mut cache = HashMap::new();
    let mut items = Vec::new();
    for status in [
        DeclarationStatus::Returned,
        DeclarationStatus::Rejected,
        DeclarationStatus::Draft,
    ] {
        for d in waiting(c, teacher_id, status).await? {
            if status == DeclarationStatus::Rejected && d.year < recent {
                continue;
            }
            let open = policy_of(c, &mut cache, d.year)
                .await?
                .map(|p| !time_rules::deadline_passed(p.deadlines.declaration, now));
            let last = reviews::for_declaration(c, &d.id).await?.into_iter().last();
            let comment = last.as_ref().and_then(|r| r.comment.clone());
            let (note, advice) = match status {
                DeclarationStatus::Returned => (
                    comment.unwrap_or_else(|| "（审核人未填写意见）".into()),
                    match open {
                        Some(true) => "请按审核意见修改或补充材料后重新提交。".to_owned(),
                        _ => "已过申报截止日期，不能再提交（过期不录）。".to_owned(),
                    },
                ),
                DeclarationStatus::Rejected => {
                    let reason = last.as_ref().and_then(|r| r.reason_code);
                    let mut note = reason.map_or("未说明原因", |r| r.label_zh()).to_owned();
                    if let Some(comment) = comment {
                        note.push_str(&format!("：{comment}"));
                    }
                    (note, rejection_advice(reason).to_owned())
                }
                _ => (
                    String::new(),
                    match open {
                        Some(true) => "尚未提交，提交后才会进入学校初审。".to_owned(),
                        Some(false) => "已过申报截止日期，不能再提交，可以删除。".to_owned(),
                        None => format!("{}年度的政策尚未发布，暂不能提交。", d.year),
                    },
                ),
            };
            let note_label = match status {
                DeclarationStatus::Rejected => "驳回原因",
                _ => "审核意见",
            };
            items.push(TodoItem {
                note_label,
                fixable: status != DeclarationStatus::Rejected && open == Some(true),
                draft: status == DeclarationStatus::Draft,
                status: status.label_zh(),
                id: d.id,
                title: d.title,
                year: d.year,
                note,
                advice,
            });
        }
    }
    Ok(items)
}

/// What is still missing in each category this year, and how to get it.
pub async fn missing(
    c: &mut Conn,
    year: i32,
    have: [(Category, Hours, Hours); 3],
    declarations_open: bool,
) -> AppResult<Vec<Missing>> {
    let mut out = Vec::new();
    for (category, hours, required) in have {
        if hours >= required {
            continue;
        }
        let short = format!("还差 {} 学时", required.saturating_sub(hours));
        let entry = if category == Category::Public {
            let courses = courses::list(c, Some(year))
                .await?
                .into_iter()
                .filter(|course| course.category == Category::Public)
                .map(|course| format!("《{}》{} 学时", course.title, course.hours))
                .collect::<Vec<_>>();
            let how = if courses.is_empty() {
                "公需科目学时来自平台上的公需科目学习，不能个人申报；本年度公需科目发布后请按通知参加学习。"
            } else {
                "公需科目学时来自平台上的公需科目学习，完成后自动登记，不能个人申报。本年度公需科目："
            };
            Missing {
                label: category.label_zh(),
                short,
                how: how.to_owned(),
                courses,
                declarable: false,
            }
        } else {
            let how = if declarations_open {
                "参加区、校或机构组织的培训由主办单位登记学时；其他途径的学习可个人申报。"
            } else {
                "本年度个人申报已截止（过期不录）；主办单位登记的培训学时仍会计入。"
            };
            Missing {
                label: category.label_zh(),
                short,
                how: how.to_owned(),
                courses: Vec::new(),
                declarable: declarations_open,
            }
        };
        out.push(entry);
    }
    Ok(out)
}

/// The credit years a declaration can still be submitted for, with their deadlines: those
/// whose policy is published and whose declaration deadline has not passed (过期不录).
pub async fn open_years(c: &mut Conn) -> AppResult<Vec<(i32, time::Date)>> {
    let now = time::OffsetDateTime::now_utc();
    let mut open = Vec::new();
    for year in policies::years(c).await? {
        if let Some(p) = policies::get(c, year).await?
            && !time_rules::deadline_passed(p.deadlines.declaration, now)
        {
            open.push((year, p.deadlines.declaration));
        }
    }
    Ok(open)
}

/// Why the declaration form is closed, in the notice's words.
pub async fn closed_reason(c: &mut Conn) -> AppResult<Option<String>> {
    if !open_years(c).await?.is_empty() {
        return Ok(None);
    }
    let year = time_rules::business_date(time::OffsetDateTime::now_utc()).year();
    Ok(Some(match policies::get(c, year).await? {
        Some(p) => format!(
            "{year}年度个人学时申报已于 {} 截止，截止后不再受理（过期不录）。主办单位登记的培训学时仍会计入。",
            time_rules::format_date_zh(p.deadlines.declaration)
        ),
        None => format!("{year}年度的学时政策尚未发布，暂不能申报，请留意市、区通知。"),
    }))
}
