//! Page models for the askama templates, and the chrome (header, navigation, body switcher)
//! every page shares.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::body::BodyInput;

use crate::AppState;
use crate::auth::Authed;

/// A navigation link.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// An option of the body switcher.
#[derive(Debug, Clone)]
pub struct BodyOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// What the layout shows around every page.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub title: String,
    pub site_name: String,
    pub user_name: Option<String>,
    pub csrf: String,
    pub admin: bool,
    pub nav: Vec<NavLink>,
    pub switcher: Vec<BodyOption>,
    pub notice: Option<String>,
}

impl Chrome {
    /// Chrome for a public page (shows a back-office link to signed-in staff).
    pub fn public(state: &AppState, title: &str, authed: Option<&Authed>) -> Chrome {
        Chrome {
            title: title.to_string(),
            site_name: state.config.site_name.clone(),
            user_name: authed.map(display),
            csrf: authed
                .map(|a| a.session.csrf_token.clone())
                .unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Chrome for an anonymous form; `csrf` is the pre-session token.
    pub fn anonymous(state: &AppState, title: &str, csrf: &str) -> Chrome {
        Chrome {
            title: title.to_string(),
            site_name: state.config.site_name.clone(),
            csrf: csrf.to_string(),
            ..Default::default()
        }
    }

    /// Chrome for the back office: navigation by role, and the body switcher.
    pub async fn admin(state: &AppState, a: &Authed, title: &str, current: &str) -> Chrome {
        let has = |p| a.actor.has_anywhere(p);
        let mut nav = vec![("/admin", "工作台", true)];
        nav.push((
            "/admin/items",
            "主动公开",
            has(Permission::EditItems)
                || has(Permission::ReviewItems)
                || has(Permission::ApproveItems)
                || has(Permission::Supervise),
        ));
        nav.push(("/admin/bodies", "机关管理", has(Permission::ManageBodies)));
        nav.push((
            "/admin/users",
            "账号与角色",
            has(Permission::ManageAccounts),
        ));
        nav.push(("/admin/audit", "审计日志", has(Permission::ViewAudit)));
        nav.push(("/admin/calendar", "工作日历", true));
        nav.push(("/account/sessions", "我的会话", true));
        nav.push(("/account/password", "修改密码", true));
        let nav = nav
            .into_iter()
            .filter(|(_, _, show)| *show)
            .map(|(href, label, _)| NavLink {
                href,
                label,
                active: href == current,
            })
            .collect();
        let mut switcher = vec![BodyOption {
            id: 0,
            label: "全部可管辖机关".into(),
            selected: a.acting_body_id.is_none(),
        }];
        if let Ok(bodies) = state.store.list_bodies().await {
            for b in bodies {
                if a.actor.grants.iter().any(|g| g.body_id == b.id) {
                    switcher.push(BodyOption {
                        id: b.id,
                        label: b.name.clone(),
                        selected: a.acting_body_id == Some(b.id),
                    });
                }
            }
        }
        Chrome {
            title: title.to_string(),
            site_name: state.config.site_name.clone(),
            user_name: Some(display(a)),
            csrf: a.session.csrf_token.clone(),
            admin: true,
            nav,
            switcher,
            notice: None,
        }
    }
}

fn display(a: &Authed) -> String {
    if a.user.display_name.is_empty() {
        a.user.username.clone()
    } else {
        a.user.display_name.clone()
    }
}

/// Field errors of a form, shown next to each field.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub fields: Vec<(String, String)>,
    pub general: Vec<String>,
}

impl FormErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    pub fn field(&mut self, f: &str, m: impl Into<String>) {
        self.fields.push((f.to_string(), m.into()));
    }

    pub fn general(m: impl Into<String>) -> FormErrors {
        FormErrors {
            fields: vec![],
            general: vec![m.into()],
        }
    }
}

pub fn fmt_ms(ms: i64) -> String {
    use chrono::TimeZone;
    chrono_tz_shanghai()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// China Standard Time (UTC+8, no daylight saving).
pub fn chrono_tz_shanghai() -> chrono::FixedOffset {
    match chrono::FixedOffset::east_opt(8 * 3600) {
        Some(o) => o,
        None => chrono::Utc.fix(),
    }
}

use chrono::Offset;

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub message: String,
}

/// A Chinese error page with the given status.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let page = ErrorPage {
        chrome: Chrome {
            title: "出错了".into(),
            site_name: "政府信息公开平台".into(),
            ..Default::default()
        },
        status: status.as_u16(),
        message: message.to_string(),
    };
    (status, page).into_response()
}

/// A body form, re-displayed with the user's input and messages.
#[derive(Template, WebTemplate)]
#[template(path = "admin/body_form.html")]
pub struct BodyFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub input: BodyInput,
    pub version: i64,
    pub parents: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub errors: FormErrors,
    pub leader_rows: Vec<(usize, gongkai_domain::body::Leader)>,
}
