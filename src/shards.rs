//! Record-aligned shards of an input: byte ranges that each start at a record and hold
//! whole records, so that several processes (or machines) can decode one file in parallel
//! and the concatenation of their outputs, in shard order, equals one run over the file.
//!
//! Fixed-size records are split by arithmetic. Variable-size records need one sequential
//! pass that finds where records start; it goes through the decoder's compiled record paths
//! into a sink that throws the text away, and notes the first record start past each
//! shard's share of the bytes. That pass is cheaper than a decode with output, and is done
//! once per file.

use crate::decode::{Decoder, Input, Options, Scratch};
use crate::emit::Sink;
use crate::error::DataError;
use crate::plan::{Plan, StructId};
use crate::records::record_size;
use crate::text::Encoding;

/// One shard: `length` bytes from `offset`, whole records only (the last shard also holds
/// whatever follows the last whole record, so that a run over it reports it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub offset: u64,
    pub length: u64,
    /// The number of the shard's first record in the whole input (its `@index` in one run
    /// over the file).
    pub first_index: u64,
}

/// The shards of an input, and why the walk over variable-size records stopped early.
#[derive(Clone, Debug, Default)]
pub struct Shards {
    pub shards: Vec<Shard>,
    /// The walk over variable-size records stopped at a record that does not decode: the
    /// rest of the input is in the last shard, whose decode meets the same error (and
    /// reports it, or skips past it with `--on-error skip`).
    pub stopped: Option<DataError>,
}

/// Records walked per step of the compiled path (between checks for shard boundaries).
const STEP: u64 = 1024;

/// Splits `data` (records of `sid`) into at most `n` shards of about equal size, each
/// starting at a record. Fewer shards come back when there are fewer records than `n`; an
/// empty input has no shards.
pub fn shards(plan: &Plan, sid: StructId, data: &[u8], n: usize, opts: Options) -> Shards {
    let n = n.max(1) as u64;
    let len = data.len() as u64;
    if len == 0 {
        return Shards::default();
    }
    if let Some(size) = record_size(plan, sid) {
        return Shards {
            shards: fixed(len, size, n),
            stopped: None,
        };
    }
    variable(plan, sid, data, n, opts)
}

/// Shards of whole fixed-size records: record counts differ by at most one; a trailing
/// partial record goes with the last shard.
fn fixed(len: u64, size: u64, n: u64) -> Vec<Shard> {
    let whole = len / size;
    let parts = n.min(whole).max(1);
    let (per, extra) = (whole / parts, whole % parts);
    let mut out = Vec::with_capacity(parts as usize);
    let mut index = 0;
    for i in 0..parts {
        let count = per + u64::from(i < extra);
        let offset = index * size;
        let length = if i + 1 == parts {
            len - offset
        } else {
            count * size
        };
        out.push(Shard {
            offset,
            length,
            first_index: index,
        });
        index += count;
    }
    out
}

/// One pass over variable-size records: a shard boundary at the first record start at or
/// past each `i * len / n`.
fn variable(plan: &Plan, sid: StructId, data: &[u8], n: u64, opts: Options) -> Shards {
    let len = data.len() as u64;
    let target = |i: u64| (len as u128 * i as u128 / n as u128) as u64;
    let mut starts = vec![(0u64, 0u64)];
    let mut sink = Discard::default();
    let mut st = Scratch::default();
    let mut d = Decoder::new(plan, Input::whole(data), opts, &mut sink, &mut st);
    let fast = d.has_fast_records(sid);
    let (mut pos, mut index) = (0usize, 0u64);
    let mut stopped = None;
    // records a step at a time; one at a time once a step would pass a boundary
    let mut step = STEP;
    while pos < data.len() && (starts.len() as u64) < n {
        let next_target = target(starts.len() as u64);
        let (k, next) = if fast {
            d.fast_records(sid, pos, data.len(), step)
                .unwrap_or((0, pos))
        } else {
            (0, pos)
        };
        if k > 1 && next as u64 > next_target {
            step = 1;
            continue;
        }
        if k > 0 {
            pos = next;
            index += k;
        } else {
            // the general decoder, for records the compiled paths leave to it
            match d.decode_record(sid, pos, index, false) {
                Ok(next) if next > pos => {
                    pos = next;
                    index += 1;
                }
                Ok(_) => {
                    stopped = Some(DataError::new(
                        pos as u64,
                        crate::error::DataErrorKind::NoProgress { index },
                    ));
                    break;
                }
                Err(e) => {
                    stopped = Some(e);
                    break;
                }
            }
        }
        if note(&mut starts, pos, index, next_target, len) {
            step = STEP;
        }
    }
    let mut shards: Vec<Shard> = starts
        .windows(2)
        .map(|w| Shard {
            offset: w[0].0,
            length: w[1].0 - w[0].0,
            first_index: w[0].1,
        })
        .collect();
    if let Some(&(offset, first_index)) = starts.last() {
        shards.push(Shard {
            offset,
            length: len - offset,
            first_index,
        });
    }
    Shards { shards, stopped }
}

