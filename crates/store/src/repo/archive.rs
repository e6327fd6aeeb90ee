//! A school's continuing-education archive (学校继续教育档案): every verified year of every
//! teacher verified at the school, the departed included.

use sqlx::{AnyConnection, Row};

use super::sql::Sql;
use crate::models::{VerificationResult, read};
use crate::sealed::open_field;
use crate::{StoreResult, Vault};

/// One teacher's verified year, with who they are.
#[derive(Clone, Debug)]
pub struct ArchiveRow {
    pub result: VerificationResult,
    pub name: String,
    pub id_number: String,
}

/// The school's verified years, by teacher name then year.
pub async fn school_years(
    c: &mut AnyConnection,
    v: &Vault,
    school_id: &str,
) -> StoreResult<Vec<ArchiveRow>> {
    let mut q = Sql::new(
        "SELECT v.*, t.name AS teacher_name, t.id_number FROM verification_results v \
         JOIN teachers t ON t.id = v.teacher_id WHERE v.school_id = ",
    );
    q.bind(school_id)
        .push(" ORDER BY t.name, v.teacher_id, v.year");
    q.fetch_all(c)
        .await?
        .iter()
        .map(|row| {
            let result = read::<VerificationResult>(row)?;
            let sealed: String = row.try_get("id_number")?;
            Ok(ArchiveRow {
                id_number: open_field(v, &result.teacher_id, "id_number", &sealed)?,
                name: row.try_get("teacher_name")?,
                result,
            })
        })
        .collect()
}
