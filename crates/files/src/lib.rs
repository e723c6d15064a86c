//! Attachments: a content-addressed store (files named by their SHA-256), type checks against
//! the content rather than the name, and text extraction for screening and search.
//!
//! The local store writes each file under a temporary name, flushes it to disk, renames it into
//! place and flushes the folder, all before the database may refer to it: a crash never leaves a
//! reference to a missing or torn file. A file already stored (same hash) is not written again.

pub mod table;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("文件读写失败：{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Refused(String),
}

pub type FileResult<T> = Result<T, FileError>;

/// Where attachments are kept: a local folder (the default), or an S3-compatible bucket.
#[derive(Debug, Clone)]
pub enum BlobStore {
    Local(LocalStore),
    S3(S3Store),
}

/// Content-addressed storage in a local folder: `ROOT/ab/abcdef….` (by SHA-256).
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

/// Content-addressed storage in an S3-compatible bucket, through object_store: `PREFIX/ab/abcd…`.
#[derive(Debug, Clone)]
pub struct S3Store {
    store: std::sync::Arc<dyn object_store::ObjectStore>,
    prefix: String,
    bucket: String,
}

/// Settings of an S3-compatible bucket.
#[derive(Debug, Clone, Default)]
pub struct S3Config {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub prefix: String,
    /// Allow plain HTTP (a bucket on the local network or in tests).
    pub allow_http: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn valid_hash(h: &str) -> bool {
    h.len() == 64
        && h.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

fn check_hash(h: &str) -> FileResult<()> {
    if valid_hash(h) {
        Ok(())
    } else {
        Err(FileError::Refused("无效的文件哈希".into()))
    }
}

impl LocalStore {
    /// Where a blob lives (whether or not it exists).
    pub fn path_of(&self, sha256: &str) -> FileResult<PathBuf> {
        check_hash(sha256)?;
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Store `bytes` durably and return their SHA-256.
    pub fn put(&self, bytes: &[u8]) -> FileResult<String> {
        let hash = sha256_hex(bytes);
        let dest = self.path_of(&hash)?;
        if dest.exists() && sha256_file(&dest).ok().as_deref() == Some(hash.as_str()) {
            return Ok(hash);
        }
        let dir = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{hash}.{}.tmp", rand::random::<u64>()));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &dest)?;
        // The rename is durable only once the folder's entry is on disk.
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(hash)
    }

    pub fn get(&self, sha256: &str) -> FileResult<Vec<u8>> {
        Ok(std::fs::read(self.path_of(sha256)?)?)
    }
}

impl S3Store {
    fn key(&self, sha256: &str) -> object_store::path::Path {
        let p = self.prefix.trim_matches('/');
        if p.is_empty() {
            object_store::path::Path::from(format!("{}/{sha256}", &sha256[..2]))
        } else {
            object_store::path::Path::from(format!("{p}/{}/{sha256}", &sha256[..2]))
        }
    }
}

fn s3_err(e: object_store::Error) -> FileError {
    FileError::Io(std::io::Error::other(format!("对象存储：{e}")))
}

fn join_err(e: tokio::task::JoinError) -> FileError {
    FileError::Io(std::io::Error::other(e.to_string()))
}

/// Install ring as the process's TLS crypto provider, which every HTTPS client built with
/// reqwest (the object store's, a test's) needs: the build carries ring only, not aws-lc.
/// Calling it again does nothing.
pub fn install_tls_provider() {
    // An error means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl BlobStore {
    pub fn local(root: impl Into<PathBuf>) -> BlobStore {
        BlobStore::Local(LocalStore { root: root.into() })
    }

    /// An S3-compatible bucket (AWS S3, MinIO, 对象存储 of the cloud in use).
    pub fn s3(c: &S3Config) -> FileResult<BlobStore> {
        install_tls_provider();
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(&c.bucket)
            .with_region(if c.region.is_empty() {
                "us-east-1"
            } else {
                &c.region
            })
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(&c.secret_access_key)
            .with_allow_http(c.allow_http);
        if !c.endpoint.is_empty() {
            b = b
                .with_endpoint(&c.endpoint)
                .with_virtual_hosted_style_request(false);
        }
        let store = b
            .build()
            .map_err(|e| FileError::Refused(format!("对象存储配置有误：{e}")))?;
        Ok(BlobStore::S3(S3Store {
            store: std::sync::Arc::new(store),
            prefix: c.prefix.clone(),
            bucket: c.bucket.clone(),
        }))
    }

    /// Where the files are, for messages.
    pub fn describe(&self) -> String {
        match self {
            BlobStore::Local(l) => l.root.display().to_string(),
            BlobStore::S3(s) => format!("s3://{}/{}", s.bucket, s.prefix),
        }
    }

    /// The local path of a blob (local stores only).
    pub fn path_of(&self, sha256: &str) -> FileResult<PathBuf> {
        match self {
            BlobStore::Local(l) => l.path_of(sha256),
            BlobStore::S3(_) => Err(FileError::Refused("对象存储中的文件没有本地路径".into())),
        }
    }

    /// Store `bytes` durably (on disk and its folder flushed, or acknowledged by the bucket)
    /// and return their SHA-256. Only then may the database refer to it.
    pub async fn put(&self, bytes: Vec<u8>) -> FileResult<String> {
        match self {
            BlobStore::Local(l) => {
                let l = l.clone();
                tokio::task::spawn_blocking(move || l.put(&bytes))
                    .await
                    .map_err(join_err)?
            }
            BlobStore::S3(s) => {
                let hash = sha256_hex(&bytes);
                s.store
                    .put(&s.key(&hash), bytes.into())
                    .await
                    .map_err(s3_err)?;
                Ok(hash)
            }
        }
    }

    pub async fn get(&self, sha256: &str) -> FileResult<Vec<u8>> {
        check_hash(sha256)?;
        match self {
            BlobStore::Local(l) => {
                let (l, h) = (l.clone(), sha256.to_string());
                tokio::task::spawn_blocking(move || l.get(&h))
                    .await
                    .map_err(join_err)?
            }
            BlobStore::S3(s) => {
                let r = s.store.get(&s.key(sha256)).await.map_err(s3_err)?;
                Ok(r.bytes().await.map_err(s3_err)?.to_vec())
            }
        }
    }

    /// The SHA-256 of what is stored under `sha256` now (None if it is missing): equal to the
    /// name unless the file was altered.
    pub async fn hash_of_stored(&self, sha256: &str) -> Option<String> {
        match self {
            BlobStore::Local(l) => {
                let p = l.path_of(sha256).ok()?;
                tokio::task::spawn_blocking(move || sha256_file(&p).ok())
                    .await
                    .ok()?
            }
            BlobStore::S3(_) => self.get(sha256).await.ok().map(|b| sha256_hex(&b)),
        }
    }
}

/// SHA-256 of a file on disk, streamed.
pub fn sha256_file(p: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The kinds of attachment accepted, identified by their content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Ofd,
    Doc,
    Docx,
    Xls,
    Xlsx,
    Wps,
    Et,
    Jpeg,
    Png,
    Zip,
    Txt,
}

impl FileKind {
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Ofd => "application/ofd",
            FileKind::Doc | FileKind::Wps => "application/msword",
            FileKind::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileKind::Xls | FileKind::Et => "application/vnd.ms-excel",
            FileKind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Zip => "application/zip",
            FileKind::Txt => "text/plain; charset=utf-8",
        }
    }

    /// File-name extensions that may carry this kind.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Ofd => &["ofd"],
            FileKind::Doc => &["doc"],
            FileKind::Docx => &["docx"],
            FileKind::Xls => &["xls"],
            FileKind::Xlsx => &["xlsx"],
            FileKind::Wps => &["wps"],
            FileKind::Et => &["et"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Png => &["png"],
            FileKind::Zip => &["zip"],
            FileKind::Txt => &["txt"],
        }
    }
}

