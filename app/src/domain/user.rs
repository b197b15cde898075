//! Console users and what each role may do. The permission table lives here, once; server
//! functions ask it, and the tests read it as a matrix.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    Admin,
    Publisher,
    Viewer,
}

/// Everything a console user can ask for. New actions are added here and in [`Role::allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See flows, their details and the applications available to them.
    ViewFlows,
    /// Generate share links for a flow.
    ShareFlows,
    /// Move a Draft flow to Published (and so to review).
    PublishFlows,
    /// Change applications, keys and access protection; approve flows.
    Administer,
}

impl Permission {
    pub const ALL: [Permission; 4] = [
        Permission::ViewFlows,
        Permission::ShareFlows,
        Permission::PublishFlows,
        Permission::Administer,
    ];
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Publisher, Role::Viewer];

    pub fn allows(self, permission: Permission) -> bool {
        match (self, permission) {
            (Role::Admin, _) => true,
            (
                Role::Publisher,
                Permission::ViewFlows | Permission::ShareFlows | Permission::PublishFlows,
            ) => true,
            (Role::Publisher, Permission::Administer) => false,
            (Role::Viewer, Permission::ViewFlows) => true,
            (
                Role::Viewer,
                Permission::ShareFlows | Permission::PublishFlows | Permission::Administer,
            ) => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Publisher => "publisher",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use admin, publisher or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "publisher" => Ok(Role::Publisher),
            "viewer" => Ok(Role::Viewer),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

pub const MAX_USER_NAME_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserNameError {
    #[error("a user name cannot be empty")]
    Empty,
    #[error("a user name can be at most {MAX_USER_NAME_LEN} characters long")]
    TooLong,
    #[error("a user name may contain only letters a-z, digits, '.', '_' and '-'")]
    BadCharacter,
}

/// A console log-in name, case-folded so `Alice` and `alice` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserName(String);

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, UserNameError> {
        let folded = raw.trim().to_ascii_lowercase();
        if folded.is_empty() {
            return Err(UserNameError::Empty);
        }
        if folded.chars().count() > MAX_USER_NAME_LEN {
            return Err(UserNameError::TooLong);
        }
        if !folded
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        {
            return Err(UserNameError::BadCharacter);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the browser may know about the signed-in user: never a password hash or session token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub name: String,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permission matrix, spelled out: each role × each action.
    #[test]
    fn each_role_is_allowed_exactly_its_actions() {
        use Permission::*;
        let expected = [
            (Role::Admin, [true, true, true, true]),
            (Role::Publisher, [true, true, true, false]),
            (Role::Viewer, [true, false, false, false]),
        ];
        for (role, allowed) in expected {
            for (permission, want) in [ViewFlows, ShareFlows, PublishFlows, Administer]
                .into_iter()
                .zip(allowed)
            {
                assert_eq!(role.allows(permission), want, "{role} × {permission:?}");
            }
        }
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn user_names_are_case_folded_and_checked() {
        assert_eq!(
            UserName::parse(" Alice ").map(|n| n.to_string()),
            Ok("alice".into())
        );
        assert_eq!(UserName::parse(""), Err(UserNameError::Empty));
        assert_eq!(UserName::parse("a b"), Err(UserNameError::BadCharacter));
        assert_eq!(
            UserName::parse("x'; drop table users;--"),
            Err(UserNameError::BadCharacter)
        );
        assert_eq!(
            UserName::parse(&"a".repeat(65)),
            Err(UserNameError::TooLong)
        );
    }
}
