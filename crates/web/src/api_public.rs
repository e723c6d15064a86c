//! The public JSON API for published information: categories, items (filtered as in browsing,
//! cursor pagination), one item with its attachments, and full-text search. Only published,
//! public items are ever returned; a withdrawn item answers with its withdrawal notice only.

use axum::Json;
use axum::extract::{Path, Query, State};
use gongkai_domain::disclosure::Validity;
use gongkai_store::browse::{Cursor, Order};
use gongkai_store::disclosure::PublicListRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, AppError};
use crate::handlers::browse::store_filter;
use crate::handlers::search::{Filters, run};

fn bad(msg: &str) -> ApiError {
    ApiError(AppError::BadRequest(msg.into()))
}

/// A category of a body's catalogue.
#[derive(Serialize, ToSchema)]
pub struct PublicCategory {
    pub id: i64,
    pub body_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Depth in the tree (0 for a top-level category).
    pub depth: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PublicCategoryList {
    pub items: Vec<PublicCategory>,
}

#[derive(Deserialize, IntoParams)]
pub struct CategoryParams {
    /// The body whose catalogue to list.
    pub body: Option<String>,
}

/// A body's catalogue (法定主动公开内容), in tree order.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "public",
    params(CategoryParams),
    responses(
        (status = 200, description = "栏目", body = PublicCategoryList),
        (status = 400, description = "缺少或无效的 body", body = crate::api::ErrorBody),
        (status = 404, description = "没有该机关", body = crate::api::ErrorBody),
    )
)]
pub async fn list_categories(
    State(state): State<AppState>,
    Query(p): Query<CategoryParams>,
) -> Result<Json<PublicCategoryList>, ApiError> {
    let body: i64 = p
        .body
        .as_deref()
        .and_then(|b| b.parse().ok())
        .ok_or_else(|| bad("请用 body 参数指定机关编号"))?;
    state.store.get_body(body).await?;
    let items = state
        .store
        .list_categories(body)
        .await?
        .into_iter()
        .map(|c| PublicCategory {
            depth: c.depth() as i64,
            id: c.id,
            body_id: c.body_id,
            parent_id: c.parent_id,
            name: c.name,
        })
        .collect();
    Ok(Json(PublicCategoryList { items }))
}

/// An item in a list.
#[derive(Serialize, ToSchema)]
pub struct PublicItem {
    pub id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    pub category_id: i64,
    /// 索引号.
    pub index_no: Option<String>,
    /// 发文字号.
    pub doc_no: String,
    /// 发布日期.
    #[schema(format = Date)]
    pub published_on: Option<String>,
    #[schema(schema_with = crate::api_admin::validity_schema)]
    pub validity: String,
    #[schema(schema_with = crate::api_admin::item_status_schema)]
    pub status: String,
    /// The page of the item.
    pub url: String,
}

