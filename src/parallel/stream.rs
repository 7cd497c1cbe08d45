//! Parallel records mode over a stream (stdin): a reader thread fills buffers of whole
//! fixed-size records, workers decode them, and the output is written in input order, as
//! over a mapped file ([`super::run`]).
//!
//! Memory is bounded by the buffers in flight, whatever the input size: the reader is at most
//! a few chunks ahead of the workers (a bounded channel), and the buffers of decoded chunks
//! go back to it. Each chunk is decoded over its own bytes, with offsets in the whole stream:
//! errors, `--on-error skip` ranges and `--offsets` are those of a run over a file of the
//! same bytes. `--skip` records are read and dropped without being decoded, and the reader
//! stops reading once `--count` records are in its chunks.

use std::io::{self, Read, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{CHUNK_BYTES, MAX_THREADS, Source};
use crate::decode::{Input, Options};
use crate::emit::json::JsonOptions;
use crate::plan::{Plan, StructId};
use crate::records::{RecordsConfig, RunError, SkipReport, Summary};

/// Whole records read from the stream (and, in the last chunk, the bytes of a trailing
/// partial record).
pub struct Chunk {
    /// A buffer of the chunk size, filled up to `len`.
    data: Vec<u8>,
    len: usize,
    /// Offset of `data[0]` in the stream.
    base: u64,
    /// The index of the first record.
    first: u64,
    /// The stream ended after this chunk's bytes.
    last: bool,
}

/// What the reader sends: a chunk's number and the chunk, or why the stream could not be read.
type Sent = (usize, Result<Chunk, RunError>);

/// The workers' side of the reader thread.
struct Stream {
    chunks: Mutex<Receiver<Sent>>,
    /// Buffers of decoded chunks, for the reader to fill again.
    free: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// The largest record taken in parallel from a stream (larger ones are streamed by
/// [`crate::records::run_stream`]): a chunk holds at least one record, and the run holds a
/// few chunks per worker.
pub const MAX_RECORD: u64 = CHUNK_BYTES as u64;

/// How long a worker waits for the reader before it looks whether the run was stopped.
const POLL: Duration = Duration::from_millis(20);

impl Source for Stream {
    type Chunk = Chunk;

    fn next(&self, stop: &AtomicBool) -> Option<Sent> {
        let rx = self.chunks.lock().ok()?;
        loop {
            match rx.recv_timeout(POLL) {
                Ok(sent) => return Some(sent),
                Err(RecvTimeoutError::Timeout) if !stop.load(Ordering::Relaxed) => {}
                Err(_) => return None,
            }
        }
    }

    fn input<'c>(&'c self, c: &'c Chunk) -> (Input<'c>, u64, Range<usize>) {
        let input = Input {
            data: &c.data[..c.len],
            base: c.base,
            total: c.last.then_some(c.base + c.len as u64),
            progress: None,
        };
        (input, c.first, 0..c.len)
    }

    fn done(&self, c: Chunk) {
        if let Ok(mut free) = self.free.lock() {
            free.push(c.data);
        }
    }
}

/// Decodes fixed-size records (`size` bytes) of `sid` read from `reader` with `threads`
/// workers, writing JSON to `out` in input order: the same output, errors and skipped ranges
/// as [`super::run`] over a file of the same bytes.
///
/// The reader runs on a thread of its own that is not joined: when the run stops early (an
/// error, a closed output) this returns at once, and the thread ends at its next read.
#[allow(clippy::too_many_arguments)]
pub fn run<R: Read + Send + 'static, W: Write + Send>(
    plan: &Plan,
    sid: StructId,
    size: u64,
    reader: R,
    opts: Options,
    cfg: &RecordsConfig,
    json: JsonOptions,
    threads: usize,
    out: &mut W,
    on_skip: SkipReport,
) -> Result<Summary, RunError> {
    let threads = threads.clamp(1, MAX_THREADS);
    let size = usize::try_from(size).unwrap_or(usize::MAX).max(1);
    let per_chunk = (CHUNK_BYTES / size).max(1);
    // chunks read but not yet taken by a worker
    let ahead = threads;
    let (tx, rx) = sync_channel(ahead);
    // every buffer the run can hold at once: the reader's, those in the channel, one per
    // worker, and one being handed back
    let free: Vec<Vec<u8>> = (0..ahead + threads + 2)
        .map(|_| vec![0; per_chunk.saturating_mul(size)])
        .collect();
    let free = Arc::new(Mutex::new(free));
    let reading = Reader {
        reader,
        size,
        per_chunk,
        skip: cfg.skip,
        count: cfg.count,
        free: free.clone(),
        tx,
        number: 0,
    };
    std::thread::Builder::new()
        .name("unstruct-read".into())
        .spawn(move || reading.run())
        .map_err(RunError::Input)?;
    let source = Stream {
        chunks: Mutex::new(rx),
        free,
    };
    super::run_source(plan, sid, &source, opts, cfg, json, threads, out, on_skip)
}

