//! The decoder: runs a [`Plan`] over a byte slice in one forward pass and pushes values to a
//! [`Sink`] as it goes. Values that later expressions name are kept in frames (see
//! [`Value`]); everything else is written and forgotten.

mod array;
mod columns;
pub mod cursor;
mod expr;
mod flat;
mod lazy;
mod parent;
mod positions;
mod process;
mod programs;
mod scalar;
mod seq;
pub mod value;
mod values;

pub use flat::RawProgram;
pub use programs::Programs;
pub use seq::SeqProgram;

use crate::emit::{RecordOut, Sink};
use crate::error::{DataError, DataErrorKind};
use crate::plan::*;
use crate::progress::Progress;
use crate::text::{self, Encoding};
use cursor::{Scalar, read_scalar, scalar_size};
pub use value::Value;

/// Limits and policies of a decode.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Decode invalid text with U+FFFD instead of failing.
    pub lossy: bool,
    /// Deepest nesting of structs, arrays and `at` jumps.
    pub max_depth: u32,
    /// Most values decoded in one run over an input (None: 16 per input byte + 1M).
    pub max_values: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lossy: false,
            max_depth: 128,
            max_values: None,
        }
    }
}

/// The input as the decoder sees it.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub data: &'a [u8],
    /// Absolute offset of `data[0]` in the whole input.
    pub base: u64,
    /// Size of the whole input, when known (not known for streamed stdin).
    pub total: Option<u64>,
    /// Where to report how far decoding got (for a progress display), if anywhere.
    pub progress: Option<&'a Progress>,
}

impl<'a> Input<'a> {
    pub fn whole(data: &'a [u8]) -> Input<'a> {
        Input {
            data,
            base: 0,
            total: Some(data.len() as u64),
            progress: None,
        }
    }
}

/// Reusable decoding state: frames, kept arrays, index stack. Allocated once and reused for
/// every record, so records mode does not allocate per record.
#[derive(Default)]
pub struct Scratch {
    arena: Vec<Value>,
    frames: Vec<(u32, StructId)>,
    arrays: Vec<Vec<Value>>,
    arrays_used: u32,
    /// Text and bytes computed by expressions (see [`Value::Text`]), reused like `arrays`.
    owned: Vec<Vec<u8>>,
    owned_used: u32,
    /// Bytes computed since the last reset (bounded like the number of values).
    owned_bytes: u64,
    /// Where the frames of structs with `lazy` fields were decoded, by frame (ascending);
    /// of every struct when the plan introspects.
    ctx: Vec<FrameCtx>,
    index: Vec<u64>,
    /// Where a lazy field with `at` was decoded when first named, by arena slot: (pos, end,
    /// stream start), so that it is written from the same place.
    lazy_at: Vec<(usize, Region)>,
    /// Structs decoded from processed bytes and copied out (see `process.rs`).
    detached: Vec<process::Detached>,
}

/// A region an `at` resolved to: (cursor, end, stream start, `size` or usize::MAX).
type Region = (usize, usize, usize, usize);

/// The decoding context of a struct with `lazy` fields, to decode them in it later.
#[derive(Clone, Copy)]
struct FrameCtx {
    frame: u32,
    region_start: usize,
    end: usize,
    order: ByteOrder,
    bit_little: bool,
    /// The start of the stream the struct is decoded in.
    io_start: usize,
    /// Where the struct starts.
    start: usize,
    /// Where its decoding ended (usize::MAX while it is being decoded).
    stop: usize,
    /// The end of its `size` region, when it was decoded in one (else usize::MAX).
    sized_end: usize,
    /// Where the struct started, to the bit (to decode it again when its value is written
    /// later).
    at: usize,
    bitpos: u32,
    /// The struct that enclosed it, when there was one.
    parent: Option<(u32, StructId)>,
}

impl Scratch {
    fn reset(&mut self) {
        self.arena.clear();
        self.frames.clear();
        self.arrays_used = 0;
        self.owned_used = 0;
        self.owned_bytes = 0;
        self.ctx.clear();
        self.index.clear();
        self.lazy_at.clear();
        self.detached.clear();
    }
}

type DResult<T> = Result<T, DataError>;

/// One decoding run over one input slice.
pub struct Decoder<'a, 'p, 's, S: Sink> {
    plan: &'p Plan,
    /// The plan's compiled fast tiers.
    progs: &'p Programs,
    data: &'a [u8],
    base: u64,
    total: Option<u64>,
    sink: &'s mut S,
    st: &'s mut Scratch,
    opts: Options,
    pos: usize,
    end: usize,
    region_start: usize,
    /// The start of the current stream (Kaitai's `_io`): the innermost `size`, terminated
    /// or `at … in` region; its end is `end`.
    io_start: usize,
    /// The region the next `at` goes to, already resolved (a lazy field written where it
    /// was first decoded).
    at_override: Option<Region>,
    /// The region the last `at` resolved to.
    last_at: Region,
    order: ByteOrder,
    bit_little: bool,
    /// The rest of the partly read byte is in the other bit order than `bit_little` (after a
    /// `b6le` field in a big-endian struct).
    bits_other: bool,
    /// Bits of the byte at `pos` already consumed by bit fields (0..8).
    bitpos: u32,
    this: Value,
    depth: u32,
    budget: u64,
    budget_limit: u64,
    /// Absolute end of the region decoded by the last `at` (for `--offsets`).
    last_at_end: u64,
    /// A kept array created by `decode_field` before its elements, so that the array's own
    /// name inside its elements means the elements decoded so far.
    pending_array: Option<u32>,
    /// `parent E` of the field being decoded: E's struct, and the struct it is for.
    parent_override: Option<((u32, StructId), StructId)>,
    /// How to give back the frames that a `parent E` took away (see `parent.rs`).
    parent_saved: Vec<parent::Saved>,
    progress: Option<&'a Progress>,
    /// Array elements report progress once the cursor passes this (every MiB; never
    /// without a [`Progress`]).
    progress_next: usize,
}

