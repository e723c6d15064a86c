//! Pure types and rules of Gongkai: public bodies, roles and permissions, the password policy,
//! the audit hash chain and the working-day calendar. No I/O happens here; the store and the web
//! layer call into these rules so that every handler and every query applies the same ones.

/// A closed vocabulary: each variant has a stored name and a Chinese label, and parses from
/// either.
macro_rules! labelled {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal, $label:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),* } }
            pub fn label(self) -> &'static str { match self { $($name::$variant => $label),* } }
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| v.as_str() == s || v.label() == s)
            }
        }
    };
}

pub mod access;
pub mod annual_report;
pub mod application;
pub mod appraisal;
pub mod audit;
pub mod body;
pub mod briefing;
pub mod calendar;
pub mod circulars;
pub mod codes;
pub mod consultation;
pub mod credit;
pub mod dashboard;
pub mod decisions;
pub mod disclosure;
pub mod evaluation;
pub mod inspection;
pub mod key_work;
pub mod ledger;
pub mod letters;
pub mod monitor;
pub mod notice;
pub mod notice_period;
pub mod password;
pub mod screening;
pub mod seal;
pub mod service_input;
pub mod services;
