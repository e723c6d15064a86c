//! The public API of 民主评议 and 数据图表: published surveys with their questions and the results
//! the public may see (a body's figures from the survey's minimum of answers on, free text once
//! shown), answers (one per client address and body, stored durably before the answer, like
//! comments and applications), and the charts a body publishes, as numbers.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gongkai_domain::access::Scope;
use gongkai_domain::appraisal::{self as da, Audience};
use gongkai_domain::dashboard::{ChartKind, show};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api_admin::{ApiJson, parse_id};
use crate::auth::Ip;
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;
use crate::handlers::appraisals as ha;

fn audience_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(Audience), "参加对象", false)
}

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(da::QuestionKind), "问题类型", false)
}

fn chart_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[
            ("stacked", "堆叠柱状图"),
            ("bars", "柱状图"),
            ("line", "折线图"),
        ],
        "图表类型",
        false,
    )
}

#[derive(Serialize, ToSchema)]
pub struct QuestionJson {
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub text: String,
}

/// A published survey.
#[derive(Serialize, ToSchema)]
pub struct SurveyJson {
    pub id: i64,
    pub title: String,
    #[schema(schema_with = audience_schema)]
    pub audience: String,
    pub opens_on: String,
    pub closes_on: String,
    /// A body's results are shown from this many answers on.
    pub min_answers: i64,
    /// Answers are taken today.
    pub accepting: bool,
    pub questions: Vec<QuestionJson>,
    /// The bodies appraised.
    pub body_ids: Vec<i64>,
    /// The page with the form and the results.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyList {
    pub surveys: Vec<SurveyJson>,
}

async fn survey_json(
    state: &AppState,
    s: &gongkai_store::appraisals::SurveyRow,
) -> Result<SurveyJson, ApiError> {
    Ok(SurveyJson {
        id: s.id,
        title: s.title.clone(),
        audience: s.audience.clone(),
        opens_on: s.opens_on.clone(),
        closes_on: s.closes_on.clone(),
        min_answers: s.min_answers,
        accepting: da::accepting(s.status(), s.opens(), s.closes(), today()).is_ok(),
        questions: s
            .questions()
            .into_iter()
            .map(|q| QuestionJson {
                kind: q.kind.as_str().into(),
                text: q.text,
            })
            .collect(),
        body_ids: state.store.survey_bodies(s.id).await?,
        url: format!("/appraisals/{}", s.id),
    })
}

/// Published surveys (open or ended), the latest first.
#[utoipa::path(
    get,
    path = "/api/v1/appraisals",
    tag = "public",
    responses((status = 200, description = "民主评议列表", body = SurveyList))
)]
pub async fn list_surveys(State(state): State<AppState>) -> Result<Json<SurveyList>, ApiError> {
    let mut surveys = Vec::new();
    for s in state.store.public_surveys().await? {
        surveys.push(survey_json(&state, &s).await?);
    }
    Ok(Json(SurveyList { surveys }))
}

/// One scale question's results.
#[derive(Serialize, ToSchema)]
pub struct QuestionResultJson {
    pub text: String,
    /// The mean point, one decimal ("4.3").
    pub mean: String,
    /// Answers per point, 1 to 5.
    pub counts: Vec<i64>,
}

