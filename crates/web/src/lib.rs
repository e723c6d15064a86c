//! The HTTP face of Gongkai: the public portal, the back office (`/admin`), the account pages
//! and the JSON API (`/api/v1`), with sessions, CSRF protection, security headers, error pages
//! and metrics. Handlers are thin: they extract, call the domain or the store, and render.

pub mod annual;
pub mod api;
pub mod api_admin;
pub mod api_annual;
pub mod api_applications;
pub mod api_appraisals;
pub mod api_consultations;
pub mod api_credit;
pub mod api_decisions;
pub mod api_letters;
pub mod api_monitor;
pub mod api_notices;
pub mod api_public;
pub mod api_services;
pub mod auth;
pub mod error;
pub mod handlers;
pub mod imports;
pub mod limits;
pub mod mail;
pub mod middleware;
pub mod render;
pub mod uploads;
pub mod views;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::routing::{get, post};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::password::SecurityPolicy;
use gongkai_store::Store;
use ipnet::IpNet;
use metrics_exporter_prometheus::PrometheusHandle;

/// Settings the web layer needs, already resolved from the configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub policy: SecurityPolicy,
    /// The public address of the site, e.g. `https://gk.example.gov.cn`. When it is `https`,
    /// cookies are `Secure` and HSTS is sent.
    pub public_url: Option<String>,
    /// Addresses allowed to read `/metrics` without signing in.
    pub metrics_allow: Vec<IpNet>,
    /// Reverse proxies whose `X-Forwarded-For` is trusted.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Largest attachment upload, in bytes (条目附件, default 50 MB).
    pub max_upload_bytes: usize,
    /// The site's name in page headers.
    pub site_name: String,
    /// Screening before 保密审查: sensitive words and masks.
    pub screening: gongkai_domain::screening::ScreeningConfig,
    /// Public submissions (applications, letters) accepted per client address per window.
    pub submissions_per_window: u32,
    pub submission_window_secs: u64,
    /// E-mail to writers of answered letters; None: no e-mail (the tracking page only).
    pub smtp: Option<SmtpSettings>,
    /// How often answered letters are looked for to e-mail.
    pub mail_every_ms: u64,
}

/// An SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub username: String,
    pub password: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            policy: SecurityPolicy::for_profile(gongkai_domain::password::Profile::Djbh3),
            public_url: None,
            metrics_allow: vec![],
            trusted_proxies: vec![],
            max_body_bytes: 2 * 1024 * 1024,
            max_upload_bytes: 50 * 1024 * 1024,
            site_name: "政府信息公开平台".into(),
            screening: Default::default(),
            submissions_per_window: 10,
            submission_window_secs: 600,
            smtp: None,
            mail_every_ms: 5000,
        }
    }
}