/// The reader thread's state.
struct Reader<R> {
    reader: R,
    size: usize,
    per_chunk: usize,
    skip: u64,
    count: Option<u64>,
    free: Arc<Mutex<Vec<Vec<u8>>>>,
    tx: SyncSender<Sent>,
    /// The number of the next chunk sent.
    number: usize,
}

impl<R: Read> Reader<R> {
    /// Reads the stream into chunks and sends them, until the stream ends, `count` records
    /// are sent, or nobody takes them any more. A read error goes where the next chunk would.
    fn run(mut self) {
        if let Err(e) = self.chunks() {
            let _ = self.tx.send((self.number, Err(RunError::Input(e))));
        }
    }

    /// A buffer of a chunk's size (its bytes are overwritten before they are used).
    fn buffer(&self) -> Vec<u8> {
        let bytes = self.per_chunk * self.size;
        match self.free.lock().ok().and_then(|mut f| f.pop()) {
            Some(buf) if buf.len() == bytes => buf,
            _ => vec![0; bytes],
        }
    }

    /// Fills `buf[*filled..want]` from the stream; false when the stream ended first.
    fn fill(&mut self, buf: &mut [u8], filled: &mut usize, want: usize) -> io::Result<bool> {
        while *filled < want {
            match self.reader.read(&mut buf[*filled..want]) {
                Ok(0) => return Ok(false),
                Ok(n) => *filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    fn chunks(&mut self) -> io::Result<()> {
        let size = self.size as u64;
        let chunk_bytes = self.per_chunk * self.size;
        let mut base = 0u64;
        let mut buf = self.buffer();
        let mut filled = 0;
        // --skip: whole records are read and dropped; a partial record at the end is kept
        let mut skip_bytes = self.skip.saturating_mul(size);
        let mut more = true;
        while skip_bytes > 0 && more {
            filled = 0;
            let want = skip_bytes.min(chunk_bytes as u64) as usize;
            more = self.fill(&mut buf, &mut filled, want)?;
            let whole = filled / self.size * self.size;
            base += whole as u64;
            skip_bytes -= whole as u64;
            buf.copy_within(whole..filled, 0);
            filled -= whole;
        }
        let mut first = base / size;
        let mut left = self.count;
        loop {
            let records = left.map_or(self.per_chunk, |l| l.min(self.per_chunk as u64) as usize);
            if records == 0 {
                return Ok(());
            }
            if more {
                more = self.fill(&mut buf, &mut filled, records * self.size)?;
            }
            if filled == 0 {
                return Ok(());
            }
            let chunk = Chunk {
                data: std::mem::take(&mut buf),
                len: filled,
                base,
                first,
                last: !more,
            };
            if self.tx.send((self.number, Ok(chunk))).is_err() || !more {
                return Ok(());
            }
            self.number += 1;
            base += filled as u64;
            first += (filled / self.size) as u64;
            left = left.map(|l| l - (filled / self.size) as u64);
            buf = self.buffer();
            filled = 0;
        }
    }
}
