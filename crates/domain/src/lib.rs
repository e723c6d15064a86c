//! Pure types and rules of Gongkai: public bodies, roles and permissions, the password policy,
//! the audit hash chain and the working-day calendar. No I/O happens here; the store and the web
//! layer call into these rules so that every handler and every query applies the same ones.

pub mod access;
pub mod application;
pub mod audit;
pub mod body;
pub mod calendar;
pub mod codes;
pub mod disclosure;
pub mod ledger;
pub mod notice;
pub mod password;
pub mod screening;
pub mod seal;
