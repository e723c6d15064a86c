//! Fonts found at run time in a folder (by default `/usr/share/fonts`): every face of every
//! TrueType/OpenType file or collection is indexed once (family, weight, whether it sets Chinese);
//! a file is read into memory only when a document first uses one of its faces, and then kept.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use skrifa::instance::{LocationRef, Size};
use skrifa::raw::FileRef;
use skrifa::string::StringId;
use skrifa::{FontRef, MetadataProvider};

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

/// The three faces the documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Serif,
    Sans,
    Mono,
}

struct FileSlot {
    path: PathBuf,
    data: OnceLock<Option<Arc<Vec<u8>>>>,
}

struct FaceInfo {
    file: usize,
    index: u32,
    family: String,
    weight: f32,
    italic: bool,
    cjk: bool,
}

/// A face ready to set text: its data, the PDF font made of it and its metrics.
#[derive(Clone)]
pub(crate) struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    pub(crate) pdf: krilla::text::Font,
    /// Font units per em.
    upem: f32,
}

impl Face {
    fn load(data: Arc<Vec<u8>>, index: u32) -> Option<Face> {
        let font = FontRef::from_index(data.as_slice(), index).ok()?;
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let pdf = krilla::text::Font::new(data.clone().into(), index)?;
        Some(Face {
            data,
            index,
            pdf,
            upem: upem.max(1.0),
        })
    }

    fn font_ref(&self) -> Option<FontRef<'_>> {
        FontRef::from_index(self.data.as_slice(), self.index).ok()
    }

    /// The glyph and advance (in em) of each character, `None` where the face has no glyph.
    pub(crate) fn glyphs(&self, text: &str) -> Vec<Option<(u32, f32)>> {
        let Some(font) = self.font_ref() else {
            return vec![None; text.chars().count()];
        };
        let cmap = font.charmap();
        let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        text.chars()
            .map(|c| {
                let g = cmap.map(c)?;
                let adv = metrics.advance_width(g).unwrap_or(self.upem);
                Some((g.to_u32(), adv / self.upem))
            })
            .collect()
    }
}

/// The indexed fonts of a folder and the families the documents use.
pub(crate) struct Fonts {
    files: Vec<FileSlot>,
    faces: Vec<FaceInfo>,
    pub(crate) serif: String,
    pub(crate) sans: String,
    pub(crate) mono: String,
    loaded: OnceLock<Loaded>,
}

/// The faces of the three families, regular and bold, loaded on first use.
struct Loaded {
    faces: [[Option<Face>; 2]; 3],
}

impl Fonts {
    pub(crate) fn scan(dir: &Path) -> Result<Fonts, ReportError> {
        let mut paths = vec![];
        collect(dir, &mut paths, 0);
        paths.sort();
        let mut files = vec![];
        let mut faces = vec![];
        for path in paths {
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let file = files.len();
            let mut any = false;
            // Every face with its index in the file, those that do not parse left out.
            let fonts: Vec<(usize, FontRef<'_>)> = match FileRef::new(&data) {
                Ok(f) => f
                    .fonts()
                    .enumerate()
                    .filter_map(|(i, r)| r.ok().map(|f| (i, f)))
                    .collect(),
                Err(_) => continue,
            };
            for (index, font) in &fonts {
                let index = *index;
                let Some(family) = family_name(font) else {
                    continue;
                };
                let attrs = font.attributes();
                let cmap = font.charmap();
                faces.push(FaceInfo {
                    file,
                    index: u32::try_from(index).unwrap_or(0),
                    family,
                    weight: attrs.weight.value(),
                    italic: attrs.style != skrifa::attribute::Style::Normal,
                    cjk: CJK_PROBE.iter().all(|c| cmap.map(*c).is_some()),
                });
                any = true;
            }
            if any {
                files.push(FileSlot {
                    path,
                    data: OnceLock::new(),
                });
            }
        }
        let cjk: Vec<&FaceInfo> = faces.iter().filter(|i| i.cjk).collect();
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
            .find(|i| {
                let f = i.family.to_ascii_lowercase();
                f.contains("serif") || f.contains("song") || f.contains("ming")
            })
            .unwrap_or(any_cjk)
            .family
            .clone();
        let serif = pick(SERIF, &serif_fallback);
        let sans = pick(SANS, &any_cjk.family);
        let mono = MONO
            .iter()
            .find(|w| faces.iter().any(|i| i.family.eq_ignore_ascii_case(w)))
            .map(|w| w.to_string())
            .unwrap_or_else(|| sans.clone());
        Ok(Fonts {
            files,
            faces,
            serif,
            sans,
            mono,
            loaded: OnceLock::new(),
        })
    }

    /// How many faces were indexed.
    pub(crate) fn len(&self) -> usize {
        self.faces.len()
    }

    /// The face of `family` (bold or regular; the nearest weight the folder has).
    pub(crate) fn face(&self, family: Family, bold: bool) -> Option<&Face> {
        let loaded = self.loaded.get_or_init(|| Loaded {
            faces: [Family::Serif, Family::Sans, Family::Mono]
                .map(|f| [false, true].map(|b| self.load(f, b))),
        });
        let row = &loaded.faces[family as usize];
        row[usize::from(bold)].as_ref().or(row[0].as_ref())
    }

    fn family_name(&self, family: Family) -> &str {
        match family {
            Family::Serif => &self.serif,
            Family::Sans => &self.sans,
            Family::Mono => &self.mono,
        }
    }

    fn load(&self, family: Family, bold: bool) -> Option<Face> {
        let name = self.family_name(family);
        let want = if bold { 700.0 } else { 400.0 };
        let info = self
            .faces
            .iter()
            .filter(|i| i.family.eq_ignore_ascii_case(name))
            .min_by(|a, b| {
                let da = (a.weight - want).abs() + if a.italic { 1000.0 } else { 0.0 };
                let db = (b.weight - want).abs() + if b.italic { 1000.0 } else { 0.0 };
                da.total_cmp(&db)
            })?;
        let file = self.files.get(info.file)?;
        let data = file
            .data
            .get_or_init(|| std::fs::read(&file.path).ok().map(Arc::new))
            .clone()?;
        Face::load(data, info.index)
    }
}

/// The family a face belongs to (the typographic family where the font names one), in English.
fn family_name(font: &FontRef<'_>) -> Option<String> {
    [StringId::TYPOGRAPHIC_FAMILY_NAME, StringId::FAMILY_NAME]
        .into_iter()
        .find_map(|id| {
            let mut strings = font.localized_strings(id);
            let s = strings
                .clone()
                .find(|s| s.language().is_some_and(|l| l.starts_with("en")))
                .or_else(|| strings.next())?;
            let name: String = s.chars().collect();
            (!name.trim().is_empty()).then(|| name.trim().to_string())
        })
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
