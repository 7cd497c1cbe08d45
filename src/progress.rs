//! How far a run has got through its input, for a progress display: the decoder (and the
//! records loops, and every parallel worker) report the furthest input offset they reached
//! every so often; a display reads it from another thread.

use std::sync::atomic::{AtomicU64, Ordering};

/// The furthest absolute input offset reported, and the size of the input when known.
#[derive(Debug, Default)]
pub struct Progress {
    pos: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    pub fn new() -> Self {
        Progress::default()
    }

    /// Reports that decoding reached `pos`.
    #[inline]
    pub fn reach(&self, pos: u64) {
        self.pos.fetch_max(pos, Ordering::Relaxed);
    }

    /// The furthest offset reported.
    pub fn pos(&self) -> u64 {
        self.pos.load(Ordering::Relaxed)
    }

    /// Sets where the input ends (0: unknown).
    pub fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }

    /// Where the input ends (0: unknown).
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}
