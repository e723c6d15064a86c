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

/// The bodies within `scope` (every body when `None`) as the options of a select, indented by
/// depth, `selected` marked; `all` puts a first option "全部机关" (id 0) in front.
pub async fn body_options(
    state: &AppState,
    scope: Option<&gongkai_domain::access::Scope>,
    selected: Option<i64>,
    all: bool,
) -> Result<Vec<BodyOption>, crate::error::AppError> {
    let mut out = Vec::new();
    if all {
        out.push(BodyOption {
            id: 0,
            label: "全部机关".into(),
            selected: selected.is_none(),
        });
    }
    out.extend(
        state
            .store
            .list_bodies()
            .await?
            .into_iter()
            .filter(|b| scope.is_none_or(|s| s.contains(&b.path)))
            .map(|b| BodyOption {
                id: b.id,
                label: format!("{}{}", "　".repeat(b.depth()), b.name),
                selected: selected == Some(b.id),
            }),
    );
    Ok(out)
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
    /// The page's Atom feed (title, address), announced in the head for feed readers.
    pub feed: Option<(String, String)>,
    /// Ask search engines not to index the page (a natural person's 双公示 record).
    pub noindex: bool,
}

/// Display preferences of the current request (set by [`crate::middleware::display_prefs`]).
#[derive(Debug, Clone, Default)]
pub struct Prefs {
    /// 大字版 (适老化): larger text, kept in a cookie; works without JavaScript.
    pub large_text: bool,
    /// The current path and query, for links that come back here.
    pub here: String,
}

tokio::task_local! {
    pub static PREFS: Prefs;
}

fn prefs() -> Prefs {
    PREFS.try_with(|p| p.clone()).unwrap_or_default()
}

impl Chrome {
    pub fn large_text(&self) -> bool {
        prefs().large_text
    }

    /// The link that switches 大字版 on or off and comes back to this page.
    pub fn text_toggle(&self) -> String {
        let p = prefs();
        let back: String = form_urlencoded::byte_serialize(p.here.as_bytes()).collect();
        format!(
            "/display?text={}&back={back}",
            if p.large_text { "normal" } else { "large" }
        )
    }

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
        let mut nav = vec![
            ("/admin", "工作台", true),
            ("/admin/circulars", "内部文件", true),
        ];
        nav.push((
            "/admin/applications",
            "依申请公开",
            has(Permission::HandleApplications)
                || has(Permission::ApproveCases)
                || has(Permission::Supervise),
        ));
        nav.push((
            "/admin/letters",
            "信箱来信",
            has(Permission::HandleLetters)
                || has(Permission::HandleDisciplineCases)
                || has(Permission::ApproveCases)
                || has(Permission::Supervise),
        ));
        nav.push((
            "/admin/mailboxes",
            "信箱设置",
            has(Permission::ManageBodies),
        ));
        nav.push((
            "/admin/items",
            "主动公开",
            has(Permission::EditItems)
                || has(Permission::ReviewItems)
                || has(Permission::ApproveItems)
                || has(Permission::Supervise),
        ));
        nav.push(("/admin/works", "重点工作", true));
        nav.push(("/admin/inspections", "监督检查", has(Permission::Supervise)));
        nav.push((
            "/admin/appraisals",
            "民主评议",
            has(Permission::Supervise) || has(Permission::Inspect),
        ));
        nav.push(("/admin/rectifications", "整改事项", true));
        nav.push((
            "/admin/briefings",
            "季度简报",
            gongkai_domain::access::ITEM_READERS.iter().any(|p| has(*p)),
        ));
        nav.push((
            "/admin/monitor",
            "合规监测",
            gongkai_domain::monitor::MONITOR_READERS
                .iter()
                .any(|p| has(*p)),
        ));
        nav.push((
            "/admin/dashboards",
            "数据图表",
            gongkai_domain::monitor::MONITOR_READERS
                .iter()
                .any(|p| has(*p)),
        ));
        nav.push((
            "/admin/annual-reports",
            "年度报告",
            gongkai_domain::access::ITEM_READERS.iter().any(|p| has(*p)),
        ));
        nav.push((
            "/admin/credit",
            "双公示",
            gongkai_domain::access::CREDIT_READERS
                .iter()
                .any(|p| has(*p)),
        ));
        let services = gongkai_domain::access::SERVICE_READERS
            .iter()
            .any(|p| has(*p));
        nav.push(("/admin/services", "权责清单", services));
        nav.push(("/admin/fees", "收费目录", services));
        nav.push((
            "/admin/imports",
            "批量导入",
            has(Permission::RecordDecisions) || has(Permission::EditServices),
        ));
        nav.push(("/admin/bodies", "机关管理", has(Permission::ManageBodies)));
        nav.push((
            "/admin/users",
            "账号与角色",
            has(Permission::ManageAccounts),
        ));
        nav.push(("/admin/tokens", "接口令牌", has(Permission::ManageAccounts)));
        nav.push(("/admin/audit", "审计日志", has(Permission::ViewAudit)));
        nav.push(("/admin/calendar", "工作日历", true));
        nav.push(("/account/sessions", "登录设备", true));
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
            // Switching the acting body can return to any back-office page; other flags are
            // read by the pages that own them (`with_done`).
            notice: a
                .done
                .as_deref()
                .filter(|d| *d == "switched")
                .and_then(done_notice)
                .map(str::to_string),
            feed: None,
            noindex: false,
        }
    }

    /// Show the success notice for the request's `?done=` flag, if it is one of ours.
    pub fn with_done(mut self, a: &Authed) -> Chrome {
        if let Some(n) = a.done.as_deref().and_then(done_notice) {
            self.notice = Some(n.to_string());
        }
        self
    }
}

