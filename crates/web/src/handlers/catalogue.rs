//! Administrators edit a body's 公开目录 (add, rename, reorder, remove empty categories, link a
//! 标准目录 row) and the body's publication settings (索引号 pattern, one person as reviewer and
//! approver).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use gongkai_domain::access::Permission;
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::disclosure::{BodySettings, Category, StandardRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Staff;
use crate::error::AppError;
use crate::views::Chrome;

#[derive(Template, WebTemplate)]
#[template(path = "items/catalogue_admin.html")]
pub struct CatalogueAdminPage {
    pub chrome: Chrome,
    pub body: Body,
    pub categories: Vec<Category>,
    pub standard: Vec<StandardRow>,
    pub settings: BodySettings,
    pub notice: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Flags {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
}

pub async fn view_catalogue_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<Flags>,
) -> Result<CatalogueAdminPage, AppError> {
    let body = state.store.get_body(id).await?;
    if !a.actor.can(Permission::ManageBodies, &body.path) {
        return Err(AppError::Forbidden);
    }
    Ok(CatalogueAdminPage {
        chrome: Chrome::admin(
            &state,
            &a,
            &format!("{} · 公开目录", body.name),
            "/admin/bodies",
        )
        .await,
        categories: state.store.list_categories(id).await?,
        standard: state.store.list_standard_rows().await?,
        settings: state.store.body_settings(id).await?,
        notice: q.done.map(|d| match d.as_str() {
            "added" => "栏目已添加".to_string(),
            "updated" => "栏目已保存".to_string(),
            "deleted" => "栏目已删除".to_string(),
            _ => "设置已保存".to_string(),
        }),
        error: q.error,
        body,
    })
}

#[derive(Deserialize)]
pub struct CatalogueForm {
    pub action: String,
    #[serde(default)]
    pub category_id: Option<i64>,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub standard_row_id: String,
    #[serde(default)]
    pub sort_order: String,
    #[serde(default)]
    pub index_pattern: String,
    #[serde(default)]
    pub guide_text: String,
    #[serde(default)]
    pub rules_text: String,
    #[serde(default)]
    pub allow_same_reviewer_approver: Option<String>,
    #[serde(default)]
    pub annual_report_due: String,
    #[serde(default)]
    pub credit_license_months: String,
    #[serde(default)]
    pub credit_penalty_months: String,
    #[serde(default)]
    pub credit_person_name: String,
    #[serde(default)]
    pub comment_moderation: String,
}

fn back(id: i64, flag: &str, value: &str) -> Response {
    crate::views::back_to(&format!("/admin/bodies/{id}/catalogue"), flag, value)
}

pub async fn post_catalogue_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<CatalogueForm>,
) -> Result<Response, AppError> {
    let body = state.store.get_body(id).await?;
    if !a.actor.can(Permission::ManageBodies, &body.path) {
        return Err(AppError::Forbidden);
    }
    let who = a.who();
    let name = f.name.trim();
    let standard = f
        .standard_row_id
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0);
    // A category id given must belong to this body.
    if let Some(c) = f.category_id {
        let cat = state.store.get_category(c).await?;
        if cat.body_id != id {
            return Err(AppError::Forbidden);
        }
    }
    let r = match f.action.as_str() {
        "add" => {
            if name.is_empty() || name.chars().count() > 60 {
                return Ok(back(id, "error", "栏目名称不能为空，且不超过60个字"));
            }
            let parent = f.parent_id.trim().parse::<i64>().ok().filter(|v| *v > 0);
            state
                .store
                .create_category(id, parent, name, standard, &who)
                .await
                .map(|_| "added")
        }
        "update" => {
            let Some(c) = f.category_id else {
                return Err(AppError::BadRequest("缺少栏目".into()));
            };
            if name.is_empty() || name.chars().count() > 60 {
                return Ok(back(id, "error", "栏目名称不能为空，且不超过60个字"));
            }
            let order = f.sort_order.trim().parse::<i64>().unwrap_or(0);
            state
                .store
                .update_category(c, name, standard, order, &who)
                .await
                .map(|_| "updated")
        }
        "delete" => {
            let Some(c) = f.category_id else {
                return Err(AppError::BadRequest("缺少栏目".into()));
            };
            state
                .store
                .delete_category(c, &who)
                .await
                .map(|_| "deleted")
        }
        "settings" => {
            let pattern = f.index_pattern.trim().to_string();
            if !pattern.is_empty()
                && let Err(m) =
                    gongkai_domain::disclosure::format_index_no(&pattern, &body.org_code, 2025, 1)
            {
                return Ok(back(id, "error", &m));
            }
            let due = f.annual_report_due.trim().to_string();
            if !due.is_empty() && gongkai_domain::annual_report::parse_month_day(&due).is_none() {
                return Ok(back(
                    id,
                    "error",
                    "年度报告报送期限请按“月-日”填写，如 01-31；留空则按条例规定",
                ));
            }
            let months = |v: &str| -> Option<u32> {
                let v = v.trim();
                if v.is_empty() {
                    return Some(0);
                }
                v.parse::<u32>()
                    .ok()
                    .filter(|m| (1..=gongkai_domain::credit::MAX_DISPLAY_MONTHS).contains(m))
            };
            let (Some(license_months), Some(penalty_months)) = (
                months(&f.credit_license_months),
                months(&f.credit_penalty_months),
            ) else {
                return Ok(back(
                    id,
                    "error",
                    "双公示公示期限请填写1至60之间的月数；留空则行政许可3年、行政处罚1年",
                ));
            };
            let s = BodySettings {
                allow_same_reviewer_approver: f.allow_same_reviewer_approver.is_some(),
                index_pattern: pattern,
                guide_text: f.guide_text.trim().to_string(),
                rules_text: f.rules_text.trim().to_string(),
                annual_report_due: due,
                credit: gongkai_domain::credit::CreditPolicy {
                    license_months,
                    penalty_months,
                    person_name: gongkai_domain::credit::NameStyle::parse(&f.credit_person_name)
                        .unwrap_or_default(),
                },
                comment_moderation: gongkai_domain::consultation::Moderation::parse(
                    &f.comment_moderation,
                )
                .unwrap_or(gongkai_domain::consultation::Moderation::Pre)
                .as_str()
                .to_string(),
            };
            state
                .store
                .set_body_settings(id, &s, &who)
                .await
                .map(|_| "settings")
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match r {
        Ok(done) => Ok(back(id, "done", done)),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(back(id, "error", &m)),
        Err(e) => Err(e.into()),
    }
}
