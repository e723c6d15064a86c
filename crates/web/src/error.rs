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
    /// A feature that cannot work on this installation right now (the message says why).
    #[error("{0}")]
    Unavailable(String),
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
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            AppError::Unavailable(_) => "unavailable",
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
        api_error_response(self.0.status(), self.0.code(), &self.0.to_string())
    }
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
