//! Login rate limit: failed sign-ins counted per username and per client address over a sliding
//! window, in memory. A restart clears the counts, and several server processes count separately.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Window over which failures count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Failures of one username within [`WINDOW`] that lock further attempts for that username.
pub const MAX_FAILURES_PER_USERNAME: usize = 5;

/// Failures from one client address within [`WINDOW`] that lock further attempts from it. Higher
/// than the per-user limit because a tax office may reach the server through one NAT address.
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;

/// Distinct keys kept before old entries are swept, so a flood of usernames cannot grow memory unbounded.
const MAX_KEYS: usize = 10_000;

/// Reason a sign-in is rejected before the password is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locked {
    Username { retry_after: Duration },
    Address { retry_after: Duration },
}

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// Returns the lock that applies to this username and address at `now`, if any.
    pub fn check(&self, username: &str, address: &str, now: Instant) -> Option<Locked> {
        let mut failures = self.failures.lock().expect("limiter lock is never poisoned");
        let mut retry_after = |key: String, limit: usize| -> Option<Duration> {
            let times = failures.get_mut(&key)?;
            times.retain(|time| now.duration_since(*time) < WINDOW);
            (times.len() >= limit).then(|| WINDOW - now.duration_since(times[times.len() - limit]))
        };
        if let Some(retry_after) = retry_after(user_key(username), MAX_FAILURES_PER_USERNAME) {
            return Some(Locked::Username { retry_after });
        }
        retry_after(address_key(address), MAX_FAILURES_PER_ADDRESS).map(|retry_after| Locked::Address { retry_after })
    }

    /// Counts a failed sign-in against the username and the address.
    pub fn record_failure(&self, username: &str, address: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("limiter lock is never poisoned");
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| times.last().is_some_and(|last| now.duration_since(*last) < WINDOW));
        }
        failures.entry(user_key(username)).or_default().push(now);
        failures.entry(address_key(address)).or_default().push(now);
    }

    /// Forgets the username's failures after a successful sign-in; the address keeps its count.
    pub fn record_success(&self, username: &str) {
        self.failures.lock().expect("limiter lock is never poisoned").remove(&user_key(username));
    }
}

fn user_key(username: &str) -> String {
    format!("user:{}", username.to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

/// Rounds a wait up to whole minutes for the message.
pub fn minutes(duration: Duration) -> u64 {
    duration.as_secs().div_ceil(60).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_locks_username_after_five_failures() {
        let limiter = LoginLimiter::default();
        let start = Instant::now();
        for attempt in 0..MAX_FAILURES_PER_USERNAME {
            assert_eq!(limiter.check("clerk", "127.0.0.1", start), None, "attempt {attempt}");
            limiter.record_failure("clerk", "127.0.0.1", start);
        }
        let Some(Locked::Username { retry_after }) = limiter.check("CLERK", "10.0.0.1", start + Duration::from_secs(60)) else {
            panic!("username not locked");
        };
        assert_eq!(minutes(retry_after), 14);
        assert_eq!(limiter.check("other", "10.0.0.1", start), None);
        assert_eq!(limiter.check("clerk", "127.0.0.1", start + WINDOW), None, "lock ends with the window");
    }

    #[test]
    fn limiter_locks_address_across_usernames() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for index in 0..MAX_FAILURES_PER_ADDRESS {
            limiter.record_failure(&format!("user{index}"), "192.0.2.7", now);
        }
        assert!(matches!(limiter.check("fresh", "192.0.2.7", now), Some(Locked::Address { .. })));
        assert_eq!(limiter.check("fresh", "192.0.2.8", now), None);
    }

    #[test]
    fn limiter_success_clears_username() {
        let limiter = LoginLimiter::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES_PER_USERNAME {
            limiter.record_failure("clerk", "127.0.0.1", now);
        }
        limiter.record_success("clerk");
        assert_eq!(limiter.check("clerk", "127.0.0.1", now), None);
    }
}