/// The success notice for a `?done=` flag set by a redirect after an action. Only these fixed
/// messages are ever shown, so a crafted link cannot put words on the page.
pub fn done_notice(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "saved" => "已保存。",
        "survey_created" => "评议已创建：请选择被评议单位并保存，然后发布。",
        "survey_opened" => "评议已发布，可在“民主评议”栏目参加。",
        "survey_closed" => "评议已结束，不再接受评议。",
        "created" => "机关已创建。",
        "granted" => "已授予角色。",
        "revoked" => "已撤销角色。",
        "disabled" => "账号已停用，其所有登录会话已结束。",
        "enabled" => "账号已启用。",
        "unlocked" => "已解除锁定，该账号可以重新登录。",
        "totp_reset" => "二次验证已重置，该账号的登录会话已结束；本人下次登录时须重新设置。",
        "sessions_ended" => "已结束该账号的全部登录会话。",
        "session_ended" => "已结束所选会话。",
        "switched" => "已切换当前机关。",
        "recorded" => "决定已登记，待审批领导公示。",
        "published" => "已公示。",
        "withheld" => "该决定依法不予公示，已记录原因。",
        "withdrawn" => "已撤下公示，撤销原因将在公示期内显示。",
        "voided" => "已作废。",
        "sent" => "已发送，接收人阅读后将记录阅读时间。",
        "reminded" => "已提醒未读人员。",
        "none_reminded" => "没有需要提醒的人员：均已阅读，或今天已提醒过。",
        _ => return None,
    })
}

/// What the error pages need to know about the request that failed: the site's name and who
/// is signed in. The session middleware attaches it to every response it passes on.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    pub site_name: String,
    pub user_name: Option<String>,
    pub csrf: String,
}

