//! Parallel records mode for fixed-size records: workers decode chunks of records into their
//! own buffers and write them in input order, taking turns. Each worker holds one chunk at a
//! time, so memory stays bounded whatever the input size.
//!
//! The chunks come from a [`Source`]: byte ranges of a mapped file ([`run`]), or buffers that
//! a reader thread fills from a stream ([`stream::run`]). Either way the output, the error
//! and the skipped ranges are those of one sequential run ([`records::run_slice`]) over the
//! same bytes.

use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::json::{JsonOptions, JsonWriter};
use crate::error::DataError;
use crate::plan::{Plan, StructId};
use crate::records::{self, RecordsConfig, RunError, Summary};

pub mod stream;

/// Input bytes per chunk: large enough to amortise hand-offs, small enough that a few chunks
/// of output (about 3× the input as JSON) stay well under 32 MiB.
const CHUNK_BYTES: usize = 512 << 10;

/// Most worker threads: beyond this, output formatting is no longer the bottleneck and each
/// worker's writer buffer (about 1 MiB) would only add memory.
pub const MAX_THREADS: usize = 8;

/// A decoded chunk waiting to be written.
struct Finished {
    buf: Vec<u8>,
    result: Result<Summary, RunError>,
    skips: Vec<Skipped>,
}

/// A skipped byte range and the error of its first record.
type Skipped = (DataError, u64, u64);

/// Where workers take chunks of records from, in input order.
pub trait Source: Sync {
    /// What a worker holds while it decodes a chunk.
    type Chunk: Send;
    /// The next chunk and its number (0, 1, 2, … in input order; a source hands them out in
    /// that order), or `None` when there are no more. The chunk is an error when the input
    /// could not be read: it is reported after the chunks before it are written. Returns
    /// `None` soon after `stop` is set.
    fn next(&self, stop: &AtomicBool) -> Option<(usize, Result<Self::Chunk, RunError>)>;
    /// What to decode for a chunk: the input, the index of the chunk's first record and the
    /// bytes of `input.data` its records start in.
    fn input<'c>(&'c self, chunk: &'c Self::Chunk) -> (Input<'c>, u64, Range<usize>);
    /// A chunk that has been decoded (a source may reuse its buffer).
    fn done(&self, chunk: Self::Chunk) {
        drop(chunk);
    }
}

/// Chunks of a mapped input.
struct Slices<'i> {
    input: Input<'i>,
    chunks: Chunks,
    next: AtomicUsize,
}

impl Source for Slices<'_> {
    type Chunk = usize;

    fn next(&self, _: &AtomicBool) -> Option<(usize, Result<usize, RunError>)> {
        let chunk = self.next.fetch_add(1, Ordering::Relaxed);
        (chunk < self.chunks.count).then_some((chunk, Ok(chunk)))
    }

    fn input<'c>(&'c self, chunk: &'c usize) -> (Input<'c>, u64, Range<usize>) {
        let (lo, range) = self.chunks.range(*chunk);
        (self.input, lo, range)
    }
}

/// Appends `more` (the skipped ranges of the next chunk) to `all`, joining a range that
/// starts where the last one ends: a run of bad records across a chunk boundary is one
/// range, as in a sequential run.
fn merge_skips(all: &mut Vec<Skipped>, more: Vec<Skipped>) {
    for s in more {
        match all.last_mut() {
            Some(last) if last.2 == s.1 => last.2 = s.2,
            _ => all.push(s),
        }
    }
}

/// How fixed-size records are cut into chunks for workers: `--skip` and `--count` applied,
/// and a trailing partial record in the last chunk (reported or rejected there).
#[derive(Clone, Copy, Debug)]
pub struct Chunks {
    size: usize,
    len: usize,
    first: usize,
    last: usize,
    tail: bool,
    per_chunk: usize,
    /// How many chunks there are.
    pub count: usize,
}

