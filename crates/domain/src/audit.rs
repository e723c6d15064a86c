//! The audit log's hash chain. Every entry's hash covers the previous entry's hash and a
//! canonical encoding of the entry, so changing or removing any row breaks the chain from there
//! on. The store appends; `gongkai audit verify` walks the chain with [`ChainVerifier`].

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry: who, acting for which body, did what to which object, with the state before
/// and after, when and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditEntry {
    pub seq: i64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    /// The username (or `system`, `cli`, `public`), kept even if the account is renamed.
    pub actor_name: String,
    pub body_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    /// JSON text, or empty.
    pub before: String,
    /// JSON text, or empty.
    pub after: String,
    pub ip: String,
}

/// What a caller supplies; the store adds the sequence, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEvent {
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub body_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: String,
}

impl AuditEvent {
    pub fn new(action: &str, object_type: &str, object_id: impl ToString) -> AuditEvent {
        AuditEvent {
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id: object_id.to_string(),
            ..Default::default()
        }
    }

    pub fn by(mut self, user_id: Option<i64>, name: &str, ip: &str) -> Self {
        self.actor_user_id = user_id;
        self.actor_name = name.to_string();
        self.ip = ip.to_string();
        self
    }

    pub fn body(mut self, body_id: Option<i64>) -> Self {
        self.body_id = body_id;
        self
    }

    pub fn before(mut self, v: serde_json::Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: serde_json::Value) -> Self {
        self.after = Some(v);
        self
    }

    /// The entry this event becomes at position `seq`, time `at_ms`.
    pub fn into_entry(self, seq: i64, at_ms: i64) -> AuditEntry {
        AuditEntry {
            seq,
            at_ms,
            actor_user_id: self.actor_user_id,
            actor_name: self.actor_name,
            body_id: self.body_id,
            action: self.action,
            object_type: self.object_type,
            object_id: self.object_id,
            before: self.before.map(|v| v.to_string()).unwrap_or_default(),
            after: self.after.map(|v| v.to_string()).unwrap_or_default(),
            ip: self.ip,
        }
    }
}

/// Who acts: the account (if any), its name, the address the request came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Who {
    pub user_id: Option<i64>,
    pub name: String,
    pub ip: String,
}

impl Who {
    /// The command line, acting as the installation's operator.
    pub fn cli() -> Who {
        Who {
            user_id: None,
            name: "cli".into(),
            ip: "local".into(),
        }
    }

    /// A member of the public submitting a form or an API request from address `ip`.
    pub fn public(ip: &str) -> Who {
        Who {
            user_id: None,
            name: "public".into(),
            ip: ip.to_string(),
        }
    }

    /// The server itself (scheduled work, demo data).
    pub fn system() -> Who {
        Who {
            user_id: None,
            name: "system".into(),
            ip: "local".into(),
        }
    }
}

impl AuditEvent {
    pub fn who(self, who: &Who) -> Self {
        self.by(who.user_id, &who.name, &who.ip)
    }
}

/// The Chinese label of an audit action key such as `login.success`, for staff reading the
/// log; an unknown key is returned as it is.
pub fn action_label(action: &str) -> String {
    let label = match action {
        "login.success" => "登录成功",
        "login.failure" => "登录失败",
        "session.logout" => "退出登录",
        "session.ended_by_user" => "本人结束会话",
        "session.ended_by_admin" => "管理员结束会话",
        "session.expired" => "会话超时结束",
        "session.idle" => "会话闲置结束",
        "session.password_changed" => "改密后结束会话",
        "session.password_reset" => "重置密码后结束会话",
        "session.disabled" => "停用后结束会话",
        "session.locked" => "锁定后结束会话",
        "user.create" => "新增账号",
        "user.disable" => "停用账号",
        "user.enable" => "启用账号",
        "user.unlock" => "解除锁定",
        "user.password_change" => "修改密码",
        "user.password_reset" => "重置密码",
        "user.totp_enable" => "开启二次验证",
        "user.totp_reset" => "重置二次验证",
        "role.grant" => "授予角色",
        "role.revoke" => "撤销角色",
        "body.create" => "新增机关",
        "body.update" => "修改机关信息",
        "body.settings" => "修改机关设置",
        "calendar.import" => "导入节假日安排",
        "item.create" => "新建信息",
        "item.edit" => "编辑信息",
        "item.submit" => "提交保密审查",
        "item.review" => "保密审查通过",
        "item.withhold" => "保密审查：不予公开",
        "item.approve" => "审批并发布",
        "item.schedule" => "审批并定时发布",
        "item.return" => "退回修改",
        "item.revise" => "修订已发布信息",
        "item.withdraw" => "撤回信息",
        "item.validity" => "变更有效性",
        "item.publish_scheduled" => "定时发布",
        "finding.masked" => "筛查发现：已遮盖",
        "finding.accepted" => "筛查发现：确认无误",
        _ => return action.to_string(),
    };
    label.to_string()
}

