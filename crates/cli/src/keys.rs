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

/// The report keys: `report.key` (created on first use) first, then a `report.key.next` left
/// by an interrupted rotation, so letters wrapped by either open.
pub fn load_report_keys(data_dir: &Path) -> anyhow::Result<Vec<SealKey>> {
    let path = data_dir.join(REPORT_KEY);
    let current = match read_key(&path)? {
        Some(k) => k,
        None => {
            let k = SealKey::generate();
            write_new(&path, &k)?;
            k
        }
    };
    let mut keys = vec![current];
    if let Some(next) = read_key(&data_dir.join(NEXT))? {
        keys.push(next);
    }
    Ok(keys)
}

/// Re-wrap every letter key under a new report key. Crash-safe: the new key is written first
/// (`report.key.next`), the letters are re-wrapped in one transaction, then the files are
/// renamed; at every step both keys are on disk and loaded.
pub async fn rotate(store: &Store, data_dir: &Path) -> anyhow::Result<(usize, PathBuf)> {
    let keys = load_report_keys(data_dir)?;
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