/// Decodes the root struct of `plan` over `input` as one JSON document. Returns the number
/// of bytes the root consumed.
pub fn decode_document<S: Sink>(
    plan: &Plan,
    input: Input,
    opts: Options,
    sink: &mut S,
) -> DResult<usize> {
    let mut st = Scratch::default();
    let mut d = Decoder::new(plan, input, opts, sink, &mut st);
    d.decode_root(plan.root, 0)
}

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    pub fn new(
        plan: &'p Plan,
        input: Input<'a>,
        opts: Options,
        sink: &'s mut S,
        st: &'s mut Scratch,
    ) -> Self {
        let budget_limit = opts
            .max_values
            .unwrap_or(16 * input.data.len() as u64 + 1_000_000);
        Decoder {
            plan,
            progs: Programs::of(plan),
            data: input.data,
            base: input.base,
            total: input.total,
            sink,
            st,
            opts,
            pos: 0,
            end: input.data.len(),
            region_start: 0,
            io_start: 0,
            at_override: None,
            last_at: (0, 0, 0, usize::MAX),
            order: plan.endian.unwrap_or(ByteOrder::Little),
            bit_little: false,
            bits_other: false,
            bitpos: 0,
            this: Value::Absent,
            depth: 0,
            budget: 0,
            budget_limit,
            last_at_end: 0,
            pending_array: None,
            parent_override: None,
            parent_saved: Vec::new(),
            progress: input.progress,
            progress_next: if input.progress.is_some() {
                0
            } else {
                usize::MAX
            },
        }
    }

    /// Gives the sink back (for callers that need it between records).
    pub fn sink(&mut self) -> &mut S {
        self.sink
    }

    /// Absolute offset of the first byte of the data.
    pub fn base(&self) -> u64 {
        self.base
    }

    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// Reports to the input's [`Progress`], if any, that decoding reached `pos` (relative
    /// to the data).
    #[inline]
    pub fn progress_at(&self, pos: usize) {
        if let Some(p) = self.progress {
            p.reach(self.abs(pos));
        }
    }

    /// Decodes struct `sid` as a top-level value starting at `pos` (relative to the data);
    /// returns the position after it. Frames are reset first, so this can be called once per
    /// record without growth.
    pub fn decode_root(&mut self, sid: StructId, pos: usize) -> DResult<usize> {
        self.st.reset();
        self.pos = pos;
        self.end = self.data.len();
        self.region_start = pos;
        self.io_start = 0;
        self.bitpos = 0;
        self.depth = 0;
        self.order = self.plan.endian.unwrap_or(ByteOrder::Little);
        let name = &self.plan.structs[sid as usize].name;
        if let Some(why) = crate::plan::params_needed(self.plan, sid) {
            return Err(self.finish_err(self.err(DataErrorKind::Type(why)).in_field(name)));
        }
        self.decode_struct(sid, &[], false, true)
            .map_err(|e| self.finish_err(e.in_field(name)))?;
        self.align_bits();
        Ok(self.pos)
    }

    /// Decodes record number `index` (struct `sid`) at `pos`; `@index` is the record number.
    /// With `emit` false nothing is written (for `--skip`).
    pub fn decode_record(
        &mut self,
        sid: StructId,
        pos: usize,
        index: u64,
        emit: bool,
    ) -> DResult<usize> {
        self.st.reset();
        self.st.index.push(index);
        self.pos = pos;
        self.end = self.data.len();
        self.region_start = pos;
        self.io_start = 0;
        self.bitpos = 0;
        self.depth = 0;
        self.order = self.plan.endian.unwrap_or(ByteOrder::Little);
        let name = &self.plan.structs[sid as usize].name;
        self.decode_struct(sid, &[], false, emit)
            .map_err(|e| self.finish_err(e.in_index(index).in_field(name)))?;
        self.align_bits();
        Ok(self.pos)
    }

    /// Whether records of `sid` can take [`Decoder::fast_records`]: a struct compiled for
    /// the raw writer (fixed layouts) or as a sequence (variable-length records).
    pub fn has_fast_records(&self, sid: StructId) -> bool {
        self.raw_program(sid).is_some() || self.seq_program(sid).is_some()
    }

    /// The byte order top-level records of `sid` start with, unless it depends on the data.
    fn record_order(&self, sid: StructId) -> Option<ByteOrder> {
        match self.plan.structs[sid as usize].endian {
            EndianPlan::Fixed(o) => Some(o),
            EndianPlan::Inherit => Some(self.plan.endian.unwrap_or(ByteOrder::Little)),
            EndianPlan::Match(..) => None,
        }
    }

    /// The compiled writer for top-level records of `sid`, when there is one.
    fn raw_program(&self, sid: StructId) -> Option<&'p RawProgram> {
        let plan = self.plan;
        let sp = &plan.structs[sid as usize];
        // a record of no bytes never advances: the caller reports NoProgress
        if self.opts.lossy || sp.static_size.is_none_or(|s| s == 0) {
            return None;
        }
        self.progs.raw(sid, self.record_order(sid)?)
    }

    /// The compiled sequence for top-level records of `sid`, when there is one.
    fn seq_program(&self, sid: StructId) -> Option<&'p SeqProgram> {
        let plan = self.plan;
        let sp = &plan.structs[sid as usize];
        // records have no arguments; the general decoder reports a struct that wants some
        if self.opts.lossy || sp.params > 0 {
            return None;
        }
        self.progs
            .seq(sid, self.record_order(sid)?)
            .filter(|p| p.depth() < self.opts.max_depth)
    }

    /// Records mode's fast paths: [`Decoder::column_records`] (a columnar sink) or
    /// [`Decoder::raw_records`] for fixed layouts, [`Decoder::seq_records`] for plain
    /// sequences; `(0, pos)` when none applies.
    pub fn fast_records(
        &mut self,
        sid: StructId,
        pos: usize,
        end: usize,
        limit: u64,
    ) -> std::io::Result<(u64, usize)> {
        if self.raw_program(sid).is_some() {
            // a columnar sink takes runs of records column by column
            let (n, next) = self.column_records(sid, pos, end, limit)?;
            if n > 0 {
                return Ok((n, next));
            }
            self.raw_records(sid, pos, end, limit)
        } else {
            self.seq_records(sid, pos, end, limit)
        }
    }

    /// Writes consecutive records of `sid` that are plain sequences of fields (see
    /// [`SeqProgram`]) starting at `pos`, each ending by `end`, at most `limit` of them.
    /// Returns how many were written and where the next record starts; stops at the first
    /// record the program leaves to the general decoder (which reports its error, if any).
    /// Err: writing the output failed.
    pub fn seq_records(
        &mut self,
        sid: StructId,
        mut pos: usize,
        end: usize,
        limit: u64,
    ) -> std::io::Result<(u64, usize)> {
        let plan = self.plan;
        let Some(prog) = self.seq_program(sid) else {
            return Ok((0, pos));
        };
        let data = &self.data[..end.min(self.data.len())];
        let per = prog.values();
        let mut n = 0u64;
        let mut stop = false;
        while !stop && n < limit && pos < data.len() {
            let Some((out, full)) = self.sink.raw_lines() else {
                break;
            };
            while n < limit && pos < data.len() && out.held() <= full {
                if self.budget + per > self.budget_limit {
                    stop = true;
                    break;
                }
                // a record of no bytes never advances: not written, and the general path
                // reports it
                match prog.write(out, data, pos, self.base, &[], &plan.enums, true, true) {
                    Some((next, ticks)) => {
                        pos = next;
                        n += 1;
                        self.budget += ticks;
                    }
                    None => {
                        stop = true;
                        break;
                    }
                }
            }
            self.sink.raw_lines_done()?;
        }
        Ok((n, pos))
    }

    /// Records mode's fast path: writes consecutive fixed-layout records of `sid` starting at
    /// `pos` (and ending by `end`) straight into a JSON writer, at most `limit` of them.
    /// Returns how many were written and where the next record starts; 0 when the path does
    /// not apply or the next record has bad text, so the caller decodes it the general way
    /// (which reports the error with its path). Err: writing the output failed.
    pub fn raw_records(
        &mut self,
        sid: StructId,
        mut pos: usize,
        end: usize,
        limit: u64,
    ) -> std::io::Result<(u64, usize)> {
        let plan = self.plan;
        let (Some(flat), Some(prog)) = (&plan.structs[sid as usize].flat, self.raw_program(sid))
        else {
            return Ok((0, pos));
        };
        let size = prog.size();
        let enums = &self.plan.enums;
        let end = end.min(self.data.len());
        let mut n = 0u64;
        let mut bad = false;
        // whole lines into the writer's buffer, handed back to it (to flush) now and then
        while !bad && n < limit && end - pos >= size {
            let Some((out, full)) = self.sink.raw_lines() else {
                break;
            };
            while n < limit && end - pos >= size && out.held() <= full {
                let rec = &self.data[pos..pos + size];
                if prog.write(out, flat, rec, enums, true).is_err() {
                    // the general path reports the bad field with its path and offset
                    bad = true;
                    break;
                }
                pos += size;
                n += 1;
            }
            self.sink.raw_lines_done()?;
        }
        // writers that cannot lend whole lines take one value at a time
        while !bad && n < limit && end - pos >= size {
            let mark = self.sink.mark();
            let rec = &self.data[pos..pos + size];
            let Some(out) = self.sink.raw_value() else {
                break;
            };
            let r = prog.write(out, flat, rec, enums, false);
            self.sink.raw_done();
            if r.is_err() {
                // the separator the writer put before the value goes too
                self.sink.rewind(mark);
                break;
            }
            self.sink.end_record()?;
            pos += size;
            n += 1;
        }
        self.budget += n * flat.len() as u64;
        Ok((n, pos))
    }

    #[cold]
    fn finish_err(&self, mut e: DataError) -> DataError {
        if e.here.is_empty()
            && let Some(rel) = e.offset.checked_sub(self.base)
        {
            let rel = rel as usize;
            if rel < self.data.len() {
                e.here = self.data[rel..(rel + 8).min(self.data.len())].to_vec();
            }
        }
        e
    }

    // ------------------------------------------------------------ errors and positions

    #[inline]
    fn abs(&self, rel: usize) -> u64 {
        self.base + rel as u64
    }

    #[cold]
    fn err(&self, kind: DataErrorKind) -> DataError {
        DataError::new(self.abs(self.pos), kind)
    }

    #[inline]
    fn tick(&mut self) -> DResult<()> {
        self.budget += 1;
        if self.budget > self.budget_limit {
            return Err(self.err(DataErrorKind::Budget(self.budget_limit)));
        }
        Ok(())
    }

    #[inline]
    fn align_bits(&mut self) {
        if self.bitpos != 0 {
            self.bitpos = 0;
            self.pos += 1;
        }
    }

    /// Takes `n` bytes at the cursor.
    #[inline(always)]
    fn take(&mut self, n: usize) -> DResult<&'a [u8]> {
        self.align_bits();
        let left = self.end.saturating_sub(self.pos);
        if n > left {
            return Err(self.truncated(n as u64, left as u64));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    #[cold]
    fn truncated(&self, need: u64, left: u64) -> DataError {
        self.err(DataErrorKind::Truncated { need, left })
    }

    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }

    // ------------------------------------------------------------ structs and fields

    fn enter(&mut self) -> DResult<()> {
        self.depth += 1;
        if self.depth > self.opts.max_depth {
            return Err(self.err(DataErrorKind::TooDeep(self.opts.max_depth)));
        }
        Ok(())
    }

    /// Decodes a struct. `embed`: its keys go into the enclosing object. `emit`: write to the
    /// sink at all. Returns the struct value when `keep`, else `Absent` (and frees its frame).
    fn decode_struct(
        &mut self,
        sid: StructId,
        args: &[Value],
        keep: bool,
        emit: bool,
    ) -> DResult<Value> {
        self.decode_struct_in(sid, args, keep, emit, false)
    }

    fn decode_struct_in(
        &mut self,
        sid: StructId,
        args: &[Value],
        keep: bool,
        emit: bool,
        embed: bool,
    ) -> DResult<Value> {
        self.enter()?;
        let plan = self.plan;
        let sp = &plan.structs[sid as usize];
        let base = self.st.arena.len();
        let arrays_mark = self.st.arrays_used;
        // a struct without slots still takes one when structs are told apart by their frame
        // (`io(x)`, `sizeof(x)`, a kept struct value)
        let nslots = sp.nslots as usize + usize::from((plan.introspect || keep) && sp.nslots == 0);
        self.st.arena.resize(base + nslots, Value::Absent);
        self.st.arena[base..base + args.len()].copy_from_slice(args);
        for &(slot, fi) in &sp.lazy {
            self.st.arena[base + slot as usize] = Value::Lazy(fi);
        }
        if self.parent_override.is_some() {
            self.reparent(sid);
        }
        self.st.frames.push((base as u32, sid));
        let saved_order = self.order;
        let saved_bits = self.bit_little;
        let (start, start_bits) = (self.pos, self.bitpos);
        self.bit_little = sp.bits_little;
        match &sp.endian {
            EndianPlan::Inherit => {}
            EndianPlan::Fixed(o) => self.order = *o,
            EndianPlan::Match(on, arms) => {
                let v = self.eval(*on)?;
                self.order = match arms.iter().find(|(pats, _)| {
                    pats.is_empty() || pats.iter().any(|p| self.pat_matches(p, v))
                }) {
                    Some((_, o)) => *o,
                    None => {
                        let what =
                            format!("{} (the byte order of struct `{}`)", self.show(v), sp.name);
                        return Err(self.err(DataErrorKind::NoArm(what)));
                    }
                };
            }
        }
        if !sp.lazy.is_empty() && self.nests_itself(sid, args, start, start_bits) {
            return Err(self.err(DataErrorKind::SelfNested(sp.name.clone())));
        }
        if keep || !sp.lazy.is_empty() || plan.introspect {
            let n = self.st.frames.len();
            self.st.ctx.push(FrameCtx {
                frame: base as u32,
                region_start: self.region_start,
                end: self.end,
                order: self.order,
                bit_little: self.bit_little,
                io_start: self.io_start,
                start: self.pos + usize::from(self.bitpos > 0),
                stop: usize::MAX,
                sized_end: usize::MAX,
                at: start,
                bitpos: start_bits,
                parent: n.checked_sub(2).map(|i| self.st.frames[i]),
            });
        }
        if emit && !embed && self.progs.has_raw(sid) && self.try_raw(sid, sp)? {
            return Ok(self.leave_struct(base, sid, arrays_mark, saved_order, saved_bits, keep));
        }
        if emit && !embed && !keep && self.progs.has_seq(sid) && self.try_seq(sid, args) {
            return Ok(self.leave_struct(base, sid, arrays_mark, saved_order, saved_bits, keep));
        }
        if emit && !embed {
            if sp.tuple {
                self.sink.begin_array();
            } else {
                self.sink.begin_object();
            }
        }
        if emit && !sp.param_keys.is_empty() {
            self.emit_params(sp, base)?;
        }
        let fast = match (&sp.flat, sp.static_size) {
            (Some(flat), Some(n))
                if !S::POSITIONS && self.bitpos == 0 && n as usize <= self.remaining() =>
            {
                self.decode_flat(flat, n as usize, emit)?;
                true
            }
            _ => false,
        };
        for (fi, f) in sp.fields.iter().enumerate() {
            if fast {
                break;
            }
            let r = if !sp.lazy.is_empty() && sp.lazy.iter().any(|l| l.1 as usize == fi) {
                self.lazy_field(f, base, sid, fi as u32, emit)
            } else {
                self.decode_field(f, base, emit)
            };
            if let Err(e) = r {
                return Err(if f.embed || f.name.is_empty() {
                    e
                } else {
                    e.in_field(&f.name)
                });
            }
        }
        self.align_bits();
        if let Some(v) = sp.valid {
            let frame = Value::Struct {
                frame: base as u32,
                sid,
            };
            let saved = std::mem::replace(&mut self.this, frame);
            let ok = self.eval(v).and_then(|r| self.truthy(r));
            self.this = saved;
            if !ok? {
                return Err(self.err(DataErrorKind::Invalid {
                    value: format!("of struct `{}`", sp.name),
                    cond: plan.valid_text(v).to_string(),
                }));
            }
        }
        if emit && !embed {
            if sp.tuple {
                self.sink.end_array();
            } else {
                self.sink.end_object();
            }
        }
        Ok(self.leave_struct(base, sid, arrays_mark, saved_order, saved_bits, keep))
    }

    /// Pops a struct's frame; frees it unless the value is kept.
    #[inline]
    fn leave_struct(
        &mut self,
        base: usize,
        sid: StructId,
        arrays_mark: u32,
        saved_order: ByteOrder,
        saved_bits: bool,
        keep: bool,
    ) -> Value {
        self.st.frames.pop();
        self.order = saved_order;
        self.bit_little = saved_bits;
        self.depth -= 1;
        if keep {
            if let Some(c) = self.st.ctx.last_mut()
                && c.frame as usize == base
                && c.stop == usize::MAX
            {
                c.stop = self.pos;
            }
            Value::Struct {
                frame: base as u32,
                sid,
            }
        } else {
            self.st.arena.truncate(base);
            self.st.arrays_used = arrays_mark;
            while self.st.ctx.last().is_some_and(|c| c.frame as usize >= base) {
                self.st.ctx.pop();
            }
            Value::Absent
        }
    }

    /// Writes a fixed-layout struct straight into a JSON writer's buffer. Returns
    /// false when the path does not apply here (too few bytes left: the general path then
    /// reports exactly which field is short; a writer that decorates its output).
    #[inline]
    fn try_raw(&mut self, sid: StructId, sp: &'p StructPlan) -> DResult<bool> {
        let (Some(flat), Some(prog)) = (&sp.flat, self.progs.raw(sid, self.order)) else {
            return Ok(false);
        };
        let size = prog.size();
        if self.opts.lossy
            || self.bitpos != 0
            || size > self.remaining()
            || self.budget + flat.len() as u64 > self.budget_limit
        {
            return Ok(false);
        }
        let start = self.pos;
        let rec = &self.data[start..start + size];
        let enums = &self.plan.enums;
        let Some(out) = self.sink.raw_value() else {
            return Ok(false);
        };
        let r = prog.write(out, flat, rec, enums, false);
        self.sink.raw_done();
        if let Err((i, p)) = r {
            let f = &flat[i];
            let at = start + f.off as usize + p;
            let kind = DataErrorKind::BadText {
                encoding: match &f.ty {
                    TypePlan::Str { enc, .. } => enc.name(),
                    _ => "utf8",
                },
                pos: p,
                byte: self.data[at],
            };
            return Err(DataError::new(self.abs(at), kind).in_field(&f.name));
        }
        self.budget += flat.len() as u64;
        self.pos = start + size;
        Ok(true)
    }

    /// Writes a struct compiled as a sequence straight into a JSON writer's buffer.
    /// Returns false, with nothing written, when the path does not apply here or the struct
    /// needs the general decoder (which then reports its error, if any).
    #[inline]
    fn try_seq(&mut self, sid: StructId, args: &[Value]) -> bool {
        let Some(prog) = self.progs.seq(sid, self.order) else {
            return false;
        };
        if self.opts.lossy
            || self.bitpos != 0
            || self.depth + prog.depth() > self.opts.max_depth
            || self.budget + prog.values() > self.budget_limit
        {
            return false;
        }
        let (data, pos, base, enums) = (
            &self.data[..self.end],
            self.pos,
            self.base,
            &self.plan.enums,
        );
        let Some(out) = self.sink.raw_value() else {
            return false;
        };
        match prog.write(out, data, pos, base, args, enums, false, false) {
            Some((next, ticks)) => {
                self.sink.raw_done();
                self.pos = next;
                self.budget += ticks;
                true
            }
            None => {
                self.sink.raw_abort();
                false
            }
        }
    }

    #[inline]
    fn decode_field(&mut self, f: &FieldPlan, frame: usize, emit: bool) -> DResult<()> {
        if let Some(c) = f.spec.if_ {
            let v = self.eval(c)?;
            if !self.truthy(v)? {
                if let Some(s) = f.slot {
                    self.st.arena[frame + s as usize] = Value::Absent;
                }
                return Ok(());
            }
        }
        let emit_key = emit && f.emit;
        if emit_key && let Some(k) = &f.key {
            self.sink.key(k);
        }
        let keep = f.slot.is_some();
        if let (Some(s), TypePlan::Array(a)) = (f.slot, &f.spec.ty)
            && a.keep
        {
            let id = self.new_array();
            self.st.arena[frame + s as usize] = Value::Array(id);
            self.pending_array = Some(id);
        }
        let (v, start) = if f.embed {
            (self.decode_embed(&f.spec, emit)?, self.abs(self.pos))
        } else {
            self.decode_spec(&f.spec, keep, emit_key)?
        };
        if emit_key && let Some(k) = &f.key {
            let end = if f.spec.at.is_some() {
                self.last_at_end
            } else if let TypePlan::Computed(_) = f.spec.ty {
                start
            } else {
                // a bit field that ends inside a byte covers that byte
                self.abs(self.pos + usize::from(self.bitpos > 0))
            };
            self.sink.span(k, start, end.saturating_sub(start));
        }
        if let Some(s) = f.slot {
            self.st.arena[frame + s as usize] = v;
        }
        Ok(())
    }

    /// An embedded struct or match: keys go into the enclosing object.
    fn decode_embed(&mut self, spec: &SpecPlan, emit: bool) -> DResult<Value> {
        self.with_regions(spec, |d| {
            let v = match &spec.ty {
                TypePlan::Struct { id, args } => {
                    let args = d.eval_args(args)?;
                    d.decode_struct_in(*id, &args, true, emit, true)?
                }
                TypePlan::Match(m) => {
                    let arm = d.choose_arm(m)?;
                    d.decode_embed(arm, emit)?
                }
                other => d.decode_type(other, false, false)?,
            };
            Ok(v)
        })
        .map(|(v, _)| v)
    }

    fn eval_args(&mut self, args: &[ExprId]) -> DResult<smallargs::Args> {
        let mut out = smallargs::Args::default();
        for &a in args {
            let v = self.eval(a)?;
            out.push(v);
        }
        Ok(out)
    }

    /// Applies `at` and `size` around `f`; returns f's value and the absolute start offset.
    #[inline]
    fn with_regions(
        &mut self,
        spec: &SpecPlan,
        f: impl FnOnce(&mut Self) -> DResult<Value>,
    ) -> DResult<(Value, u64)> {
        if spec.at.is_none() && spec.size.is_none() {
            let start = self.abs(self.pos);
            return Ok((f(self)?, start));
        }
        let saved = (self.pos, self.end, self.region_start, self.bitpos);
        let saved_io = self.io_start;
        // with `at`, `size` is evaluated where the field is, before the jump
        let mut pre_n = None;
        if let Some(o) = self.at_override.take().filter(|_| spec.at.is_some()) {
            self.enter()?;
            (self.pos, self.end, self.io_start) = (o.0, o.1, o.2);
            pre_n = (o.3 != usize::MAX).then_some(o.3 as i128);
            self.region_start = self.pos;
            self.bitpos = 0;
        } else if let Some(io) = spec.io.filter(|_| spec.at.is_some()) {
            let target = spec.at.map_or(Ok(0), |at| self.eval_int(at))?;
            pre_n = spec.size.map(|sz| self.eval_int(sz)).transpose()?;
            let Value::Io { start, end, .. } = self.eval(io)? else {
                return Err(self.err(DataErrorKind::Type(
                    "`in` needs a stream (`@io`, `io(x)`)".into(),
                )));
            };
            let size = (end - start) as u64;
            if target < 0 || target > size as i128 {
                return Err(self.err(DataErrorKind::AtOutside { target, size }));
            }
            self.enter()?;
            self.pos = start + target as usize;
            self.end = end;
            self.io_start = start;
            self.region_start = self.pos;
            self.bitpos = 0;
        } else if let Some(at) = spec.at {
            let target = self.eval_int(at)?;
            pre_n = spec.size.map(|sz| self.eval_int(sz)).transpose()?;
            let rel = target - self.base as i128;
            let size = self.total.unwrap_or(self.base + self.data.len() as u64);
            if target < 0 || target > size as i128 {
                return Err(self.err(DataErrorKind::AtOutside { target, size }));
            }
            if rel < 0 || rel > self.data.len() as i128 {
                return Err(self.err(DataErrorKind::NotStreamable(
                    "`at` outside the current buffer",
                )));
            }
            self.enter()?;
            self.pos = rel as usize;
            self.end = self.data.len();
            self.region_start = self.pos;
            self.io_start = 0;
            self.bitpos = 0;
        } else {
            self.align_bits();
        }
        let mut at_region = (self.pos, self.end, self.io_start, usize::MAX);
        let start = self.abs(self.pos);
        if let Some(sz) = spec.size {
            let n = match pre_n {
                Some(n) => n,
                None => self.eval_int(sz)?,
            };
            let left = self.remaining();
            if n < 0 {
                return Err(self.err(DataErrorKind::NegativeLength(n)));
            }
            if n > left as i128 {
                return Err(self.err(DataErrorKind::RegionTooLarge {
                    size: n,
                    left: left as u64,
                }));
            }
            let region_end = self.pos + n as usize;
            at_region.3 = n as usize;
            let outer_end = self.end;
            let outer_start = self.region_start;
            let outer_io = self.io_start;
            self.end = region_end;
            self.region_start = self.pos;
            self.io_start = self.pos;
            let v = f(self)?;
            self.align_bits();
            if self.plan.introspect {
                self.sized_struct(v, region_end);
            }
            self.pos = region_end;
            self.end = outer_end;
            self.region_start = outer_start;
            self.io_start = outer_io;
            if spec.at.is_some() {
                self.last_at = at_region;
                self.last_at_end_set(region_end);
                (self.pos, self.end, self.region_start, self.bitpos) = saved;
                self.io_start = saved_io;
                self.depth -= 1;
            }
            return Ok((v, start));
        }
        let v = f(self)?;
        if spec.at.is_some() {
            self.align_bits();
            self.last_at = at_region;
            self.last_at_end_set(self.pos);
            (self.pos, self.end, self.region_start, self.bitpos) = saved;
            self.io_start = saved_io;
            self.depth -= 1;
        }
        Ok((v, start))
    }

    /// A struct decoded inside a `size` region extends to the region's end.
    #[cold]
    fn sized_struct(&mut self, v: Value, region_end: usize) {
        if let Value::Struct { frame, .. } = v
            && let Some(c) = self.st.ctx.iter_mut().rfind(|c| c.frame == frame)
        {
            c.sized_end = region_end;
        }
    }

    fn last_at_end_set(&mut self, rel: usize) {
        self.last_at_end = self.abs(rel);
    }

    /// Decodes a spec (at, size, type, valid). Returns the value (when `want`) and the
    /// absolute offset where it started.
    fn decode_spec(&mut self, spec: &SpecPlan, want: bool, emit: bool) -> DResult<(Value, u64)> {
        if let Some(p) = spec.parent {
            return self.decode_with_parent(spec, p, want, emit);
        }
        self.decode_spec_plain(spec, want, emit)
    }

    fn decode_spec_plain(
        &mut self,
        spec: &SpecPlan,
        want: bool,
        emit: bool,
    ) -> DResult<(Value, u64)> {
        let want = want || spec.valid.is_some();
        let (v, start) = if let Some(p) = &spec.process {
            self.with_regions(spec, |d| d.decode_processed(&spec.ty, p, want, emit))?
        } else if spec.at.is_none() && spec.size.is_none() {
            // inside a partly read byte, a bit field starts in that byte; a field that reads
            // whole bytes starts at the next one (it skips the rest of the byte first)
            let start = match &spec.ty {
                TypePlan::Bits { .. } | TypePlan::Computed(_) | TypePlan::Match(_) => {
                    self.abs(self.pos)
                }
                _ => self.abs(self.pos + usize::from(self.bitpos > 0)),
            };
            (self.decode_type(&spec.ty, want, emit)?, start)
        } else {
            self.with_regions(spec, |d| d.decode_type(&spec.ty, want, emit))?
        };
        if let Some(valid) = spec.valid {
            let saved = std::mem::replace(&mut self.this, v);
            let ok = self.eval(valid).and_then(|r| self.truthy(r));
            self.this = saved;
            if !ok? {
                let cond = self.plan.valid_text(valid).to_string();
                return Err(DataError::new(
                    start,
                    DataErrorKind::Invalid {
                        value: self.show(v),
                        cond,
                    },
                ));
            }
        }
        Ok((v, start))
    }

    fn choose_arm<'m>(&mut self, m: &'m MatchPlan) -> DResult<&'m SpecPlan> {
        let v = self.eval(m.on)?;
        for (pats, spec) in &m.arms {
            if pats.iter().any(|p| self.pat_matches(p, v)) {
                return Ok(spec);
            }
        }
        match &m.default {
            Some(d) => Ok(d),
            None => Err(self.err(DataErrorKind::NoArm(self.show(v)))),
        }
    }

    fn pat_matches(&self, p: &PatPlan, v: Value) -> bool {
        match (p, v) {
            (PatPlan::Int(a), Value::Int(b) | Value::Enum { v: b, .. }) => *a == b,
            (PatPlan::Int(a), Value::Bool(b)) => *a == b as i128,
            (PatPlan::Range(lo, hi), Value::Int(b) | Value::Enum { v: b, .. }) => {
                (*lo..=*hi).contains(&b)
            }
            (PatPlan::Bytes(a), v) => self.bytes_of(v).is_some_and(|b| b == &a[..]),
            _ => false,
        }
    }

    // ------------------------------------------------------------ types

    #[inline]
    fn decode_type(&mut self, ty: &TypePlan, want: bool, emit: bool) -> DResult<Value> {
        if S::POSITIONS && emit {
            return self.decode_type_placed(ty, want);
        }
        self.decode_type_in(ty, want, emit)
    }

    #[inline]
    fn decode_type_in(&mut self, ty: &TypePlan, want: bool, emit: bool) -> DResult<Value> {
        self.tick()?;
        match ty {
            TypePlan::Int { size, .. }
            | TypePlan::Float { size, .. }
            | TypePlan::Enum { size, .. } => {
                self.align_bits();
                let off = self.pos;
                self.take(*size as usize)?;
                Ok(self.fixed_value(ty, off, emit))
            }
            TypePlan::Bool => {
                self.align_bits();
                let off = self.pos;
                self.take(1)?;
                Ok(self.fixed_value(ty, off, emit))
            }
            TypePlan::Leb128 { signed } => {
                let v = self.read_leb128(*signed)?;
                if emit {
                    self.sink.i128(v);
                }
                Ok(Value::Int(v))
            }
            TypePlan::Bits { n, as_bool, little } => {
                let v = match little {
                    Some(l) if *l != self.bit_little => self.read_bits_in(*n as u32, *l)?,
                    _ if self.bits_other => self.read_bits_in(*n as u32, self.bit_little)?,
                    _ => self.read_bits(*n as u32)?,
                };
                if *as_bool {
                    if emit {
                        self.sink.bool(v != 0);
                    }
                    Ok(Value::Bool(v != 0))
                } else {
                    if emit {
                        self.sink.u64(v);
                    }
                    Ok(Value::Int(v as i128))
                }
            }
            TypePlan::Bytes(len) => {
                let n = self.len_of(len)?;
                self.align_bits();
                let off = self.pos;
                let b = self.take(n)?;
                if emit {
                    self.sink.bytes(b);
                }
                Ok(Value::Bytes { off, len: n })
            }
            TypePlan::Str {
                kind,
                len,
                enc,
                trim,
            } => self.decode_str(*kind, len, *enc, trim.as_deref(), emit),
            _ => self.decode_compound(ty, want, emit),
        }
    }

    /// The less common types, kept out of `decode_type` so the hot path stays small.
    #[inline(never)]
    fn decode_compound(&mut self, ty: &TypePlan, want: bool, emit: bool) -> DResult<Value> {
        match ty {
            TypePlan::Pascal { len, text, enc } => {
                self.align_bits();
                let off = self.pos;
                let b = self.take(*len as usize)?;
                let n = if b.is_empty() {
                    0
                } else {
                    (b[0] as usize).min(b.len() - 1)
                };
                let s = if b.is_empty() { off } else { off + 1 };
                let body = &self.data[s..s + n];
                if *text {
                    self.emit_text(body, *enc, s, emit)?;
                    Ok(Value::Str {
                        off: s,
                        len: n,
                        enc: *enc,
                    })
                } else {
                    if emit {
                        self.sink.bytes(body);
                    }
                    Ok(Value::Bytes { off: s, len: n })
                }
            }
            TypePlan::Const { bytes, text } => {
                self.align_bits();
                let off = self.pos;
                let start = self.abs(off);
                let left = self.remaining();
                let got = &self.data[self.pos..self.pos + left.min(bytes.len())];
                if got != &bytes[..] {
                    let mut e = DataError::new(
                        start,
                        DataErrorKind::Mismatch {
                            expected: show_bytes(bytes, *text),
                            found: show_bytes(got, *text),
                        },
                    );
                    if left < bytes.len() && got == &bytes[..got.len()] {
                        e.kind = DataErrorKind::Truncated {
                            need: bytes.len() as u64,
                            left: left as u64,
                        };
                    }
                    return Err(e);
                }
                self.pos += bytes.len();
                if emit {
                    if *text {
                        self.sink.text(bytes, Encoding::Utf8, false);
                    } else {
                        self.sink.bytes(bytes);
                    }
                }
                Ok(if *text {
                    Value::Str {
                        off: self.pos - bytes.len(),
                        len: bytes.len(),
                        enc: Encoding::Utf8,
                    }
                } else {
                    Value::Bytes {
                        off: self.pos - bytes.len(),
                        len: bytes.len(),
                    }
                })
            }
            TypePlan::Pad(len) => {
                let n = self.len_of(len)?;
                self.take(n)?;
                Ok(Value::Absent)
            }
            TypePlan::Align(e) => {
                let n = self.eval_int(*e)?;
                if n <= 0 {
                    return Err(self.err(DataErrorKind::Type(format!(
                        "`align` needs a positive number, got {n}"
                    ))));
                }
                self.align_bits();
                let rel = (self.pos - self.region_start) as i128;
                let skip = ((n - rel % n) % n) as usize;
                self.take(skip)?;
                Ok(Value::Absent)
            }
            TypePlan::Struct { id, args } => {
                let args = self.eval_args(args)?;
                self.decode_struct(*id, &args, want, emit)
            }
            TypePlan::Array(a) => self.decode_array(a, want, emit),
            TypePlan::Match(m) => {
                let arm = self.choose_arm(m)?;
                let (v, _) = self.decode_spec(arm, want, emit)?;
                // a `pad`/`align` arm of a match whose other arms have values: the key is written
                if emit && matches!(arm.ty, TypePlan::Pad(_) | TypePlan::Align(_)) {
                    self.sink.null();
                }
                Ok(v)
            }
            TypePlan::Computed(e) => {
                let v = self.eval(*e)?;
                if emit {
                    self.emit_value(v)?;
                }
                Ok(v)
            }
            TypePlan::Terminated(t, inner) => self.decode_terminated(*t, inner, want, emit),
            _ => Ok(Value::Absent),
        }
    }

    /// Decodes `inner` inside the bytes up to the terminator, then moves past them (and past
    /// the terminator when it is consumed).
    fn decode_terminated(
        &mut self,
        t: Terminator,
        inner: &SpecPlan,
        want: bool,
        emit: bool,
    ) -> DResult<Value> {
        self.align_bits();
        let start = self.pos;
        let mut hay = &self.data[start..self.end];
        let unit = usize::from(t.unit.max(1));
        let found = match t.byte {
            Some(b) if unit == 1 => memchr::memchr(b, hay),
            Some(b) => hay
                .chunks_exact(unit)
                .position(|c| c.iter().all(|&x| x == b))
                .map(|i| i * unit),
            None => None,
        };
        if found.is_none()
            && let Some(p) = t.pad
        {
            let keep = hay.iter().rposition(|&b| b != p).map_or(0, |i| i + 1);
            hay = &hay[..keep];
        }
        let (len, next) = match found {
            Some(i) => (
                i + if t.include { unit } else { 0 },
                i + if t.consume { unit } else { 0 },
            ),
            None if t.eos_error && t.byte.is_some() => {
                return Err(self.err(DataErrorKind::NoTerminator {
                    left: hay.len() as u64,
                }));
            }
            None => (hay.len(), hay.len()),
        };
        let (outer_end, outer_start, outer_io) = (self.end, self.region_start, self.io_start);
        self.end = start + len;
        self.region_start = start;
        self.io_start = start;
        let (v, _) = self.decode_spec(inner, want, emit)?;
        self.align_bits();
        self.pos = start + next;
        self.end = outer_end;
        self.region_start = outer_start;
        self.io_start = outer_io;
        Ok(v)
    }

    /// Emits and returns a number or bool whose bytes (already bounds-checked) are at `off`.
    #[inline(always)]
    fn fixed_value(&mut self, ty: &TypePlan, off: usize, emit: bool) -> Value {
        let b = &self.data[off..off + scalar_size(ty)];
        let Some(s) = read_scalar(ty, b, self.order) else {
            return Value::Absent;
        };
        if emit {
            match s {
                Scalar::U(v) => self.sink.u64(v),
                Scalar::I(v) => self.sink.i64(v),
                Scalar::F32(f) => self.sink.f32(f),
                Scalar::F64(f) => self.sink.f64(f),
                Scalar::Bool(v) => self.sink.bool(v),
                Scalar::Enum(id, v) => self.emit_enum(id, v),
            }
        }
        s.value()
    }

    /// The fast path for structs whose fields all sit at static offsets: one length check
    /// (done by the caller), then each field is read from its precomputed offset.
    fn decode_flat(&mut self, flat: &[FlatField], size: usize, emit: bool) -> DResult<()> {
        self.budget += flat.len() as u64;
        if self.budget > self.budget_limit {
            return Err(self.err(DataErrorKind::Budget(self.budget_limit)));
        }
        let start = self.pos;
        for f in flat {
            let emit_f = emit && f.emit;
            if emit_f && let Some(k) = &f.key {
                self.sink.key(k);
            }
            let off = start + f.off as usize;
            match &f.ty {
                TypePlan::Str {
                    kind,
                    len: LenPlan::Fixed(n),
                    enc,
                    trim,
                } => {
                    self.pos = off;
                    self.str_at(off, *n as usize, *kind, *enc, trim.as_deref(), emit_f)
                        .map_err(|e| e.in_field(&f.name))?;
                }
                TypePlan::Bytes(LenPlan::Fixed(n)) => {
                    if emit_f {
                        self.sink.bytes(&self.data[off..off + *n as usize]);
                    }
                }
                TypePlan::Pascal { .. } | TypePlan::Const { .. } => {
                    self.pos = off;
                    self.decode_type(&f.ty, false, emit_f)
                        .map_err(|e| e.in_field(&f.name))?;
                }
                ty => {
                    self.fixed_value(ty, off, emit_f);
                }
            }
            if emit_f && let Some(k) = &f.key {
                self.sink.span(k, self.abs(off), f.size as u64);
            }
        }
        self.pos = start + size;
        Ok(())
    }

    fn show(&self, v: Value) -> String {
        match v {
            Value::Int(i) => i.to_string(),
            Value::Enum { v, .. } => v.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Absent => "absent".into(),
            _ => match self.bytes_of(v) {
                Some(b) => show_bytes(&b[..b.len().min(32)], true),
                None => v.kind_name().into(),
            },
        }
    }
}