/// The Chinese name of an audited object type (`user` → 账号); unknown types as they are.
pub fn object_type_label(object_type: &str) -> String {
    match object_type {
        "user" => "账号",
        "body" => "机关",
        "item" => "信息",
        "calendar_year" => "日历年度",
        "finding" => "筛查发现",
        other => other,
    }
    .to_string()
}

/// The actor as shown to staff: `system` → 系统, `cli` → 命令行, `public` → 公众.
pub fn actor_label(actor_name: &str) -> String {
    match actor_name {
        "system" => "系统",
        "cli" => "命令行",
        "public" => "公众",
        other => other,
    }
    .to_string()
}

/// The address as shown to staff: `local` → 本机.
pub fn ip_label(ip: &str) -> String {
    match ip {
        "local" => "本机",
        other => other,
    }
    .to_string()
}

/// `hash = SHA-256(prev_hash ‖ canonical(entry))`, hex. Every field is length-prefixed so no two
/// different entries encode the same.
pub fn entry_hash(prev_hash: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    put(prev_hash);
    put(&e.seq.to_string());
    put(&e.at_ms.to_string());
    put(&e.actor_user_id.map(|v| v.to_string()).unwrap_or_default());
    put(&e.actor_name);
    put(&e.body_id.map(|v| v.to_string()).unwrap_or_default());
    put(&e.action);
    put(&e.object_type);
    put(&e.object_id);
    put(&e.before);
    put(&e.after);
    put(&e.ip);
    hex::encode(h.finalize())
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("审计日志第{seq}条记录异常：{reason}")]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Walks stored entries in sequence order.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_string(),
            checked: 0,
        }
    }
}

impl ChainVerifier {
    /// Check the next stored row: its sequence, its link to the previous row and its own hash.
    pub fn check(
        &mut self,
        e: &AuditEntry,
        stored_prev: &str,
        stored_hash: &str,
    ) -> Result<(), ChainBreak> {
        if e.seq != self.next_seq {
            return Err(ChainBreak {
                seq: self.next_seq,
                reason: format!("记录缺失（下一条存在的记录序号为{}）", e.seq),
            });
        }
        if stored_prev != self.prev_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "与上一条记录的链接不符（上一条被修改或删除）".into(),
            });
        }
        if entry_hash(stored_prev, e) != stored_hash {
            return Err(ChainBreak {
                seq: e.seq,
                reason: "内容与哈希值不符（记录被修改）".into(),
            });
        }
        self.prev_hash = stored_hash.to_string();
        self.next_seq += 1;
        self.checked += 1;
        Ok(())
    }

    /// Compare with the chain head the store keeps, which detects removal of the last rows.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        let last = self.next_seq - 1;
        if head_seq != last {
            return Err(ChainBreak {
                seq: last + 1,
                reason: format!("日志末尾的记录缺失（应有{head_seq}条，实有{last}条）"),
            });
        }
        if head_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: last,
                reason: "最后一条记录与链头不符".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(AuditEntry, String, String)> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = AuditEvent::new("login.success", "user", seq)
                    .by(Some(seq), "u", "127.0.0.1")
                    .into_entry(seq, 1_700_000_000_000 + seq);
                let h = entry_hash(&prev, &e);
                let row = (e, prev.clone(), h.clone());
                prev = h;
                row
            })
            .collect()
    }

    fn verify(rows: &[(AuditEntry, String, String)], head: (i64, &str)) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        for (e, p, h) in rows {
            v.check(e, p, h)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn labels_are_chinese_with_raw_fallback() {
        assert_eq!(action_label("login.success"), "登录成功");
        assert_eq!(action_label("item.publish_scheduled"), "定时发布");
        assert_eq!(action_label("something.new"), "something.new");
        assert_eq!(object_type_label("calendar_year"), "日历年度");
        assert_eq!(actor_label("cli"), "命令行");
        assert_eq!(ip_label("local"), "本机");
    }

    #[test]
    fn intact_chain_verifies() {
        let rows = chain(5);
        let head = rows[4].2.clone();
        verify(&rows, (5, &head)).unwrap();
    }

    #[test]
    fn changed_row_is_named() {
        let mut rows = chain(5);
        let head = rows[4].2.clone();
        rows[2].0.action = "login.failure".into();
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq, 3);
    }

    #[test]
    fn removed_row_is_named() {
        let mut rows = chain(5);
        let head = rows[4].2.clone();
        rows.remove(1);
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq, 2);
    }

    #[test]
    fn removed_tail_is_detected_by_the_head() {
        let mut rows = chain(5);
        let head = rows[4].2.clone();
        rows.truncate(4);
        assert_eq!(verify(&rows, (5, &head)).unwrap_err().seq, 5);
    }
}
