//! Fonts found at run time in a folder (by default `/usr/share/fonts`): every face of every
//! TrueType/OpenType file or collection is indexed once; a file is read into memory only when
//! typst first asks for one of its faces, and then kept.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo};

use crate::ReportError;

/// Preferred families, best first. Debian's `fonts-noto-cjk` provides the first of each.
const SERIF: &[&str] = &[
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "Noto Serif SC",
    "Source Han Serif CN",
];
const SANS: &[&str] = &[
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
];
const MONO: &[&str] = &[
    "DejaVu Sans Mono",
    "Liberation Mono",
    "Noto Sans Mono CJK SC",
    "Noto Sans Mono",
];

/// A character every usable Chinese font has (and Latin fonts do not).
const CJK_PROBE: [char; 3] = ['中', '国', '政'];

struct FileSlot {
    path: PathBuf,
    data: OnceLock<Option<Bytes>>,
}

struct FaceSlot {
    file: usize,
    index: u32,
    font: OnceLock<Option<Font>>,
}

/// The indexed fonts of a folder and the families the templates use.
pub(crate) struct Fonts {
    pub(crate) book: FontBook,
    files: Vec<FileSlot>,
    faces: Vec<FaceSlot>,
    pub(crate) serif: String,
    pub(crate) sans: String,
    pub(crate) mono: String,
}

impl Fonts {
    /// Index every font under `dir` (recursively). Fails when none of them covers Chinese.
    pub(crate) fn scan(dir: &Path) -> Result<Fonts, ReportError> {
        let mut paths = vec![];
        collect(dir, &mut paths, 0);
        paths.sort();
        let mut book = FontBook::new();
        let mut files = vec![];
        let mut faces = vec![];
        let mut infos: Vec<FontInfo> = vec![];
        for path in paths {
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let file = files.len();
            let mut any = false;
            let count = ttf_count(&data);
            for index in 0..count {
                if let Some(info) = FontInfo::new(&data, index) {
                    book.push(info.clone());
                    infos.push(info);
                    faces.push(FaceSlot {
                        file,
                        index,
                        font: OnceLock::new(),
                    });
                    any = true;
                }
            }
            if any {
                files.push(FileSlot {
                    path,
                    data: OnceLock::new(),
                });
            }
        }
        let cjk: Vec<&FontInfo> = infos
            .iter()
            .filter(|i| CJK_PROBE.iter().all(|c| i.coverage.contains(*c as u32)))
            .collect();
        let Some(any_cjk) = cjk.first() else {
            return Err(ReportError::NoCjkFont(dir.display().to_string()));
        };
        let pick = |wanted: &[&str], fallback: &str| -> String {
            wanted
                .iter()
                .find(|w| cjk.iter().any(|i| i.family.eq_ignore_ascii_case(w)))
                .map(|w| w.to_string())
                .unwrap_or_else(|| fallback.to_string())
        };
        let serif_fallback = cjk
            .iter()
            .find(|i| i.flags.contains(typst::text::FontFlags::SERIF))
            .unwrap_or(any_cjk)
            .family
            .clone();
        let serif = pick(SERIF, &serif_fallback);
        let sans = pick(SANS, &any_cjk.family);
        let mono = MONO
            .iter()
            .find(|w| infos.iter().any(|i| i.family.eq_ignore_ascii_case(w)))
            .map(|w| w.to_string())
            .unwrap_or_else(|| sans.clone());
        Ok(Fonts {
            book,
            files,
            faces,
            serif,
            sans,
            mono,
        })
    }

    /// The face at `index` of the book, loading its file on first use.
    pub(crate) fn get(&self, index: usize) -> Option<Font> {
        let face = self.faces.get(index)?;
        face.font
            .get_or_init(|| {
                let file = self.files.get(face.file)?;
                let data = file
                    .data
                    .get_or_init(|| std::fs::read(&file.path).ok().map(Bytes::new))
                    .clone()?;
                Font::new(data, face.index)
            })
            .clone()
    }

    /// How many faces were indexed.
    pub(crate) fn len(&self) -> usize {
        self.faces.len()
    }
}

/// The number of faces in a font file (1 for a plain TrueType/OpenType file).
fn ttf_count(data: &[u8]) -> u32 {
    // A collection starts with `ttcf`, then the version and the number of fonts.
    if data.len() >= 12 && &data[0..4] == b"ttcf" {
        u32::from_be_bytes([data[8], data[9], data[10], data[11]]).min(256)
    } else {
        1
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out, depth + 1);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "ttf" | "otf" | "ttc" | "otc"
            )
        }) {
            out.push(path);
        }
    }
}
