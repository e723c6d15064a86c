//! Passwords and the configurable password and session policy, with the two named profiles
//! 等保三级 (GB/T 22239-2019 level 3, the default) and ASVS (OWASP ASVS 4 / NIST 800-63B style).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// The named policy profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// 等保三级.
    Djbh3,
    /// OWASP ASVS.
    Asvs,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "djbh3" | "dengbao3" | "等保三级" => Some(Profile::Djbh3),
            "asvs" => Some(Profile::Asvs),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Profile::Djbh3 => "等保三级",
            Profile::Asvs => "ASVS",
        }
    }
}

/// Password and session rules in force. Built from a profile, then individual keys may be
/// overridden by configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    pub profile: Profile,
    pub min_length: usize,
    /// Upper case, lower case, digits and symbols all required.
    pub require_character_classes: bool,
    /// Refuse the most common passwords.
    pub refuse_common: bool,
    /// Forced rotation; `None` means never.
    pub max_age_days: Option<u32>,
    /// Consecutive failures that lock the account; 0 disables locking.
    pub lockout_threshold: u32,
    pub lockout_minutes: u32,
    /// Idle timeout; `None` means only the absolute limit applies.
    pub idle_timeout_minutes: Option<u32>,
    /// Absolute session lifetime. Never more than 12 hours, whatever the configuration says.
    pub absolute_timeout_hours: u32,
    /// Staff must use a second factor (TOTP).
    pub require_totp: bool,
}

/// Any session ends after 12 hours (both profiles).
pub const MAX_SESSION_HOURS: u32 = 12;

impl SecurityPolicy {
    pub fn for_profile(profile: Profile) -> SecurityPolicy {
        match profile {
            Profile::Djbh3 => SecurityPolicy {
                profile,
                min_length: 8,
                require_character_classes: true,
                refuse_common: true,
                max_age_days: Some(90),
                lockout_threshold: 5,
                lockout_minutes: 30,
                idle_timeout_minutes: Some(30),
                absolute_timeout_hours: MAX_SESSION_HOURS,
                require_totp: true,
            },
            Profile::Asvs => SecurityPolicy {
                profile,
                min_length: 12,
                require_character_classes: false,
                refuse_common: true,
                max_age_days: None,
                // ASVS asks for anti-automation rather than a short lock.
                lockout_threshold: 10,
                lockout_minutes: 15,
                idle_timeout_minutes: None,
                absolute_timeout_hours: MAX_SESSION_HOURS,
                require_totp: false,
            },
        }
    }

    /// The absolute session limit actually applied.
    pub fn absolute_hours(&self) -> u32 {
        self.absolute_timeout_hours.clamp(1, MAX_SESSION_HOURS)
    }

    /// Check a new password. Returns every problem, in Chinese.
    pub fn check_new_password(&self, username: &str, password: &str) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let len = password.chars().count();
        if len < self.min_length {
            problems.push(format!("密码至少需要{}个字符", self.min_length));
        }
        if len > 128 {
            problems.push("密码不能超过128个字符".to_string());
        }
        if password.trim().eq_ignore_ascii_case(username.trim()) {
            problems.push("密码不能与用户名相同".to_string());
        }
        if self.require_character_classes {
            let upper = password.chars().any(|c| c.is_ascii_uppercase());
            let lower = password.chars().any(|c| c.is_ascii_lowercase());
            let digit = password.chars().any(|c| c.is_ascii_digit());
            let symbol = password
                .chars()
                .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace());
            if !(upper && lower && digit && symbol) {
                problems.push("密码须同时包含大写字母、小写字母、数字和符号".to_string());
            }
        }
        if self.refuse_common && is_common_password(password) {
            problems.push("该密码过于常见，容易被猜中，请换一个".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

const COMMON: &str = include_str!("../data/common-passwords.txt");

/// A password is common if, lower-cased and with trailing digits and symbols removed, it is on
/// the list, or if it is on the list as it is.
pub fn is_common_password(password: &str) -> bool {
    let lower = password.to_lowercase();
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    COMMON
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .any(|l| {
            let l = l.to_lowercase();
            l == lower || (!stem.is_empty() && l == stem)
        })
}

/// Hash a password with argon2id (the crate's defaults: m=19 MiB, t=2, p=1).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Verify a password against a stored PHC string; a malformed hash never verifies.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn djbh3_requires_all_classes_and_length() {
        let p = SecurityPolicy::for_profile(Profile::Djbh3);
        assert!(p.check_new_password("zhang", "Ab1!efgh").is_ok());
        assert!(p.check_new_password("zhang", "Ab1!efg").is_err(), "7 chars");
        assert!(
            p.check_new_password("zhang", "abcdefg1!").is_err(),
            "no upper"
        );
        assert!(
            p.check_new_password("zhang", "ABCDEFG1!").is_err(),
            "no lower"
        );
        assert!(
            p.check_new_password("zhang", "Abcdefgh!").is_err(),
            "no digit"
        );
        assert!(
            p.check_new_password("zhang", "Abcdefgh1").is_err(),
            "no symbol"
        );
        assert_eq!(p.max_age_days, Some(90));
        assert_eq!(p.lockout_threshold, 5);
        assert_eq!(p.lockout_minutes, 30);
        assert_eq!(p.idle_timeout_minutes, Some(30));
        assert!(p.require_totp);
    }

    #[test]
    fn asvs_length_no_composition_refuses_common() {
        let p = SecurityPolicy::for_profile(Profile::Asvs);
        assert!(
            p.check_new_password("zhang", "correct horse battery")
                .is_ok()
        );
        assert!(p.check_new_password("zhang", "shorter one").is_err());
        assert!(
            p.check_new_password("zhang", "password1234").is_err(),
            "common"
        );
        assert!(
            p.check_new_password("zhang", "Woaini1314!!").is_err(),
            "common stem"
        );
        assert_eq!(p.max_age_days, None);
        assert_eq!(p.absolute_hours(), 12);
    }

    #[test]
    fn password_never_equals_username() {
        for profile in [Profile::Djbh3, Profile::Asvs] {
            let p = SecurityPolicy::for_profile(profile);
            let name = "Admin.Long-Name-1";
            assert!(p.check_new_password(name, name).is_err());
        }
    }

    #[test]
    fn sessions_never_exceed_twelve_hours() {
        let mut p = SecurityPolicy::for_profile(Profile::Asvs);
        p.absolute_timeout_hours = 48;
        assert_eq!(p.absolute_hours(), 12);
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash_password("Ab1!efgh").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "Ab1!efgh"));
        assert!(!verify_password(&h, "Ab1!efgH"));
        assert!(!verify_password("garbage", "Ab1!efgh"));
    }
}
