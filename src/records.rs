//! Records mode: decode one struct again and again until the input ends, one JSON value per
//! record. Over a slice (files are memory-mapped) or a stream (stdin) with bounded memory.

use std::io::Read;

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::Sink;
use crate::error::{DataError, DataErrorKind};
use crate::plan::{Plan, StructId};

/// What to do with a record that fails to decode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first error (after writing every complete record before it).
    #[default]
    Stop,
    /// Report the bad byte range on stderr and go on with the next record.
    Skip,
}

#[derive(Clone, Debug, Default)]
pub struct RecordsConfig {
    /// Records to skip before writing.
    pub skip: u64,
    /// Most records to write.
    pub count: Option<u64>,
    pub on_error: OnError,
    /// For fixed-size records: allow bytes after the last whole record (reported, not an error).
    pub allow_remainder: bool,
}

/// What a records run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub written: u64,
    pub skipped_bad: u64,
    /// Bytes after the last whole record (only with `allow_remainder`).
    pub remainder: u64,
}

/// A range of input that was skipped because it did not decode (`--on-error skip`).
pub type SkipReport<'r> = &'r mut dyn FnMut(&DataError, u64, u64);

/// The fixed size of records of `sid`, when every record has the same size.
pub fn record_size(plan: &Plan, sid: StructId) -> Option<u64> {
    plan.structs[sid as usize].static_size.filter(|&s| s > 0)
}

/// Decodes records over a whole input slice.
pub fn run_slice<S: Sink>(
    plan: &Plan,
    sid: StructId,
    input: Input,
    opts: Options,
    cfg: &RecordsConfig,
    sink: &mut S,
    on_skip: SkipReport,
) -> Result<Summary, RunError> {
    let mut st = Scratch::default();
    let data = input.data;
    let fixed = record_size(plan, sid);
    let mut d = Decoder::new(plan, input, opts, sink, &mut st);
    let (mut pos, mut index) = (0usize, 0u64);
    if let Some(size) = fixed {
        let whole = data.len() as u64 / size;
        index = cfg.skip.min(whole);
        pos = (index * size) as usize;
    }
    // variable-size records are skipped by decoding them without output (fixed-size ones
    // by arithmetic: a partial record after the skipped ones is reported by `run_range`)
    while fixed.is_none() && index < cfg.skip && pos < data.len() {
        match d.decode_record(sid, pos, index, false) {
            Ok(next) if next > pos => pos = next,
            Ok(_) => return Err(no_progress(input.base + pos as u64, index).into()),
            Err(e) => return Err(e.into()),
        }
        index += 1;
    }
    let summary = run_range(
        &mut d,
        plan,
        sid,
        pos..data.len(),
        index,
        cfg,
        cfg.count,
        on_skip,
    )?;
    d.sink().finish().map_err(RunError::Output)?;
    Ok(summary)
}