/// A body's results.
#[derive(Serialize, ToSchema)]
pub struct BodyResultJson {
    pub body_id: i64,
    pub body_name: String,
    pub answers: i64,
    /// The minimum is reached: `questions` and `texts` are shown.
    pub published: bool,
    pub questions: Vec<QuestionResultJson>,
    /// Free text shown after moderation.
    pub texts: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyDetail {
    pub survey: SurveyJson,
    pub results: Vec<BodyResultJson>,
}

/// One published survey with the results the public may see.
#[utoipa::path(
    get,
    path = "/api/v1/appraisals/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "民主评议编号")),
    responses(
        (status = 200, description = "民主评议和结果", body = SurveyDetail),
        (status = 404, description = "没有该民主评议", body = crate::api::ErrorBody),
    )
)]
pub async fn get_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SurveyDetail>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let s = ha::published(&state, id).await?;
    let bodies = ha::appraised(&state, &s).await?;
    let answers = state.store.survey_answers(id).await?;
    let results = ha::body_results(&s, &bodies, &answers, false)
        .into_iter()
        .map(|r| BodyResultJson {
            body_id: r.body.id,
            body_name: r.body.name,
            answers: r.results.answers,
            published: r.results.published,
            questions: if r.results.published {
                r.results
                    .questions
                    .iter()
                    .map(|q| QuestionResultJson {
                        text: q.text.clone(),
                        mean: q.mean_text(),
                        counts: q.counts.to_vec(),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            texts: r.texts.into_iter().map(|t| t.text).collect(),
        })
        .collect();
    Ok(Json(SurveyDetail {
        survey: survey_json(&state, &s).await?,
        results,
    }))
}

/// An answer: the body appraised and one answer per question, in order — a point "1" to "5"
/// for a scale question, free text (or "") for a text question.
#[derive(Deserialize, ToSchema)]
pub struct AnswerRequest {
    #[schema(example = 2)]
    pub body_id: i64,
    #[schema(max_items = 20, example = json!(["5", "4", "建议公开栏每周更新。"]))]
    pub answers: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerReceiptJson {
    /// 评议编号.
    pub number: String,
    /// The free text waits for moderation before it is shown.
    pub held: bool,
}

/// Answer a public survey in its period: once per client address and body. Stored durably
/// before the answer is sent. A survey for 特邀监督员 is answered on the site, signed in.
#[utoipa::path(
    post,
    path = "/api/v1/appraisals/{id}/answers",
    tag = "public",
    params(("id" = i64, Path, description = "民主评议编号")),
    request_body = AnswerRequest,
    responses(
        (status = 201, description = "评议已收到", body = AnswerReceiptJson),
        (status = 400, description = "请求不是有效的 JSON", body = crate::api::ErrorBody),
        (status = 403, description = "该评议由特邀监督员登录后参加（code: forbidden）", body = crate::api::ErrorBody),
        (status = 404, description = "没有该民主评议", body = crate::api::ErrorBody),
        (status = 409, description = "已经评议过该单位（code: conflict）", body = crate::api::ErrorBody),
        (status = 422, description = "字段有误（code: validation），或不在评议期内（code: workflow）", body = crate::api::ErrorBody),
        (status = 429, description = "提交过于频繁（code: rate_limited）", body = crate::api::ErrorBody),
    )
)]
pub async fn create_answer(
    State(state): State<AppState>,
    Ip(ip): Ip,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<AnswerRequest>,
) -> Result<(StatusCode, Json<AnswerReceiptJson>), ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let s = ha::published(&state, id).await?;
    if let Err(m) = da::accepting(s.status(), s.opens(), s.closes(), today()) {
        return Err(AppError::workflow(m).into());
    }
    if !ha::may_answer(&s, None) {
        return Err(AppError::Forbidden.into());
    }
    let bodies: Vec<i64> = state.store.survey_bodies(id).await?;
    let questions = s.questions();
    if r.answers.len() > questions.len() {
        return Err(AppError::validation(vec![(
            "answers",
            format!("本次评议共{}个问题", questions.len()),
        )])
        .into());
    }
    let field = |k: &str| -> String {
        if k == "body" {
            return r.body_id.to_string();
        }
        k.strip_prefix('q')
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| r.answers.get(i).cloned())
            .unwrap_or_default()
    };
    let valid = da::validate_answer(&questions, &bodies, field)
        .map_err(|e| ApiError(AppError::validation(e)))?;
    let answer = ha::submit_answer(&state, &s, &valid, None, &ip).await?;
    Ok((
        StatusCode::CREATED,
        Json(AnswerReceiptJson {
            number: answer.to_string(),
            held: !valid.text.is_empty(),
        }),
    ))
}

/// One chart's numbers: a value per series and label, as the table on the page writes it
/// ("—" where there is nothing to show).
#[derive(Serialize, ToSchema)]
pub struct ChartJson {
    pub key: String,
    pub title: String,
    #[schema(schema_with = chart_kind_schema)]
    pub kind: String,
    pub unit: String,
    pub labels: Vec<String>,
    pub series: Vec<SeriesJson>,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesJson {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DashboardJson {
    pub body_id: i64,
    pub year: i32,
    pub charts: Vec<ChartJson>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct DashboardParams {
    /// The year (this year when absent).
    #[param(example = 2026)]
    pub year: String,
}

/// The charts a body publishes for a year, as numbers (its subtree's figures).
#[utoipa::path(
    get,
    path = "/api/v1/bodies/{id}/dashboard",
    tag = "public",
    params(("id" = i64, Path, description = "机关编号"), DashboardParams),
    responses(
        (status = 200, description = "公开的数据图表", body = DashboardJson),
        (status = 404, description = "没有该机关、该机关未公开数据图表，或年度不在2019年至今年之间", body = crate::api::ErrorBody),
    )
)]
pub async fn body_dashboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DashboardParams>,
) -> Result<Json<DashboardJson>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let body = state
        .store
        .get_body(id)
        .await
        .map_err(|_| ApiError(AppError::NotFound))?;
    let public = state.store.public_charts(id).await?;
    if public.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let year = crate::handlers::dashboards::year_of(&q.year).ok_or(AppError::NotFound)?;
    let charts = crate::handlers::dashboards::charts(&state, &Scope::subtree(&body.path), year)
        .await?
        .into_iter()
        .filter(|c| public.contains(&c.key))
        .map(|c| ChartJson {
            key: c.key.key().into(),
            title: c.title().into(),
            kind: match c.kind {
                ChartKind::Stacked => "stacked",
                ChartKind::Bars => "bars",
                ChartKind::Line => "line",
            }
            .into(),
            unit: c.unit.into(),
            series: c
                .series
                .iter()
                .map(|s| SeriesJson {
                    name: s.name.clone(),
                    values: s.values.iter().map(|v| show(*v, c.unit)).collect(),
                })
                .collect(),
            labels: c.labels,
        })
        .collect();
    Ok(Json(DashboardJson {
        body_id: id,
        year,
        charts,
    }))
}
