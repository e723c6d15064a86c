//! A limit on public submissions (applications, letters) per client address: at most `max`
//! in a window that starts with the first submission. Kept in memory, per process; behind
//! several processes each has its own, which still bounds a flood.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

#[derive(Clone)]
pub struct SubmissionLimiter {
    max: u32,
    seen: moka::sync::Cache<String, Arc<AtomicU32>>,
}

impl SubmissionLimiter {
    pub fn new(max: u32, window: Duration) -> SubmissionLimiter {
        SubmissionLimiter {
            max,
            seen: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(window)
                .build(),
        }
    }

    /// Count one submission from `addr`; false when the address is over its limit.
    pub fn allow(&self, addr: &str) -> bool {
        let n = self
            .seen
            .get_with(addr.to_string(), || Arc::new(AtomicU32::new(0)));
        n.fetch_add(1, Ordering::SeqCst) < self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_count() {
        let l = SubmissionLimiter::new(2, Duration::from_secs(60));
        assert!(l.allow("1.2.3.4"));
        assert!(l.allow("1.2.3.4"));
        assert!(!l.allow("1.2.3.4"));
        assert!(l.allow("5.6.7.8"));
    }
}
