//! What the search index is built from: the change log, and the searchable form of published,
//! public items (current version text and the text extracted from its attachments).

use serde::Serialize;

use crate::{Store, StoreResult};

/// One change-log row.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
pub struct ChangeRow {
    pub seq: i64,
    pub entity: String,
    pub entity_id: i64,
}

/// A published, public item as the search index sees it.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct SearchDoc {
    pub id: i64,
    pub body_id: i64,
    pub category_path: String,
    pub published_on: Option<String>,
    pub published_at: Option<i64>,
    pub validity: String,
    pub title: String,
    pub doc_no: String,
    pub index_no: String,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    pub version_id: i64,
    /// Text extracted from the published version's attachments, joined by blank lines.
    #[sqlx(skip)]
    pub attachment_text: String,
}

/// Published letters (选登) share the index with items; their document ids are the letter's id
/// plus this offset, so one id space, one change log and one rebuild cover both.
pub const LETTER_DOC_BASE: i64 = 1 << 40;
/// Service items (权责清单): the item id plus this offset.
pub const SERVICE_DOC_BASE: i64 = 2 << 40;
/// Public 双公示 records: the public id plus this offset.
pub const CREDIT_DOC_BASE: i64 = 3 << 40;
/// Published 承诺事项 (commitments): the work's id plus this offset.
pub const COMMITMENT_DOC_BASE: i64 = 4 << 40;
/// Published 民主评议 surveys.
pub const SURVEY_DOC_BASE: i64 = 5 << 40;

/// What a document of the shared index is, by the range its id falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocKind {
    Item,
    Letter,
    Service,
    Credit,
    Commitment,
    Survey,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        DocKind::Item,
        DocKind::Letter,
        DocKind::Service,
        DocKind::Credit,
        DocKind::Commitment,
        DocKind::Survey,
    ];

    pub fn of(doc_id: i64) -> DocKind {
        match doc_id >> 40 {
            i64::MIN..=0 => DocKind::Item,
            1 => DocKind::Letter,
            2 => DocKind::Service,
            3 => DocKind::Credit,
            4 => DocKind::Commitment,
            _ => DocKind::Survey,
        }
    }

    /// The first document id of the range.
    pub fn base(self) -> i64 {
        match self {
            DocKind::Item => 0,
            DocKind::Letter => LETTER_DOC_BASE,
            DocKind::Service => SERVICE_DOC_BASE,
            DocKind::Credit => CREDIT_DOC_BASE,
            DocKind::Commitment => COMMITMENT_DOC_BASE,
            DocKind::Survey => SURVEY_DOC_BASE,
        }
    }

    /// The document id of entity `entity_id` of a change-log row, if the index holds that
    /// kind of entity.
    pub fn doc_id(entity: &str, entity_id: i64) -> Option<i64> {
        let kind = match entity {
            "item" => DocKind::Item,
            "letter" => DocKind::Letter,
            "service_item" => DocKind::Service,
            "credit" => DocKind::Credit,
            "commitment" => DocKind::Commitment,
            "survey" => DocKind::Survey,
            _ => return None,
        };
        Some(kind.base() + entity_id)
    }
}

/// The China date now, as stored (`YYYY-MM-DD`).
fn china_today() -> String {
    chrono::DateTime::from_timestamp_millis(crate::now_ms() + 8 * 3_600_000)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default()
}

impl SearchDoc {
    pub fn kind(&self) -> DocKind {
        DocKind::of(self.id)
    }

    /// The letter this document is, if it is one.
    pub fn letter_id(&self) -> Option<i64> {
        (self.kind() == DocKind::Letter).then(|| self.id - LETTER_DOC_BASE)
    }

    /// The public page of the document.
    pub fn href(&self) -> String {
        let k = self.kind();
        let n = self.id - k.base();
        match k {
            DocKind::Item => format!("/items/{n}"),
            DocKind::Letter => format!("/letters/{n}"),
            DocKind::Service => format!("/services/{n}"),
            DocKind::Credit => format!("/credit/{n}"),
            DocKind::Commitment => format!("/commitments/{n}"),
            DocKind::Survey => format!("/appraisals/{n}"),
        }
    }

    /// The category and every ancestor, from the materialised path (`/1/5/9/`).
    pub fn category_ids(&self) -> Vec<i64> {
        self.category_path
            .split('/')
            .filter_map(|s| s.parse::<i64>().ok())
            .collect()
    }

    /// The year of publication, from the publication date.
    pub fn year(&self) -> Option<i32> {
        self.published_on
            .as_deref()
            .and_then(|d| d.get(..4))
            .and_then(|y| y.parse().ok())
    }
}

