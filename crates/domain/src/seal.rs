//! Sealing personal data at rest: AES-256-GCM with a random 96-bit nonce per value. A sealed
//! value is `v1:` + base64(nonce ‖ ciphertext+tag). The key is 32 random bytes kept outside the
//! database (the `secrets.key` file of the data folder), so a copy of the database alone reveals
//! no identity numbers or contacts.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;

/// The key that seals and opens personal data.
#[derive(Clone)]
pub struct SealKey(Aes256Gcm, [u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("加密数据无法解开（密钥不符或数据损坏）")]
pub struct SealError;

impl SealKey {
    pub fn generate() -> SealKey {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        SealKey::from_bytes(k)
    }

    pub fn from_bytes(k: [u8; 32]) -> SealKey {
        SealKey(Aes256Gcm::new(&k.into()), k)
    }

    pub fn from_base64(s: &str) -> Option<SealKey> {
        let b = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .ok()?;
        Some(SealKey::from_bytes(b.try_into().ok()?))
    }

    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.1)
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .0
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!(
            "v1:{}",
            base64::engine::general_purpose::STANDARD.encode(out)
        )
    }

    /// Seal raw bytes (attachments): nonce ‖ ciphertext+tag.
    pub fn seal_bytes(&self, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .0
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend(ct);
        out
    }

    pub fn open_bytes(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 + 16 {
            return Err(SealError);
        }
        let (nonce, ct) = sealed.split_at(12);
        self.0
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SealError)
    }

    /// A keyed hash of `s` (hex): equal inputs give equal tags, but without the key a tag
    /// cannot be tested against guesses (an 11-digit phone number would be easy to guess).
    pub fn tag(&self, s: &str) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.1);
        h.update(b"gongkai-tag-v1");
        h.update(s.as_bytes());
        hex::encode(h.finalize())
    }

    /// An identifier of the key that does not reveal it: 16 hex characters of its SHA-256.
    pub fn key_id(&self) -> String {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(self.1))[..16].to_string()
    }

    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let b64 = sealed.strip_prefix("v1:").ok_or(SealError)?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| SealError)?;
        if raw.len() < 12 + 16 {
            return Err(SealError);
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self
            .0
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| SealError)?;
        String::from_utf8(plain).map_err(|_| SealError)
    }
}

/// Show only the first `keep_start` and last `keep_end` characters.
pub fn mask(s: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= chars.len() - keep_end {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let k = SealKey::generate();
        let s = k.seal("11010519491231002X");
        assert!(s.starts_with("v1:") && !s.contains("1101051949"));
        assert_ne!(s, k.seal("11010519491231002X"), "a fresh nonce each time");
        assert_eq!(k.open(&s).unwrap(), "11010519491231002X");
        assert_eq!(SealKey::generate().open(&s), Err(SealError));
        // One flipped bit anywhere makes it unreadable (GCM authenticates the ciphertext).
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&s[3..])
            .unwrap();
        raw[20] ^= 1;
        let tampered = format!(
            "v1:{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        assert_eq!(k.open(&tampered), Err(SealError));
        let k2 = SealKey::from_base64(&k.to_base64()).unwrap();
        assert_eq!(k2.open(&s).unwrap(), "11010519491231002X");
    }

    #[test]
    fn masks() {
        assert_eq!(mask("11010519491231002X", 6, 4), "110105********002X");
        assert_eq!(mask("13812345678", 3, 4), "138****5678");
        assert_eq!(mask("张三", 1, 0), "张*");
        assert_eq!(mask("abc", 2, 2), "***");
    }
}