impl Chunks {
    /// Chunks of `per_chunk` records of `size` bytes over `input`. Err: a record size of 0,
    /// which never advances.
    pub fn new(
        input: Input,
        size: u64,
        cfg: &RecordsConfig,
        per_chunk: usize,
    ) -> Result<Chunks, RunError> {
        let size = size as usize;
        if size == 0 {
            return Err(RunError::Data(DataError::new(
                input.base,
                crate::error::DataErrorKind::NoProgress { index: 0 },
            )));
        }
        let len = input.data.len();
        let whole = len / size;
        let first = (cfg.skip.min(whole as u64)) as usize;
        let mut last = match cfg.count {
            Some(c) => first
                .saturating_add(c.min(usize::MAX as u64) as usize)
                .min(whole),
            None => whole,
        };
        // a trailing partial record is decoded (and reported) when the run reaches it: always
        // without --count, and with it when there are fewer whole records than it allows
        let tail = !len.is_multiple_of(size)
            && cfg
                .count
                .is_none_or(|c| (first as u64).saturating_add(c) > whole as u64);
        if tail {
            last = whole;
        }
        let per_chunk = per_chunk.max(1);
        let count = (last - first).div_ceil(per_chunk).max(usize::from(tail));
        Ok(Chunks {
            size,
            len,
            first,
            last,
            tail,
            per_chunk,
            count,
        })
    }

    /// The index of the first record of chunk `chunk` and the bytes its records start in.
    pub fn range(&self, chunk: usize) -> (u64, std::ops::Range<usize>) {
        let lo = self.first + chunk * self.per_chunk;
        let hi = if chunk + 1 == self.count {
            if self.tail {
                self.len
            } else {
                self.last * self.size
            }
        } else {
            (lo + self.per_chunk) * self.size
        };
        (lo as u64, lo * self.size..hi)
    }
}

/// What the workers share to write chunks in input order.
struct Turn {
    /// The chunk whose output is written next.
    next: usize,
    /// Finished chunks `next..next + ring`, at `chunk % ring`.
    ready: Vec<Option<Finished>>,
    /// A worker is writing (and will write whatever becomes ready next in order).
    writing: bool,
    /// Buffers of written chunks, for reuse.
    free: Vec<Vec<u8>>,
    summary: Summary,
    failure: Option<RunError>,
    skips: Vec<Skipped>,
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
    let chunks = Chunks::new(input, size, cfg, CHUNK_BYTES / (size.max(1) as usize))?;
    let source = Slices {
        input,
        chunks,
        next: AtomicUsize::new(0),
    };
    run_source(plan, sid, &source, opts, cfg, json, threads, out, on_skip)
}

