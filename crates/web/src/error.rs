//! Errors inside the request path. Pages show a Chinese error page; the JSON API answers
//! `{"error": {"code": "...", "message": "..."}}` with a stable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("页面不存在")]
    NotFound,
    #[error("您没有权限进行此操作")]
    Forbidden,
    #[error("请先登录")]
    Unauthenticated,
    /// Send the browser elsewhere (for example to finish signing in).
    #[error("redirect")]
    Redirect(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("服务器内部错误，请稍后再试")]
    Internal(String),
    /// The JSON API's refusal of a request it understood: `code` is `validation` (with a
    /// message per field) or `workflow` (a rule of the workflow said no).
    #[error("{message}")]
    Unprocessable {
        code: &'static str,
        message: String,
        fields: Vec<(String, String)>,
    },
    /// The JSON API was called without a valid bearer token.
    #[error("接口令牌缺失、无效或已撤销（请求头须带 Authorization: Bearer gk_…）")]
    InvalidToken,
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Too many submissions from one address (429, code `rate_limited`).
    #[error("{0}")]
    TooManyRequests(String),
    /// A feature that cannot work on this installation right now (the message says why).
    #[error("{0}")]
    Unavailable(String),
    /// A public record whose display period has ended (410, code `display_ended`).
    #[error("该信息公示期已满，已停止公示")]
    DisplayEnded,
}

impl AppError {
    /// Field errors of a JSON request (`422`, code `validation`).
    pub fn validation<K: ToString>(fields: Vec<(K, String)>) -> AppError {
        AppError::Unprocessable {
            code: "validation",
            message: "提交的内容有误，请按各字段的提示修改".into(),
            fields: fields
                .into_iter()
                .map(|(k, m)| (k.to_string(), m))
                .collect(),
        }
    }

    /// A refusal by the workflow's rules (`422`, code `workflow`), with the rule's message.
    pub fn workflow(message: impl Into<String>) -> AppError {
        AppError::Unprocessable {
            code: "workflow",
            message: message.into(),
            fields: vec![],
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Redirect(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::InvalidToken => StatusCode::UNAUTHORIZED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::DisplayEnded => StatusCode::GONE,
        }
    }

    /// The stable code used by the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Redirect(_) => "redirect",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::Internal(_) => "internal",
            AppError::Unprocessable { code, .. } => code,
            AppError::InvalidToken => "unauthenticated",
            AppError::PayloadTooLarge(_) => "payload_too_large",
            AppError::TooManyRequests(_) => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::DisplayEnded => "display_ended",
        }
    }
}

/// The message carried to the error-page middleware.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Redirect(to) => Redirect::to(&to).into_response(),
            AppError::Unauthenticated => Redirect::to("/login").into_response(),
            e => {
                if let AppError::Internal(detail) = &e {
                    tracing::error!(%detail, "internal error");
                }
                let mut r = (e.status(), e.to_string()).into_response();
                r.extensions_mut().insert(ErrorMessage(e.to_string()));
                r
            }
        }
    }
}

/// Errors of the JSON API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self.0 {
            tracing::error!(%detail, "internal error");
        }
        match &self.0 {
            AppError::Unprocessable { fields, .. } if !fields.is_empty() => {
                api_error_response_with_fields(
                    self.0.status(),
                    self.0.code(),
                    &self.0.to_string(),
                    fields,
                )
            }
            e => api_error_response(e.status(), e.code(), &e.to_string()),
        }
    }
}

/// `{"error": {"code", "message", "fields": {field: message}}}`.
pub fn api_error_response_with_fields(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: &[(String, String)],
) -> Response {
    let mut map = serde_json::Map::new();
    for (k, m) in fields {
        // The first message of a field is the one shown.
        map.entry(k.clone())
            .or_insert_with(|| serde_json::Value::String(m.clone()));
    }
    let mut r = (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message, "fields": map}})),
    )
        .into_response();
    r.extensions_mut().insert(ErrorMessage(message.to_string()));
    r
}

pub fn api_error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response();
    r.extensions_mut().insert(ErrorMessage(message.to_string()));
    r
}

impl From<gongkai_search::SearchError> for AppError {
    fn from(e: gongkai_search::SearchError) -> Self {
        match e {
            gongkai_search::SearchError::Store(s) => s.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}
