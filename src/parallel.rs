//! Parallel records mode for fixed-size records: workers decode chunks of records into their
//! own buffers and write them in input order, taking turns. Each worker holds one chunk at a
//! time, so memory stays bounded whatever the input size.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::json::{JsonOptions, JsonWriter};
use crate::error::DataError;
use crate::plan::{Plan, StructId};
use crate::records::{self, RecordsConfig, Summary};

/// Input bytes per chunk: large enough to amortise hand-offs, small enough that a few chunks
/// of output (about 3× the input as JSON) stay well under 32 MiB.
const CHUNK_BYTES: usize = 512 << 10;

/// Most worker threads: beyond this, output formatting is no longer the bottleneck and each
/// worker's writer buffer (about 1 MiB) would only add memory.
pub const MAX_THREADS: usize = 8;

/// What the workers share while they take turns writing.
struct Turn<'w, W> {
    /// The chunk whose output is written next.
    next: usize,
    out: &'w mut W,
    summary: Summary,
    failure: Option<RunError>,
    skips: Vec<(DataError, u64, u64)>,
}

/// Decodes fixed-size records of `sid` over `input` with `threads` workers, writing JSON to
/// `out` in input order. `size` is the record size.
#[allow(clippy::too_many_arguments)]
pub fn run<W: Write + Send>(
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
    // Workers write their own chunks, in turn: a worker that finished chunk `c` waits until
    // chunk `c - 1` is written, writes, and passes the turn on. Writing costs kernel time
    // (copying into the page cache for a file), so it is shared by the workers instead of
    // taking a third thread's share of the cores. Each worker holds one chunk at a time.
    let turn = Mutex::new(Turn {
        next: 0,
        out,
        summary: Summary::default(),
        failure: None,
        skips: Vec::new(),
    });
    let turn_cv = Condvar::new();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (next, stop, turn, turn_cv) = (&next, &stop, &turn, &turn_cv);
            s.spawn(move || {
                let mut st = Scratch::default();
                // one writer and one chunk buffer per worker, reused for every chunk
                let mut w = JsonWriter::new(std::io::sink(), json).keep_all();
                let mut buf = Vec::with_capacity(CHUNK_BYTES * 4);
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= nchunks {
                        return;
                    }
                    let lo = first + chunk * per_chunk;
                    let hi = if chunk + 1 == nchunks {
                        if tail { data.len() } else { last * size }
                    } else {
                        (lo + per_chunk) * size
                    };
                    let _ = w.swap_buffer(std::mem::take(&mut buf));
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
                    buf = w.swap_buffer(Vec::new());
                    // wait for this chunk's turn
                    let Ok(mut t) = turn.lock() else { return };
                    while t.next != chunk {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        t = match turn_cv.wait(t) {
                            Ok(t) => t,
                            Err(_) => return,
                        };
                    }
                    if t.failure.is_none() {
                        if let Err(e) = t.out.write_all(&buf) {
                            t.failure = Some(RunError::Io(e));
                        } else {
                            t.skips.extend(skips);
                            match result {
                                Ok(s) => {
                                    t.summary.written += s.written;
                                    t.summary.skipped_bad += s.skipped_bad;
                                    t.summary.remainder += s.remainder;
                                }
                                Err(e) => t.failure = Some(RunError::Data(e)),
                            }
                        }
                        if t.failure.is_some() {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    t.next += 1;
                    drop(t);
                    turn_cv.notify_all();
                }
            });
        }
    });
    let t = turn
        .into_inner()
        .map_err(|_| RunError::Io(std::io::Error::other("a worker panicked")))?;
    // skipped ranges are reported in input order once the run is over
    for (e, a, b) in &t.skips {
        on_skip(e, *a, *b);
    }
    if let Some(f) = t.failure {
        return Err(f);
    }
    let summary = t.summary;
    let out = t.out;
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