/// Decodes the records that start in `range` (record `index` first), writing at most
/// `count`. Used for whole inputs and for the chunks that parallel workers take.
#[allow(clippy::too_many_arguments)]
pub fn run_range<S: Sink>(
    d: &mut Decoder<'_, '_, '_, S>,
    plan: &Plan,
    sid: StructId,
    range: std::ops::Range<usize>,
    mut index: u64,
    cfg: &RecordsConfig,
    count: Option<u64>,
    on_skip: SkipReport,
) -> Result<Summary, RunError> {
    let mut summary = Summary::default();
    // only structs compiled for a fast path take it
    let fast = d.has_fast_records(sid);
    let fixed = record_size(plan, sid);
    let base = d.base();
    let end = range.end;
    let mut pos = range.start;
    let mut bad_start: Option<(u64, DataError)> = None;
    while pos < end {
        if count.is_some_and(|c| summary.written >= c) {
            break;
        }
        d.progress_at(pos);
        // compiled records written straight into a compact writer, many at a time
        if fast
            && bad_start.is_none()
            && fast_batch(d, sid, end, count, &mut summary, &mut index, &mut pos)?
        {
            continue;
        }
        if let Some(size) = fixed {
            let left = (d.data_len() - pos) as u64;
            if left < size {
                if cfg.allow_remainder {
                    summary.remainder = left;
                    break;
                }
                if cfg.on_error == OnError::Stop {
                    let mut e =
                        DataError::new(base + pos as u64, DataErrorKind::Remainder { left, size });
                    e.path.push(crate::error::PathSeg::Field(
                        plan.structs[sid as usize].name.clone(),
                    ));
                    e.path.push(crate::error::PathSeg::Index(index));
                    return Err(e.into());
                }
            }
        }
        let mark = d.sink().mark();
        match d.decode_record(sid, pos, index, true) {
            Ok(next) if next > pos => {
                if let Some((start, e)) = bad_start.take() {
                    on_skip(&e, start, base + pos as u64);
                }
                pos = next;
                d.sink().end_record().map_err(RunError::Output)?;
                summary.written += 1;
                index += 1;
            }
            Ok(_) => {
                d.sink().rewind(mark);
                return Err(no_progress(base + pos as u64, index).into());
            }
            Err(e) => {
                d.sink().rewind(mark);
                if cfg.on_error == OnError::Stop {
                    return Err(e.into());
                }
                summary.skipped_bad += 1;
                if bad_start.is_none() {
                    bad_start = Some((base + pos as u64, e));
                }
                // resynchronise: the next record slot for fixed sizes, the next byte otherwise
                pos += fixed.map_or(1, |s| s as usize);
                index += 1;
            }
        }
    }
    if let Some((start, e)) = bad_start.take() {
        on_skip(&e, start, base + pos.min(end) as u64);
    }
    Ok(summary)
}

/// Writes the records that the compiled paths take from `*pos` on (each ending by `end`),
/// as many as `count` still allows, and moves `pos`, `index` and the summary past them.
/// True when any were written.
fn fast_batch<S: Sink>(
    d: &mut Decoder<'_, '_, '_, S>,
    sid: StructId,
    end: usize,
    count: Option<u64>,
    summary: &mut Summary,
    index: &mut u64,
    pos: &mut usize,
) -> Result<bool, RunError> {
    let limit = count.map_or(u64::MAX, |c| c - summary.written);
    let (n, next) = d
        .fast_records(sid, *pos, end, limit)
        .map_err(RunError::Output)?;
    summary.written += n;
    *index += n;
    *pos = next;
    Ok(n > 0)
}

#[cold]
fn no_progress(offset: u64, index: u64) -> DataError {
    DataError::new(offset, DataErrorKind::NoProgress { index })
}

/// Largest record the streaming reader holds (a larger one is an error with its offset).
pub const MAX_STREAM_RECORD: usize = 256 << 20;

