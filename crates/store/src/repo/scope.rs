//! The one translation of `authz::Scope` into SQL. `authz::scope` decides what an actor sees
//! (a district its own schools but not city-affiliated ones, a school itself, a teacher
//! themself, a provider its own events); each list only says where its rows sit in the
//! hierarchy — a [`Placement`] — and this module writes the condition.

use xueshi_domain::authz::Scope;

use super::sql::Sql;

/// Where a list's rows sit: the columns that name their school (or organiser), district,
/// teacher and provider. A scope whose column is absent sees none of the rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct Placement<'a> {
    /// The row's school (an organiser's id for events); what `Scope::School` matches.
    pub school: Option<&'a str>,
    pub district: District<'a>,
    pub teacher: Option<&'a str>,
    /// The row's organiser, matched by `Scope::Provider`.
    pub provider: Option<&'a str>,
}

/// How a row is found to be a district's.
#[derive(Clone, Copy, Debug, Default)]
pub enum District<'a> {
    /// The row carries its district and whether its school is city-affiliated.
    Columns {
        district: &'a str,
        city_affiliated: &'a str,
    },
    /// The row names an organisation: the district's are its own, city-affiliated aside.
    OfOrg(&'a str),
    /// The row carries the district it was placed in (an audit entry, an application).
    Column(&'a str),
    /// Districts see none of these rows.
    #[default]
    None,
}

impl<'a> Placement<'a> {
    /// Rows of a teacher at a school: the teacher sees their own, the school its teachers',
    /// the district those of its schools.
    pub const fn teacher_at(teacher: &'a str, school: &'a str) -> Placement<'a> {
        Placement {
            school: Some(school),
            district: District::OfOrg(school),
            teacher: Some(teacher),
            provider: None,
        }
    }

    /// Rows belonging to an organisation: a school, district or the city's own.
    pub const fn of_org(org: &'a str) -> Placement<'a> {
        Placement {
            school: Some(org),
            district: District::OfOrg(org),
            teacher: None,
            provider: None,
        }
    }
}

/// Restricts the query (already in its `WHERE`) to the rows `scope` sees: those whose any
/// placement matches.
pub fn push_scope(q: &mut Sql, scope: &Scope, places: &[Placement<'_>]) {
    if matches!(scope, Scope::All) {
        return;
    }
    q.push(" AND (");
    for (i, place) in places.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(");
        push_one(q, scope, place);
        q.push(")");
    }
    if places.is_empty() {
        q.push("1 = 0");
    }
    q.push(")");
}

fn push_one(q: &mut Sql, scope: &Scope, place: &Placement<'_>) {
    let column = |q: &mut Sql, column: Option<&str>, id: &str| match column {
        Some(column) => {
            q.push(&format!("{column} = ")).bind(id);
        }
        None => {
            q.push("1 = 0");
        }
    };
    match scope {
        Scope::All => {
            q.push("1 = 1");
        }
        Scope::District(d) => match place.district {
            District::Columns {
                district,
                city_affiliated,
            } => {
                q.push(&format!("{district} = ")).bind(d.as_str());
                q.push(&format!(" AND {city_affiliated} = 0"));
            }
            District::OfOrg(org) => {
                q.push(&format!(
                    "{org} IN (SELECT id FROM orgs WHERE district_id = "
                ));
                q.bind(d.as_str()).push(" AND city_affiliated = 0)");
            }
            District::Column(district) => {
                q.push(&format!("{district} = ")).bind(d.as_str());
            }
            District::None => {
                q.push("1 = 0");
            }
        },
        Scope::School(s) => column(q, place.school, s),
        Scope::Teacher(t) => column(q, place.teacher, t),
        Scope::Provider(p) => column(q, place.provider, p),
        Scope::Nothing => {
            q.push("1 = 0");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(scope: Scope, places: &[Placement<'_>]) -> String {
        let mut q = Sql::new("SELECT 1 WHERE 1 = 1");
        push_scope(&mut q, &scope, places);
        q.text().to_owned()
    }

    #[test]
    fn each_scope_becomes_the_condition_of_its_column() {
        let teacher = [Placement::teacher_at("t.id", "t.school_id")];
        assert_eq!(sql(Scope::All, &teacher), "SELECT 1 WHERE 1 = 1");
        assert!(sql(Scope::School("s".into()), &teacher).ends_with("AND ((t.school_id = $1))"));
        assert!(sql(Scope::Teacher("x".into()), &teacher).ends_with("AND ((t.id = $1))"));
        assert!(
            sql(Scope::District("d".into()), &teacher).ends_with(
                "AND ((t.school_id IN (SELECT id FROM orgs WHERE district_id = $1 AND city_affiliated = 0)))"
            )
        );
        for nothing in [Scope::Provider("p".into()), Scope::Nothing] {
            assert!(sql(nothing, &teacher).ends_with("AND ((1 = 0))"));
        }
        assert!(sql(Scope::School("s".into()), &[]).ends_with("AND (1 = 0)"));
    }

    #[test]
    fn a_row_placed_twice_is_seen_from_either_place() {
        let places = [Placement::of_org("r.from_id"), Placement::of_org("r.to_id")];
        assert!(
            sql(Scope::School("s".into()), &places)
                .ends_with("AND ((r.from_id = $1) OR (r.to_id = $2))")
        );
    }
}