const DOC_SELECT: &str = "SELECT i.id, i.body_id, c.path AS category_path, i.published_on, i.published_at, \
    i.validity, i.title, i.doc_no, COALESCE(i.index_no, '') AS index_no, v.subject, v.keywords, v.summary, \
    v.body_md, v.id AS version_id \
    FROM items i JOIN item_versions v ON v.id = i.published_version_id \
    JOIN categories c ON c.id = i.category_id \
    WHERE i.status = 'published' AND i.scope = 'public'";

/// A published letter as the index sees it: only its masked, published texts.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct LetterDocRow {
    id: i64,
    body_id: i64,
    published_at: Option<i64>,
    pub_subject: String,
    pub_content: String,
    pub_reply: String,
}

const LETTER_DOC_SELECT: &str = "SELECT id, body_id, published_at, pub_subject, pub_content, pub_reply \
    FROM letters WHERE published AND kind <> 'report' AND consent_publish";

impl From<LetterDocRow> for SearchDoc {
    fn from(r: LetterDocRow) -> SearchDoc {
        let published_on = r.published_at.and_then(|ms| {
            chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
                .map(|t| t.date_naive().to_string())
        });
        SearchDoc {
            id: LETTER_DOC_BASE + r.id,
            body_id: r.body_id,
            category_path: String::new(),
            published_on,
            published_at: r.published_at,
            validity: "valid".into(),
            title: r.pub_subject,
            doc_no: String::new(),
            index_no: String::new(),
            subject: "来信选登".into(),
            keywords: String::new(),
            summary: String::new(),
            body_md: format!("{}\n\n答复：{}", r.pub_content, r.pub_reply),
            version_id: 0,
            attachment_text: String::new(),
        }
    }
}

/// A public 双公示 record as the index sees it: only the masked copy, while it is published and
/// within its display period.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct CreditDocRow {
    id: i64,
    body_id: i64,
    kind: String,
    party_name: String,
    doc_title: String,
    doc_no: String,
    content: String,
    basis: String,
    published_on: String,
    published_at: i64,
}

const CREDIT_DOC_SELECT: &str = "SELECT id, body_id, kind, party_name, doc_title, doc_no, content, basis, \
    published_on, published_at FROM credit_public WHERE status = 'published' AND kind <> 'coercion'";

impl From<CreditDocRow> for SearchDoc {
    fn from(r: CreditDocRow) -> SearchDoc {
        let label = gongkai_domain::credit::DecisionKind::parse(&r.kind)
            .map_or("", gongkai_domain::credit::DecisionKind::label);
        SearchDoc {
            id: CREDIT_DOC_BASE + r.id,
            body_id: r.body_id,
            category_path: String::new(),
            published_on: Some(r.published_on),
            published_at: Some(r.published_at),
            validity: "valid".into(),
            title: format!("{} {}信息", r.party_name, label),
            doc_no: r.doc_no,
            index_no: String::new(),
            subject: "双公示".into(),
            keywords: label.into(),
            summary: String::new(),
            body_md: format!("{}\n\n{}\n\n依据：{}", r.doc_title, r.content, r.basis),
            version_id: 0,
            attachment_text: String::new(),
        }
    }
}

/// A published commitment as the index sees it: what is promised, its steps and its result.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct CommitmentDocRow {
    id: i64,
    body_id: i64,
    title: String,
    summary: String,
    result: String,
    due_on: String,
    published_at: i64,
    steps: String,
}

const COMMITMENT_DOC_SELECT: &str = "SELECT w.id, w.body_id, w.title, w.summary, w.result, w.due_on, w.published_at, \
    COALESCE((SELECT STRING_AGG(s.title, '；') FROM work_steps s WHERE s.work_id = w.id), '') AS steps \
    FROM works w WHERE w.kind = 'commitment' AND w.published_at IS NOT NULL";

impl From<CommitmentDocRow> for SearchDoc {
    fn from(r: CommitmentDocRow) -> SearchDoc {
        let published_on = chrono::DateTime::from_timestamp_millis(r.published_at + 8 * 3_600_000)
            .map(|t| t.date_naive().to_string());
        SearchDoc {
            id: COMMITMENT_DOC_BASE + r.id,
            body_id: r.body_id,
            category_path: String::new(),
            published_on,
            published_at: Some(r.published_at),
            validity: "valid".into(),
            title: r.title,
            doc_no: String::new(),
            index_no: String::new(),
            subject: "为群众办实事".into(),
            keywords: "承诺事项".into(),
            summary: String::new(),
            body_md: format!(
                "{}\n\n工作环节：{}\n\n完成期限：{}\n\n{}",
                r.summary, r.steps, r.due_on, r.result
            ),
            version_id: 0,
            attachment_text: String::new(),
        }
    }
}