fn zip_has(bytes: &[u8], name: &str) -> bool {
    zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map(|mut z| z.by_name(name).is_ok())
        .unwrap_or(false)
}

/// Identify an upload by its content and check that its name's extension agrees. OLE2 files
/// (DOC, XLS, WPS, ET) share one signature; their extension decides which one it is.
pub fn sniff(bytes: &[u8], file_name: &str) -> Result<FileKind, String> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let kind = if bytes.starts_with(b"%PDF-") {
        Some(FileKind::Pdf)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileKind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileKind::Png)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        match ext.as_str() {
            "doc" => Some(FileKind::Doc),
            "xls" => Some(FileKind::Xls),
            "wps" => Some(FileKind::Wps),
            "et" => Some(FileKind::Et),
            _ => None,
        }
    } else if bytes.starts_with(b"PK\x03\x04") {
        if zip_has(bytes, "word/document.xml") {
            Some(FileKind::Docx)
        } else if zip_has(bytes, "xl/workbook.xml") {
            Some(FileKind::Xlsx)
        } else if zip_has(bytes, "OFD.xml") {
            Some(FileKind::Ofd)
        } else {
            Some(FileKind::Zip)
        }
    } else if infer::is_app(bytes) || infer::is_video(bytes) || infer::is_audio(bytes) {
        None
    } else if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) {
        Some(FileKind::Txt)
    } else {
        None
    };
    let Some(kind) = kind else {
        return Err("不支持的文件类型。可上传 PDF、OFD、DOC/DOCX、XLS/XLSX、WPS/ET、JPG/PNG、ZIP 或 TXT 文件".into());
    };
    if !kind.extensions().contains(&ext.as_str()) {
        return Err(format!(
            "文件内容与扩展名不符：内容是{}文件，文件名却是“.{}”。请检查后重新上传",
            kind.extensions()[0].to_uppercase(),
            ext
        ));
    }
    Ok(kind)
}