/// Decodes the chunks of `source` (records of `sid`) with `threads` workers, writing JSON to
/// `out` in input order.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_source<W: Write + Send, S: Source>(
    plan: &Plan,
    sid: StructId,
    source: &S,
    opts: Options,
    cfg: &RecordsConfig,
    json: JsonOptions,
    threads: usize,
    out: &mut W,
    on_skip: records::SkipReport,
) -> Result<Summary, RunError> {
    let threads = threads.clamp(1, MAX_THREADS);
    let stop = AtomicBool::new(false);
    // Workers write the output themselves, in input order: a worker that finishes a chunk
    // puts it in a ring of finished chunks and, if nobody is writing, drains the ring in
    // order. Writing costs kernel time (copying into the page cache), so it is shared by the
    // workers instead of taking a third thread's share of the cores, and nobody waits for
    // its turn. At most RING chunks are finished but unwritten, so memory stays bounded.
    let ring = threads * 2;
    let turn = Mutex::new(Turn {
        next: 0,
        ready: (0..ring).map(|_| None).collect(),
        writing: false,
        // every buffer the run can need (one per worker, one per ring slot), sized for a
        // chunk's JSON (about three times its input): none is allocated while decoding
        free: (0..threads + ring)
            .map(|_| Vec::with_capacity(CHUNK_BYTES * 4))
            .collect(),
        summary: Summary::default(),
        failure: None,
        skips: Vec::new(),
    });
    let out = Mutex::new(out);
    let turn_cv = Condvar::new();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (stop, turn, turn_cv, out) = (&stop, &turn, &turn_cv, &out);
            s.spawn(move || {
                let mut st = Scratch::default();
                // one writer per worker, reused for every chunk
                let mut w = JsonWriter::new(std::io::sink(), json).keep_all();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Some((chunk, work)) = source.next(stop) else {
                        return;
                    };
                    // a buffer, once the ring has room for this chunk
                    let buf = {
                        let Ok(mut t) = turn.lock() else { return };
                        while chunk >= t.next + ring {
                            if stop.load(Ordering::Relaxed) {
                                return;
                            }
                            t = match turn_cv.wait(t) {
                                Ok(t) => t,
                                Err(_) => return,
                            };
                        }
                        t.free
                            .pop()
                            .unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES * 4))
                    };
                    let _ = w.swap_buffer(buf);
                    let mut skips = Vec::new();
                    let result = match work {
                        Ok(work) => {
                            let mut rec =
                                |e: &DataError, a: u64, b: u64| skips.push((e.clone(), a, b));
                            let (input, lo, range) = source.input(&work);
                            let result = {
                                let mut d = Decoder::new(plan, input, opts, &mut w, &mut st);
                                records::run_range(
                                    &mut d, plan, sid, range, lo, cfg, None, &mut rec,
                                )
                            };
                            source.done(work);
                            result
                        }
                        Err(e) => Err(e),
                    };
                    let buf = w.swap_buffer(Vec::new());
                    let Ok(mut t) = turn.lock() else { return };
                    t.ready[chunk % ring] = Some(Finished { buf, result, skips });
                    if t.writing {
                        continue;
                    }
                    // nobody is writing: write every finished chunk that is next in order
                    t.writing = true;
                    loop {
                        let slot = t.next % ring;
                        let Some(f) = t.ready[slot].take() else { break };
                        let Finished {
                            mut buf,
                            result,
                            skips,
                        } = f;
                        if t.failure.is_none() {
                            drop(t);
                            let written = match out.lock() {
                                Ok(mut o) => o.write_all(&buf),
                                Err(_) => Err(std::io::Error::other("a worker panicked")),
                            };
                            t = match turn.lock() {
                                Ok(t) => t,
                                Err(_) => return,
                            };
                            match (written, result) {
                                (Err(e), _) => t.failure = Some(RunError::Output(e)),
                                (Ok(()), Ok(s)) => {
                                    merge_skips(&mut t.skips, skips);
                                    t.summary.written += s.written;
                                    t.summary.skipped_bad += s.skipped_bad;
                                    t.summary.remainder += s.remainder;
                                }
                                (Ok(()), Err(e)) => {
                                    merge_skips(&mut t.skips, skips);
                                    t.failure = Some(e);
                                }
                            }
                            if t.failure.is_some() {
                                stop.store(true, Ordering::Relaxed);
                            }
                        }
                        buf.clear();
                        t.free.push(buf);
                        t.next += 1;
                        turn_cv.notify_all();
                    }
                    t.writing = false;
                }
            });
        }
    });
    let out = out
        .into_inner()
        .map_err(|_| RunError::Output(std::io::Error::other("a worker panicked")))?;
    let t = turn
        .into_inner()
        .map_err(|_| RunError::Output(std::io::Error::other("a worker panicked")))?;
    // skipped ranges are reported in input order once the run is over
    for (e, a, b) in &t.skips {
        on_skip(e, *a, *b);
    }
    if let Some(f) = t.failure {
        return Err(f);
    }
    out.flush().map_err(RunError::Output)?;
    Ok(t.summary)
}
