//! `lazy` fields: decoded when an expression first names them (in the context of the struct
//! that declares them: its region, byte order and parents), or at their own place. One that
//! fails at its own place and was never named is left out of the output, as Kaitai Struct
//! leaves an instance that nothing reads.

use super::{DResult, Decoder, Value};
use crate::emit::Sink;
use crate::plan::*;

#[derive(Clone, Copy)]
pub(super) struct Cursor {
    pos: usize,
    end: usize,
    region_start: usize,
    io_start: usize,
    bitpos: u32,
    order: ByteOrder,
    bit_little: bool,
    this: Value,
}

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    /// Decodes lazy field `fi` of the struct at `frame` (not decoded yet) and returns its
    /// value. The value is kept in the field's slot unless it lives in frames or arrays that
    /// the current struct frees when it ends (then it is decoded again when named again).
    pub(super) fn force_lazy(&mut self, frame: u32, sid: StructId, fi: u32) -> DResult<Value> {
        let plan = self.plan;
        let f = &plan.structs[sid as usize].fields[fi as usize];
        let Some(slot) = f.slot else {
            return Ok(Value::Absent);
        };
        let at = (frame + slot) as usize;
        // the declaring struct becomes the innermost frame (for `parent` and its names)
        let owner = self.st.frames.iter().rposition(|&x| x == (frame, sid));
        let innermost = owner.is_some_and(|i| i + 1 == self.st.frames.len());
        let tail = match owner {
            Some(i) => self.st.frames.split_off(i + 1),
            None => {
                self.st.frames.push((frame, sid));
                Vec::new()
            }
        };
        let saved = self.cursor();
        let pending = self.pending_array.take();
        if let Some(c) = self.st.ctx.iter().rfind(|c| c.frame == frame).copied() {
            self.end = c.end;
            self.region_start = c.region_start;
            self.io_start = c.io_start;
            self.order = c.order;
            self.bit_little = c.bit_little;
            if self.pos > self.end || self.pos < self.region_start {
                self.pos = self.end;
                self.bitpos = 0;
            }
        }
        // a field that names itself finds it absent
        self.st.arena[at] = Value::Absent;
        // (a struct that fails leaves its frame and its nesting level behind)
        let (nframes, depth) = (self.st.frames.len(), self.depth);
        let r = self.lazy_value(f, at);
        self.st.frames.truncate(nframes);
        self.depth = depth;
        if r.is_ok() && f.spec.at.is_some() {
            // written later from the same place, whatever the cursor is then
            let region = self.last_at;
            match self.st.lazy_at.iter_mut().find(|(a, _)| *a == at) {
                Some(e) => e.1 = region,
                None => self.st.lazy_at.push((at, region)),
            }
        }
        self.set_cursor(saved);
        self.pending_array = pending;
        match owner {
            Some(_) => self.st.frames.extend(tail),
            None => {
                self.st.frames.pop();
            }
        }
        let keep = match r {
            Ok(Value::Struct { .. } | Value::Array(_)) => innermost,
            Ok(_) => true,
            Err(_) => false,
        };
        self.st.arena[at] = match (&r, keep) {
            (Ok(v), true) => *v,
            _ => Value::Lazy(fi),
        };
        r
    }

    /// Whether struct `sid` (its frame just pushed), entered at `at`/`bitpos` with `args`,
    /// repeats an enclosing struct still being decoded: the same struct at the same place in
    /// the same region, with the same arguments. Its lazy fields would then decode it again
    /// and again (Kaitai Struct's instance of the spec's own type at its own offset, which
    /// Kaitai reads only when asked).
    pub(super) fn nests_itself(
        &self,
        sid: StructId,
        args: &[Value],
        at: usize,
        bitpos: u32,
    ) -> bool {
        let frames = &self.st.frames;
        let outer = &frames[..frames.len().saturating_sub(1)];
        outer.iter().any(|&(frame, s)| {
            s == sid
                && self.st.ctx.iter().rev().any(|c| {
                    c.frame == frame
                        && c.stop == usize::MAX
                        && c.at == at
                        && c.bitpos == bitpos
                        && c.end == self.end
                        && c.region_start == self.region_start
                        && c.io_start == self.io_start
                })
                && self
                    .st
                    .arena
                    .get(frame as usize..frame as usize + args.len())
                    == Some(args)
        })
    }

    /// Where the decoder stands: restored after a lazy field is decoded elsewhere.
    pub(super) fn cursor(&self) -> Cursor {
        Cursor {
            pos: self.pos,
            end: self.end,
            region_start: self.region_start,
            io_start: self.io_start,
            bitpos: self.bitpos,
            order: self.order,
            bit_little: self.bit_little,
            this: self.this,
        }
    }

    pub(super) fn set_cursor(&mut self, c: Cursor) {
        self.pos = c.pos;
        self.end = c.end;
        self.region_start = c.region_start;
        self.io_start = c.io_start;
        self.bitpos = c.bitpos;
        self.order = c.order;
        self.bit_little = c.bit_little;
        self.this = c.this;
    }

    /// The value of a lazy field in its own context (its `if`, then the spec).
    fn lazy_value(&mut self, f: &FieldPlan, at: usize) -> DResult<Value> {
        if let Some(c) = f.spec.if_ {
            let v = self.eval(c)?;
            if !self.truthy(v)? {
                return Ok(Value::Absent);
            }
        }
        if let TypePlan::Array(a) = &f.spec.ty
            && a.keep
        {
            let id = self.new_array();
            self.st.arena[at] = Value::Array(id);
            self.pending_array = Some(id);
        }
        Ok(self.decode_spec(&f.spec, true, false)?.0)
    }

    /// A lazy field at its own place: decoded (unless an expression did so already) and
    /// written; left out when it fails to decode.
    pub(super) fn lazy_field(
        &mut self,
        f: &FieldPlan,
        frame: usize,
        sid: StructId,
        fi: u32,
        emit: bool,
    ) -> DResult<()> {
        let Some(slot) = f.slot else {
            return Ok(());
        };
        let v = match self.st.arena[frame + slot as usize] {
            Value::Lazy(_) => match self.force_lazy(frame as u32, sid, fi) {
                Ok(v) => v,
                Err(_) => return Ok(()),
            },
            v => v,
        };
        let Some(k) = f.key.as_ref().filter(|_| emit && f.emit) else {
            return Ok(());
        };
        if matches!(v, Value::Absent) {
            return Ok(());
        }
        self.sink.key(k);
        if let TypePlan::Computed(_) = f.spec.ty {
            let start = self.abs(self.pos);
            self.emit_value(v)?;
            self.sink.span(k, start, 0);
            return Ok(());
        }
        // decoded again, now written (it decoded without error just before), from where it
        // was decoded first
        if f.spec.at.is_some() {
            let at = frame + slot as usize;
            self.at_override = self.st.lazy_at.iter().find(|(a, _)| *a == at).map(|e| e.1);
        }
        let r = self.decode_spec(&f.spec, false, true);
        self.at_override = None;
        let (_, start) = r?;
        let end = self.last_at_end;
        self.sink.span(k, start, end.saturating_sub(start));
        Ok(())
    }
}
