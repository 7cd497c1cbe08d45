//! The `process` modifier: a region's bytes are transformed (XOR, bit rotation, inflate)
//! into a buffer of their own, and the field's type is decoded from that buffer by a decoder
//! of its own; the rest of the input stays borrowed. Values decoded inside come out as
//! copies (numbers, text, bytes). A struct decoded inside, when its value is kept, is copied
//! out too: its kept fields into a frame of this decoder (so later expressions read them),
//! and the processed bytes kept, so that it can be written in full again where the value is
//! written. An array decoded inside is written, but cannot be named from outside.

use std::io::Read;

use super::{DResult, Decoder, Input, Options, Scratch, Value};
use crate::emit::Sink;
use crate::error::DataErrorKind;
use crate::plan::*;

/// The most bytes `zlib`/`deflate` may produce from one region (also bounded by the values
/// left to decode: 16 per input byte + 1,000,000 by default).
pub const MAX_INFLATED: u64 = 256 << 20;

/// A value decoded from a processed buffer, taken out of it.
enum Out {
    Val(Value),
    Owned(Vec<u8>, bool),
    /// A struct: its slots.
    Struct(StructId, Vec<Out>),
}

/// Structs nested deeper than this inside a copied struct are left out.
const MAX_COPY_DEPTH: u32 = 64;

/// A struct decoded from processed bytes and copied into frame `frame`: to write it in full,
/// it is decoded again from the processed bytes (kept as `blob`).
pub(super) struct Detached {
    pub frame: u32,
    blob: u32,
    sid: StructId,
    order: ByteOrder,
    bit_little: bool,
}

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    /// The options of a decoder over processed bytes: what is left of this decode's value
    /// budget and nesting depth.
    fn sub_options(&self) -> Options {
        Options {
            max_values: Some(self.budget_limit.saturating_sub(self.budget)),
            max_depth: self.opts.max_depth.saturating_sub(self.depth),
            ..self.opts
        }
    }

    /// Transforms the rest of the current region with `p` and decodes `ty` from the result;
    /// the cursor moves to the end of the region.
    pub(super) fn decode_processed(
        &mut self,
        ty: &TypePlan,
        p: &ProcessPlan,
        want: bool,
        emit: bool,
    ) -> DResult<Value> {
        self.align_bits();
        let start = self.pos;
        let buf = self.process_bytes(p, start, self.end.max(start))?;
        self.pos = self.end.max(start);
        let opts = self.sub_options();
        let mut st = Scratch::default();
        st.index.clone_from(&self.st.index);
        let mut sub = Decoder::new(
            self.plan,
            Input::whole(&buf),
            opts,
            &mut *self.sink,
            &mut st,
        );
        sub.order = self.order;
        sub.bit_little = self.bit_little;
        if S::POSITIONS {
            sub.sink.enter_buffer();
        }
        let r = sub
            .decode_type(ty, want, emit)
            .map(|v| detach(&sub, v, 0, u32::MAX));
        if S::POSITIONS {
            sub.sink.leave_buffer();
        }
        self.budget += sub.budget;
        match r {
            Ok(Out::Struct(sid, slots)) => {
                let v = self.attach(Out::Struct(sid, slots))?;
                // the bytes are kept while the value limit allows (else it is written as null)
                let fits = self.st.owned_bytes + buf.len() as u64 <= self.budget_limit;
                if let (true, Value::Struct { frame, .. }) = (fits, v)
                    && let Value::Blob(blob) = self.owned(&buf, false)?
                {
                    self.st.detached.push(Detached {
                        frame,
                        blob,
                        sid,
                        order: self.order,
                        bit_little: self.bit_little,
                    });
                }
                Ok(v)
            }
            Ok(out) => self.attach(out),
            // an offset inside the processed bytes means nothing in the input: the error is
            // placed at the start of the region, its message kept
            Err(mut e) => {
                e.offset = self.abs(start);
                e.here.clear();
                Err(e)
            }
        }
    }

    /// Puts a value taken out of a processed buffer into this decoder: bytes and text into
    /// its store of computed values, a struct's slots into a new frame.
    fn attach(&mut self, out: Out) -> DResult<Value> {
        match out {
            Out::Val(v) => Ok(v),
            Out::Owned(b, text) => self.owned(&b, text),
            Out::Struct(sid, slots) => {
                let base = self.st.arena.len();
                self.st
                    .arena
                    .resize(base + slots.len().max(1), Value::Absent);
                for (i, o) in slots.into_iter().enumerate() {
                    let v = self.attach(o)?;
                    self.st.arena[base + i] = v;
                }
                Ok(Value::Struct {
                    frame: base as u32,
                    sid,
                })
            }
        }
    }

    /// Writes the detached struct `self.st.detached[i]` in full: decodes it again from its
    /// processed bytes (its parameters are those of the copy: numbers, enums and booleans).
    pub(super) fn emit_detached(&mut self, i: usize) -> DResult<()> {
        let d = &self.st.detached[i];
        let (frame, sid, order, bit_little) = (d.frame, d.sid, d.order, d.bit_little);
        let Some(buf) = self.st.owned.get(d.blob as usize).cloned() else {
            self.sink.null();
            return Ok(());
        };
        let params = self.plan.structs[sid as usize].params as usize;
        let args: Vec<Value> = (0..params)
            .map(|k| match self.st.arena.get(frame as usize + k) {
                Some(
                    v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Enum { .. }),
                ) => *v,
                _ => Value::Absent,
            })
            .collect();
        let opts = self.sub_options();
        let mut st = Scratch::default();
        let mut sub = Decoder::new(
            self.plan,
            Input::whole(&buf),
            opts,
            &mut *self.sink,
            &mut st,
        );
        sub.order = order;
        sub.bit_little = bit_little;
        if S::POSITIONS {
            sub.sink.enter_buffer();
        }
        let r = sub.decode_struct(sid, &args, false, true);
        if S::POSITIONS {
            sub.sink.leave_buffer();
        }
        self.budget += sub.budget;
        r.map(|_| ())
    }

    /// The bytes of `data[lo..hi]` transformed by `p`.
    fn process_bytes(&mut self, p: &ProcessPlan, lo: usize, hi: usize) -> DResult<Vec<u8>> {
        let raw = &self.data[lo..hi];
        let fail = |d: &Self, what, why: String| d.err(DataErrorKind::Process { what, why });
        Ok(match p {
            ProcessPlan::Xor(k) => {
                let kv = self.eval(*k)?;
                let key: Vec<u8> = match kv {
                    Value::Int(i) | Value::Enum { v: i, .. } => vec![i as u8],
                    v => match self.bytes_of(v) {
                        Some(b) => b.to_vec(),
                        None => return Err(fail(self, "xor", "the key is not bytes".into())),
                    },
                };
                if key.is_empty() {
                    return Err(fail(self, "xor", "the key is empty".into()));
                }
                let raw = &self.data[lo..hi];
                raw.iter()
                    .zip(key.iter().cycle())
                    .map(|(b, k)| b ^ k)
                    .collect()
            }
            ProcessPlan::Rol(n, right) => {
                let n = self.eval_int(*n)?.rem_euclid(8) as u32;
                let raw = &self.data[lo..hi];
                if *right {
                    raw.iter().map(|b| b.rotate_right(n)).collect()
                } else {
                    raw.iter().map(|b| b.rotate_left(n)).collect()
                }
            }
            ProcessPlan::Zlib | ProcessPlan::Deflate => {
                let limit = MAX_INFLATED.min(self.budget_limit.saturating_sub(self.budget));
                let (what, r) = if matches!(p, ProcessPlan::Zlib) {
                    ("zlib", inflate(flate2::read::ZlibDecoder::new(raw), limit))
                } else {
                    (
                        "deflate",
                        inflate(flate2::read::DeflateDecoder::new(raw), limit),
                    )
                };
                r.map_err(|why| fail(self, what, why))?
            }
        })
    }
}

