//! A small time-bounded cache for licence verdicts: a status change (suspension, end) shows within the
//! time-to-live, which is kept under one second.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Entries expire `ttl` after they were stored; the map is cleared when it grows past a bound, so memory
/// stays flat whatever clients send.
#[derive(Debug)]
pub struct TtlCache<V> {
    ttl: Duration,
    entries: RwLock<HashMap<String, (Instant, V)>>,
}

const MAX_ENTRIES: usize = 100_000;

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache { ttl, entries: RwLock::new(HashMap::new()) }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: String, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }
}
