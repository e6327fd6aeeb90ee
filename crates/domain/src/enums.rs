//! The closed vocabularies of the notice and the API, each with its wire code and Chinese label.

use thiserror::Error;

/// An unknown code for one of the enums below.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind}“{value}”无效，可选值：{}", .allowed.join("、"))]
pub struct ParseEnumError {
    /// The enum's Chinese name, e.g. 科目类别.
    pub kind: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

/// A value of one of the closed vocabularies, stored and sent as its wire code.
pub trait Code: Copy {
    fn code(self) -> &'static str;
}

/// Declares an enum whose serde codes, `as_str`, `FromStr` and `ALL` cannot drift apart.
macro_rules! domain_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $($(#[$variant_meta:meta])* $variant:ident = $code:literal, $label:literal;)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant,)+];
            const CODES: &'static [&'static str] = &[$($code,)+];

            pub const fn as_str(&self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)+
                }
            }

            pub const fn label_zh(&self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)+
                }
            }
        }

        impl $crate::enums::Code for $name {
            fn code(self) -> &'static str {
                self.as_str()
            }
        }

        #[cfg(feature = "sqlx")]
        $crate::sqlx_types::stored_as_code!($name);

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::enums::ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok(Self::$variant),)+
                    _ => Err($crate::enums::ParseEnumError {
                        kind: $kind,
                        value: s.to_owned(),
                        allowed: Self::CODES,
                    }),
                }
            }
        }
    };
}

domain_enum! {
    /// 科目类别
    Category, "科目类别" {
        /// 公需科目
        Public = "public", "公需科目";
        /// 专业科目
        Professional = "professional", "专业科目";
        /// 个人选修科目
        Elective = "elective", "个人选修科目";
    }
}

impl Category {
    /// Declarations and organisers' events count only as professional or elective hours;
    /// public hours come from the year's public courses.
    pub const fn is_declarable(&self) -> bool {
        matches!(self, Self::Professional | Self::Elective)
    }
}

domain_enum! {
    /// 学习形式: the notice's nine kinds of activity that earn hours.
    ActivityType, "学习形式" {
        RemoteTraining = "remote_training", "远程培训/网络研修/校本培训";
        TeachingResearch = "teaching_research", "教研活动";
        TrainingCourse = "training_course", "培训班/研修班/进修班";
        DegreeEducation = "degree_education", "学历继续教育";
        Practice = "practice", "到教学、科研、生产单位实践";
        TrainerRole = "trainer_role", "担任培训者/工作坊主持人/研修助理/工作室成员";
        AcademicEvent = "academic_event", "学术会议/讲座/访问";
        ResearchOutput = "research_output", "课题/论文/课程资源/专著";
        Other = "other", "其他";
    }
}

domain_enum! {
    /// 学时来源: how a record came to exist.
    Source, "学时来源" {
        PublicCourse = "public_course", "公需科目学习";
        PlatformTraining = "platform_training", "平台远程培训";
        Organizer = "organizer", "主办单位登记";
        Declaration = "declaration", "个人申报";
        CarryOver = "carry_over", "上年度结转";
    }
}

domain_enum! {
    /// 角色
    Role, "角色" {
        Teacher = "teacher", "教师";
        SchoolAdmin = "school_admin", "学校管理员";
        DistrictAdmin = "district_admin", "区教育局管理员";
        CityAdmin = "city_admin", "市管理员";
        ProviderAdmin = "provider_admin", "培训机构管理员";
        /// Reads the whole audit log and changes nothing (等级保护: separated audit duties).
        Auditor = "auditor", "审计管理员";
    }
}

domain_enum! {
    /// 机构类型
    OrgKind, "机构类型" {
        City = "city", "市";
        District = "district", "区";
        School = "school", "学校";
        Provider = "provider", "培训机构";
    }
}

domain_enum! {
    /// 办学性质
    Ownership, "办学性质" {
        Public = "public", "公办";
        Private = "private", "民办";
    }
}

domain_enum! {
    /// 学校类型
    SchoolType, "学校类型" {
        Kindergarten = "kindergarten", "幼儿园";
        Primary = "primary", "小学";
        Secondary = "secondary", "中学";
        NineYear = "nine_year", "九年一贯制学校";
        Vocational = "vocational", "中等职业学校";
        SpecialEducation = "special_education", "特殊教育学校";
        Other = "other", "其他";
    }
}

