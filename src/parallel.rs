//! Parallel records mode for fixed-size records: workers decode ranges of records into their
//! own buffers; the calling thread writes the buffers in input order. At most two chunks per
//! worker are in flight, so memory stays bounded whatever the input size.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::json::{JsonOptions, JsonWriter};
use crate::error::DataError;
use crate::plan::{Plan, StructId};
use crate::records::{self, RecordsConfig, Summary};

/// Input bytes per chunk: large enough to amortise hand-offs, small enough that a few chunks
/// of output (about 3× the input as JSON) stay well under 32 MiB.
const CHUNK_BYTES: usize = 512 << 10;

/// Most chunks decoded or waiting to be written at once.
const MAX_IN_FLIGHT: usize = 8;

/// Most worker threads: beyond this, output formatting is no longer the bottleneck and each
/// worker's writer buffer (about 1 MiB) would only add memory.
pub const MAX_THREADS: usize = 8;

struct Done {
    chunk: usize,
    out: Vec<u8>,
    result: Result<Summary, DataError>,
    skips: Vec<(DataError, u64, u64)>,
}

/// Decodes fixed-size records of `sid` over `input` with `threads` workers, writing JSON to
/// `out` in input order. `size` is the record size.
#[allow(clippy::too_many_arguments)]
pub fn run<W: Write>(
    plan: &Plan,
    sid: StructId,
    size: u64,
    input: Input,
    opts: Options,
    cfg: &RecordsConfig,
    json: JsonOptions,
    threads: usize,
    out: &mut W,
    on_skip: records::SkipReport,
) -> Result<Summary, RunError> {
    let size = size as usize;
    let threads = threads.clamp(1, MAX_THREADS);
    let data = input.data;
    let whole = data.len() / size;
    let first = (cfg.skip.min(whole as u64)) as usize;
    let mut last = match cfg.count {
        Some(c) => first
            .saturating_add(c.min(usize::MAX as u64) as usize)
            .min(whole),
        None => whole,
    };
    // a trailing partial record belongs to the last chunk (reported or rejected there)
    let tail = cfg.count.is_none() && !data.len().is_multiple_of(size);
    if tail {
        last = whole;
    }
    let per_chunk = (CHUNK_BYTES / size).max(1);
    let nchunks = (last - first).div_ceil(per_chunk).max(usize::from(tail));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let (pool_tx, pool_rx) = mpsc::channel::<Vec<u8>>();
    let pool_rx = std::sync::Mutex::new(pool_rx);
    // chunks in flight: two per worker, at most MAX_IN_FLIGHT whatever the thread count
    // (sized for a chunk's JSON, about three times its input, so they rarely grow)
    let pool = (threads * 2).min(MAX_IN_FLIGHT);
    for _ in 0..pool {
        let _ = pool_tx.send(Vec::with_capacity(CHUNK_BYTES * 4));
    }
    let mut summary = Summary::default();
    std::thread::scope(|s| -> Result<(), RunError> {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (next, stop, pool_rx) = (&next, &stop, &pool_rx);
            s.spawn(move || {
                let mut st = Scratch::default();
                // one writer per worker, reused for every chunk: its buffer is allocated once
                let mut w = JsonWriter::new(std::io::sink(), json).keep_all();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    // take a free buffer first: this bounds the chunks in flight
                    let buf = match pool_rx.lock().map(|rx| rx.recv()) {
                        Ok(Ok(b)) => b,
                        _ => return,
                    };
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= nchunks {
                        return;
                    }
                    let lo = first + chunk * per_chunk;
                    let is_last = chunk + 1 == nchunks;
                    let hi = if is_last {
                        if tail { data.len() } else { last * size }
                    } else {
                        (lo + per_chunk) * size
                    };
                    let _ = w.swap_buffer(buf);
                    let mut skips = Vec::new();
                    let mut rec = |e: &DataError, a: u64, b: u64| skips.push((e.clone(), a, b));
                    let result = {
                        let mut d = Decoder::new(plan, input, opts, &mut w, &mut st);
                        records::run_range(
                            &mut d,
                            plan,
                            sid,
                            lo * size..hi,
                            lo as u64,
                            cfg,
                            None,
                            &mut rec,
                        )
                    };
                    // the chunk's output, handed over without a copy
                    let out = w.swap_buffer(Vec::new());
                    if result.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if done_tx
                        .send(Done {
                            chunk,
                            out,
                            result,
                            skips,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // write chunks in order as they arrive
        // chunks that arrived before their turn; at most `pool` are in flight (each holds a
        // pool buffer), and they are `want..want + pool`, so `chunk % pool` is a free slot
        let mut pending: Vec<Option<Done>> = (0..pool).map(|_| None).collect();
        let mut want = 0usize;
        let mut failure: Option<RunError> = None;
        for d in done_rx.iter() {
            let slot = d.chunk % pool;
            pending[slot] = Some(d);
            while let Some(mut d) = pending[want % pool].take_if(|d| d.chunk == want) {
                want += 1;
                if failure.is_some() {
                    d.out.clear();
                    let _ = pool_tx.send(std::mem::take(&mut d.out));
                    continue;
                }
                if let Err(e) = out.write_all(&d.out) {
                    stop.store(true, Ordering::Relaxed);
                    failure = Some(RunError::Io(e));
                    d.out.clear();
                    let _ = pool_tx.send(std::mem::take(&mut d.out));
                    continue;
                }
                for (e, a, b) in &d.skips {
                    on_skip(e, *a, *b);
                }
                match d.result {
                    Ok(s) => {
                        summary.written += s.written;
                        summary.skipped_bad += s.skipped_bad;
                        summary.remainder += s.remainder;
                    }
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        failure = Some(RunError::Data(e));
                    }
                }
                d.out.clear();
                let _ = pool_tx.send(std::mem::take(&mut d.out));
            }
        }
        drop(pool_tx);
        match failure {
            Some(f) => Err(f),
            None => Ok(()),
        }
    })?;
    out.flush().map_err(RunError::Io)?;
    Ok(summary)
}

/// Why a parallel run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Data(DataError),
    #[error("cannot write the output: {0}")]
    Io(std::io::Error),
}
