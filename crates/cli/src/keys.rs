//! The report key (`report.key` in the data folder) that wraps the letter keys of 举报, and
//! `gongkai keys rotate`. Losing this file loses the identities of those whistle-blowers: it is
//! part of the backup, and the README says so.

use std::path::{Path, PathBuf};

use gongkai_domain::audit::Who;
use gongkai_domain::letters as dl;
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;

pub const REPORT_KEY: &str = "report.key";
const NEXT: &str = "report.key.next";

fn read_key(path: &Path) -> anyhow::Result<Option<SealKey>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path)?;
    SealKey::from_base64(&text)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("举报密钥文件 {} 已损坏", path.display()))
}

fn write_new(path: &Path, key: &SealKey) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(key.to_base64().as_bytes())?;
    f.sync_all()?;
    sync_dir(path)?;
    Ok(())
}

fn sync_dir(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The report keys: `report.key` first (it wraps new letters), then a `report.key.next` left by
/// an interrupted rotation and the `report.key.old-*` files kept after rotations (so a letter
/// wrapped by a server that still ran with the old key opens too). `report.key` is created on
/// first use — but never while the database holds 举报 envelopes: a missing key file then is a
/// lost key (a restore without it, a wrong folder), and a fresh key would hide that.
pub async fn open_report_keys(store: &Store, data_dir: &Path) -> anyhow::Result<Vec<SealKey>> {
    let path = data_dir.join(REPORT_KEY);
    let current = match read_key(&path)? {
        Some(k) => k,
        None => {
            let n = store
                .letter_envelopes()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .len();
            if n > 0 {
                anyhow::bail!(
                    "举报密钥文件 {} 不存在，但数据库中有{n}件举报：请从备份恢复 report.key（丢失该文件即丢失这些举报人的身份信息），不会另建新密钥",
                    path.display()
                );
            }
            let k = SealKey::generate();
            write_new(&path, &k)?;
            k
        }
    };
    let mut keys = vec![current];
    if let Some(next) = read_key(&data_dir.join(NEXT))? {
        keys.push(next);
    }
    let mut old: Vec<PathBuf> = std::fs::read_dir(data_dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("report.key.old-"))
        })
        .collect();
    old.sort();
    for p in old.into_iter().rev() {
        if let Some(k) = read_key(&p)? {
            keys.push(k);
        }
    }
    Ok(keys)
}

/// Re-wrap every letter key under a new report key. Crash-safe: the new key is written first
/// (`report.key.next`), the letters are re-wrapped in one transaction, then the files are
/// renamed; at every step both keys are on disk and loaded.
pub async fn rotate(store: &Store, data_dir: &Path) -> anyhow::Result<(usize, PathBuf)> {
    let keys = open_report_keys(store, data_dir).await?;
    let next_path = data_dir.join(NEXT);
    let new_key = match read_key(&next_path)? {
        Some(k) => k,
        None => {
            let k = SealKey::generate();
            write_new(&next_path, &k)?;
            k
        }
    };
    let mut rewrapped = Vec::new();
    for (id, env) in store.letter_envelopes().await? {
        if env.key_id == new_key.key_id() {
            continue;
        }
        let e = dl::rewrap(&keys, &new_key, &env).map_err(|_| {
            anyhow::anyhow!("来信 {id} 的密钥无法用现有的举报密钥解开：请先恢复原来的 report.key")
        })?;
        rewrapped.push((id, e));
    }
    store
        .rewrap_letter_keys(&rewrapped, &Who::cli())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let old = data_dir.join(format!(
        "{REPORT_KEY}.old-{}",
        chrono::Utc::now().format("%Y%m%d%H%M%S")
    ));
    std::fs::rename(data_dir.join(REPORT_KEY), &old)?;
    std::fs::rename(&next_path, data_dir.join(REPORT_KEY))?;
    sync_dir(&data_dir.join(REPORT_KEY))?;
    Ok((rewrapped.len(), old))
}