/// Everything a decompressor gives, up to `limit` bytes.
fn inflate(r: impl Read, limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    r.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("bad compressed data ({e})"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "more than {limit} bytes after decompression (the limit follows --max-values)"
        ));
    }
    Ok(out)
}

/// Takes value `v` of decoder `sub` out of it. A struct is followed only into frames above
/// `above` (its own fields, not the structs that enclose it).
fn detach<S: Sink>(sub: &Decoder<'_, '_, '_, S>, v: Value, depth: u32, above: u32) -> Out {
    match v {
        Value::Bytes { .. } | Value::Blob(_) => {
            Out::Owned(sub.bytes_of(v).unwrap_or_default().to_vec(), false)
        }
        Value::Str { .. } | Value::Text(_) => {
            Out::Owned(sub.string_of(v).unwrap_or_default().into_bytes(), true)
        }
        Value::Struct { frame, sid }
            if depth < MAX_COPY_DEPTH && (above == u32::MAX || frame > above) =>
        {
            let n = sub.plan.structs[sid as usize].nslots as usize;
            let slots = (0..n)
                .map(|k| {
                    let v = sub
                        .st
                        .arena
                        .get(frame as usize + k)
                        .copied()
                        .unwrap_or_default();
                    detach(sub, v, depth + 1, frame)
                })
                .collect();
            Out::Struct(sid, slots)
        }
        Value::Struct { .. } | Value::Array(_) | Value::Lazy(_) | Value::Io { .. } => {
            Out::Val(Value::Absent)
        }
        v => Out::Val(v),
    }
}
