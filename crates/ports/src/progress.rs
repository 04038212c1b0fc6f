//! Progress on long work: a reader that reports the bytes read through it.

use std::io::Read;
use std::sync::Arc;

/// Told the bytes done so far.
pub type Counter = Arc<dyn Fn(u64) + Send + Sync>;

/// A reader that reports the bytes read through it, every mebibyte and at the end.
pub struct Counting<R> {
    inner: R,
    done: u64,
    reported: u64,
    counter: Option<Counter>,
}

impl<R> std::fmt::Debug for Counting<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counting({} bytes)", self.done)
    }
}

impl<R> Counting<R> {
    pub fn new(inner: R, counter: Option<Counter>) -> Self {
        Counting { inner, done: 0, reported: 0, counter }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if let Some(c) = &self.counter
            && (self.done - self.reported >= 1 << 20 || n == 0)
        {
            c(self.done);
            self.reported = self.done;
        }
        Ok(n)
    }
}