domain_enum! {
    /// 机构状态
    OrgStatus, "机构状态" {
        Active = "active", "正常";
        /// 已注销
        Archived = "archived", "已注销";
    }
}

domain_enum! {
    /// 教师状态
    TeacherStatus, "教师状态" {
        Active = "active", "在职";
        /// 已离职
        Departed = "departed", "已离职";
    }
}

domain_enum! {
    /// 学时记录状态
    RecordStatus, "记录状态" {
        /// 有效学时
        Approved = "approved", "有效";
        /// 取消学时登记
        Revoked = "revoked", "已取消";
    }
}

domain_enum! {
    /// 申报状态
    DeclarationStatus, "申报状态" {
        Draft = "draft", "草稿";
        Submitted = "submitted", "待学校初审";
        /// 初审通过, waiting for the district's (or the city's) second review
        SchoolApproved = "school_approved", "初审通过，待复审";
        Approved = "approved", "复审通过";
        Returned = "returned", "退回修改";
        Rejected = "rejected", "驳回";
        Withdrawn = "withdrawn", "已撤回";
    }
}

impl DeclarationStatus {
    /// Awaiting a review (待初审, 待复审): its hours are pending.
    pub const IN_REVIEW: [Self; 2] = [Self::Submitted, Self::SchoolApproved];

    pub fn in_review(self) -> bool {
        Self::IN_REVIEW.contains(&self)
    }
}

domain_enum! {
    /// 不予通过原因
    ReasonCode, "原因代码" {
        CopyNotOriginal = "copy_not_original", "复印件无效";
        IrrelevantMaterial = "irrelevant_material", "无关材料";
        Duplicate = "duplicate", "重复申报";
        MissingTranslation = "missing_translation", "境外非中文证书未附盖章中文翻译";
        MissingHoursProof = "missing_hours_proof", "无明确培训时间且未附学时证明";
        HoursMismatch = "hours_mismatch", "学时不符";
        OutOfYear = "out_of_year", "不在本年度";
        Other = "other", "其他";
    }
}

domain_enum! {
    /// 调动申请状态
    TransferStatus, "调动申请状态" {
        Pending = "pending", "待审批";
        Approved = "approved", "已调动";
        Rejected = "rejected", "未批准";
        Cancelled = "cancelled", "已撤销";
    }
}

domain_enum! {
    /// 更正申请状态
    CorrectionStatus, "更正申请状态" {
        Pending = "pending", "待审核";
        Approved = "approved", "已更正";
        Rejected = "rejected", "未通过";
    }
}

domain_enum! {
    /// 学校注册申请状态
    SchoolApplicationStatus, "学校注册申请状态" {
        Pending = "pending", "待审核";
        Approved = "approved", "已通过";
        Rejected = "rejected", "未通过";
    }
}