/// Notes `pos` as a shard start when it reached the next target and is not the end.
fn note(starts: &mut Vec<(u64, u64)>, pos: usize, index: u64, target: u64, len: u64) -> bool {
    let pos = pos as u64;
    let due = pos >= target && pos < len && starts.last().is_none_or(|&(p, _)| p < pos);
    if due {
        starts.push((pos, index));
    }
    due
}

/// A sink that lets the compiled record paths check records and keeps nothing.
#[derive(Default)]
struct Discard {
    out: crate::emit::record::Discard,
}

impl Sink for Discard {
    type Out = crate::emit::record::Discard;

    fn begin_object(&mut self) {}
    fn end_object(&mut self) {}
    fn begin_array(&mut self) {}
    fn end_array(&mut self) {}
    fn key(&mut self, _: &[u8]) {}
    fn span(&mut self, _: &[u8], _: u64, _: u64) {}
    fn null(&mut self) {}
    fn bool(&mut self, _: bool) {}
    fn u64(&mut self, _: u64) {}
    fn i64(&mut self, _: i64) {}
    fn i128(&mut self, _: i128) {}
    fn f64(&mut self, _: f64) {}
    fn f32(&mut self, _: f32) {}
    fn text(&mut self, _: &[u8], _: Encoding, _: bool) {}
    fn str(&mut self, _: &str) {}
    fn bytes(&mut self, _: &[u8]) {}
    fn end_record(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    fn raw_lines(&mut self) -> Option<(&mut Self::Out, usize)> {
        Some((&mut self.out, usize::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_shards_split_whole_records() {
        let s = fixed(100, 10, 3);
        let pairs: Vec<_> = s.iter().map(|s| (s.offset, s.length)).collect();
        assert_eq!(pairs, [(0, 40), (40, 30), (70, 30)]);
        // a trailing partial record goes with the last shard
        let s = fixed(105, 10, 2);
        assert_eq!(s[1].offset + s[1].length, 105);
        assert_eq!(s[1].first_index, 5);
        // more shards than records
        assert_eq!(fixed(20, 10, 8).len(), 2);
        assert_eq!(fixed(5, 10, 8).len(), 1);
    }

    #[test]
    fn variable_shards_start_at_records() {
        let plan = crate::lang::compile_str("t", "struct rec {\n n: u8\n body: bytes[n]\n}\n")
            .expect("descriptor");
        let mut data = Vec::new();
        let mut starts = Vec::new();
        for i in 0..1000u32 {
            starts.push(data.len() as u64);
            let n = (i * 7 % 13) as u8;
            data.push(n);
            data.extend(std::iter::repeat_n(i as u8, n as usize));
        }
        let s = shards(&plan, plan.root, &data, 7, Options::default());
        assert!(s.stopped.is_none());
        assert_eq!(s.shards.len(), 7);
        let mut at = 0;
        for sh in &s.shards {
            assert_eq!(sh.offset, at);
            let idx = starts.binary_search(&sh.offset).expect("a record start");
            assert_eq!(sh.first_index, idx as u64);
            at += sh.length;
        }
        assert_eq!(at, data.len() as u64);
    }
}