impl PageContext {
    pub fn new(state: &AppState, authed: Option<&Authed>) -> PageContext {
        PageContext {
            site_name: state.config.site_name.clone(),
            user_name: authed.map(display),
            csrf: authed
                .map(|a| a.session.csrf_token.clone())
                .unwrap_or_default(),
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

    /// Every message of `field` (a field may have several, as a survey's questions do).
    pub fn all(&self, field: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn field(&mut self, f: &str, m: impl Into<String>) {
        self.fields.push((f.to_string(), m.into()));
    }

    /// The messages of a domain check, one per field.
    pub fn from_fields(errs: gongkai_domain::body::FieldErrors) -> FormErrors {
        let mut f = FormErrors::default();
        for (k, m) in errs {
            f.field(k, m);
        }
        f
    }

    pub fn general(m: impl Into<String>) -> FormErrors {
        FormErrors {
            fields: vec![],
            general: vec![m.into()],
        }
    }
}

/// A redirect back to a back-office page (`path`, with or without a `#fragment`) carrying a
/// message in `?flag=` (`done`, `error` …), as the forms' answers do.
pub fn back_to(path: &str, flag: &str, value: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let v: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let (page, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
    let sep = if page.contains('?') { '&' } else { '?' };
    let hash = if fragment.is_empty() {
        String::new()
    } else {
        format!("#{fragment}")
    };
    axum::response::Redirect::to(&format!("{page}{sep}{flag}={v}{hash}")).into_response()
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
    error_page_in(status, message, None)
}

/// A Chinese error page with the given status, with the site's name and the signed-in account
/// in the header when known.
pub fn error_page_in(status: StatusCode, message: &str, ctx: Option<&PageContext>) -> Response {
    let site_name = ctx
        .map(|c| c.site_name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| crate::WebConfig::default().site_name);
    let page = ErrorPage {
        chrome: Chrome {
            title: error_title(status).into(),
            site_name,
            user_name: ctx.and_then(|c| c.user_name.clone()),
            csrf: ctx.map(|c| c.csrf.clone()).unwrap_or_default(),
            ..Default::default()
        },
        status: status.as_u16(),
        message: message.to_string(),
    };
    (status, page).into_response()
}

fn error_title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::FORBIDDEN => "没有权限",
        StatusCode::GONE => "已停止公示",
        _ => "出错了",
    }
}

/// A secret (such as a TOTP key) in groups of four characters, for reading and typing.
pub fn group4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short description of a browser's User-Agent, such as "Chrome 120 · Windows".
pub fn ua_summary(ua: &str) -> String {
    let version = |key: &str| -> Option<String> {
        let rest = &ua[ua.find(key)? + key.len()..];
        let v: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        Some(if v.is_empty() {
            String::new()
        } else {
            format!(" {v}")
        })
    };
    let browser = if let Some(v) = version("MicroMessenger/") {
        format!("微信{v}")
    } else if let Some(v) = version("Edg/") {
        format!("Edge{v}")
    } else if let Some(v) = version("Firefox/") {
        format!("Firefox{v}")
    } else if let Some(v) = version("Chrome/") {
        format!("Chrome{v}")
    } else if ua.contains("Safari/") {
        format!("Safari{}", version("Version/").unwrap_or_default())
    } else if let Some(word) = ua.split_whitespace().next().filter(|w| !w.is_empty()) {
        word.chars().take(24).collect()
    } else {
        return "未知浏览器".into();
    };
    let os = if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Mac OS X") {
        Some("macOS")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Linux") {
        Some("Linux")
    } else {
        None
    };
    match os {
        Some(os) => format!("{browser} · {os}"),
        None => browser,
    }
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

/// A submitted form as its fields, repeated names kept (checkbox groups), in order.
pub type FormFields = Vec<(String, String)>;

/// The first value of `name` in a form, or empty.
pub fn form_field(f: &FormFields, name: &str) -> String {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Every value of `name` that is an id.
pub fn form_ids(f: &FormFields, name: &str) -> Vec<i64> {
    f.iter()
        .filter(|(k, _)| k == name)
        .filter_map(|(_, v)| v.trim().parse().ok())
        .collect()
}

/// A page answered with `status` (a form shown again with its message: 422, 409).
pub fn with_status(
    r: impl axum::response::IntoResponse,
    status: axum::http::StatusCode,
) -> axum::response::Response {
    let mut r = r.into_response();
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_summarised() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(ua_summary(ua), "Chrome 120 · Windows");
        let ua = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(ua_summary(ua), "Safari 17 · iOS");
        assert_eq!(ua_summary(""), "未知浏览器");
    }

    #[test]
    fn secrets_are_grouped_by_four() {
        assert_eq!(group4("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }

    #[test]
    fn only_known_done_flags_make_notices() {
        assert_eq!(done_notice("saved"), Some("已保存。"));
        assert_eq!(done_notice("<script>"), None);
    }
}
