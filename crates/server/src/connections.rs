//! How many connections the server serves at once, in all and per client address: a client that opens
//! thousands of connections (or leaves them half open) must not stop everyone else being served.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The open connections, counted in all and per client address.
#[derive(Debug, Clone)]
pub struct Limits {
    total: usize,
    per_client: usize,
    open: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it (when the connection ends) frees its place.
#[derive(Debug)]
pub struct Permit {
    client: IpAddr,
    open: Arc<Mutex<Counts>>,
}

impl Limits {
    pub fn new(total: usize, per_client: usize) -> Limits {
        Limits { total: total.max(1), per_client: per_client.max(1), open: Arc::default() }
    }

    /// A place for a connection from `client`, or `None` when the server or that client is at its limit.
    pub fn admit(&self, client: IpAddr) -> Option<Permit> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.by_client.get(&client).copied().unwrap_or(0);
        if open.total >= self.total || mine >= self.per_client {
            return None;
        }
        open.total += 1;
        open.by_client.insert(client, mine + 1);
        Some(Permit { client, open: Arc::clone(&self.open) })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_at_its_limit_waits_and_others_are_served() {
        let limits = Limits::new(3, 2);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let first = limits.admit(a).unwrap();
        let _second = limits.admit(a).unwrap();
        assert!(limits.admit(a).is_none(), "two per client");
        let _third = limits.admit(b).unwrap();
        assert!(limits.admit(b).is_none(), "three in all");
        drop(first);
        assert!(limits.admit(a).is_some(), "a closed connection frees its place");
    }
}
