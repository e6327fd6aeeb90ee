//! The evidence the notice asks of a declaration (证明材料): the certificate itself; with a
//! foreign certificate not in Chinese, its translation stamped by the school (境外非中文证书须附
//! 中文翻译件); with a certificate stating no hours, the school's stamped hours proof
//! (无明确培训时间的须附学时证明).

use serde::{Deserialize, Serialize};

/// What a file proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProofKind {
    /// 证书（证明）原件的扫描件或照片
    Certificate,
    /// 境外证书的盖章中文翻译
    Translation,
    /// 学校盖章的学时证明
    HoursProof,
}

impl ProofKind {
    pub const ALL: [ProofKind; 3] = [Self::Certificate, Self::Translation, Self::HoursProof];

    pub const fn as_str(&self) -> &'static str {
        match self {
            Self::Certificate => "certificate",
            Self::Translation => "translation",
            Self::HoursProof => "hours_proof",
        }
    }

    pub fn parse(s: &str) -> Option<ProofKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// What the teacher is told when this proof is missing.
    pub const fn missing_zh(&self) -> &'static str {
        match self {
            Self::Certificate => "证书（证明）原件的扫描件或照片",
            Self::Translation => "境外非中文证书须附学校盖章的中文翻译件",
            Self::HoursProof => "证书无明确培训时间，须附学校盖章的学时证明",
        }
    }
}

/// The proofs a declaration needs, the certificate first.
pub fn required_proofs(
    foreign_certificate: bool,
    certificate_states_hours: bool,
) -> Vec<ProofKind> {
    let mut required = vec![ProofKind::Certificate];
    if foreign_certificate {
        required.push(ProofKind::Translation);
    }
    if !certificate_states_hours {
        required.push(ProofKind::HoursProof);
    }
    required
}

/// The required proofs not among `attached`, in the order of [`required_proofs`].
pub fn missing_proofs(required: &[ProofKind], attached: &[ProofKind]) -> Vec<ProofKind> {
    required
        .iter()
        .filter(|k| !attached.contains(k))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProofKind::*;

    #[test]
    fn a_declaration_needs_its_certificate_and_what_the_certificate_lacks() {
        // (foreign, states hours) → required
        let table = [
            ((false, true), vec![Certificate]),
            ((true, true), vec![Certificate, Translation]),
            ((false, false), vec![Certificate, HoursProof]),
            ((true, false), vec![Certificate, Translation, HoursProof]),
        ];
        for ((foreign, states_hours), expected) in table {
            assert_eq!(
                required_proofs(foreign, states_hours),
                expected,
                "foreign {foreign}, states hours {states_hours}"
            );
        }
    }

    #[test]
    fn missing_proofs_are_those_required_and_not_attached() {
        let required = required_proofs(true, false);
        assert_eq!(
            missing_proofs(&required, &[Certificate, Translation, HoursProof]),
            []
        );
        assert_eq!(
            missing_proofs(&required, &[HoursProof, HoursProof]),
            [Certificate, Translation]
        );
        // A translation of a Chinese certificate is welcome but not needed.
        assert_eq!(
            missing_proofs(&required_proofs(false, true), &[Certificate, Translation]),
            []
        );
    }

    #[test]
    fn a_proof_kind_round_trips_through_its_code() {
        for kind in ProofKind::ALL {
            assert_eq!(ProofKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProofKind::parse(" hours_proof "), Some(HoursProof));
        assert_eq!(ProofKind::parse("receipt"), None);
    }
}
