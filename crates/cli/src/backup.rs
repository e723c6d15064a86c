//! Online backup and restore of a SQLite installation: the database through SQLite's own
//! `VACUUM INTO` (a consistent snapshot taken while the server keeps writing), the attachment
//! folder, and a manifest with the SHA-256 of every file, all in one tar archive. PostgreSQL is
//! backed up with pg_dump and replicated with a streaming replica (see the README).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: String,
    pub gongkai_version: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

fn sha256_file(p: &Path) -> anyhow::Result<(u64, String)> {
    let mut f = File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let r = f.read(&mut buf)?;
        if r == 0 {
            break;
        }
        n += r as u64;
        h.update(&buf[..r]);
    }
    Ok((n, hex::encode(h.finalize())))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// The archive holds password hashes and second-factor secrets: readable by its owner only.
fn create_private(p: &Path) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(p)
}

/// Remove what a failed restore left in `dir`, keeping the folder itself (its owner and mode
/// were chosen by the operator).
fn empty_folder(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// Write the backup archive to `out` (via a temporary file renamed into place).
pub async fn backup(
    store: &gongkai_store::Store,
    data_dir: &Path,
    out: &Path,
) -> anyhow::Result<Manifest> {
    let tmp = tempfile::tempdir()?;
    let db = tmp.path().join("gongkai.db");
    store
        .sqlite_backup_to(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut entries: Vec<(String, PathBuf)> = vec![("gongkai.db".into(), db)];
    let mut files = Vec::new();
    for name in ["ledger.key", "secrets.key", "report.key", "report.key.next"] {
        let key = data_dir.join(name);
        if key.exists() {
            files.push(key);
        }
    }
    walk(&data_dir.join("attachments"), &mut files)?;
    files.sort();
    for f in files {
        let rel = f
            .strip_prefix(data_dir)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        // Attachments are written to a temporary name and renamed; skip half-written ones.
        if rel.ends_with(".tmp") {
            continue;
        }
        entries.push((rel, f));
    }
    let mut manifest = Manifest {
        format: 1,
        created_at: chrono::Utc::now().to_rfc3339(),
        gongkai_version: env!("CARGO_PKG_VERSION").into(),
        files: vec![],
    };
    for (rel, p) in &entries {
        let (size, sha256) = sha256_file(p)?;
        manifest.files.push(ManifestFile {
            path: rel.clone(),
            size,
            sha256,
        });
    }
    let partial = out.with_extension("partial");
    {
        let f =
            create_private(&partial).with_context(|| format!("无法写入 {}", partial.display()))?;
        let mut tar = tar::Builder::new(f);
        let json = serde_json::to_vec_pretty(&manifest)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_cksum();
        tar.append_data(&mut header, "manifest.json", json.as_slice())?;
        for (rel, p) in &entries {
            tar.append_path_with_name(p, rel)?;
        }
        let mut f = tar.into_inner()?;
        f.flush()?;
        f.sync_all()?;
    }
    std::fs::rename(&partial, out)?;
    Ok(manifest)
}

/// Restore `file` into `data_dir`, which must be empty or absent; every file is checked against
/// the manifest, and nothing is left behind if a check fails.
pub fn restore(file: &Path, data_dir: &Path) -> anyhow::Result<usize> {
    if data_dir.exists() && std::fs::read_dir(data_dir)?.next().is_some() {
        anyhow::bail!(
            "目标数据目录 {} 不是空目录，为防止覆盖现有数据，拒绝恢复",
            data_dir.display()
        );
    }
    let created = !data_dir.exists();
    std::fs::create_dir_all(data_dir)?;
    let result = (|| -> anyhow::Result<usize> {
        let f = File::open(file).with_context(|| format!("无法打开备份文件 {}", file.display()))?;
        let mut ar = tar::Archive::new(f);
        ar.unpack(data_dir).context("备份文件已损坏，无法解包")?;
        let manifest_path = data_dir.join("manifest.json");
        let manifest: Manifest = serde_json::from_slice(
            &std::fs::read(&manifest_path).context("备份中缺少 manifest.json")?,
        )?;
        if !manifest.files.iter().any(|m| m.path == "gongkai.db") {
            anyhow::bail!("备份清单中没有数据库文件 gongkai.db，不是有效的备份");
        }
        let mut present = Vec::new();
        walk(data_dir, &mut present)?;
        for p in &present {
            let rel = p
                .strip_prefix(data_dir)
                .map(|r| r.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            if rel != "manifest.json" && !manifest.files.iter().any(|m| m.path == rel) {
                anyhow::bail!("备份中含有清单之外的文件 {rel}，不是有效的备份");
            }
        }
        for m in &manifest.files {
            let p = data_dir.join(&m.path);
            let (size, sha) =
                sha256_file(&p).with_context(|| format!("备份中缺少文件 {}", m.path))?;
            if size != m.size || sha != m.sha256 {
                anyhow::bail!("文件 {} 与备份清单不符，备份可能已损坏", m.path);
            }
        }
        std::fs::remove_file(&manifest_path)?;
        Ok(manifest.files.len())
    })();
    if result.is_err() {
        if created {
            let _ = std::fs::remove_dir_all(data_dir);
        } else {
            empty_folder(data_dir);
        }
    }
    result
}
