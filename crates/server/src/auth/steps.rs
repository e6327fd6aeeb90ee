//! The sign-in steps a session may still owe (API.md "Sign-in steps"): identity first, then a
//! password someone else chose.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    MfaEnroll,
    MfaVerify,
    ChangePassword,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::MfaEnroll => "mfa_enroll",
            Step::MfaVerify => "mfa_verify",
            Step::ChangePassword => "change_password",
        }
    }

    pub fn parse(code: &str) -> Option<Step> {
        [Step::MfaEnroll, Step::MfaVerify, Step::ChangePassword]
            .into_iter()
            .find(|s| s.as_str() == code)
    }

    /// Where the web UI takes this step.
    pub fn page(self) -> &'static str {
        match self {
            Step::MfaEnroll | Step::MfaVerify => "/login/mfa",
            Step::ChangePassword => "/account/password",
        }
    }
}

/// The first step owed after the password: a second factor for every role but teacher (when
/// required), then a password change if someone else chose the password.
pub fn first_step(
    mfa_required_for_role: bool,
    authenticator_confirmed: bool,
    must_change_password: bool,
) -> Option<Step> {
    if mfa_required_for_role {
        return Some(if authenticator_confirmed {
            Step::MfaVerify
        } else {
            Step::MfaEnroll
        });
    }
    must_change_password.then_some(Step::ChangePassword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_comes_before_the_password_change() {
        let cases = [
            (true, false, true, Some(Step::MfaEnroll)),
            (true, true, true, Some(Step::MfaVerify)),
            (true, true, false, Some(Step::MfaVerify)),
            (false, false, true, Some(Step::ChangePassword)),
            (false, true, false, None),
        ];
        for (mfa, confirmed, change, want) in cases {
            assert_eq!(first_step(mfa, confirmed, change), want);
        }
        for step in [Step::MfaEnroll, Step::MfaVerify, Step::ChangePassword] {
            assert_eq!(Step::parse(step.as_str()), Some(step));
        }
    }
}
