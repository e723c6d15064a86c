//! All integration tests in one binary (one link, shared build): the repository contract suite,
//! HTTP tests against the real server, and command-line tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod annual_reports;
mod api;
mod applications;
mod appraisals;
mod briefings;
mod circulars;
mod cli;
mod consultations;
mod credit;
mod dashboards;
mod disclosure;
mod http;
mod imports;
mod inspections;
mod item_pages;
mod letters;
mod monitor;
mod notice_periods;
mod notices;
mod portal;
mod reports;
mod scaleout;
mod second_factor;
mod services;
mod store;
mod works;
