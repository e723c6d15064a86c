//! Chinese full-text search over published, public items: a tantivy index with jieba words and
//! character grams, derived from the store's change log.
//!
//! The index is derived data: it records in each commit the last change-log sequence it applied,
//! catches up from there on start and continuously, and can be rebuilt from the store at any time.

pub mod text;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gongkai_store::Store;
use gongkai_store::search::SearchDoc;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, TantivyDocument, Term};

pub use text::{Clause, Piece, QueryError, parse_query, snippet};

/// Bumped whenever the schema, the analysis or the kinds of document change; an index of
/// another version is rebuilt (4: service items).
const SCHEMA_VERSION: &str = "gongkai-search-4";
const VERSION_FILE: &str = "GONGKAI_SCHEMA";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(
        "搜索索引目录 {0} 正被另一个进程使用（每个 gongkai serve 实例需要自己的索引目录：search.index_dir；重建索引前请先停止服务）"
    )]
    Locked(PathBuf),
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] gongkai_store::StoreError),
    #[error("search task failed: {0}")]
    Task(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    body: Field,
    cat: Field,
    year: Field,
    validity: Field,
    date: Field,
    title_w: Field,
    title_g: Field,
    text_w: Field,
    text_g: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("gk_words")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("gk_grams")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let f = Fields {
        id: b.add_u64_field("id", INDEXED | FAST),
        body: b.add_u64_field("body", INDEXED),
        cat: b.add_u64_field("cat", INDEXED),
        year: b.add_u64_field("year", INDEXED),
        validity: b.add_text_field("validity", STRING),
        date: b.add_i64_field("date", FAST),
        title_w: b.add_text_field("title_w", words.clone()),
        title_g: b.add_text_field("title_g", grams.clone()),
        text_w: b.add_text_field("text_w", words),
        text_g: b.add_text_field("text_g", grams),
    };
    (b.build(), f)
}

/// A token stream over tokens computed up front.
struct VecStream {
    tokens: Vec<Token>,
    at: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.at - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.at - 1]
    }
}

/// jieba search-mode words of normalised text.
#[derive(Clone, Default)]
struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let norm = text::normalize(text);
        let tokens = text::index_words(&norm)
            .into_iter()
            .enumerate()
            .map(|(i, (w, from, to))| Token {
                offset_from: from,
                offset_to: to,
                position: i,
                text: w,
                position_length: 1,
            })
            .collect();
        VecStream { tokens, at: 0 }
    }
}

/// Single characters and pairs of normalised text (see [`text::grams`]).
#[derive(Clone, Default)]
struct GramTokenizer;

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let norm = text::normalize(text);
        let tokens = text::grams(&norm)
            .into_iter()
            .map(|g| Token {
                offset_from: g.from,
                offset_to: g.to,
                position: g.position,
                text: g.text,
                position_length: 1,
            })
            .collect();
        VecStream { tokens, at: 0 }
    }
}

/// How many threads and how much memory the index writer uses.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    pub threads: usize,
    pub heap_bytes: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            threads: 1,
            heap_bytes: 64 * 1024 * 1024,
        }
    }
}

impl WriterOptions {
    /// For a full rebuild: every core, more memory per thread.
    pub fn bulk() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
        WriterOptions {
            threads,
            heap_bytes: threads * 200 * 1024 * 1024,
        }
    }
}

struct Inner {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    f: Fields,
    /// Searches running at once: as many as there are cores. More only share the cores with
    /// more threads (under load, 64 at once made every one of them slow).
    running: tokio::sync::Semaphore,
}

/// The search index. Cheap to clone; one per process (the folder is locked while open).
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

/// Filters and order of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub clauses: Vec<Clause>,
    pub body_id: Option<i64>,
    /// A category; its sub-categories are included.
    pub category_id: Option<i64>,
    pub year: Option<i32>,
    pub validity: Option<String>,
    pub by_date: bool,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub total: usize,
    pub ids: Vec<i64>,
}

fn register(index: &Index) {
    index
        .tokenizers()
        .register("gk_words", TextAnalyzer::builder(WordTokenizer).build());
    index
        .tokenizers()
        .register("gk_grams", TextAnalyzer::builder(GramTokenizer).build());
}

fn lock_error(e: tantivy::TantivyError, dir: &Path) -> SearchError {
    match e {
        tantivy::TantivyError::LockFailure(..) => SearchError::Locked(dir.to_path_buf()),
        e => SearchError::Index(e),
    }
}

