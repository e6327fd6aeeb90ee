//! 重复选学同一门公需科目仅按1门公需科目计算学时: a public course (公需科目) is a topic of the
//! year, and the same topic is one course. The city and the districts may both publish; a
//! second course of a topic already published for the year is refused, so that completions
//! of two copies can never count twice (the ledger counts one course once:
//! [`crate::ledger::public_course_credit`]).

use crate::enums::Category;
use crate::title::normalize_title;

/// The identity of a public topic: the normalised title without spaces, quotation marks or
/// title brackets, so 《科技创新现状与发展趋势》 and “科技创新 现状与发展趋势” are one topic.
/// `None` for courses of other categories, which are not topics.
pub fn public_topic(category: Category, title: &str) -> Option<String> {
    if category != Category::Public {
        return None;
    }
    let key: String = normalize_title(title)
        .chars()
        .filter(|c| !c.is_whitespace() && !"《》〈〉“”‘’\"'「」『』".contains(*c))
        .collect();
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_public_topic_is_recognised_however_it_is_typed() {
        let same = [
            ("科技创新现状与发展趋势", "科技创新现状与发展趋势"),
            ("《科技创新现状与发展趋势》", "科技创新现状与发展趋势"),
            ("科技创新 现状与发展趋势", "“科技创新现状与发展趋势”"),
            ("ＡＩ赋能教育", "ai赋能教育"),
        ];
        for (a, b) in same {
            assert_eq!(
                public_topic(Category::Public, a),
                public_topic(Category::Public, b),
                "{a} / {b}"
            );
        }
        assert_ne!(
            public_topic(Category::Public, "科技创新现状与发展趋势"),
            public_topic(Category::Public, "心理健康教育")
        );
    }

    #[test]
    fn only_public_courses_are_topics() {
        for (category, expected) in [
            (Category::Public, true),
            (Category::Professional, false),
            (Category::Elective, false),
        ] {
            assert_eq!(
                public_topic(category, "科技创新").is_some(),
                expected,
                "{category}"
            );
        }
    }
}