/// A published 民主评议 survey as the index sees it: its title, introduction and questions.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct SurveyDocRow {
    id: i64,
    body_id: i64,
    title: String,
    intro: String,
    questions: String,
    opens_on: String,
    closes_on: String,
}

const SURVEY_DOC_SELECT: &str = "SELECT s.id, s.body_id, s.title, s.intro, s.questions, s.opens_on, s.closes_on \
    FROM surveys s WHERE s.status <> 'draft'";

impl From<SurveyDocRow> for SearchDoc {
    fn from(r: SurveyDocRow) -> SearchDoc {
        let questions: Vec<gongkai_domain::appraisal::Question> =
            serde_json::from_str(&r.questions).unwrap_or_default();
        let list: Vec<String> = questions.into_iter().map(|q| q.text).collect();
        SearchDoc {
            id: SURVEY_DOC_BASE + r.id,
            body_id: r.body_id,
            category_path: String::new(),
            published_on: Some(r.opens_on.clone()),
            published_at: None,
            validity: "valid".into(),
            title: r.title,
            doc_no: String::new(),
            index_no: String::new(),
            subject: "民主评议".into(),
            keywords: "民主评议 满意度".into(),
            summary: String::new(),
            body_md: format!(
                "{}\n\n评议期限：{}至{}\n\n评议内容：{}",
                r.intro,
                r.opens_on,
                r.closes_on,
                list.join("；")
            ),
            version_id: 0,
            attachment_text: String::new(),
        }
    }
}

/// A service item in force or cancelled, as the index sees it: its current published version
/// (a cancelled item stays findable, marked 已取消 as a repealed document is).
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct ServiceDocRow {
    id: i64,
    body_id: i64,
    status: String,
    established_on: String,
    published_at: Option<i64>,
    snapshot: String,
}

const SERVICE_DOC_SELECT: &str = "SELECT s.id, s.body_id, s.status, s.established_on, v.published_at, v.snapshot \
    FROM service_items s JOIN service_versions v ON v.id = s.current_version_id \
    WHERE s.status IN ('in_force', 'cancelled')";

impl From<ServiceDocRow> for SearchDoc {
    fn from(r: ServiceDocRow) -> SearchDoc {
        let v: Option<gongkai_domain::service_input::ValidService> =
            serde_json::from_str(&r.snapshot).ok();
        let (title, code, kind, text) = match &v {
            Some(v) => (
                v.name.clone(),
                v.code.clone(),
                v.kind.label(),
                format!(
                    "{}\n\n设定依据：{}\n\n申请条件：{}\n\n申请材料：{}\n\n办理流程：{}\n\n{}",
                    v.service_object,
                    v.basis.join("；"),
                    v.conditions,
                    v.materials.join("；"),
                    v.procedure.join("→"),
                    v.hall,
                ),
            ),
            None => (String::new(), String::new(), "", String::new()),
        };
        SearchDoc {
            id: SERVICE_DOC_BASE + r.id,
            body_id: r.body_id,
            category_path: String::new(),
            published_on: (!r.established_on.is_empty()).then_some(r.established_on),
            published_at: r.published_at,
            validity: if r.status == "cancelled" {
                "repealed".into()
            } else {
                "valid".into()
            },
            title,
            doc_no: code,
            index_no: String::new(),
            subject: "办事指南".into(),
            keywords: kind.into(),
            summary: String::new(),
            body_md: text,
            version_id: 0,
            attachment_text: String::new(),
        }
    }
}

