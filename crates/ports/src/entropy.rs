//! Random bytes, passed into the use cases that need them (API tokens, signing keys and their seals,
//! staging names), so that the areas read no randomness themselves and a test can replay a run.

use std::sync::Mutex;

#[derive(Debug, Clone, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct EntropyError(pub String);

/// A source of random bytes.
pub trait Entropy: Send + Sync + std::fmt::Debug {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyError>;

    /// `N` random bytes.
    fn bytes<const N: usize>(&self) -> Result<[u8; N], EntropyError>
    where
        Self: Sized,
    {
        let mut bytes = [0u8; N];
        self.fill(&mut bytes)?;
        Ok(bytes)
    }
}

/// `N` random bytes from any entropy source (also a `dyn Entropy`).
pub fn random_bytes<const N: usize>(entropy: &dyn Entropy) -> Result<[u8; N], EntropyError> {
    let mut bytes = [0u8; N];
    entropy.fill(&mut bytes)?;
    Ok(bytes)
}

/// The operating system's entropy (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(bytes).map_err(|e| EntropyError(e.to_string()))
    }
}

/// Deterministic bytes for tests and replays: a counter run through SplitMix64 from a seed.
#[derive(Debug)]
pub struct FixedEntropy {
    state: Mutex<u64>,
}

impl FixedEntropy {
    pub fn new(seed: u64) -> FixedEntropy {
        FixedEntropy { state: Mutex::new(seed) }
    }
}

impl Entropy for FixedEntropy {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), EntropyError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for chunk in bytes.chunks_mut(8) {
            *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_entropy_replays_and_differs_by_seed() {
        let (a, b, c) = (FixedEntropy::new(1), FixedEntropy::new(1), FixedEntropy::new(2));
        let (x, y, z): ([u8; 13], [u8; 13], [u8; 13]) = (a.bytes().unwrap(), b.bytes().unwrap(), c.bytes().unwrap());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert_ne!(a.bytes::<8>().unwrap(), x[..8], "the next bytes differ from the first");
    }
}
