//! Columnar outputs on every core: workers decode chunks of fixed-size records into record
//! batches (and turn them into their output, such as CSV text, with `map`); the calling
//! thread takes the results in input order. At most two chunks per worker are decoded but not
//! yet taken, so memory stays bounded whatever the input size.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use arrow_array::RecordBatch;

use super::builder::BatchBuilder;
use super::shape::Col;
use crate::decode::{Decoder, Input, Options, Scratch};
use crate::error::DataError;
use crate::plan::{Plan, StructId};
use crate::records::{self, RecordsConfig, RunError, SkipReport, Summary};

/// Records per chunk: a batch of the output.
pub const CHUNK_ROWS: usize = 64 * 1024;

/// A decoded chunk: its output (the rows before an error, if one stopped it), what the
/// decoder reported, and the byte ranges it skipped.
type Done<T> = (
    Option<T>,
    Result<Summary, RunError>,
    Vec<(DataError, u64, u64)>,
);

/// Decodes the fixed-size (`size` bytes) records of `sid` in `input` with `threads` workers.
/// Every chunk's batch goes through `map` on its worker; `consume` gets the results in input
/// order on the calling thread. `cfg` applies as in [`records::run_slice`].
#[allow(clippy::too_many_arguments)]
pub fn run_fixed<T: Send>(
    plan: &Plan,
    sid: StructId,
    size: u64,
    input: Input,
    opts: Options,
    cfg: &RecordsConfig,
    threads: usize,
    shape: &Col,
    map: impl Fn(RecordBatch) -> io::Result<T> + Sync,
    mut consume: impl FnMut(T) -> io::Result<()>,
    on_skip: SkipReport,
) -> Result<Summary, RunError> {
    let chunks = crate::parallel::Chunks::new(input, size, cfg, CHUNK_ROWS)?;
    let nchunks = chunks.count;
    let threads = threads.clamp(1, crate::parallel::MAX_THREADS);
    let ring = threads * 2;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let state = Mutex::new((
        0usize,
        (0..ring).map(|_| None).collect::<Vec<Option<Done<T>>>>(),
    ));
    let cv = Condvar::new();
    let mut summary = Summary::default();
    let mut failure = None;
    // a skipped range is reported once the next chunk shows that it does not go on there
    let mut pending: Option<(DataError, u64, u64)> = None;
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (next, stop, state, cv, map) = (&next, &stop, &state, &cv, &map);
            s.spawn(move || {
                let mut b = BatchBuilder::new(shape);
                let mut st = Scratch::default();
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= nchunks || stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // wait until the ring has room for this chunk
                    {
                        let Ok(mut g) = state.lock() else { return };
                        while chunk >= g.0 + ring {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            g = match cv.wait(g) {
                                Ok(g) => g,
                                Err(_) => return,
                            };
                        }
                    }
                    let (lo, range) = chunks.range(chunk);
                    let mut skips = Vec::new();
                    let mut rec = |e: &DataError, a: u64, z: u64| skips.push((e.clone(), a, z));
                    let result = {
                        let mut d = Decoder::new(plan, input, opts, &mut b, &mut st);
                        records::run_range(&mut d, plan, sid, range, lo, cfg, None, &mut rec)
                    };
                    // the rows before an error are written too
                    let (out, result) = match b.take_batch() {
                        Ok(batch) if batch.num_rows() > 0 => match map(batch) {
                            Ok(t) => (Some(t), result),
                            Err(e) => (None, Err(RunError::Output(e))),
                        },
                        Ok(_) => (None, result),
                        Err(e) => (None, Err(RunError::Output(io::Error::other(e)))),
                    };
                    let Ok(mut g) = state.lock() else { return };
                    g.1[chunk % ring] = Some((out, result, skips));
                    cv.notify_all();
                }
            });
        }
        // the calling thread takes the chunks in order
        for chunk in 0..nchunks {
            let done = {
                let Ok(mut g) = state.lock() else { break };
                loop {
                    if let Some(d) = g.1[chunk % ring].take() {
                        break d;
                    }
                    g = match cv.wait(g) {
                        Ok(g) => g,
                        Err(_) => return,
                    };
                }
            };
            let (out, result, skips) = done;
            for s in skips {
                match &mut pending {
                    Some(p) if p.2 == s.1 => p.2 = s.2,
                    _ => {
                        if let Some((e, a, z)) = pending.replace(s) {
                            on_skip(&e, a, z);
                        }
                    }
                }
            }
            let written = out.map_or(Ok(()), &mut consume);
            match (written, result) {
                (Err(e), _) => failure = Some(RunError::Output(e)),
                (Ok(()), Ok(s)) => {
                    summary.written += s.written;
                    summary.skipped_bad += s.skipped_bad;
                    summary.remainder += s.remainder;
                }
                (Ok(()), Err(e)) => failure = Some(e),
            }
            if let Ok(mut g) = state.lock() {
                g.0 = chunk + 1;
            }
            cv.notify_all();
            if failure.is_some() {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        cv.notify_all();
    });
    if let Some((e, a, z)) = pending {
        on_skip(&e, a, z);
    }
    match failure {
        Some(f) => Err(f),
        None => Ok(summary),
    }
}