/// Decodes records from a stream with memory bounded by the largest record: a buffer that is
/// refilled, and a record is retried with more data when it ran into the buffer's end.
pub fn run_stream<S: Sink>(
    plan: &Plan,
    sid: StructId,
    mut reader: impl Read,
    opts: Options,
    cfg: &RecordsConfig,
    sink: &mut S,
    on_skip: SkipReport,
) -> Result<Summary, RunError> {
    let mut st = Scratch::default();
    let mut summary = Summary::default();
    let mut buf: Vec<u8> = vec![0; 4 << 20];
    let mut filled = 0usize;
    let mut base = 0u64;
    let mut eof = false;
    let mut index = 0u64;
    let mut pos = 0usize;
    let fixed = record_size(plan, sid);
    let mut bad_start: Option<(u64, DataError)> = None;
    loop {
        // fill the buffer
        while !eof && filled < buf.len() {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(RunError::Input(e)),
            }
        }
        let input = Input {
            data: &buf[..filled],
            base,
            total: if eof {
                Some(base + filled as u64)
            } else {
                None
            },
            progress: None,
        };
        let mut d = Decoder::new(plan, input, opts, sink, &mut st);
        let fast = d.has_fast_records(sid);
        let mut need_more = false;
        while pos < filled {
            if cfg.count.is_some_and(|c| summary.written >= c) {
                d.sink().finish().map_err(RunError::Output)?;
                return Ok(summary);
            }
            if let Some(size) = fixed {
                let left = (filled - pos) as u64;
                if left < size {
                    if !eof {
                        need_more = true;
                        break;
                    }
                    if cfg.allow_remainder {
                        summary.remainder = left;
                        pos = filled;
                        break;
                    }
                    if cfg.on_error == OnError::Stop {
                        d.sink().finish().map_err(RunError::Output)?;
                        let mut e = DataError::new(
                            base + pos as u64,
                            DataErrorKind::Remainder { left, size },
                        );
                        e.path.push(crate::error::PathSeg::Field(
                            plan.structs[sid as usize].name.clone(),
                        ));
                        e.path.push(crate::error::PathSeg::Index(index));
                        return Err(RunError::Data(e));
                    }
                }
            }
            let emit = index >= cfg.skip;
            // compiled records, as in `run_range`: only whole records inside the buffer
            if fast
                && emit
                && bad_start.is_none()
                && fast_batch(
                    &mut d,
                    sid,
                    filled,
                    cfg.count,
                    &mut summary,
                    &mut index,
                    &mut pos,
                )?
            {
                continue;
            }
            let mark = d.sink().mark();
            match d.decode_record(sid, pos, index, emit) {
                // a record that reaches the buffer end may have been cut short by the buffer
                Ok(next) if next == filled && !eof => {
                    d.sink().rewind(mark);
                    need_more = true;
                    break;
                }
                Ok(next) if next > pos => {
                    if let Some((start, e)) = bad_start.take() {
                        on_skip(&e, start, base + pos as u64);
                    }
                    pos = next;
                    if emit {
                        d.sink().end_record().map_err(RunError::Output)?;
                        summary.written += 1;
                    }
                    index += 1;
                }
                Ok(_) => {
                    d.sink().rewind(mark);
                    return Err(RunError::Data(no_progress(base + pos as u64, index)));
                }
                Err(e) if !eof && e.is_truncation() => {
                    d.sink().rewind(mark);
                    need_more = true;
                    break;
                }
                Err(e) => {
                    d.sink().rewind(mark);
                    if cfg.on_error == OnError::Stop {
                        d.sink().finish().map_err(RunError::Output)?;
                        return Err(RunError::Data(e));
                    }
                    summary.skipped_bad += 1;
                    if bad_start.is_none() {
                        bad_start = Some((base + pos as u64, e));
                    }
                    pos += fixed.map_or(1, |s| s as usize);
                    index += 1;
                }
            }
        }
        if eof && !need_more {
            break;
        }
        if eof && need_more {
            break;
        }
        // keep the unfinished record, drop the rest; grow if one record fills the buffer
        if pos == 0 && filled == buf.len() {
            if buf.len() >= MAX_STREAM_RECORD {
                return Err(RunError::Data(DataError::new(
                    base,
                    DataErrorKind::Type(format!(
                        "a record larger than {} MiB cannot be streamed from stdin; pass a file",
                        MAX_STREAM_RECORD >> 20
                    )),
                )));
            }
            buf.resize(buf.len() * 2, 0);
        }
        buf.copy_within(pos..filled, 0);
        filled -= pos;
        base += pos as u64;
        pos = 0;
    }
    if let Some((start, e)) = bad_start.take() {
        on_skip(&e, start, base + filled as u64);
    }
    sink.finish().map_err(RunError::Output)?;
    Ok(summary)
}

/// Why a records run stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The data: where and why decoding stopped (records before it were written).
    #[error("{0}")]
    Data(DataError),
    /// Reading the input failed (streamed stdin).
    #[error("cannot read the input: {0}")]
    Input(std::io::Error),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

impl From<DataError> for RunError {
    fn from(e: DataError) -> Self {
        RunError::Data(e)
    }
}

impl RunError {
    /// The data error, when the data stopped the run.
    pub fn data(&self) -> Option<&DataError> {
        match self {
            RunError::Data(e) => Some(e),
            _ => None,
        }
    }
}
