//! Serde for `time::Date` as `YYYY-MM-DD`: `#[serde(with = "xueshi_domain::date_format")]`,
//! or `xueshi_domain::date_format::option` for an `Option<Date>`.

use serde::{Deserialize, Deserializer, Serializer};
use time::Date;

use crate::time_rules::{format_date, parse_date};

const MESSAGE: &str = "日期格式应为YYYY-MM-DD";

pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_date(*date))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_date(&text).ok_or_else(|| serde::de::Error::custom(MESSAGE))
}

pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(date: &Option<Date>, serializer: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => super::serialize(date, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Date>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| parse_date(&text).ok_or_else(|| serde::de::Error::custom(MESSAGE)))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use time::Date;
    use time::macros::date;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Dated {
        #[serde(with = "super")]
        on: Date,
        #[serde(with = "super::option", default)]
        until: Option<Date>,
    }

    #[test]
    fn dates_serialise_as_yyyy_mm_dd_and_read_back_strictly() {
        let dated = Dated {
            on: date!(2022 - 01 - 09),
            until: None,
        };
        let json = serde_json::json!({"on": "2022-01-09", "until": null});
        assert_eq!(serde_json::to_value(&dated).unwrap(), json);
        assert_eq!(serde_json::from_value::<Dated>(json).unwrap(), dated);
        let with_until: Dated =
            serde_json::from_str(r#"{"on":"2022-01-09","until":"2022-01-13"}"#).unwrap();
        assert_eq!(with_until.until, Some(date!(2022 - 01 - 13)));
        let missing_until: Dated = serde_json::from_str(r#"{"on":"2022-01-09"}"#).unwrap();
        assert_eq!(missing_until.until, None);
        for bad in [
            r#"{"on":"2022-1-9"}"#,
            r#"{"on":"2022-02-30"}"#,
            r#"{"on":20220109}"#,
        ] {
            assert!(serde_json::from_str::<Dated>(bad).is_err(), "{bad}");
        }
    }
}