impl SearchIndex {
    /// Open the index in `dir`, creating it (or recreating it, when it was made by another
    /// version of the analysis) as needed. Fails with [`SearchError::Locked`] when another
    /// process has it open.
    pub fn open(dir: &Path, opts: WriterOptions) -> SearchResult<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, f) = schema();
        let version_ok = std::fs::read_to_string(dir.join(VERSION_FILE))
            .map(|v| v.trim() == SCHEMA_VERSION)
            .unwrap_or(false);
        let index = if version_ok && dir.join("meta.json").exists() {
            Index::open_in_dir(dir)?
        } else {
            // Derived data of another version (or none): start again. Only our own files are
            // removed, and only when the folder holds an index or nothing.
            for e in std::fs::read_dir(dir)? {
                let e = e?;
                let name = e.file_name();
                let name = name.to_string_lossy();
                if e.file_type()?.is_file()
                    && (name.ends_with(".idx")
                        || name.ends_with(".pos")
                        || name.ends_with(".term")
                        || name.ends_with(".store")
                        || name.ends_with(".fast")
                        || name.ends_with(".fieldnorm")
                        || name.ends_with(".del")
                        || name == "meta.json"
                        || name == ".managed.json"
                        || name == VERSION_FILE)
                {
                    std::fs::remove_file(e.path())?;
                }
            }
            let index = Index::create_in_dir(dir, schema)?;
            std::fs::write(dir.join(VERSION_FILE), SCHEMA_VERSION)?;
            index
        };
        Self::from_index(index, f, opts).map_err(|e| match e {
            SearchError::Index(t) => lock_error(t, dir),
            e => e,
        })
    }

    /// An index in memory (tests, benchmarks of the query path).
    pub fn in_ram(opts: WriterOptions) -> SearchResult<SearchIndex> {
        let (schema, f) = schema();
        Self::from_index(Index::create_in_ram(schema), f, opts)
    }

    fn from_index(mut index: Index, f: Fields, opts: WriterOptions) -> SearchResult<SearchIndex> {
        register(&index);
        // A query's segments are searched on every core.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        index.set_multithread_executor(cores)?;
        let writer = index.writer_with_num_threads(opts.threads.max(1), opts.heap_bytes)?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        text::warm_up();
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                index,
                reader,
                writer: Mutex::new(writer),
                f,
                running: tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                ),
            }),
        })
    }

    /// The last change-log sequence the index has applied; `None` for an index never built.
    pub fn applied_seq(&self) -> SearchResult<Option<i64>> {
        let metas = self.inner.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.trim().parse().ok()))
    }

    /// Number of documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    fn document(&self, d: &SearchDoc) -> TantivyDocument {
        let f = &self.inner.f;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.id, d.id as u64);
        doc.add_u64(f.body, d.body_id as u64);
        for c in d.category_ids() {
            doc.add_u64(f.cat, c as u64);
        }
        if let Some(y) = d.year() {
            doc.add_u64(f.year, y as u64);
        }
        doc.add_text(f.validity, &d.validity);
        doc.add_i64(f.date, d.published_at.unwrap_or(0));
        let title = format!("{} {}", d.title, d.doc_no);
        doc.add_text(f.title_w, &title);
        doc.add_text(f.title_g, &title);
        let body = format!(
            "{}\n{}\n{}\n{}\n{}",
            d.subject,
            d.keywords,
            d.summary,
            text::plain(&d.body_md),
            d.attachment_text
        );
        doc.add_text(f.text_w, &body);
        doc.add_text(f.text_g, &body);
        doc
    }

    /// Replace the documents of `ids` by `docs` (those of `ids` that are still searchable) and
    /// commit, recording `seq` as applied.
    pub async fn apply(&self, ids: Vec<i64>, docs: Vec<SearchDoc>, seq: i64) -> SearchResult<()> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || -> SearchResult<()> {
            let id_field = me.inner.f.id;
            let prepared: Vec<TantivyDocument> = docs.iter().map(|d| me.document(d)).collect();
            let mut w = me
                .inner
                .writer
                .lock()
                .map_err(|_| SearchError::Task("writer lock poisoned".into()))?;
            for id in ids {
                w.delete_term(Term::from_field_u64(id_field, id as u64));
            }
            for d in prepared {
                w.add_document(d)?;
            }
            let mut c = w.prepare_commit()?;
            c.set_payload(&seq.to_string());
            c.commit()?;
            drop(w);
            me.inner.reader.reload()?;
            Ok(())
        })
        .await
        .map_err(|e| SearchError::Task(e.to_string()))?
    }

    /// Apply every change-log entry after the last applied one (a full build first when the
    /// index has never been built). Returns the number of items re-indexed.
    pub async fn catch_up(&self, store: &Store) -> SearchResult<usize> {
        let mut from = match self.applied_seq()? {
            Some(s) => s,
            None => {
                self.rebuild(store, |_, _| {}).await?;
                return Ok(self.num_docs() as usize);
            }
        };
        let mut n = 0;
        loop {
            let rows = store.change_log_after(from, 5000).await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            let mut ids: Vec<i64> = rows
                .iter()
                .filter_map(|r| gongkai_store::search::DocKind::doc_id(&r.entity, r.entity_id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let mut docs = Vec::new();
            for chunk in ids.chunks(1000) {
                docs.extend(store.search_docs(chunk).await?);
            }
            n += ids.len();
            self.apply(ids, docs, last).await?;
            from = last;
        }
        Ok(n)
    }

    /// Rebuild from the store: every published, public item. `progress(done, total)` is called
    /// after each batch. Changes made while rebuilding are applied by the next catch-up.
    pub async fn rebuild(&self, store: &Store, progress: impl Fn(u64, u64)) -> SearchResult<u64> {
        let head = store.change_log_head().await?;
        let total = store.count_searchable().await? as u64;
        {
            let w = self
                .inner
                .writer
                .lock()
                .map_err(|_| SearchError::Task("writer lock poisoned".into()))?;
            w.delete_all_documents()?;
        }
        let mut done = 0u64;
        let mut after = 0i64;
        // Fetch the next page while the previous one is being analysed.
        let mut page = store.search_docs_page(after, 2000).await?;
        while !page.is_empty() {
            after = page.last().map_or(after, |d| d.id);
            let me = self.clone();
            let batch = std::mem::take(&mut page);
            let count = batch.len() as u64;
            let add = tokio::task::spawn_blocking(move || -> SearchResult<()> {
                let docs: Vec<TantivyDocument> = batch.iter().map(|d| me.document(d)).collect();
                let w = me
                    .inner
                    .writer
                    .lock()
                    .map_err(|_| SearchError::Task("writer lock poisoned".into()))?;
                for d in docs {
                    w.add_document(d)?;
                }
                Ok(())
            });
            let next = store.search_docs_page(after, 2000);
            let (added, next) = tokio::join!(add, next);
            added.map_err(|e| SearchError::Task(e.to_string()))??;
            page = next?;
            done += count;
            progress(done, total.max(done));
        }
        let me = self.clone();
        tokio::task::spawn_blocking(move || -> SearchResult<()> {
            let mut w = me
                .inner
                .writer
                .lock()
                .map_err(|_| SearchError::Task("writer lock poisoned".into()))?;
            let mut c = w.prepare_commit()?;
            c.set_payload(&head.to_string());
            c.commit()?;
            drop(w);
            me.inner.reader.reload()?;
            Ok(())
        })
        .await
        .map_err(|e| SearchError::Task(e.to_string()))??;
        Ok(done)
    }

    /// Keep catching up every `every` until the process ends. Errors are logged and retried.
    pub fn follow(&self, store: Store, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                match me.catch_up(&store).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(items = n, "search index caught up"),
                    Err(e) => tracing::warn!(error = %e, "search index catch-up failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }

    fn clause_query(&self, c: &Clause) -> Box<dyn Query> {
        let f = &self.inner.f;
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let grams = text::query_grams(c.text());
        for (field, boost) in [(f.title_g, 3.0f32), (f.text_g, 1.0)] {
            let term = |t: &str| -> Box<dyn Query> {
                Box::new(TermQuery::new(
                    Term::from_field_text(field, t),
                    IndexRecordOption::WithFreqs,
                ))
            };
            let q: Box<dyn Query> = if grams.len() == 1 {
                term(&grams[0].1)
            } else if matches!(c, Clause::Word(_)) {
                // A word's pairs, all required, without reading positions: a word's pairs
                // rarely occur apart, and recall is the same as the phrase's.
                Box::new(BooleanQuery::new(
                    grams.iter().map(|(_, t)| (Occur::Must, term(t))).collect(),
                ))
            } else {
                Box::new(PhraseQuery::new_with_offset(
                    grams
                        .iter()
                        .map(|(p, t)| (*p, Term::from_field_text(field, t)))
                        .collect(),
                ))
            };
            should.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
        // A whole word in the title ranks higher still. (A word in the body adds little over
        // its grams there, and its long postings made a common word's search half as dear
        // again: it is left out of the query.)
        if let Clause::Word(w) = c {
            let q = TermQuery::new(
                Term::from_field_text(f.title_w, w),
                IndexRecordOption::WithFreqs,
            );
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), 3.0))));
        }
        Box::new(BooleanQuery::new(should))
    }

    fn query(&self, r: &SearchRequest) -> Box<dyn Query> {
        let f = &self.inner.f;
        let mut must: Vec<(Occur, Box<dyn Query>)> = r
            .clauses
            .iter()
            .filter(|c| !text::query_grams(c.text()).is_empty())
            .map(|c| (Occur::Must, self.clause_query(c)))
            .collect();
        let term =
            |t: Term| -> Box<dyn Query> { Box::new(TermQuery::new(t, IndexRecordOption::Basic)) };
        if let Some(b) = r.body_id {
            must.push((Occur::Must, term(Term::from_field_u64(f.body, b as u64))));
        }
        if let Some(c) = r.category_id {
            must.push((Occur::Must, term(Term::from_field_u64(f.cat, c as u64))));
        }
        if let Some(y) = r.year {
            must.push((Occur::Must, term(Term::from_field_u64(f.year, y as u64))));
        }
        if let Some(v) = &r.validity {
            must.push((Occur::Must, term(Term::from_field_text(f.validity, v))));
        }
        Box::new(BooleanQuery::new(must))
    }

    /// Run a search. Blocking (CPU); call from a blocking task in async code.
    pub fn search(&self, r: &SearchRequest) -> SearchResult<Hits> {
        if r.clauses.is_empty() {
            return Ok(Hits {
                total: 0,
                ids: Vec::new(),
            });
        }
        let searcher = self.inner.reader.searcher();
        let q = self.query(r);
        let limit = r.limit.clamp(1, 100);
        let (total, addrs): (usize, Vec<DocAddress>) = if r.by_date {
            let top = TopDocs::with_limit(limit)
                .and_offset(r.offset)
                .order_by_fast_field::<i64>("date", Order::Desc);
            let (total, docs) = searcher.search(&q, &(Count, top))?;
            (total, docs.into_iter().map(|(_, a)| a).collect())
        } else {
            let top = TopDocs::with_limit(limit)
                .and_offset(r.offset)
                .order_by_score();
            let (total, docs) = searcher.search(&q, &(Count, top))?;
            (total, docs.into_iter().map(|(_, a)| a).collect())
        };
        self.hits(&searcher, total, addrs)
    }

    fn hits(
        &self,
        searcher: &tantivy::Searcher,
        total: usize,
        addrs: Vec<DocAddress>,
    ) -> SearchResult<Hits> {
        let mut ids = Vec::with_capacity(addrs.len());
        for a in addrs {
            let col = searcher
                .segment_reader(a.segment_ord)
                .fast_fields()
                .u64("id")?;
            if let Some(v) = col.first(a.doc_id) {
                ids.push(v as i64);
            }
        }
        Ok(Hits { total, ids })
    }

    /// Every matching item (unranked, no limit): for measuring recall.
    pub fn all_ids(&self, r: &SearchRequest) -> SearchResult<Vec<i64>> {
        if r.clauses.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.inner.reader.searcher();
        let docs = searcher.search(&self.query(r), &tantivy::collector::DocSetCollector)?;
        let total = docs.len();
        Ok(self.hits(&searcher, total, docs.into_iter().collect())?.ids)
    }

    /// Which commit of the index searches see: it changes whenever a catch-up or a rebuild
    /// commits, so whatever was computed from search results may be kept until it does.
    pub fn generation(&self) -> u64 {
        self.inner.reader.searcher().generation().generation_id()
    }

    /// Search in a blocking task, no more at once than there are cores.
    pub async fn search_async(&self, r: SearchRequest) -> SearchResult<Hits> {
        let _slot = self
            .inner
            .running
            .acquire()
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.search(&r))
            .await
            .map_err(|e| SearchError::Task(e.to_string()))?
    }
}

#[cfg(test)]
mod tests;