/// The text of a document, for screening and search (empty for images and archives, and for
/// documents whose text cannot be read).
pub fn extract_text(bytes: &[u8], kind: FileKind) -> String {
    match kind {
        FileKind::Txt => String::from_utf8_lossy(bytes).to_string(),
        FileKind::Pdf => pdf_extract::extract_text_from_mem(bytes).unwrap_or_default(),
        FileKind::Docx => docx_text(bytes).unwrap_or_default(),
        FileKind::Xlsx => xlsx_text(bytes).unwrap_or_default(),
        _ => String::new(),
    }
}

fn docx_text(bytes: &[u8]) -> Option<String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut xml = String::new();
    z.by_name("word/document.xml")
        .ok()?
        .read_to_string(&mut xml)
        .ok()?;
    Some(docx_xml_text(&xml))
}

/// The text runs (`<w:t>`) of WordprocessingML, one paragraph (`</w:p>`) per line.
fn docx_xml_text(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt..];
        let Some(gt) = after.find('>') else { break };
        let tag = &after[1..gt];
        rest = &after[gt + 1..];
        if tag == "/w:p" {
            out.push('\n');
        } else if (tag == "w:t" || tag.starts_with("w:t ")) && !tag.ends_with('/') {
            let end = rest.find("</w:t>").unwrap_or(rest.len());
            out.push_str(&unescape_xml(&rest[..end]));
            rest = &rest[end..];
        }
    }
    out
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn xlsx_text(bytes: &[u8]) -> Option<String> {
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).ok()?;
    let mut out = String::new();
    for name in wb.sheet_names().to_vec() {
        if let Ok(range) = wb.worksheet_range(&name) {
            for row in range.rows() {
                let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
                out.push_str(&cells.join("\t"));
                out.push('\n');
            }
        }
    }
    Some(out)
}

/// `Content-Disposition` for a download that keeps the original Chinese file name (RFC 6266 /
/// RFC 5987: an ASCII fallback plus `filename*` in UTF-8).
pub fn content_disposition(file_name: &str) -> String {
    disposition("attachment", file_name)
}

/// `Content-Disposition` for a file the browser should show (for example a PDF), with the same
/// Chinese file name for when it is saved.
pub fn content_disposition_inline(file_name: &str) -> String {
    disposition("inline", file_name)
}

