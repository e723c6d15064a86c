//! Files sent with back-office forms (a decision's minutes, a circular's file, a delivery
//! proof): one reader of a multipart form carrying one file, one check of the file (its name,
//! its content against the kinds allowed), one write to the attachment store, and one download
//! response, so every form that takes a file behaves the same.

use axum::extract::Multipart;
use axum::response::{IntoResponse, Response};
use gongkai_files::FileKind;
use gongkai_store::applications::Proof;

use crate::AppState;
use crate::error::AppError;

/// A file as received: its name (without any folder) and its bytes.
#[derive(Debug, Clone)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A multipart form: its text fields in order (repeated keys kept) and the file, if one was
/// chosen, of the field named `file_field`.
#[derive(Debug, Default)]
pub struct MultipartForm {
    pub fields: Vec<(String, String)>,
    pub file: Option<Upload>,
}

impl MultipartForm {
    /// The first value of a field, or "".
    pub fn get(&self, key: &str) -> String {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    /// Every value of a repeated field that parses as an id.
    pub fn ids(&self, key: &str) -> Vec<i64> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .filter_map(|(_, v)| v.trim().parse().ok())
            .collect()
    }
}

/// Read the whole form; an interrupted or oversized upload is a 400 with a Chinese message.
pub async fn read_form(
    state: &AppState,
    mut mp: Multipart,
    file_field: &str,
) -> Result<MultipartForm, AppError> {
    let broken = || {
        AppError::BadRequest(format!(
            "上传失败：文件超过{}MB或上传中断，请重试",
            state.config.max_upload_bytes / 1024 / 1024
        ))
    };
    let mut form = MultipartForm::default();
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == file_field {
                    let fname = field
                        .file_name()
                        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
                        .unwrap_or_default();
                    let bytes = field.bytes().await.map_err(|_| broken())?;
                    if !bytes.is_empty() {
                        form.file = Some(Upload {
                            name: fname,
                            bytes: bytes.to_vec(),
                        });
                    }
                    continue;
                }
                let v = field.text().await.map_err(|_| broken())?;
                form.fields.push((name, v));
            }
            Ok(None) => return Ok(form),
            Err(_) => return Err(broken()),
        }
    }
}

/// Check a file (a name of 1–120 characters; content of one of `allowed`, or of any kind the
/// product accepts when `allowed` is empty) and keep it in the attachment store. The inner
/// `Err` is the message for the form, naming the file.
pub async fn store(
    state: &AppState,
    up: Upload,
    allowed: &[FileKind],
    allowed_msg: &str,
) -> Result<Result<Proof, String>, AppError> {
    let name = up.name;
    if name.is_empty() || name.chars().count() > 120 {
        return Ok(Err("文件名不能为空或超过120个字".into()));
    }
    let kind = match gongkai_files::sniff(&up.bytes, &name) {
        Ok(k) if allowed.is_empty() || allowed.contains(&k) => k,
        Ok(_) => return Ok(Err(format!("“{name}”：{allowed_msg}"))),
        Err(m) => return Ok(Err(format!("“{name}”：{m}"))),
    };
    let size = i64::try_from(up.bytes.len()).unwrap_or(i64::MAX);
    let sha256 = state
        .blobs
        .put(up.bytes)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Ok(Proof {
        sha256,
        name,
        mime: kind.mime().to_string(),
        size,
    }))
}

/// A stored file as a download (never cached: these are internal records).
pub async fn download(
    state: &AppState,
    sha256: &str,
    name: &str,
    mime: Option<&str>,
) -> Result<Response, AppError> {
    let bytes = state
        .blobs
        .get(sha256)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    if let Ok(v) = mime.unwrap_or("application/octet-stream").parse() {
        h.insert(axum::http::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = gongkai_files::content_disposition(name).parse() {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = "no-store".parse() {
        h.insert(axum::http::header::CACHE_CONTROL, v);
    }
    Ok(r)
}
