//! The 政府信息公开 column, the same for every body: the column's front page, the
//! 政府信息公开指南 (generated from the body's data plus its own text), the 政府信息公开制度,
//! the annual reports, and the way to 依申请公开.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use gongkai_domain::disclosure::ANNUAL_REPORT_KEY;
use gongkai_store::bodies::Body;
use gongkai_store::browse::{BrowseFilter, Cursor, Order};
use gongkai_store::disclosure::{Category, PublicListRow};

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::render::markdown;
use crate::views::Chrome;

async fn body_of(state: &AppState, id: &str) -> Result<Body, AppError> {
    let id = id
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or(AppError::NotFound)?;
    Ok(state.store.get_body(id).await?)
}

async fn latest(state: &AppState, f: BrowseFilter, n: i64) -> Result<Vec<PublicListRow>, AppError> {
    Ok(state
        .store
        .browse_public(&f, Order::default(), Cursor::First, n)
        .await?
        .0)
}

/// The top-level categories of a body's catalogue (the headings of its 法定主动公开内容).
fn top_categories(cats: Vec<Category>) -> Vec<Category> {
    cats.into_iter().filter(|c| c.parent_id.is_none()).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "public/xxgk.html")]
pub struct ColumnPage {
    pub chrome: Chrome,
    pub body: Body,
    pub headings: Vec<Category>,
    pub latest: Vec<PublicListRow>,
}

pub async fn view_column(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<ColumnPage, AppError> {
    let body = body_of(&state, &id).await?;
    let headings = top_categories(state.store.list_categories(body.id).await?);
    let latest = latest(
        &state,
        BrowseFilter {
            body_id: Some(body.id),
            ..Default::default()
        },
        10,
    )
    .await?;
    Ok(ColumnPage {
        chrome: Chrome::public(&state, &format!("{} · 政府信息公开", body.name), a.as_ref()),
        body,
        headings,
        latest,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/guide.html")]
pub struct GuidePage {
    pub chrome: Chrome,
    pub body: Body,
    pub headings: Vec<Category>,
    pub own_text: String,
    pub updated: String,
}

pub async fn view_guide(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<GuidePage, AppError> {
    let body = body_of(&state, &id).await?;
    let settings = state.store.body_settings(body.id).await?;
    let headings = top_categories(state.store.list_categories(body.id).await?);
    Ok(GuidePage {
        chrome: Chrome::public(
            &state,
            &format!("{} · 政府信息公开指南", body.name),
            a.as_ref(),
        ),
        updated: crate::views::fmt_ms(body.updated_at)
            .get(..10)
            .unwrap_or_default()
            .to_string(),
        own_text: markdown(&settings.guide_text),
        body,
        headings,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/rules.html")]
pub struct RulesPage {
    pub chrome: Chrome,
    pub body: Body,
    pub text: String,
}

pub async fn view_rules(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<RulesPage, AppError> {
    let body = body_of(&state, &id).await?;
    let settings = state.store.body_settings(body.id).await?;
    Ok(RulesPage {
        chrome: Chrome::public(
            &state,
            &format!("{} · 政府信息公开制度", body.name),
            a.as_ref(),
        ),
        text: markdown(&settings.rules_text),
        body,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/annual.html")]
pub struct AnnualPage {
    pub chrome: Chrome,
    pub body: Body,
    pub reports: Vec<PublicListRow>,
    /// Years with a published (or imported) report in the official format.
    pub years: Vec<i64>,
}

pub async fn view_annual(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<AnnualPage, AppError> {
    let body = body_of(&state, &id).await?;
    let cats = state.store.list_categories(body.id).await?;
    let roots: Vec<&Category> = cats
        .iter()
        .filter(|c| c.template_key == ANNUAL_REPORT_KEY)
        .collect();
    let ids: Vec<i64> = cats
        .iter()
        .filter(|c| roots.iter().any(|r| c.path.starts_with(&r.path)))
        .map(|c| c.id)
        .collect();
    let reports = latest(
        &state,
        BrowseFilter {
            body_id: Some(body.id),
            category_ids: Some(ids),
            ..Default::default()
        },
        100,
    )
    .await?;
    Ok(AnnualPage {
        chrome: Chrome::public(
            &state,
            &format!("{} · 政府信息公开工作年度报告", body.name),
            a.as_ref(),
        ),
        years: state.store.annual_report_years(body.id).await?,
        body,
        reports,
    })
}