fn mask(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// Shows bytes for an error message: as a quoted string when printable, else as hex.
fn show_bytes(b: &[u8], text: bool) -> String {
    if text && b.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        format!("{:?}", String::from_utf8_lossy(b))
    } else {
        let hex: Vec<String> = b.iter().take(16).map(|x| format!("{x:02x}")).collect();
        let more = if b.len() > 16 { " …" } else { "" };
        format!("[{}{more}]", hex.join(" "))
    }
}

/// Small argument lists for struct parameters without a heap allocation.
mod smallargs {
    use super::Value;
    use std::ops::Deref;

    const N: usize = 8;

    #[derive(Default)]
    pub struct Args {
        vals: [Value; N],
        len: usize,
        more: Vec<Value>,
    }

    impl Args {
        pub fn push(&mut self, v: Value) {
            if self.len < N && self.more.is_empty() {
                self.vals[self.len] = v;
                self.len += 1;
            } else {
                if self.more.is_empty() {
                    self.more.extend_from_slice(&self.vals[..self.len]);
                }
                self.more.push(v);
            }
        }
    }

    impl Deref for Args {
        type Target = [Value];
        fn deref(&self) -> &[Value] {
            if self.more.is_empty() {
                &self.vals[..self.len]
            } else {
                &self.more
            }
        }
    }
}
