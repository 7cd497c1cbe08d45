//! Writing computed values: numbers, text and bytes as they are; a struct value (a computed
//! field or a parameter that names a struct) in full, by decoding the struct again where it
//! was decoded (its region, byte order, arguments and enclosing structs), so it reads as the
//! field it came from; arrays element by element.

use super::{DResult, Decoder, Value, smallargs};
use crate::emit::Sink;
use crate::plan::*;
use crate::text::Encoding;

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    pub(super) fn emit_value(&mut self, v: Value) -> DResult<()> {
        match v {
            Value::Absent => self.sink.null(),
            Value::Int(i) => self.sink.i128(i),
            Value::Float(f) => self.sink.f64(f),
            Value::Bool(b) => self.sink.bool(b),
            Value::Bytes { off, len } => self.sink.bytes(&self.data[off..off + len]),
            Value::Str { off, len, enc } => self.sink.text(&self.data[off..off + len], enc, true),
            Value::Lit(id) => {
                if let PExpr::Lit(b) = self.plan.expr(id) {
                    self.sink.text(b, Encoding::Utf8, true);
                }
            }
            Value::Enum { id, v } => self.emit_enum(id, v),
            Value::Text(i) => {
                let t = &self.st.owned[i as usize];
                self.sink.text(t, Encoding::Utf8, true);
            }
            Value::Blob(i) => self.sink.bytes(&self.st.owned[i as usize]),
            Value::Array(id) => {
                self.sink.begin_array();
                for k in 0..self.st.arrays[id as usize].len() {
                    let v = self.st.arrays[id as usize][k];
                    self.emit_value(v)?;
                }
                self.sink.end_array();
            }
            Value::Struct { frame, sid } => self.emit_struct_value(frame, sid)?,
            Value::Lazy(_) => self.sink.null(),
            // a stream: where it starts in the input and its size
            Value::Io { start, end, .. } => {
                self.sink.begin_object();
                self.sink.key(b"\"offset\"");
                self.sink.u64(self.abs(start));
                self.sink.key(b"\"size\"");
                self.sink.u64((end - start) as u64);
                self.sink.end_object();
            }
        }
        Ok(())
    }

    /// Writes the parameters of the struct whose frame starts at `base` as keys.
    pub(super) fn emit_params(&mut self, sp: &'p StructPlan, base: usize) -> DResult<()> {
        for (i, k) in sp.param_keys.iter().enumerate() {
            self.sink.key(k);
            let start = self.abs(self.pos);
            let v = self.st.arena.get(base + i).copied().unwrap_or_default();
            self.emit_value(v)?;
            self.sink.span(k, start, 0);
        }
        Ok(())
    }

    /// The decoding context of the kept struct whose frame starts at `frame`.
    fn ctx_of(&self, frame: u32) -> Option<super::FrameCtx> {
        let ctx = &self.st.ctx;
        let i = ctx.partition_point(|c| c.frame < frame);
        match ctx.get(i) {
            Some(c) if c.frame == frame => Some(*c),
            _ => ctx.iter().rfind(|c| c.frame == frame).copied(),
        }
    }

    /// Writes a struct value in full: the struct is decoded again at the place it came from,
    /// inside the structs that enclosed it. A struct that is still being decoded (a parent,
    /// the root) is written as `null`: it would contain itself.
    fn emit_struct_value(&mut self, frame: u32, sid: StructId) -> DResult<()> {
        let Some(c) = self
            .ctx_of(frame)
            .filter(|_| !self.st.frames.contains(&(frame, sid)))
        else {
            if self.st.ctx.iter().all(|c| c.frame != frame)
                && let Some(i) = self.st.detached.iter().rposition(|d| d.frame == frame)
            {
                return self.emit_detached(i);
            }
            self.sink.null();
            return Ok(());
        };
        // the enclosing structs, outermost first
        let mut chain = Vec::new();
        let mut up = c.parent;
        while let Some(p) = up {
            if chain.contains(&p) {
                break;
            }
            chain.push(p);
            up = self.ctx_of(p.0).and_then(|x| x.parent);
        }
        chain.reverse();
        let sp = &self.plan.structs[sid as usize];
        let mut args = smallargs::Args::default();
        for i in 0..sp.params as usize {
            args.push(
                self.st
                    .arena
                    .get(frame as usize + i)
                    .copied()
                    .unwrap_or_default(),
            );
        }
        let saved = self.cursor();
        let pending = self.pending_array.take();
        let frames = std::mem::replace(&mut self.st.frames, chain);
        self.pos = c.at;
        self.bitpos = c.bitpos;
        self.end = c.end;
        self.region_start = c.region_start;
        self.order = c.order;
        self.bit_little = c.bit_little;
        let r = self.decode_struct(sid, &args, false, true);
        self.st.frames = frames;
        self.set_cursor(saved);
        self.pending_array = pending;
        r.map(|_| ())
    }
}
