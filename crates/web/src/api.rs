//! The public JSON API, `/api/v1`. Errors are `{"error": {"code", "message"}}` with stable codes.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/bodies", get(list_bodies))
        .route("/bodies/{id}", get(get_body))
        .fallback(api_not_found)
}

async fn api_not_found() -> ApiError {
    ApiError(crate::error::AppError::NotFound)
}

/// A public body as the API shows it.
#[derive(Serialize)]
pub struct BodyJson {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub kind_label: String,
    pub org_code: String,
    pub address: String,
    pub office_hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub duties: String,
    pub leaders: Vec<gongkai_domain::body::Leader>,
}

impl From<gongkai_store::bodies::Body> for BodyJson {
    fn from(b: gongkai_store::bodies::Body) -> Self {
        BodyJson {
            kind_label: b.kind_label().to_string(),
            leaders: b.leaders(),
            id: b.id,
            parent_id: b.parent_id,
            name: b.name,
            short_name: b.short_name,
            kind: b.kind,
            org_code: b.org_code,
            address: b.address,
            office_hours: b.office_hours,
            phone: b.phone,
            fax: b.fax,
            email: b.email,
            duties: b.duties,
        }
    }
}

async fn list_bodies(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let bodies: Vec<BodyJson> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .map(BodyJson::from)
        .collect();
    Ok(Json(serde_json::json!({ "items": bodies })))
}

async fn get_body(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BodyJson>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| crate::error::AppError::BadRequest("机关编号应为整数".into()))?;
    Ok(Json(state.store.get_body(id).await?.into()))
}