impl From<PublicListRow> for PublicItem {
    fn from(r: PublicListRow) -> Self {
        PublicItem {
            url: format!("/items/{}", r.id),
            id: r.id,
            title: r.title,
            body_id: r.body_id,
            body_name: r.body_name,
            category_id: r.category_id,
            index_no: r.index_no,
            doc_no: r.doc_no,
            published_on: r.published_on,
            validity: r.validity,
            status: r.status,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PublicItemPage {
    pub items: Vec<PublicItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// How many items match the filters.
    pub total: i64,
}

#[derive(Deserialize, IntoParams)]
pub struct ItemParams {
    /// 机关编号.
    pub body: Option<String>,
    /// 栏目编号 (sub-categories included).
    pub category: Option<String>,
    /// 发布年份.
    pub year: Option<String>,
    #[param(schema_with = crate::api::validity_param_schema)]
    pub validity: Option<String>,
    #[param(schema_with = subject_param_schema)]
    pub subject: Option<String>,
    #[param(schema_with = browse_sort_schema)]
    pub sort: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
}

fn limit_of(s: &Option<String>) -> Result<i64, ApiError> {
    match s.as_deref() {
        None | Some("") => Ok(20),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| bad("limit 应为 1 到 100 之间的整数")),
    }
}

/// Published items, newest first, filtered as in browsing, with cursor pagination.
#[utoipa::path(
    get,
    path = "/api/v1/items",
    tag = "public",
    params(ItemParams),
    responses(
        (status = 200, description = "一页信息", body = PublicItemPage),
        (status = 400, description = "无效的参数", body = crate::api::ErrorBody),
    )
)]
pub async fn list_items(
    State(state): State<AppState>,
    Query(p): Query<ItemParams>,
) -> Result<Json<PublicItemPage>, ApiError> {
    let limit = limit_of(&p.limit)?;
    if let Some(v) = p.validity.as_deref()
        && !v.is_empty()
        && Validity::parse(v).is_none()
    {
        return Err(bad("validity 应为 valid、expired 或 repealed"));
    }
    let f = Filters {
        body: p.body,
        category: p.category,
        year: p.year,
        validity: p.validity,
        sort: p.sort,
        subject: p.subject,
    }
    .clean();
    let cursor = match p.cursor.as_deref() {
        None | Some("") => Cursor::First,
        Some(c) => {
            let (a, b) = c.split_once('_').ok_or_else(|| bad("cursor 无效"))?;
            Cursor::After(
                a.parse().map_err(|_| bad("cursor 无效"))?,
                b.parse().map_err(|_| bad("cursor 无效"))?,
            )
        }
    };
    let filter = match store_filter(&state, &f).await {
        Err(AppError::NotFound) => return Err(bad("没有该栏目")),
        r => r?,
    };
    let (rows, more) = state
        .store
        .browse_public(
            &filter,
            Order {
                oldest_first: f.oldest_first,
            },
            cursor,
            limit,
        )
        .await?;
    let next_cursor = if more {
        rows.last()
            .map(|r| format!("{}_{}", r.published_at.unwrap_or(0), r.id))
    } else {
        None
    };
    let total = state.counts.count(&state, &filter).await?;
    Ok(Json(PublicItemPage {
        items: rows.into_iter().map(PublicItem::from).collect(),
        next_cursor,
        total,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PublicAttachment {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub mime: String,
    pub sha256: String,
    /// Download address.
    pub url: String,
}

/// One published item with its metadata, text and attachments.
#[derive(Serialize, ToSchema)]
pub struct PublicItemDetail {
    pub id: i64,
    pub title: String,
    pub body_id: i64,
    /// 发布机构.
    pub body_name: String,
    pub category_id: i64,
    pub category_name: String,
    pub index_no: Option<String>,
    pub doc_no: String,
    /// 成文日期.
    #[schema(format = Date)]
    pub written_on: Option<String>,
    #[schema(format = Date)]
    pub published_on: Option<String>,
    #[schema(schema_with = crate::api_admin::subject_or_empty_schema)]
    pub subject: String,
    #[schema(schema_with = crate::api_admin::validity_schema)]
    pub validity: String,
    #[schema(schema_with = crate::api_admin::item_status_schema)]
    pub status: String,
    /// The text (Markdown); empty for a withdrawn item.
    pub body_md: String,
    pub attachments: Vec<PublicAttachment>,
    /// 解读 ↔ 文件 and other related published items.
    pub related: Vec<PublicItem>,
    /// Why it was withdrawn (withdrawn items only).
    pub withdrawn_reason: Option<String>,
    pub url: String,
}

/// One published item.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "信息编号")),
    responses(
        (status = 200, description = "信息", body = PublicItemDetail),
        (status = 400, description = "编号不是整数", body = crate::api::ErrorBody),
        (status = 404, description = "没有该公开信息", body = crate::api::ErrorBody),
    )
)]
pub async fn get_item(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicItemDetail>, ApiError> {
    let id: i64 = id.parse().map_err(|_| bad("信息编号应为整数"))?;
    let item = state.store.get_item(id).await?;
    let public =
        matches!(item.status.as_str(), "published" | "withdrawn") && item.scope == "public";
    if !public {
        return Err(ApiError(AppError::NotFound));
    }
    let withdrawn = item.status == "withdrawn";
    let body = state.store.get_body(item.body_id).await?;
    let category = state.store.get_category(item.category_id).await?;
    let version = match (withdrawn, item.published_version_id) {
        (false, Some(v)) => Some(state.store.get_version(v).await?),
        _ => None,
    };
    let attachments = match &version {
        Some(v) => state
            .store
            .attachments_of_version(v.id)
            .await?
            .into_iter()
            .map(|a| PublicAttachment {
                url: format!("/items/{id}/attachments/{}", a.id),
                id: a.id,
                name: a.name,
                size: a.size,
                mime: a.mime,
                sha256: a.sha256,
            })
            .collect(),
        None => vec![],
    };
    let related = if withdrawn {
        vec![]
    } else {
        state
            .store
            .related_public(id)
            .await?
            .into_iter()
            .map(PublicItem::from)
            .collect()
    };
    Ok(Json(PublicItemDetail {
        url: format!("/items/{id}"),
        id,
        title: item.title,
        body_id: body.id,
        body_name: body.name,
        category_id: category.id,
        category_name: category.name,
        index_no: item.index_no,
        doc_no: item.doc_no,
        written_on: version.as_ref().and_then(|v| v.written_on.clone()),
        published_on: item.published_on,
        subject: version
            .as_ref()
            .map(|v| v.subject.clone())
            .unwrap_or_default(),
        validity: item.validity,
        status: item.status,
        body_md: version.map(|v| v.body_md).unwrap_or_default(),
        attachments,
        related,
        withdrawn_reason: withdrawn.then_some(item.withdrawn_reason),
    }))
}

/// A search result.
#[derive(Serialize, ToSchema)]
pub struct SearchHitJson {
    pub id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    pub index_no: String,
    pub doc_no: String,
    #[schema(format = Date)]
    pub published_on: Option<String>,
    #[schema(schema_with = crate::api_admin::validity_schema)]
    pub validity: String,
    /// A passage around the first match; matches are wrapped in 【】.
    pub snippet: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResults {
    pub total: i64,
    pub offset: i64,
    pub items: Vec<SearchHitJson>,
}

fn subject_param_schema() -> utoipa::openapi::schema::Object {
    let v: Vec<(&str, &str)> = gongkai_domain::disclosure::SUBJECTS
        .iter()
        .map(|t| (*t, *t))
        .collect();
    crate::api::param_schema(&v, "主题分类（省略为全部）")
}

fn browse_sort_schema() -> utoipa::openapi::schema::Object {
    crate::api::param_schema(&[("old", "最早的在前")], "排序（省略为最新的在前）")
}

fn search_sort_schema() -> utoipa::openapi::schema::Object {
    crate::api::param_schema(&[("date", "最新的在前")], "排序（省略为按相关度）")
}

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// The query: words (all required), "quoted phrases", a 文号 or 索引号. At most 200 characters.
    pub q: Option<String>,
    pub body: Option<String>,
    pub category: Option<String>,
    pub year: Option<String>,
    #[param(schema_with = crate::api::validity_param_schema)]
    pub validity: Option<String>,
    #[param(schema_with = search_sort_schema)]
    pub sort: Option<String>,
    /// Results to skip (0–980).
    pub offset: Option<String>,
    /// 1–100 (default 20).
    pub limit: Option<String>,
}

/// Full-text search of published items. Query errors answer 422 with code `query_empty`,
/// `query_too_long` or `query_no_terms`.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "public",
    params(SearchParams),
    responses(
        (status = 200, description = "结果", body = SearchResults),
        (status = 400, description = "无效的参数", body = crate::api::ErrorBody),
        (status = 422, description = "无法检索的查询", body = crate::api::ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let limit = limit_of(&p.limit)?;
    let offset: i64 = match p.offset.as_deref() {
        None | Some("") => 0,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=980).contains(n))
            .ok_or_else(|| bad("offset 应为 0 到 980 之间的整数"))?,
    };
    let clauses = gongkai_search::parse_query(p.q.as_deref().unwrap_or("")).map_err(|e| {
        ApiError(AppError::Unprocessable {
            code: e.code(),
            message: e.to_string(),
            fields: vec![],
        })
    })?;
    let f = Filters {
        body: p.body,
        category: p.category,
        year: p.year,
        validity: p.validity,
        sort: p.sort,
        subject: None,
    }
    .clean();
    let o = run(&state, clauses, &f, offset as usize, limit as usize).await?;
    let mark = |pieces: &[gongkai_search::Piece]| -> String {
        pieces
            .iter()
            .map(|p| {
                if p.hit {
                    format!("【{}】", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    };
    Ok(Json(SearchResults {
        total: o.total as i64,
        offset,
        items: o
            .hits
            .iter()
            .map(|h| SearchHitJson {
                id: h.id,
                title: h.title.clone(),
                body_id: h.body_id,
                body_name: h.body_name.clone(),
                index_no: h.index_no.clone(),
                doc_no: h.doc_no.clone(),
                published_on: h.published_on.clone(),
                validity: h.validity.clone(),
                snippet: mark(&h.snippet),
                url: h.href.clone(),
            })
            .collect(),
    }))
}