fn disposition(kind: &str, file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn docx(text: &str) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut z = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            z.start_file("[Content_Types].xml", opts).unwrap();
            z.write_all(b"<Types/>").unwrap();
            z.start_file("word/document.xml", opts).unwrap();
            z.write_all(format!("<w:document><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>").as_bytes()).unwrap();
            z.finish().unwrap();
        }
        buf.into_inner()
    }

    #[tokio::test]
    async fn stored_files_are_found_by_hash_and_never_torn() {
        let dir = tempfile::tempdir().unwrap();
        let s = BlobStore::local(dir.path());
        let h = s.put("示例文件".as_bytes().to_vec()).await.unwrap();
        assert_eq!(s.get(&h).await.unwrap(), "示例文件".as_bytes());
        assert_eq!(
            s.put("示例文件".as_bytes().to_vec()).await.unwrap(),
            h,
            "same content, same name"
        );
        assert_eq!(s.hash_of_stored(&h).await, Some(h.clone()));
        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join(&h[..2]))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1);
        assert!(s.path_of("../../etc/passwd").is_err());
        assert!(s.get("../../etc/passwd").await.is_err());
    }

    /// Against a real S3-compatible server when `GONGKAI_TEST_S3` names one (CI starts moto).
    #[tokio::test]
    async fn s3_bucket_round_trip() {
        let Ok(endpoint) = std::env::var("GONGKAI_TEST_S3") else {
            eprintln!("GONGKAI_TEST_S3 not set: S3 case skipped");
            return;
        };
        let bucket = format!("gk-files-{}", rand::random::<u32>());
        create_bucket(&endpoint, &bucket).await;
        let s = BlobStore::s3(&S3Config {
            endpoint,
            bucket,
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            prefix: "attachments".into(),
            allow_http: true,
        })
        .unwrap();
        let h = s.put("对象存储中的附件".as_bytes().to_vec()).await.unwrap();
        assert_eq!(s.get(&h).await.unwrap(), "对象存储中的附件".as_bytes());
        assert_eq!(s.hash_of_stored(&h).await, Some(h.clone()));
        assert_eq!(s.hash_of_stored(&"0".repeat(64)).await, None);
    }

    /// Create a bucket on an S3-compatible test server (moto accepts unsigned requests).
    pub async fn create_bucket(endpoint: &str, bucket: &str) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let hostport = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let mut sock = tokio::net::TcpStream::connect(&hostport).await.unwrap();
        let req = format!(
            "PUT /{bucket} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        sock.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        sock.read_to_end(&mut buf).await.unwrap();
        assert!(
            String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&buf)
        );
    }

    #[test]
    fn content_decides_the_type() {
        assert_eq!(sniff(b"%PDF-1.7 ...", "通知.pdf"), Ok(FileKind::Pdf));
        assert!(
            sniff(b"%PDF-1.7 ...", "通知.docx")
                .unwrap_err()
                .contains("不符")
        );
        assert!(
            sniff(b"MZ\x90\x00\x03\x00\x00\x00", "报告.pdf").is_err(),
            "an executable named .pdf"
        );
        assert_eq!(sniff(&docx("正文"), "方案.docx"), Ok(FileKind::Docx));
        assert!(sniff(&docx("正文"), "方案.zip").is_err());
        assert_eq!(sniff("纯文本".as_bytes(), "说明.txt"), Ok(FileKind::Txt));
    }

    #[test]
    fn docx_text_is_extracted() {
        let t = extract_text(&docx("身份证号11010519491231002X"), FileKind::Docx);
        assert!(t.contains("11010519491231002X"), "{t}");
    }

    #[test]
    fn chinese_file_names_survive_downloads() {
        let d = content_disposition("2025年预算.pdf");
        assert!(
            d.contains("filename*=UTF-8''2025%E5%B9%B4%E9%A2%84%E7%AE%97.pdf"),
            "{d}"
        );
        assert!(d.contains("filename=\"2025___.pdf\""));
    }

    #[test]
    fn inline_disposition_keeps_the_name() {
        let d = content_disposition_inline("公示单.pdf");
        assert!(d.starts_with("inline; filename=\"___.pdf\""), "{d}");
        assert!(
            d.ends_with("filename*=UTF-8''%E5%85%AC%E7%A4%BA%E5%8D%95.pdf"),
            "{d}"
        );
    }
}