impl Store {
    /// Change-log rows after `after`, oldest first.
    pub async fn change_log_after(&self, after: i64, limit: i64) -> StoreResult<Vec<ChangeRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ChangeRow>(
                "SELECT seq, entity, entity_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(c)
            .await
        })?)
    }

    /// The searchable form of those of `ids` that are published and public (the others, such as
    /// withdrawn or internal items, are simply absent).
    pub async fn search_docs(&self, ids: &[i64]) -> StoreResult<Vec<SearchDoc>> {
        let of = |k: DocKind| -> Vec<i64> {
            ids.iter()
                .filter(|id| DocKind::of(**id) == k)
                .map(|id| id - k.base())
                .collect()
        };
        let mut docs = self.item_docs(&of(DocKind::Item)).await?;
        let letters = of(DocKind::Letter);
        if !letters.is_empty() {
            let rows = read!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(LETTER_DOC_SELECT);
                qb.push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for id in &letters {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY id");
                qb.build_query_as::<LetterDocRow>().fetch_all(c).await
            })?;
            docs.extend(rows.into_iter().map(SearchDoc::from));
        }
        let services = of(DocKind::Service);
        if !services.is_empty() {
            let rows = read!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(SERVICE_DOC_SELECT);
                qb.push(" AND s.id IN (");
                let mut sep = qb.separated(", ");
                for id in &services {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY s.id");
                qb.build_query_as::<ServiceDocRow>().fetch_all(c).await
            })?;
            docs.extend(rows.into_iter().map(SearchDoc::from));
        }
        let credit = of(DocKind::Credit);
        if !credit.is_empty() {
            let today = china_today();
            let rows = read!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(CREDIT_DOC_SELECT);
                qb.push(" AND display_until >= ").push_bind(today.clone());
                qb.push(" AND id IN (");
                let mut sep = qb.separated(", ");
                for id in &credit {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY id");
                qb.build_query_as::<CreditDocRow>().fetch_all(c).await
            })?;
            docs.extend(rows.into_iter().map(SearchDoc::from));
        }
        let commitments = of(DocKind::Commitment);
        if !commitments.is_empty() {
            let rows = read!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(COMMITMENT_DOC_SELECT);
                qb.push(" AND w.id IN (");
                let mut sep = qb.separated(", ");
                for id in &commitments {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY w.id");
                qb.build_query_as::<CommitmentDocRow>().fetch_all(c).await
            })?;
            docs.extend(rows.into_iter().map(SearchDoc::from));
        }
        let surveys = of(DocKind::Survey);
        if !surveys.is_empty() {
            let rows = read!(self, |c| {
                let mut qb = sqlx::QueryBuilder::new(SURVEY_DOC_SELECT);
                qb.push(" AND s.id IN (");
                let mut sep = qb.separated(", ");
                for id in &surveys {
                    sep.push_bind(*id);
                }
                qb.push(") ORDER BY s.id");
                qb.build_query_as::<SurveyDocRow>().fetch_all(c).await
            })?;
            docs.extend(rows.into_iter().map(SearchDoc::from));
        }
        Ok(docs)
    }

    async fn item_docs(&self, ids: &[i64]) -> StoreResult<Vec<SearchDoc>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let docs = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(DOC_SELECT);
            qb.push(" AND i.id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY i.id");
            qb.build_query_as::<SearchDoc>().fetch_all(c).await
        })?;
        self.with_attachment_text(docs).await
    }

    /// The next `limit` searchable documents with an id above `after_id` (for a full rebuild).
    /// Items come first, then letters, then 双公示 records (each kind in its own id range, see
    /// [`DocKind`]), so one cursor walks them all.
    pub async fn search_docs_page(&self, after_id: i64, limit: i64) -> StoreResult<Vec<SearchDoc>> {
        for kind in DocKind::ALL {
            let next_base = DocKind::ALL
                .iter()
                .map(|k| k.base())
                .find(|b| *b > kind.base())
                .unwrap_or(i64::MAX);
            if after_id >= next_base {
                continue;
            }
            let after = (after_id - kind.base()).max(0);
            let docs: Vec<SearchDoc> = match kind {
                DocKind::Item => self.item_docs_page(after_id, limit).await?,
                DocKind::Letter => {
                    let rows = read!(self, |c| {
                        let mut qb = sqlx::QueryBuilder::new(LETTER_DOC_SELECT);
                        qb.push(" AND id > ")
                            .push_bind(after)
                            .push(" ORDER BY id LIMIT ")
                            .push_bind(limit);
                        qb.build_query_as::<LetterDocRow>().fetch_all(c).await
                    })?;
                    rows.into_iter().map(SearchDoc::from).collect()
                }
                DocKind::Service => {
                    let rows = read!(self, |c| {
                        let mut qb = sqlx::QueryBuilder::new(SERVICE_DOC_SELECT);
                        qb.push(" AND s.id > ")
                            .push_bind(after)
                            .push(" ORDER BY s.id LIMIT ")
                            .push_bind(limit);
                        qb.build_query_as::<ServiceDocRow>().fetch_all(c).await
                    })?;
                    rows.into_iter().map(SearchDoc::from).collect()
                }
                DocKind::Credit => {
                    let today = china_today();
                    let rows = read!(self, |c| {
                        let mut qb = sqlx::QueryBuilder::new(CREDIT_DOC_SELECT);
                        qb.push(" AND display_until >= ")
                            .push_bind(today.clone())
                            .push(" AND id > ")
                            .push_bind(after)
                            .push(" ORDER BY id LIMIT ")
                            .push_bind(limit);
                        qb.build_query_as::<CreditDocRow>().fetch_all(c).await
                    })?;
                    rows.into_iter().map(SearchDoc::from).collect()
                }
                DocKind::Commitment => {
                    let rows = read!(self, |c| {
                        let mut qb = sqlx::QueryBuilder::new(COMMITMENT_DOC_SELECT);
                        qb.push(" AND w.id > ")
                            .push_bind(after)
                            .push(" ORDER BY w.id LIMIT ")
                            .push_bind(limit);
                        qb.build_query_as::<CommitmentDocRow>().fetch_all(c).await
                    })?;
                    rows.into_iter().map(SearchDoc::from).collect()
                }
                DocKind::Survey => {
                    let rows = read!(self, |c| {
                        let mut qb = sqlx::QueryBuilder::new(SURVEY_DOC_SELECT);
                        qb.push(" AND s.id > ")
                            .push_bind(after)
                            .push(" ORDER BY s.id LIMIT ")
                            .push_bind(limit);
                        qb.build_query_as::<SurveyDocRow>().fetch_all(c).await
                    })?;
                    rows.into_iter().map(SearchDoc::from).collect()
                }
            };
            if !docs.is_empty() {
                return Ok(docs);
            }
        }
        Ok(Vec::new())
    }

    async fn item_docs_page(&self, after_id: i64, limit: i64) -> StoreResult<Vec<SearchDoc>> {
        // SQLite's planner, given the statistics of a large site, reads the page through the
        // index on (scope, …): every public item from the cursor on, each looked up in the table
        // and joined to its version, then sorted to keep 2,000. A full rebuild of 1,000,000 items
        // took 15 minutes that way. The page is a range of the primary key; `NOT INDEXED` says
        // so. PostgreSQL walks the primary key of itself.
        debug_assert!(DOC_SELECT.contains("FROM items i "));
        let select = if self.is_postgres() {
            DOC_SELECT.to_string()
        } else {
            DOC_SELECT.replacen("FROM items i ", "FROM items i NOT INDEXED ", 1)
        };
        let docs = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(select);
            qb.push(" AND i.id > ")
                .push_bind(after_id)
                .push(" ORDER BY i.id LIMIT ")
                .push_bind(limit);
            qb.build_query_as::<SearchDoc>().fetch_all(c).await
        })?;
        self.with_attachment_text(docs).await
    }

    /// How many items are published and public, letters published and 双公示 records shown
    /// (the size of a full rebuild).
    pub async fn count_searchable(&self) -> StoreResult<i64> {
        let today = china_today();
        Ok(read!(self, |c| {
            sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM items WHERE status = 'published' AND scope = 'public') + \
                 (SELECT COUNT(*) FROM letters WHERE published AND kind <> 'report' AND consent_publish) + \
                 (SELECT COUNT(*) FROM service_items WHERE status IN ('in_force', 'cancelled') \
                  AND current_version_id IS NOT NULL) + \
                 (SELECT COUNT(*) FROM credit_public WHERE status = 'published' AND kind <> 'coercion' \
                  AND display_until >= $1) + \
                 (SELECT COUNT(*) FROM works WHERE kind = 'commitment' AND published_at IS NOT NULL) + \
                 (SELECT COUNT(*) FROM surveys WHERE status <> 'draft')",
            )
            .bind(&today)
            .fetch_one(c)
            .await
        })?)
    }

    async fn with_attachment_text(&self, mut docs: Vec<SearchDoc>) -> StoreResult<Vec<SearchDoc>> {
        if docs.is_empty() {
            return Ok(docs);
        }
        let rows: Vec<(i64, String)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT version_id, text_content FROM attachments WHERE text_content <> '' AND version_id IN (",
            );
            let mut sep = qb.separated(", ");
            for d in &docs {
                sep.push_bind(d.version_id);
            }
            qb.push(") ORDER BY version_id, ord, id");
            qb.build_query_as::<(i64, String)>().fetch_all(c).await
        })?;
        if rows.is_empty() {
            return Ok(docs);
        }
        let mut by_version: std::collections::HashMap<i64, String> = Default::default();
        for (v, t) in rows {
            let e = by_version.entry(v).or_default();
            if !e.is_empty() {
                e.push_str("\n\n");
            }
            e.push_str(&t);
        }
        for d in &mut docs {
            if let Some(t) = by_version.remove(&d.version_id) {
                d.attachment_text = t;
            }
        }
        Ok(docs)
    }
}