impl WebConfig {
    pub fn tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Shared by every request: one pointer, so handing it to each extractor and layer costs an
/// atomic increment (it was a copy of every field's handle, ~5% of a cold item page).
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

impl std::ops::Deref for AppState {
    type Target = AppInner;
    fn deref(&self) -> &AppInner {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub struct AppInner {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub calendar: Arc<RwLock<Calendar>>,
    pub metrics: Option<PrometheusHandle>,
    /// Signs ledger checkpoints; `None` only in tests that do not publish.
    pub ledger_key: Option<Arc<gongkai_domain::ledger::LedgerKey>>,
    /// Attachment files.
    pub blobs: gongkai_files::BlobStore,
    /// Seals applicants' identity numbers and contacts at rest.
    pub seal: Arc<gongkai_domain::seal::SealKey>,
    /// Renders PDFs (公示单 …); `None` when no Chinese font was found: those pages answer 503.
    pub reports: Option<Arc<gongkai_reports::Renderer>>,
    /// Limits how many PDFs are rendered at once (rendering is CPU-bound).
    pub report_slots: Arc<tokio::sync::Semaphore>,
    /// The full-text index of published items (derived from the change log).
    pub search: gongkai_search::SearchIndex,
    /// How often the index catches up with the change log.
    pub search_every: std::time::Duration,
    /// Public list counts, per filter, for the current change-log head.
    pub counts: handlers::browse::CountCache,
    /// Rendered anonymous public pages, for the current change-log head.
    pub page_cache: middleware::PageCache,
    /// The change-log head, re-read when it may have moved.
    pub head: Arc<middleware::HeadClock>,
    /// The report keys that wrap the letter keys of 举报 (`report.key`); the first wraps new
    /// letters, the others open letters not yet re-wrapped after a rotation.
    pub report_keys: Arc<Vec<gongkai_domain::seal::SealKey>>,
    /// Public submissions per client address.
    pub submissions: limits::SubmissionLimiter,
    /// The charts of a body subtree's year (`handlers::dashboards`), counted at most once per
    /// [`handlers::dashboards::REFRESH`]: a county's year is a few seconds of counting.
    pub dashboards: handlers::dashboards::ChartCache,
}

impl AppState {
    pub fn new(
        store: Store,
        config: WebConfig,
        calendar: Calendar,
        blobs: gongkai_files::BlobStore,
    ) -> AppState {
        // An index in memory unless the installation's folder is set with `with_search`.
        #[allow(clippy::expect_used)]
        let search = gongkai_search::SearchIndex::in_ram(Default::default())
            .expect("an in-memory search index can always be created");
        AppState(Arc::new(AppInner {
            search,
            search_every: std::time::Duration::from_secs(1),
            counts: Default::default(),
            page_cache: middleware::new_page_cache(96 * 1024 * 1024),
            head: Default::default(),
            dashboards: handlers::dashboards::new_chart_cache(),
            report_keys: Arc::new(vec![gongkai_domain::seal::SealKey::generate()]),
            submissions: limits::SubmissionLimiter::new(
                config.submissions_per_window,
                std::time::Duration::from_secs(config.submission_window_secs),
            ),
            store,
            config: Arc::new(config),
            calendar: Arc::new(RwLock::new(calendar)),
            metrics: None,
            ledger_key: None,
            blobs,
            // A fresh key unless the installation's is set with `with_seal_key`.
            seal: Arc::new(gongkai_domain::seal::SealKey::generate()),
            reports: None,
            report_slots: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        }))
    }

    /// The shared fields, for the builder methods below (copied only if already shared).
    fn inner(&mut self) -> &mut AppInner {
        Arc::make_mut(&mut self.0)
    }

    pub fn with_reports(mut self, renderer: Arc<gongkai_reports::Renderer>) -> AppState {
        self.inner().reports = Some(renderer);
        self
    }

    pub fn with_search(
        mut self,
        index: gongkai_search::SearchIndex,
        every: std::time::Duration,
    ) -> AppState {
        self.inner().search = index;
        self.inner().search_every = every;
        self
    }

    pub fn with_seal_key(mut self, key: gongkai_domain::seal::SealKey) -> AppState {
        self.inner().seal = Arc::new(key);
        self
    }

    /// The report keys, current first (see [`AppState::report_keys`]).
    pub fn with_report_keys(mut self, keys: Vec<gongkai_domain::seal::SealKey>) -> AppState {
        if !keys.is_empty() {
            self.inner().report_keys = Arc::new(keys);
        }
        self
    }

    pub fn with_ledger_key(mut self, key: gongkai_domain::ledger::LedgerKey) -> AppState {
        self.inner().ledger_key = Some(Arc::new(key));
        self
    }

    pub fn with_metrics(mut self, handle: PrometheusHandle) -> AppState {
        self.inner().metrics = Some(handle);
        self
    }

    /// A snapshot of the calendar in force.
    pub fn calendar(&self) -> Calendar {
        self.calendar
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    use handlers::{
        account, admin, annual_reports, applications, appraisals, briefings, browse, catalogue,
        column, consultations, credit, credit_admin, dashboards, evaluations, feeds, imports,
        inspections, items, letters, letters_admin, mailboxes, monitor, notice_periods, notices,
        portal, public_items, rectifications, search, services, services_admin, tokens,
    };
    let app = Router::new()
        // Public portal.
        .route("/", get(portal::view_home))
        .route("/bodies", get(portal::view_bodies))
        .route("/bodies/{id}", get(portal::view_body))
        .route("/bodies/{id}/leaders", get(portal::view_leaders))
        .route("/bodies/{id}/catalogue", get(browse::view_body_catalogue))
        .route("/catalogue", get(browse::view_site_catalogue))
        .route("/bodies/{id}/xxgk", get(column::view_column))
        .route("/bodies/{id}/guide", get(column::view_guide))
        .route("/bodies/{id}/rules", get(column::view_rules))
        .route("/bodies/{id}/reports", get(column::view_annual))
        .route(
            "/bodies/{id}/reports/{year}",
            get(annual_reports::view_public_report),
        )
        .route(
            "/bodies/{id}/reports/{year}/{file}",
            get(annual_reports::download_public_report),
        )
        .route("/admin/annual-reports", get(annual_reports::view_overview))
        .route("/admin/monitor", get(monitor::view_monitor))
        .route(
            "/admin/dashboards",
            get(dashboards::view_admin).post(dashboards::publish),
        )
        .route("/admin/dashboards/{file}", get(dashboards::admin_csv))
        .route(
            "/admin/appraisals",
            get(appraisals::view_admin_list).post(appraisals::create),
        )
        .route(
            "/admin/appraisals/{id}",
            get(appraisals::view_admin).post(appraisals::act),
        )
        .route("/bodies/{id}/dashboard", get(dashboards::view_public))
        .route("/bodies/{id}/dashboard/{file}", get(dashboards::public_csv))
        .route(
            "/admin/assessment-rules",
            get(inspections::view_rules_list).post(inspections::create_rules),
        )
        .route(
            "/admin/assessment-rules/{id}",
            get(inspections::view_rules).post(inspections::post_rules),
        )
        .route(
            "/admin/inspections",
            get(inspections::view_list).post(inspections::open),
        )
        .route(
            "/admin/inspections/{id}",
            get(inspections::view).post(inspections::post),
        )
        .route(
            "/admin/inspections/{id}/bodies/{body}",
            get(inspections::view_body).post(inspections::post_body),
        )
        .route(
            "/admin/evaluations",
            get(evaluations::view).post(evaluations::confirm),
        )
        .route("/admin/rectifications", get(rectifications::view_list))
        .route(
            "/admin/briefings",
            get(briefings::view_list).post(briefings::create),
        )
        .route(
            "/admin/briefings/{id}",
            get(briefings::view).post(briefings::post),
        )
        .route("/admin/briefings/{id}/{file}", get(briefings::download))
        .route(
            "/admin/rectifications/{id}",
            get(rectifications::view).post(rectifications::act),
        )
        .route(
            "/admin/accountability",
            get(rectifications::view_accountability).post(rectifications::record_accountability),
        )
        .route("/admin/monitor/{rule}", get(monitor::view_rule))
        .route(
            "/admin/annual-reports/{file}",
            get(annual_reports::download_all),
        )
        .route(
            "/admin/annual-reports/{id}/{year}",
            get(annual_reports::view_report).post(annual_reports::post_report),
        )
        .route(
            "/admin/annual-reports/{id}/{year}/import",
            post(annual_reports::import_report),
        )
        .route(
            "/admin/annual-reports/{id}/{year}/delete-import",
            post(annual_reports::delete_import),
        )
        .route(
            "/admin/annual-reports/{id}/{year}/{file}",
            get(annual_reports::download_report),
        )
        .route("/items/{id}", get(public_items::view_item))
        .route("/items/{id}/v/{number}", get(public_items::view_version))
        .route("/items/{id}/diff", get(public_items::view_diff))
        .route("/items/{id}/notice.pdf", get(public_items::item_notice_pdf))
        .route(
            "/items/{id}/notice",
            get(notice_periods::view_notice).post(notice_periods::post_objection),
        )
        .route("/notices", get(notice_periods::view_notices))
        .route(
            "/items/{id}/consultation",
            get(consultations::view_consultation).post(consultations::post_comment),
        )
        .route(
            "/items/{id}/consultation/diff",
            get(consultations::view_diff),
        )
        .route("/consultations", get(consultations::view_consultations))
        .route("/appraisals", get(appraisals::view_list))
        .route(
            "/appraisals/{id}",
            get(appraisals::view).post(appraisals::answer),
        )
        .route(
            "/feeds/consultations.atom",
            get(consultations::consultations_feed),
        )
        .route(
            handlers::comment_queue::PATH,
            get(handlers::comment_queue::view_queue),
        )
        .route(
            "/admin/items/{id}/consultation",
            get(consultations::view_consultation_admin).post(consultations::post_window),
        )
        .route(
            "/admin/items/{id}/consultation/comments/{cid}",
            post(consultations::post_moderate),
        )
        .route(
            "/admin/items/{id}/consultation/groups",
            post(consultations::post_group),
        )
        .route(
            "/admin/items/{id}/consultation/groups/{gid}/delete",
            post(consultations::post_delete_group),
        )
        .route(
            "/admin/items/{id}/consultation/feedback",
            post(consultations::post_feedback),
        )
        .route(
            "/admin/items/{id}/consultation/final",
            post(consultations::post_final),
        )
        .route("/feeds/notices.atom", get(notice_periods::notices_feed))
        .route(
            "/admin/items/{id}/notice",
            get(notice_periods::view_notice_admin).post(notice_periods::post_notice_admin),
        )
        .route(
            "/admin/items/{id}/notice/objections/{oid}",
            post(notice_periods::handle_objection),
        )
        .route(
            "/admin/items/{id}/notice/decision",
            post(notice_periods::cite_decision),
        )
        .route(
            "/admin/decisions",
            get(handlers::decisions::view_list).post(handlers::decisions::create),
        )
        .route(
            "/admin/circulars",
            get(handlers::circulars::view_list).post(handlers::circulars::send),
        )
        .route("/admin/circulars/new", get(handlers::circulars::view_new))
        .route(
            "/admin/works",
            get(handlers::works::view_list).post(handlers::works::create),
        )
        .route("/admin/works/{id}", get(handlers::works::view_one))
        .route(
            "/admin/works/{id}/chart.svg",
            get(handlers::works::chart_svg),
        )
        .route("/admin/works/{id}/steps", post(handlers::works::add_step))
        .route(
            "/admin/works/{id}/steps/{step}/delete",
            post(handlers::works::remove_step),
        )
        .route(
            "/admin/works/{id}/steps/{step}/progress",
            post(handlers::works::report),
        )
        .route("/admin/works/{id}/close", post(handlers::works::close))
        .route("/admin/works/{id}/publish", post(handlers::works::publish))
        .route("/commitments", get(handlers::commitments::view_list))
        .route("/commitments/{id}", get(handlers::commitments::view_one))
        .route(
            "/commitments/{id}/chart.svg",
            get(handlers::commitments::chart_svg),
        )
        .route("/feeds/commitments.atom", get(handlers::commitments::feed))
        .route("/admin/circulars/{id}", get(handlers::circulars::view_one))
        .route("/admin/circulars/{id}/file", get(handlers::circulars::file))
        .route(
            "/admin/circulars/{id}/remind",
            post(handlers::circulars::remind),
        )
        .route("/admin/decisions/{id}", get(handlers::decisions::view_one))
        .route(
            "/admin/decisions/{id}/result",
            axum::routing::post(handlers::decisions::post_result),
        )
        .route(
            "/admin/decisions/{id}/minutes",
            get(handlers::decisions::minutes),
        )
        .route(
            "/items/{id}/attachments/{att}",
            get(public_items::download_attachment),
        )
        .route("/verify", get(public_items::view_verify))
        .route("/search", get(search::view_search))
        .route("/search/feed.atom", get(feeds::search_feed))
        .route("/feeds/items.atom", get(feeds::site_feed))
        .route("/feeds/bodies/{id}", get(feeds::body_feed))
        .route("/feeds/categories/{id}", get(feeds::category_feed))
        .route("/robots.txt", get(feeds::robots))
        .route("/sitemap.xml", get(feeds::sitemap_index))
        .route("/{sitemap}", get(feeds::sitemap_file))
        // 依申请公开: the public form, the receipt, the applicant's view.
        .route(
            "/apply",
            get(applications::view_apply_get).post(applications::view_apply_post),
        )
        .route(
            "/track",
            get(applications::view_track_get).post(applications::view_track_post),
        )
        .route("/track/{action}", post(applications::track_action))
        .route("/admin/applications", get(applications::view_cases))
        .route(
            "/admin/applications/new",
            get(applications::view_register_get).post(applications::view_register_post),
        )
        .route("/admin/applications/{id}", get(applications::view_case))
        .route(
            "/admin/applications/{id}/reveal",
            post(applications::reveal_case),
        )
        .route(
            "/admin/applications/{id}/event",
            post(applications::case_event),
        )
        .route(
            "/admin/applications/{id}/notice/{kind}",
            get(applications::case_notice),
        )
        .route(
            "/admin/applications/{id}/deliveries/{delivery}/proof",
            get(applications::delivery_proof),
        )
        .route("/track/notice", post(applications::own_notice))
        // 信箱: the mailboxes, the writer's view, published letters; the back office.
        .route("/letters", get(letters::view_letters))
        .route(
            "/letters/track",
            get(letters::view_track_get).post(letters::view_track_post),
        )
        .route("/letters/track/{action}", post(letters::track_action))
        .route("/letters/{id}", get(letters::view_published))
        .route("/mailboxes/{id}/write", get(letters::view_write_get))
        .route("/feeds/letters.atom", get(letters::letters_feed))
        .route("/credit", get(credit::view_list))
        .route("/credit/{id}", get(credit::view_record))
        .route("/feeds/credit.atom", get(credit::credit_feed))
        .route("/admin/credit", get(credit_admin::view_list))
        .route(
            "/admin/credit/new",
            get(credit_admin::view_new_get).post(credit_admin::view_new_post),
        )
        .route("/admin/credit/{id}", get(credit_admin::view_decision))
        .route("/admin/credit/{id}/reveal", post(credit_admin::reveal))
        .route("/admin/credit/{id}/publish", post(credit_admin::publish))
        .route("/admin/credit/{id}/withdraw", post(credit_admin::withdraw))
        .route("/admin/credit/{id}/void", post(credit_admin::void))
        .route("/services", get(services::view_list))
        .route("/services/reform", get(services::view_reform))
        .route("/services/{id}", get(services::view_guide))
        .route("/services/{id}/history", get(services::view_history))
        .route("/services/{id}/card.pdf", get(services::service_card))
        .route(
            "/bodies/{id}/services/handbook.pdf",
            get(services::service_handbook),
        )
        .route("/fees", get(services::view_fees))
        .route("/feeds/services.atom", get(services::services_feed))
        .route("/admin/services", get(services_admin::view_list))
        .route(
            "/admin/services/new",
            get(services_admin::view_new_get).post(services_admin::view_new_post),
        )
        .route("/admin/services/{id}", get(services_admin::view_item))
        .route(
            "/admin/services/{id}/change",
            get(services_admin::view_change_get).post(services_admin::view_change_post),
        )
        .route(
            "/admin/service-versions/{id}/publish",
            post(services_admin::publish_version),
        )
        .route("/admin/fees", get(services_admin::view_fees))
        .route("/admin/imports", get(imports::view).post(imports::upload))
        .route(
            "/admin/imports/{kind}/template.xlsx",
            get(imports::template),
        )
        .route("/admin/fees/new", post(services_admin::create_fee))
        .route("/admin/fees/{id}/amount", post(services_admin::set_amount))
        .route("/admin/fees/{id}/cancel", post(services_admin::cancel_fee))
        .route("/admin/letters", get(letters_admin::view_list))
        .route("/admin/letters/{id}", get(letters_admin::view_letter))
        .route("/admin/letters/{id}/act", post(letters_admin::letter_act))
        .route("/admin/letters/{id}/reveal", post(letters_admin::reveal))
        .route("/admin/letters/{id}/publish", post(letters_admin::publish))
        .route(
            "/admin/letters/{id}/unpublish",
            post(letters_admin::unpublish),
        )
        .route("/admin/letters/{id}/convert", post(letters_admin::convert))
        .route(
            "/admin/applications/{id}/to-letter",
            post(letters_admin::application_to_letter),
        )
        .route(
            "/admin/letters/{id}/files/{file}",
            get(letters_admin::download_file),
        )
        .route("/admin/mailboxes", get(mailboxes::view_mailboxes))
        .route(
            "/admin/mailboxes/new",
            get(mailboxes::view_new_get).post(mailboxes::view_new_post),
        )
        .route(
            "/admin/mailboxes/{id}",
            get(mailboxes::view_edit_get).post(mailboxes::view_edit_post),
        )
        .route("/static/app.css", get(portal::static_css))
        .route("/display", get(portal::set_display))
        .route("/healthz", get(portal::healthz))
        .route("/metrics", get(portal::metrics))
        // Sign-in and the account.
        .route(
            "/login",
            get(account::view_login_get).post(account::view_login_post),
        )
        .route(
            "/login/totp",
            get(account::view_totp_get).post(account::view_totp_post),
        )
        .route("/logout", post(account::logout))
        .route(
            "/account/password",
            get(account::view_password_get).post(account::view_password_post),
        )
        .route(
            "/account/totp",
            get(account::view_totp_setup_get).post(account::view_totp_setup_post),
        )
        .route("/account/sessions", get(account::view_sessions))
        .route("/account/sessions/end", post(account::end_own_session))
        // Back office.
        .route("/admin", get(admin::view_dashboard))
        .route("/admin/acting-body", post(admin::set_acting_body))
        .route("/admin/bodies", get(admin::view_bodies))
        .route(
            "/admin/bodies/new",
            get(admin::view_body_new_get).post(admin::view_body_new_post),
        )
        .route(
            "/admin/bodies/{id}/edit",
            get(admin::view_body_edit_get).post(admin::view_body_edit_post),
        )
        .route(
            "/admin/bodies/{id}/catalogue",
            get(catalogue::view_catalogue_admin).post(catalogue::post_catalogue_admin),
        )
        .route("/admin/bodies/{id}/notices", get(notices::view_notices))
        .route(
            "/admin/bodies/{id}/notices/{kind}",
            get(notices::view_notice_edit).post(notices::post_notice_edit),
        )
        .route("/admin/users", get(admin::view_users))
        .route(
            "/admin/users/new",
            get(admin::view_user_new_get).post(admin::view_user_new_post),
        )
        .route("/admin/users/{id}", get(admin::view_user))
        .route("/admin/users/{id}/grant", post(admin::grant_role))
        .route("/admin/users/{id}/action", post(admin::user_action))
        .route("/admin/grants/{id}/revoke", post(admin::revoke_role))
        .route(
            "/admin/tokens",
            get(tokens::view_tokens).post(tokens::issue_token),
        )
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke_token))
        .route("/admin/audit", get(admin::view_audit))
        .route("/admin/calendar", get(admin::view_calendar))
        // 主动公开 in the back office.
        .route("/admin/items", get(items::view_items))
        .route(
            "/admin/items/new",
            get(items::view_item_new_get).post(items::view_item_new_post),
        )
        .route("/admin/items/{id}", get(items::view_item))
        .route(
            "/admin/items/{id}/edit",
            get(items::view_item_edit_get).post(items::view_item_edit_post),
        )
        .route("/admin/items/{id}/step", post(items::item_step))
        .route(
            "/admin/items/{id}/findings/{finding}",
            post(items::resolve_finding),
        )
        .route("/admin/items/{id}/revise", post(items::revise_item))
        .route("/admin/items/{id}/withdraw", post(items::withdraw_item))
        .route("/admin/items/{id}/validity", post(items::set_validity))
        .route(
            "/admin/items/{id}/attachments/{att}",
            get(items::download_attachment),
        )
        .route(
            "/admin/items/{id}/attachments/{att}/remove",
            post(items::remove_attachment),
        )
        // JSON API (the staff API is nested at /api/v1/admin) and its OpenAPI document.
        .route("/api/openapi.json", get(api::openapi_json))
        .nest("/api/v1", api::routes())
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.max_body_bytes,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.config.max_body_bytes,
        ))
        // Uploads have their own, larger limit.
        .merge(
            Router::new()
                .route(
                    "/admin/items/{id}/attachments",
                    post(items::upload_attachments),
                )
                .route(
                    "/admin/applications/{id}/delivery",
                    post(applications::record_delivery),
                )
                .route("/mailboxes/{id}/write", post(letters::view_write_post))
                .route(
                    "/api/v1/admin/items/{id}/attachments",
                    post(api_admin::upload_attachments),
                )
                .layer(axum::extract::DefaultBodyLimit::max(
                    state.config.max_upload_bytes + 64 * 1024,
                ))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    state.config.max_upload_bytes + 64 * 1024,
                )),
        )
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session_and_csrf,
        ))
        .layer(axum::middleware::from_fn(middleware::error_pages))
        .layer(axum::middleware::from_fn(middleware::display_prefs))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::page_cache,
        ))
        .layer(axum::middleware::from_fn(middleware::conditional_get));
    middleware::apply_common(app, &state.config).with_state(state)
}

/// Serve until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The search index catches up with the change log now and then continuously.
    let follower = state.search.follow(state.store.clone(), state.search_every);
    let mailer = mail::spawn(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let r = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    follower.abort();
    if let Some(m) = mailer {
        m.abort();
    }
    r
}