domain_enum! {
    /// 证书识别状态: waiting, read, or not readable; `off` where the platform does not read.
    ReadingStatus, "识别状态" {
        Pending = "pending", "识别中";
        Done = "done", "已识别";
        Failed = "failed", "未能识别";
        Off = "off", "未开启识别";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use std::collections::HashSet;
    use std::fmt::{self, Debug};
    use std::str::FromStr;

    /// Checks that serde, `as_str`, `FromStr`, `Display` and labels agree for every value.
    fn check_round_trips<T>(all: &[T], as_str: fn(&T) -> &'static str, label: fn(&T) -> &str)
    where
        T: Copy + Eq + Debug + Serialize + for<'de> Deserialize<'de> + FromStr + fmt::Display,
        T::Err: Debug,
    {
        let mut codes = HashSet::new();
        for value in all {
            let code = as_str(value);
            assert!(codes.insert(code), "duplicate code {code}");
            assert_eq!(serde_json::to_value(value).unwrap(), code);
            assert_eq!(serde_json::from_value::<T>(code.into()).unwrap(), *value);
            assert_eq!(code.parse::<T>().unwrap(), *value);
            assert_eq!(value.to_string(), code);
            assert!(
                !label(value).is_empty() && !label(value).is_ascii(),
                "{value:?}"
            );
        }
    }

    #[test]
    fn every_enum_value_round_trips_through_its_code() {
        check_round_trips(Category::ALL, Category::as_str, Category::label_zh);
        check_round_trips(
            ActivityType::ALL,
            ActivityType::as_str,
            ActivityType::label_zh,
        );
        check_round_trips(Source::ALL, Source::as_str, Source::label_zh);
        check_round_trips(Role::ALL, Role::as_str, Role::label_zh);
        check_round_trips(OrgKind::ALL, OrgKind::as_str, OrgKind::label_zh);
        check_round_trips(Ownership::ALL, Ownership::as_str, Ownership::label_zh);
        check_round_trips(SchoolType::ALL, SchoolType::as_str, SchoolType::label_zh);
        check_round_trips(OrgStatus::ALL, OrgStatus::as_str, OrgStatus::label_zh);
        check_round_trips(
            TeacherStatus::ALL,
            TeacherStatus::as_str,
            TeacherStatus::label_zh,
        );
        check_round_trips(
            RecordStatus::ALL,
            RecordStatus::as_str,
            RecordStatus::label_zh,
        );
        check_round_trips(
            DeclarationStatus::ALL,
            DeclarationStatus::as_str,
            DeclarationStatus::label_zh,
        );
        check_round_trips(ReasonCode::ALL, ReasonCode::as_str, ReasonCode::label_zh);
        check_round_trips(
            TransferStatus::ALL,
            TransferStatus::as_str,
            TransferStatus::label_zh,
        );
        check_round_trips(
            CorrectionStatus::ALL,
            CorrectionStatus::as_str,
            CorrectionStatus::label_zh,
        );
        check_round_trips(
            SchoolApplicationStatus::ALL,
            SchoolApplicationStatus::as_str,
            SchoolApplicationStatus::label_zh,
        );
    }

    #[test]
    fn the_api_codes_are_exactly_those_of_the_contract() {
        let codes = |all: &[&str]| all.join(" ");
        let category: Vec<_> = Category::ALL.iter().map(Category::as_str).collect();
        assert_eq!(codes(&category), "public professional elective");
        let activity: Vec<_> = ActivityType::ALL.iter().map(ActivityType::as_str).collect();
        assert_eq!(
            codes(&activity),
            "remote_training teaching_research training_course degree_education practice \
             trainer_role academic_event research_output other"
        );
        let source: Vec<_> = Source::ALL.iter().map(Source::as_str).collect();
        assert_eq!(
            codes(&source),
            "public_course platform_training organizer declaration carry_over"
        );
        let role: Vec<_> = Role::ALL.iter().map(Role::as_str).collect();
        assert_eq!(
            codes(&role),
            "teacher school_admin district_admin city_admin provider_admin auditor"
        );
        let school: Vec<_> = SchoolType::ALL.iter().map(SchoolType::as_str).collect();
        assert_eq!(
            codes(&school),
            "kindergarten primary secondary nine_year vocational special_education other"
        );
        let reason: Vec<_> = ReasonCode::ALL.iter().map(ReasonCode::as_str).collect();
        assert_eq!(
            codes(&reason),
            "copy_not_original irrelevant_material duplicate missing_translation \
             missing_hours_proof hours_mismatch out_of_year other"
        );
    }

    #[test]
    fn the_notice_names_the_categories_and_reasons_in_chinese() {
        assert_eq!(Category::Public.label_zh(), "公需科目");
        assert_eq!(Category::Professional.label_zh(), "专业科目");
        assert_eq!(Category::Elective.label_zh(), "个人选修科目");
        assert_eq!(ReasonCode::CopyNotOriginal.label_zh(), "复印件无效");
        assert_eq!(ReasonCode::OutOfYear.label_zh(), "不在本年度");
        assert_eq!(Ownership::Private.label_zh(), "民办");
    }

    #[test]
    fn an_unknown_code_is_refused_with_a_chinese_message_naming_the_allowed_values() {
        let error = "Public".parse::<Category>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "科目类别“Public”无效，可选值：public、professional、elective"
        );
        assert!(serde_json::from_str::<Role>("\"admin\"").is_err());
    }

    #[test]
    fn only_professional_and_elective_hours_can_be_declared() {
        let declarable: Vec<_> = Category::ALL.iter().filter(|c| c.is_declarable()).collect();
        assert_eq!(declarable, [&Category::Professional, &Category::Elective]);
    }
}
