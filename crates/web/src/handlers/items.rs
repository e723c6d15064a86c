//! 主动公开 in the back office: item lists by workflow state, the editor, screening findings,
//! the review-before-publish steps, revisions, withdrawal and validity changes. Every rule is the
//! domain's (`disclosure::transition`) applied by the store in one transaction.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use gongkai_domain::access::Permission;
use gongkai_domain::disclosure::{
    self as d, Conclusion, ItemInput, Step, VersionState, WithholdGround,
};
use gongkai_domain::screening::{self, FindingKind};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::disclosure::{
    Category, FindingRow, Item, ItemListRow, LedgerRow, StepInput, Version, WorkflowStep,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome, FormErrors, fmt_ms};

fn sees_items(a: &Authed, path: &str) -> bool {
    a.actor.can_any(gongkai_domain::access::ITEM_READERS, path)
}

fn item_scope(a: &Authed) -> gongkai_domain::access::Scope {
    a.actor.scope_any(gongkai_domain::access::ITEM_READERS)
}

#[derive(Template, WebTemplate)]
#[template(path = "items/list.html")]
pub struct ItemsPage {
    pub chrome: Chrome,
    pub tab: String,
    pub tabs: Vec<(&'static str, &'static str, bool)>,
    pub items: Vec<ItemListRow>,
    pub due: Vec<ItemListRow>,
    pub can_create: bool,
    pub today: String,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub tab: String,
}

