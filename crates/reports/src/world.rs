//! The typst `World` of one rendering: a closed, in-memory file system holding the template
//! (`/main.typ`), the shared styles (`/gongkai.typ`), the data (`/data.json`) and assets
//! (`/assets/…`). Nothing is read from the disk except fonts, and there are no packages.

use std::collections::HashMap;

use chrono::{Datelike, Duration as ChronoDuration, Local, Utc};
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, World};

use crate::fonts::Fonts;

/// A file id in the project root. Ids are interned for the life of the process (at most
/// 65 535 of them), so only a few fixed paths are ever used.
pub(crate) fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

pub(crate) struct RenderWorld<'a> {
    pub(crate) library: &'a LazyHash<Library>,
    pub(crate) book: &'a LazyHash<FontBook>,
    pub(crate) fonts: &'a Fonts,
    pub(crate) main: Source,
    pub(crate) sources: HashMap<FileId, Source>,
    pub(crate) files: HashMap<FileId, Bytes>,
}

impl World for RenderWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            return Ok(self.main.clone());
        }
        match self.sources.get(&id) {
            Some(s) => Ok(s.clone()),
            None if self.files.contains_key(&id) => Err(FileError::NotSource),
            None => Err(FileError::NotFound(
                id.vpath().get_with_slash().to_string().into(),
            )),
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(b) = self.files.get(&id) {
            return Ok(b.clone());
        }
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.clone()));
        }
        match self.sources.get(&id) {
            Some(s) => Ok(Bytes::from_string(s.clone())),
            None => Err(FileError::NotFound(
                id.vpath().get_with_slash().to_string().into(),
            )),
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.get(index)
    }

    fn today(&self, offset: Option<Duration>) -> Option<Datetime> {
        let date = match offset {
            None => Local::now().date_naive(),
            Some(o) => {
                let secs = o.seconds().round() as i64;
                (Utc::now() + ChronoDuration::try_seconds(secs)?).date_naive()
            }
        };
        Datetime::from_ymd(
            date.year(),
            u8::try_from(date.month()).ok()?,
            u8::try_from(date.day()).ok()?,
        )
    }
}
