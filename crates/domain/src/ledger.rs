//! The publication ledger: every publish, revision, withdrawal and validity change appends an
//! entry whose hash covers the previous hash, the entry and the hash of the exact content. The
//! head is checkpointed with an ed25519 signature, so a copy of a checkpoint (or a receipt) proves
//! what was published and when, even against the operator of the installation.

use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::audit::GENESIS_HASH;

/// What happened to the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerAction {
    Publish,
    Revise,
    Withdraw,
    Validity,
    /// The outcome of a 公示 whose period ended (无异议 / 异议已处理), with the day the decision
    /// it announced takes effect.
    NoticeResult,
    /// The 意见采纳情况 of a draft whose comment window closed.
    ConsultationFeedback,
}

impl LedgerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAction::Publish => "publish",
            LedgerAction::Revise => "revise",
            LedgerAction::Withdraw => "withdraw",
            LedgerAction::Validity => "validity",
            LedgerAction::NoticeResult => "notice_result",
            LedgerAction::ConsultationFeedback => "consultation_feedback",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LedgerAction::Publish => "发布",
            LedgerAction::Revise => "修订发布",
            LedgerAction::Withdraw => "撤回",
            LedgerAction::Validity => "有效性变更",
            LedgerAction::NoticeResult => "公示结果",
            LedgerAction::ConsultationFeedback => "意见采纳情况",
        }
    }

    pub fn parse(s: &str) -> Option<LedgerAction> {
        [
            LedgerAction::Publish,
            LedgerAction::Revise,
            LedgerAction::Withdraw,
            LedgerAction::Validity,
            LedgerAction::NoticeResult,
            LedgerAction::ConsultationFeedback,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub seq: i64,
    pub at_ms: i64,
    pub body_id: i64,
    pub item_id: i64,
    pub version_id: i64,
    pub index_no: String,
    pub action: String,
    /// SHA-256 of the published content (for a withdrawal: of the withdrawal notice).
    pub content_hash: String,
}

/// `hash = SHA-256(prev ‖ seq ‖ at ‖ body ‖ item ‖ version ‖ 索引号 ‖ action ‖ content_hash)`, every
/// field length-prefixed.
pub fn entry_hash(prev_hash: &str, e: &LedgerEntry) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    put(prev_hash);
    put(&e.seq.to_string());
    put(&e.at_ms.to_string());
    put(&e.body_id.to_string());
    put(&e.item_id.to_string());
    put(&e.version_id.to_string());
    put(&e.index_no);
    put(&e.action);
    put(&e.content_hash);
    hex::encode(h.finalize())
}

/// The message a checkpoint signs.
pub fn checkpoint_message(seq: i64, head_hash: &str, at_ms: i64) -> Vec<u8> {
    format!("gongkai-ledger-checkpoint\n{seq}\n{head_hash}\n{at_ms}").into_bytes()
}

/// The installation's signing key, stored as 32 bytes in base64.
pub struct LedgerKey(SigningKey);

impl LedgerKey {
    pub fn generate() -> LedgerKey {
        LedgerKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub fn from_base64(s: &str) -> Option<LedgerKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()?;
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(LedgerKey(SigningKey::from_bytes(&arr)))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.to_bytes())
    }

    /// The public key, base64, as shown on the site.
    pub fn public_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.verifying_key().to_bytes())
    }

    pub fn sign_checkpoint(&self, seq: i64, head_hash: &str, at_ms: i64) -> String {
        let sig = self.0.sign(&checkpoint_message(seq, head_hash, at_ms));
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    }
}

/// Check a checkpoint's signature against a public key (both base64).
pub fn verify_checkpoint(
    public_b64: &str,
    seq: i64,
    head_hash: &str,
    at_ms: i64,
    sig_b64: &str,
) -> bool {
    let e = base64::engine::general_purpose::STANDARD;
    let Some(pk) = e
        .decode(public_b64.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let Some(sig) = e
        .decode(sig_b64.trim())
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
    else {
        return false;
    };
    pk.verify(&checkpoint_message(seq, head_hash, at_ms), &sig)
        .is_ok()
}

/// Where the ledger is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("公开台账第{seq}条记录异常：{reason}")]
pub struct LedgerBreak {
    pub seq: i64,
    pub reason: String,
}

/// Walks stored entries in sequence order.
#[derive(Debug, Clone)]
pub struct LedgerVerifier {
    next_seq: i64,
    pub prev_hash: String,
    pub checked: u64,
}

impl Default for LedgerVerifier {
    fn default() -> Self {
        LedgerVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl LedgerVerifier {
    pub fn check(
        &mut self,
        e: &LedgerEntry,
        stored_prev: &str,
        stored_hash: &str,
    ) -> Result<(), LedgerBreak> {
        if e.seq != self.next_seq {
            return Err(LedgerBreak {
                seq: self.next_seq,
                reason: format!("记录缺失（下一条存在的记录序号为{}）", e.seq),
            });
        }
        if stored_prev != self.prev_hash {
            return Err(LedgerBreak {
                seq: e.seq,
                reason: "与上一条记录的链接不符".into(),
            });
        }
        if entry_hash(stored_prev, e) != stored_hash {
            return Err(LedgerBreak {
                seq: e.seq,
                reason: "记录内容与哈希值不符（记录被修改）".into(),
            });
        }
        self.prev_hash = stored_hash.to_string();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(seq: i64) -> LedgerEntry {
        LedgerEntry {
            seq,
            at_ms: 1_750_000_000_000 + seq,
            body_id: 1,
            item_id: seq,
            version_id: seq,
            index_no: format!("X/2025-{seq:05}"),
            action: "publish".into(),
            content_hash: "ab".repeat(32),
        }
    }

    #[test]
    fn chain_and_tampering() {
        let mut prev = GENESIS_HASH.to_string();
        let mut rows = vec![];
        for s in 1..=4 {
            let e = entry(s);
            let h = entry_hash(&prev, &e);
            rows.push((e, prev.clone(), h.clone()));
            prev = h;
        }
        let mut v = LedgerVerifier::default();
        for (e, p, h) in &rows {
            v.check(e, p, h).unwrap();
        }
        rows[1].0.content_hash = "cd".repeat(32);
        let mut v = LedgerVerifier::default();
        let err = rows
            .iter()
            .try_for_each(|(e, p, h)| v.check(e, p, h))
            .unwrap_err();
        assert_eq!(err.seq, 2);
    }

    #[test]
    fn checkpoints_are_signed() {
        let k = LedgerKey::generate();
        let sig = k.sign_checkpoint(10, "ff", 5);
        assert!(verify_checkpoint(&k.public_base64(), 10, "ff", 5, &sig));
        assert!(!verify_checkpoint(&k.public_base64(), 11, "ff", 5, &sig));
        assert!(!verify_checkpoint(
            &LedgerKey::generate().public_base64(),
            10,
            "ff",
            5,
            &sig
        ));
        let k2 = LedgerKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k2.public_base64(), k.public_base64());
    }
}