pub async fn view_items(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<ItemsPage, AppError> {
    let scope = item_scope(&a);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let tab = if q.tab.is_empty() {
        if a.actor.has_anywhere(Permission::ApproveItems) {
            "pending_approval"
        } else if a.actor.has_anywhere(Permission::ReviewItems) {
            "pending_review"
        } else {
            "draft"
        }
        .to_string()
    } else {
        q.tab.clone()
    };
    let state_filter = match tab.as_str() {
        "all" => None,
        t => Some(VersionState::parse(t).ok_or(AppError::NotFound)?),
    };
    let items = state
        .store
        .list_items_admin(&scope, state_filter, 200)
        .await?;
    let cal = state.calendar();
    let until = cal.add_working_days(today(), 5).unwrap_or(today());
    let due = state.store.list_due(&scope, until).await?;
    let tabs = [
        ("draft", "草稿"),
        ("pending_review", "待保密审查"),
        ("pending_approval", "待审批"),
        ("scheduled", "待定时发布"),
        ("all", "全部"),
    ]
    .into_iter()
    .map(|(k, l)| (k, l, k == tab))
    .collect();
    Ok(ItemsPage {
        chrome: Chrome::admin(&state, &a, "主动公开", "/admin/items").await,
        tab,
        tabs,
        items,
        due,
        can_create: a.actor.has_anywhere(Permission::EditItems),
        today: today().to_string(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "items/form.html")]
pub struct ItemFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub body: Option<Body>,
    pub bodies: Vec<BodyOption>,
    pub categories: Vec<(Category, bool)>,
    pub input: ItemInput,
    pub token: i64,
    pub errors: FormErrors,
    pub subjects: Vec<(&'static str, bool)>,
    pub scopes: Vec<(&'static str, &'static str, bool)>,
    pub methods: Vec<(&'static str, &'static str, bool)>,
    pub normatives: Vec<(&'static str, &'static str, bool)>,
}

fn choices<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    current: &str,
) -> Vec<(&'static str, &'static str, bool)> {
    all.iter()
        .map(|v| (key(*v), label(*v), key(*v) == current))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn item_form(
    state: &AppState,
    a: &Authed,
    heading: &str,
    action: String,
    body: Option<Body>,
    category_id: Option<i64>,
    input: ItemInput,
    token: i64,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let scope = a.actor.scope(Permission::EditItems);
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .map(|b| BodyOption {
            selected: body.as_ref().is_some_and(|x| x.id == b.id),
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            id: b.id,
        })
        .collect();
    let categories = match &body {
        Some(b) => state
            .store
            .list_categories(b.id)
            .await?
            .into_iter()
            .map(|c| {
                let sel = Some(c.id) == category_id;
                (c, sel)
            })
            .collect(),
        None => vec![],
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ItemFormPage {
        chrome: Chrome::admin(state, a, heading, "/admin/items").await,
        heading: heading.to_string(),
        action,
        body,
        bodies,
        categories,
        subjects: d::SUBJECTS
            .iter()
            .map(|s| (*s, *s == input.subject))
            .collect(),
        scopes: choices(
            d::Scope::ALL,
            d::Scope::as_str,
            d::Scope::label,
            if input.scope.is_empty() {
                "public"
            } else {
                &input.scope
            },
        ),
        methods: choices(
            d::OpenMethod::ALL,
            d::OpenMethod::as_str,
            d::OpenMethod::label,
            if input.open_method.is_empty() {
                "proactive"
            } else {
                &input.open_method
            },
        ),
        normatives: choices(
            d::NormativeKind::ALL,
            d::NormativeKind::as_str,
            d::NormativeKind::label,
            if input.normative_kind.is_empty() {
                "none"
            } else {
                &input.normative_kind
            },
        ),
        input,
        token,
        errors,
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    pub body: Option<i64>,
}

pub async fn view_item_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::EditItems) {
        return Err(AppError::Forbidden);
    }
    let body = match q.body.or(a.acting_body_id).or(Some(a.user.body_id)) {
        Some(id) => state
            .store
            .get_body(id)
            .await
            .ok()
            .filter(|b| a.actor.can(Permission::EditItems, &b.path)),
        None => None,
    };
    let input = ItemInput {
        formed_on: today().to_string(),
        ..Default::default()
    };
    item_form(
        &state,
        &a,
        "撰写信息",
        "/admin/items/new".into(),
        body,
        None,
        input,
        0,
        FormErrors::default(),
    )
    .await
}

fn form_value(fields: &[(String, String)], k: &str) -> String {
    fields
        .iter()
        .find(|(f, _)| f == k)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn item_input(fields: &[(String, String)]) -> ItemInput {
    let g = |k: &str| form_value(fields, k);
    ItemInput {
        title: g("title"),
        doc_no: g("doc_no"),
        written_on: g("written_on"),
        formed_on: g("formed_on"),
        subject: g("subject"),
        keywords: g("keywords"),
        summary: g("summary"),
        body_md: g("body_md"),
        scope: g("scope"),
        open_method: g("open_method"),
        normative_kind: g("normative_kind"),
        related: g("related"),
    }
}

fn errors_of(errs: Vec<(&'static str, String)>) -> FormErrors {
    let mut f = FormErrors::default();
    for (k, m) in errs {
        f.field(k, m);
    }
    f
}

/// The due date under 条例第二十六条, or the limit of the category's 标准目录 row (shared with the
/// staff API).
pub async fn due_for(
    state: &AppState,
    category_id: i64,
    formed_on: NaiveDate,
) -> Option<NaiveDate> {
    let row = state
        .store
        .get_category(category_id)
        .await
        .ok()
        .and_then(|c| c.standard_row_id);
    let days = match row {
        Some(r) => state
            .store
            .get_standard_row(r)
            .await
            .ok()
            .and_then(|r| r.time_limit_days)
            .and_then(|d| u32::try_from(d).ok()),
        None => None,
    };
    d::due_on(&state.calendar(), formed_on, days).ok()
}

pub async fn view_item_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let body_id: i64 = form_value(&fields, "body_id").parse().unwrap_or(0);
    let body = state
        .store
        .get_body(body_id)
        .await
        .map_err(|_| AppError::Forbidden)?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let input = item_input(&fields);
    let category_id: Option<i64> = form_value(&fields, "category_id").parse().ok();
    // Choosing another body only reloads the form with that body's catalogue.
    if form_value(&fields, "reload") == "1" {
        return item_form(
            &state,
            &a,
            "撰写信息",
            "/admin/items/new".into(),
            Some(body),
            None,
            input,
            0,
            FormErrors::default(),
        )
        .await;
    }
    let mut errors = match input.validate(today()) {
        Ok(_) => FormErrors::default(),
        Err(e) => errors_of(e),
    };
    let category = match category_id {
        Some(c) => state
            .store
            .get_category(c)
            .await
            .ok()
            .filter(|c| c.body_id == body.id),
        None => None,
    };
    if category.is_none() {
        errors.field("category_id", "请选择本机关公开目录中的栏目");
    }
    if !errors.is_empty() {
        return item_form(
            &state,
            &a,
            "撰写信息",
            "/admin/items/new".into(),
            Some(body),
            category_id,
            input,
            0,
            errors,
        )
        .await;
    }
    let (Ok(f), Some(cat)) = (input.validate(today()), category) else {
        return Err(AppError::BadRequest("表单无效".into()));
    };
    let due = due_for(&state, cat.id, f.formed_on).await;
    let (item_id, _) = state
        .store
        .create_item(body.id, cat.id, &f, due, &a.who())
        .await?;
    Ok(Redirect::to(&format!("/admin/items/{item_id}?done=created")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "items/detail.html")]
pub struct ItemDetailPage {
    pub chrome: Chrome,
    pub item: Item,
    pub body: Body,
    pub category: Option<Category>,
    pub working: Option<Version>,
    pub published: Option<Version>,
    pub versions: Vec<Version>,
    pub steps: Vec<WorkflowStep>,
    pub findings: Vec<FindingRow>,
    pub ledger: Vec<LedgerRow>,
    pub can_edit: bool,
    pub can_submit: bool,
    pub can_review: bool,
    pub can_approve: bool,
    pub can_revise: bool,
    pub can_withdraw: bool,
    pub can_validity: bool,
    pub can_resolve: bool,
    pub conclusions: Vec<(&'static str, &'static str)>,
    pub grounds: Vec<(&'static str, &'static str)>,
    pub validities: Vec<(&'static str, &'static str, bool)>,
    pub body_html: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub attachments: Vec<gongkai_store::disclosure::AttachmentRow>,
    pub max_upload_mb: usize,
}

impl ItemDetailPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
    pub fn when_opt(&self, ms: &Option<i64>) -> String {
        ms.map(fmt_ms).unwrap_or_default()
    }
    pub fn step_label(&self, s: &str) -> String {
        let (key, rest) = match s.find('（') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let l = match key {
            "create" => "创建草稿",
            "edit" => "修改",
            "submit" => "提交保密审查",
            "review" => "保密审查通过",
            "withhold" => "保密审查：不予公开",
            "approve" => "审批并发布",
            "schedule" => "审批并定时发布",
            "return" => "退回修改",
            "revise" => "开始修订",
            "publish_scheduled" => "定时发布",
            other => other,
        };
        format!("{l}{rest}")
    }
    pub fn kind_label(&self, k: &str) -> &'static str {
        FindingKind::parse(k).map(|k| k.label()).unwrap_or("")
    }
    pub fn field_label(&self, f: &str) -> &'static str {
        match f {
            "title" => "标题",
            "summary" => "内容概述",
            "keywords" => "关键词",
            "body_md" => "正文",
            _ => "附件",
        }
    }
    pub fn maskable(&self, f: &FindingRow) -> bool {
        FindingKind::parse(&f.kind).is_some_and(|k| k.maskable()) && f.field != "attachment"
    }
}

#[derive(Deserialize, Default)]
pub struct DetailQuery {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    error: Option<String>,
    notice: Option<String>,
) -> Result<ItemDetailPage, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !sees_items(a, &body.path) {
        return Err(AppError::NotFound);
    }
    let working = match item.working_version_id {
        Some(v) => Some(state.store.get_version(v).await?),
        None => None,
    };
    let published = match item.published_version_id {
        Some(v) => Some(state.store.get_version(v).await?),
        None => None,
    };
    let shown = working.as_ref().or(published.as_ref());
    let findings = match &working {
        Some(w) => state.store.findings_of(w.id).await?,
        None => vec![],
    };
    let p = &body.path;
    let ws = working.as_ref().map(|w| w.state());
    let is_author = working.as_ref().is_some_and(|w| w.author_id == a.user.id);
    let status = item.status();
    Ok(ItemDetailPage {
        chrome: Chrome::admin(state, a, &item.title, "/admin/items").await,
        category: state.store.get_category(item.category_id).await.ok(),
        body_html: crate::render::markdown(shown.map(|v| v.body_md.as_str()).unwrap_or("")),
        versions: state.store.versions_of(id).await?,
        steps: state.store.steps_of(id).await?,
        ledger: state.store.ledger_of(id).await?,
        can_edit: ws == Some(VersionState::Draft) && a.actor.can(Permission::EditItems, p),
        can_submit: ws == Some(VersionState::Draft) && a.actor.can(Permission::EditItems, p),
        can_review: ws == Some(VersionState::PendingReview)
            && a.actor.can(Permission::ReviewItems, p)
            && !is_author,
        can_approve: ws == Some(VersionState::PendingApproval)
            && a.actor.can(Permission::ApproveItems, p)
            && !is_author,
        can_revise: status == d::ItemStatus::Published
            && working.is_none()
            && a.actor.can(Permission::EditItems, p),
        can_withdraw: status == d::ItemStatus::Published
            && a.actor.can(Permission::ApproveItems, p),
        can_validity: status == d::ItemStatus::Published
            && (a.actor.can(Permission::EditItems, p) || a.actor.can(Permission::ApproveItems, p)),
        can_resolve: matches!(
            ws,
            Some(VersionState::Draft | VersionState::PendingReview | VersionState::PendingApproval)
        ) && (a.actor.can(Permission::EditItems, p)
            || a.actor.can(Permission::ReviewItems, p)),
        conclusions: vec![
            (Conclusion::Disclose.as_str(), Conclusion::Disclose.label()),
            (
                Conclusion::DiscloseRedacted.as_str(),
                Conclusion::DiscloseRedacted.label(),
            ),
        ],
        grounds: WithholdGround::ALL
            .iter()
            .map(|g| (g.as_str(), g.label()))
            .collect(),
        validities: d::Validity::ALL
            .iter()
            .map(|v| (v.as_str(), v.label(), v.as_str() == item.validity))
            .collect(),
        attachments: match shown {
            Some(v) => state.store.attachments_of_version(v.id).await?,
            None => vec![],
        },
        max_upload_mb: state.config.max_upload_bytes / 1024 / 1024,
        findings,
        working,
        published,
        item,
        body,
        error,
        notice,
    })
}

fn notice_text(done: &str) -> Option<String> {
    Some(
        match done {
            "created" => "草稿已创建",
            "saved" => "已保存",
            "submit" => "已提交保密审查",
            "review" => "保密审查已通过，已送审批",
            "withhold" => "已记录“不予公开”的审查结论",
            "approve" => "已审批并发布",
            "schedule" => "已审批，将按设定时间发布",
            "return" => "已退回修改",
            "revise" => "已创建修订草稿",
            "withdraw" => "已撤回",
            "validity" => "有效性已更新",
            "masked" => "已遮盖",
            "attached" => "附件已上传",
            "detached" => "附件已删除",
            "accepted" => "已记录接受理由",
            _ => return None,
        }
        .to_string(),
    )
}

pub async fn view_item(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<DetailQuery>,
) -> Result<ItemDetailPage, AppError> {
    let notice = q.done.as_deref().and_then(notice_text);
    detail_page(&state, &a, id, q.error, notice).await
}

pub async fn view_item_edit_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let v = state
        .store
        .get_version(item.working_version_id.ok_or(AppError::NotFound)?)
        .await?;
    if v.state() != VersionState::Draft {
        return Err(AppError::Redirect(format!(
            "/admin/items/{id}?error=not_draft"
        )));
    }
    let input = ItemInput {
        title: v.title.clone(),
        doc_no: v.doc_no.clone(),
        written_on: v.written_on.clone().unwrap_or_default(),
        formed_on: v.formed_on.clone(),
        subject: v.subject.clone(),
        keywords: v.keywords.clone(),
        summary: v.summary.clone(),
        body_md: v.body_md.clone(),
        scope: v.scope.clone(),
        open_method: v.open_method.clone(),
        normative_kind: v.normative_kind.clone(),
        related: v
            .related_ids()
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    item_form(
        &state,
        &a,
        &format!("编辑：{}", v.title),
        format!("/admin/items/{id}/edit"),
        Some(body),
        Some(item.category_id),
        input,
        v.updated_at,
        FormErrors::default(),
    )
    .await
}

pub async fn view_item_edit_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    if let Some(m) = crate::annual::report_item_refusal(&state.store, id).await? {
        return Ok(redirect_error(id, m));
    }
    let vid = item.working_version_id.ok_or(AppError::NotFound)?;
    let input = item_input(&fields);
    let token: i64 = form_value(&fields, "token").parse().unwrap_or(0);
    let heading = format!("编辑：{}", item.title);
    let action = format!("/admin/items/{id}/edit");
    let f = match input.validate(today()) {
        Ok(f) => f,
        Err(e) => {
            return item_form(
                &state,
                &a,
                &heading,
                action,
                Some(body),
                Some(item.category_id),
                input,
                token,
                errors_of(e),
            )
            .await;
        }
    };
    let due = due_for(&state, item.category_id, f.formed_on).await;
    match state
        .store
        .update_draft(vid, &f, token, due, &a.who())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/items/{id}?done=saved")).into_response()),
        Err(StoreError::Conflict(m)) => {
            item_form(
                &state,
                &a,
                &heading,
                action,
                Some(body),
                Some(item.category_id),
                input,
                token,
                FormErrors::general(m),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    pub step: String,
    #[serde(default)]
    pub version_id: i64,
    #[serde(default)]
    pub conclusion: String,
    #[serde(default)]
    pub ground: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub scheduled_at: String,
}

/// Scan the version's text fields and attachments and store the findings (before review). Shared
/// by the back office and the staff API, so both submit exactly the same way.
pub async fn screen_version(state: &AppState, v: &Version) -> Result<(), AppError> {
    let cfg = &state.config.screening;
    let mut found = Vec::new();
    for (field, text) in [
        ("title", &v.title),
        ("summary", &v.summary),
        ("keywords", &v.keywords),
        ("body_md", &v.body_md),
    ] {
        for f in screening::scan(text, cfg) {
            found.push((field.to_string(), f));
        }
    }
    for (att_id, name, text) in state.store.attachment_texts(v.id).await? {
        for mut f in screening::scan(&text, cfg) {
            f.context = format!("附件“{name}”：{}", f.context);
            found.push((format!("attachment:{att_id}"), f));
        }
    }
    state.store.save_findings(v.id, &found).await?;
    Ok(())
}

pub async fn item_step(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !sees_items(&a, &body.path) {
        return Err(AppError::NotFound);
    }
    let vid = item
        .working_version_id
        .ok_or_else(|| AppError::BadRequest("该信息没有正在办理的版本".into()))?;
    if f.version_id != 0 && f.version_id != vid {
        return Ok(redirect_error(id, "该信息已由他人处理，请查看最新状态"));
    }
    let step = match f.step.as_str() {
        "submit" => Step::Submit,
        "review" => match Conclusion::parse(&f.conclusion) {
            Some(c) if c != Conclusion::Withhold => Step::ReviewPass(c),
            _ => return Ok(redirect_error(id, "请选择保密审查结论")),
        },
        "withhold" => match WithholdGround::parse(&f.ground) {
            Some(g) => Step::ReviewWithhold(g),
            None => return Ok(redirect_error(id, "不予公开须选择法定依据")),
        },
        "approve" => Step::Approve { scheduled: false },
        "schedule" => Step::Approve { scheduled: true },
        "return" => Step::Return,
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    let scheduled_at = if matches!(step, Step::Approve { scheduled: true }) {
        match chrono::NaiveDateTime::parse_from_str(f.scheduled_at.trim(), "%Y-%m-%dT%H:%M") {
            Ok(t) => {
                let ms = t.and_utc().timestamp_millis() - 8 * 3_600_000;
                if ms <= gongkai_store::now_ms() {
                    return Ok(redirect_error(id, "定时发布的时间须晚于现在"));
                }
                Some(ms)
            }
            Err(_) => return Ok(redirect_error(id, "请填写定时发布的日期和时间")),
        }
    } else {
        None
    };
    if matches!(step, Step::Submit)
        && let Some(m) = crate::annual::report_item_refusal(&state.store, id).await?
    {
        return Ok(redirect_error(id, m));
    }
    if matches!(step, Step::Submit) {
        let v = state.store.get_version(vid).await?;
        if v.state() == VersionState::Draft && a.actor.can(Permission::EditItems, &body.path) {
            screen_version(&state, &v).await?;
        }
    }
    let input = StepInput {
        comment: f.comment.clone(),
        scheduled_at,
        today: Some(today()),
    };
    match state
        .store
        .apply_step(vid, &a.actor, &step, &input, &a.who())
        .await
    {
        Ok(outcome) => {
            if outcome.ledger_seq.is_some()
                && let Some(key) = &state.ledger_key
            {
                state.store.checkpoint_ledger(key).await?;
            }
            Ok(Redirect::to(&format!("/admin/items/{id}?done={}", step.key())).into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

fn redirect_error(id: i64, m: &str) -> Response {
    let e: String = form_urlencoded::byte_serialize(m.as_bytes()).collect();
    Redirect::to(&format!("/admin/items/{id}?error={e}")).into_response()
}

#[derive(Deserialize)]
pub struct FindingForm {
    pub resolution: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn resolve_finding(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, finding_id)): Path<(i64, i64)>,
    Form(f): Form<FindingForm>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !(a.actor.can(Permission::EditItems, &body.path)
        || a.actor.can(Permission::ReviewItems, &body.path))
    {
        return Err(AppError::Forbidden);
    }
    let vid = item.working_version_id.ok_or(AppError::NotFound)?;
    let finding = state
        .store
        .findings_of(vid)
        .await?
        .into_iter()
        .find(|x| x.id == finding_id)
        .ok_or(AppError::NotFound)?;
    let who = a.who();
    let r = match f.resolution.as_str() {
        "mask" => {
            let v = state.store.get_version(vid).await?;
            let text = match finding.field.as_str() {
                "title" => &v.title,
                "summary" => &v.summary,
                "keywords" => &v.keywords,
                "body_md" => &v.body_md,
                _ => {
                    return Ok(redirect_error(
                        id,
                        "附件中的内容不能在线遮盖，请修改附件后重新上传，或说明理由后接受",
                    ));
                }
            };
            let kind = FindingKind::parse(&finding.kind).ok_or(AppError::NotFound)?;
            let domain_finding = screening::Finding {
                kind,
                start: finding.start_pos as usize,
                end: finding.end_pos as usize,
                matched: finding.matched.clone(),
                line: 0,
                context: finding.context.clone(),
            };
            let Some(new_text) =
                screening::apply_mask(text, &domain_finding, &state.config.screening)
            else {
                return Ok(redirect_error(
                    id,
                    "该处内容已变化或不能遮盖，请重新提交以重新筛查",
                ));
            };
            state
                .store
                .resolve_finding(
                    finding_id,
                    "masked",
                    "",
                    Some((&finding.field, &new_text)),
                    &who,
                )
                .await
        }
        "accept" => {
            if f.reason.trim().chars().count() < 4 {
                return Ok(redirect_error(id, "接受筛查发现须说明理由（至少4个字）"));
            }
            state
                .store
                .resolve_finding(finding_id, "accepted", f.reason.trim(), None, &who)
                .await
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match r {
        Ok(()) => Ok(Redirect::to(&format!(
            "/admin/items/{id}?done={}",
            if f.resolution == "mask" {
                "masked"
            } else {
                "accepted"
            }
        ))
        .into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

pub async fn revise_item(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    if let Some(m) = crate::annual::report_item_refusal(&state.store, id).await? {
        return Ok(redirect_error(id, m));
    }
    match state.store.revise_item(id, &a.actor, &a.who()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/items/{id}?done=revise")).into_response()),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn withdraw_item(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, AppError> {
    match state
        .store
        .withdraw_item(id, &f.reason, &a.actor, &a.who())
        .await
    {
        Ok(_) => {
            if let Some(key) = &state.ledger_key {
                state.store.checkpoint_ledger(key).await?;
            }
            Ok(Redirect::to(&format!("/admin/items/{id}?done=withdraw")).into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ValidityForm {
    pub validity: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub replaced_by: String,
}

pub async fn set_validity(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<ValidityForm>,
) -> Result<Response, AppError> {
    let Some(v) = d::Validity::parse(&f.validity) else {
        return Ok(redirect_error(id, "请选择有效性"));
    };
    let date = if f.date.trim().is_empty() {
        None
    } else {
        match NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => return Ok(redirect_error(id, "日期无效")),
        }
    };
    let replaced_by = if f.replaced_by.trim().is_empty() {
        None
    } else {
        match f.replaced_by.trim().parse::<i64>() {
            Ok(r) => Some(r),
            Err(_) => return Ok(redirect_error(id, "替代信息应填写信息编号")),
        }
    };
    match state
        .store
        .set_validity(id, v, date, replaced_by, &a.actor, &a.who())
        .await
    {
        Ok(_) => {
            if let Some(key) = &state.ledger_key {
                state.store.checkpoint_ledger(key).await?;
            }
            Ok(Redirect::to(&format!("/admin/items/{id}?done=validity")).into_response())
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

/// Upload one or more attachments to a draft (multipart field `file`). Each file's type is
/// checked against its content; the file is durably stored before the database refers to it.
pub async fn upload_attachments(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let vid = item.working_version_id.ok_or(AppError::NotFound)?;
    let v = state.store.get_version(vid).await?;
    if v.state() != VersionState::Draft {
        return Ok(redirect_error(id, "只有草稿可以添加附件"));
    }
    let limit = state.config.max_upload_bytes;
    let mut added = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Ok(redirect_error(
                    id,
                    &format!("上传失败：文件超过{}MB或上传中断", limit / 1024 / 1024),
                ));
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .unwrap_or_default();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(_) => {
                return Ok(redirect_error(
                    id,
                    &format!("上传失败：文件超过{}MB或上传中断", limit / 1024 / 1024),
                ));
            }
        };
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        if bytes.len() > limit {
            return Ok(redirect_error(
                id,
                &format!("“{name}”超过{}MB，不能上传", limit / 1024 / 1024),
            ));
        }
        if name.is_empty() || name.chars().count() > 120 {
            return Ok(redirect_error(id, "文件名不能为空或超过120个字"));
        }
        let kind = match gongkai_files::sniff(&bytes, &name) {
            Ok(k) => k,
            Err(m) => return Ok(redirect_error(id, &format!("“{name}”：{m}"))),
        };
        let text = gongkai_files::extract_text(&bytes, kind);
        let sha = state
            .blobs
            .put(bytes.to_vec())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        state
            .store
            .add_attachment(
                vid,
                &name,
                &sha,
                bytes.len() as i64,
                kind.mime(),
                &text,
                &a.who(),
            )
            .await?;
        added += 1;
    }
    if added == 0 {
        return Ok(redirect_error(id, "请选择要上传的文件"));
    }
    Ok(Redirect::to(&format!("/admin/items/{id}?done=attached")).into_response())
}

pub async fn remove_attachment(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, att)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let at = state.store.get_attachment(att).await?;
    if Some(at.version_id) != item.working_version_id {
        return Err(AppError::NotFound);
    }
    match state.store.remove_attachment(att, &a.who()).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/items/{id}?done=detached")).into_response()),
        Err(StoreError::Conflict(m)) => Ok(redirect_error(id, &m)),
        Err(e) => Err(e.into()),
    }
}

/// Staff download of any version's attachment of an item they may see.
pub async fn download_attachment(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, att)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !sees_items(&a, &body.path) {
        return Err(AppError::NotFound);
    }
    let at = state.store.get_attachment(att).await?;
    let v = state.store.get_version(at.version_id).await?;
    if v.item_id != id {
        return Err(AppError::NotFound);
    }
    file_response(&state, &at).await
}

/// The file of an attachment, with its original name.
pub async fn file_response(
    state: &AppState,
    at: &gongkai_store::disclosure::AttachmentRow,
) -> Result<Response, AppError> {
    use axum::http::{HeaderValue, header};
    let bytes = state
        .blobs
        .get(&at.sha256)
        .await
        .map_err(|e| AppError::Internal(format!("附件文件缺失：{e}")))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&at.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&gongkai_files::content_disposition(&at.name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", at.sha256)) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}
