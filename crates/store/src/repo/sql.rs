//! A small builder for dynamic SQL with `$n` placeholders, which both backends accept
//! (sqlx's own `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL refuses).

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{AnyConnection, AssertSqlSafe};
use xueshi_domain::Code;

use crate::StoreResult;

#[derive(Clone, Debug)]
pub enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        Arg::Text(v.map(str::to_owned))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Int(Some(v as i64))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Sql {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends placeholders bound to `values`, separated by commas (the inside of `IN (…)`).
    pub fn bind_all<T: Into<Arg>>(&mut self, values: impl IntoIterator<Item = T>) -> &mut Sql {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// Appends `(…)` bound to the codes of `values`: the right side of `IN`. Codes are
    /// bound, never written into the SQL, so that the domain's enums are their one spelling.
    pub fn bind_codes<C: Code>(&mut self, values: impl IntoIterator<Item = C>) -> &mut Sql {
        self.text.push('(');
        self.bind_all(values.into_iter().map(|v| v.code()));
        self.text.push(')');
        self
    }

    /// Appends a placeholder bound to the code of `value`.
    pub fn bind_code(&mut self, value: impl Code) -> &mut Sql {
        self.bind(value.code())
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'_, sqlx::Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for arg in &self.args {
            q = match arg {
                Arg::Text(v) => q.bind(v.clone()),
                Arg::Int(v) => q.bind(*v),
            };
        }
        q
    }

    pub async fn fetch_all(&self, c: &mut AnyConnection) -> StoreResult<Vec<AnyRow>> {
        Ok(self.query().fetch_all(c).await?)
    }

    pub async fn fetch_optional(&self, c: &mut AnyConnection) -> StoreResult<Option<AnyRow>> {
        Ok(self.query().fetch_optional(c).await?)
    }

    pub async fn execute(&self, c: &mut AnyConnection) -> StoreResult<u64> {
        Ok(self.query().execute(c).await?.rows_affected())
    }
}
