//! Expression evaluation: integers in i128 with checked arithmetic, byte strings compared
//! as bytes, names read from frames.

use super::{DResult, Decoder, Value};
use crate::emit::Sink;
use crate::error::DataErrorKind;

use crate::plan::*;
use crate::text::Encoding;

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    pub(super) fn truthy(&self, v: Value) -> DResult<bool> {
        match v {
            Value::Bool(b) => Ok(b),
            Value::Int(i) | Value::Enum { v: i, .. } => Ok(i != 0),
            Value::Absent => Err(self.err(DataErrorKind::Absent("value".into()))),
            other => Err(self.err(DataErrorKind::Type(format!(
                "expected a condition, found {}",
                other.kind_name()
            )))),
        }
    }

    pub(super) fn eval_int(&mut self, id: ExprId) -> DResult<i128> {
        let v = self.eval(id)?;
        self.as_int(v)
    }

    fn as_int(&self, v: Value) -> DResult<i128> {
        match v {
            Value::Int(i) | Value::Enum { v: i, .. } => Ok(i),
            Value::Bool(b) => Ok(b as i128),
            Value::Absent => Err(self.err(DataErrorKind::Absent("value".into()))),
            other => Err(self.err(DataErrorKind::Type(format!(
                "expected an integer, found {}",
                other.kind_name()
            )))),
        }
    }

    /// The bytes of a string-like value.
    pub(super) fn bytes_of(&self, v: Value) -> Option<&[u8]> {
        match v {
            Value::Bytes { off, len } | Value::Str { off, len, .. } => {
                self.data.get(off..off + len)
            }
            Value::Lit(id) => match self.plan.expr(id) {
                PExpr::Lit(b) => Some(b),
                _ => None,
            },
            Value::Text(i) | Value::Blob(i) => self.st.owned.get(i as usize).map(|b| &b[..]),
            _ => None,
        }
    }

    /// The raw bytes and encoding of a text value (literals and computed text are UTF-8).
    fn text_of(&self, v: Value) -> Option<(&[u8], Encoding)> {
        let enc = match v {
            Value::Str { enc, .. } => enc,
            Value::Lit(_) | Value::Text(_) => Encoding::Utf8,
            _ => return None,
        };
        Some((self.bytes_of(v)?, enc))
    }

    /// A text value as a Rust string (invalid input text decoded with U+FFFD).
    pub(super) fn string_of(&self, v: Value) -> Option<String> {
        let (b, enc) = self.text_of(v)?;
        let mut out = String::with_capacity(b.len());
        crate::text::decode_chars(b, enc, |c| out.push(c));
        Some(out)
    }

    /// Stores computed text (`text`) or bytes and returns the value; the bytes computed per
    /// record are bounded like the number of values.
    pub(super) fn owned(&mut self, b: &[u8], text: bool) -> DResult<Value> {
        self.st.owned_bytes += b.len() as u64;
        if self.st.owned_bytes > self.budget_limit {
            return Err(self.err(DataErrorKind::Budget(self.budget_limit)));
        }
        let i = self.st.owned_used;
        match self.st.owned.get_mut(i as usize) {
            Some(v) => {
                v.clear();
                v.extend_from_slice(b);
            }
            None => self.st.owned.push(b.to_vec()),
        }
        self.st.owned_used += 1;
        Ok(if text { Value::Text(i) } else { Value::Blob(i) })
    }

    /// Counts `n` copied array elements against the limit of computed bytes (16 each), so
    /// that slices and reversals of a large array in every element of another stay bounded.
    fn charge_copy(&mut self, n: usize) -> DResult<()> {
        self.st.owned_bytes += 16 * n as u64;
        if self.st.owned_bytes > self.budget_limit {
            return Err(self.err(DataErrorKind::Budget(self.budget_limit)));
        }
        Ok(())
    }

    fn as_float(&self, v: Value) -> DResult<f64> {
        match v {
            Value::Float(f) => Ok(f),
            other => Ok(self.as_int(other)? as f64),
        }
    }

    fn frame_value(&self, n: u32) -> DResult<Value> {
        let frames = &self.st.frames;
        let idx = if n == u32::MAX {
            Some(0)
        } else {
            frames.len().checked_sub(1 + n as usize)
        };
        match idx.and_then(|i| frames.get(i)) {
            Some(&(frame, sid)) => Ok(Value::Struct { frame, sid }),
            None => Err(self.err(DataErrorKind::Type(if n == u32::MAX {
                "there is no root struct here".into()
            } else {
                "this struct has no parent".into()
            }))),
        }
    }

    /// `@io`, `@size`, `io(x)`, `sizeof(x)` (out of `eval`, whose frame stays small for
    /// deep recursion).
    #[inline(never)]
    fn eval_stream(&mut self, id: ExprId) -> DResult<Value> {
        Ok(match self.plan.expr(id) {
            PExpr::Builtin(Builtin::Io) => Value::Io {
                start: self.io_start,
                end: self.end,
                bits: self.pos * 8 + self.bitpos as usize,
            },
            PExpr::IoOf(a) => {
                let v = self.eval_present(*a)?;
                self.io_of(v)?
            }
            PExpr::SizeOf(a) => self.size_of(*a)?,
            _ => {
                let frame = self.current_frame();
                match self.st.ctx.iter().rfind(|c| c.frame == frame) {
                    Some(c) => Value::Int((self.pos.saturating_sub(c.start)) as i128),
                    None => {
                        return Err(
                            self.err(DataErrorKind::Type("`@size` is not known here".into()))
                        );
                    }
                }
            }
        })
    }

    /// The stream a struct value was decoded in (`io(x)`); a stream is its own stream.
    fn io_of(&self, v: Value) -> DResult<Value> {
        let Value::Struct { frame, .. } = v else {
            if let Value::Io { .. } = v {
                return Ok(v);
            }
            return Err(self.err(DataErrorKind::Type(format!(
                "`io` needs a struct, found {}",
                v.kind_name()
            ))));
        };
        if let Some(c) = self.st.ctx.iter().rfind(|c| c.frame == frame) {
            let pos = if c.stop == usize::MAX {
                self.pos
            } else {
                c.stop
            };
            return Ok(Value::Io {
                start: c.io_start,
                end: c.end,
                bits: pos * 8,
            });
        }
        Err(self.err(DataErrorKind::Type(
            "where this struct was decoded is not known".into(),
        )))
    }

    /// `sizeof(x)` of a value: a field of a fixed-size type takes that size; a struct its
    /// extent; bytes and text their length.
    fn size_of(&mut self, a: ExprId) -> DResult<Value> {
        let plan = self.plan;
        // the field's declared type, when it is a plain fixed-size one
        let field = match plan.expr(a) {
            PExpr::Member(b, name) => match self.eval(*b)? {
                Value::Struct { sid, .. } => plan.structs[sid as usize]
                    .fields
                    .iter()
                    .find(|f| f.name == name.as_ref()),
                _ => None,
            },
            PExpr::Slot(slot) => {
                let sid = self.st.frames.last().map_or(0, |f| f.1);
                plan.structs[sid as usize]
                    .fields
                    .iter()
                    .find(|f| f.slot == Some(*slot))
            }
            _ => None,
        };
        if let Some(f) = field {
            let s = &f.spec;
            if s.at.is_none() && s.if_.is_none() && s.process.is_none() {
                if let Some(sz) = s.size
                    && let PExpr::Int(n) = plan.expr(sz)
                {
                    return Ok(Value::Int(*n));
                }
                let n = super::cursor::scalar_size(&s.ty);
                if n > 0 {
                    return Ok(Value::Int(n as i128));
                }
            }
        }
        let v = self.eval_present(a)?;
        match v {
            Value::Struct { frame, .. } => match self.st.ctx.iter().rfind(|c| c.frame == frame) {
                Some(c) => {
                    let stop = match (c.sized_end, c.stop) {
                        (usize::MAX, usize::MAX) => self.pos,
                        (usize::MAX, stop) => stop,
                        (end, _) => end,
                    };
                    Ok(Value::Int(stop.saturating_sub(c.start) as i128))
                }
                None => Err(self.err(DataErrorKind::Type(
                    "the size of this struct is not known".into(),
                ))),
            },
            Value::Io { start, end, .. } => Ok(Value::Int((end - start) as i128)),
            other => match self.bytes_of(other) {
                Some(b) => Ok(Value::Int(b.len() as i128)),
                None => Err(self.err(DataErrorKind::Type(format!(
                    "`sizeof` of {} needs the field's type",
                    other.kind_name()
                )))),
            },
        }
    }

    /// Looks up field `name` in a struct value (through embedded structs).
    fn member(&mut self, base: Value, name: &str) -> DResult<Value> {
        if !matches!(base, Value::Struct { .. } | Value::Absent) {
            return self.member_of_value(base, name);
        }
        if base == Value::Absent {
            // a field of an absent struct (or array hole) is absent too, so `??` applies
            return Err(self.err(DataErrorKind::Absent(name.to_string())));
        }
        self.member_of_struct(base, name)
    }

    /// `.pos`, `.size`, `.eof` of a stream; `.first`, `.last` of an array, text or bytes.
    #[inline(never)]
    fn member_of_value(&mut self, base: Value, name: &str) -> DResult<Value> {
        if let Value::Io { start, end, bits } = base {
            return match name {
                // a partly read byte counts as read
                "pos" => Ok(Value::Int(bits.div_ceil(8).saturating_sub(start) as i128)),
                "size" => Ok(Value::Int((end - start) as i128)),
                "eof" => Ok(Value::Bool(bits >= end * 8)),
                _ => Err(self.err(DataErrorKind::Type(format!(
                    "a stream has `pos`, `size` and `eof`, not `{name}`"
                )))),
            };
        }
        if matches!(name, "first" | "last") {
            return self.index(base, if name == "first" { 0 } else { -1 });
        }
        if matches!(name, "length" | "size") {
            return self.length_of(base).map(Value::Int);
        }
        Err(self.err(DataErrorKind::Type(format!(
            "`.{name}` needs a struct, found {}",
            base.kind_name()
        ))))
    }

    fn member_of_struct(&mut self, base: Value, name: &str) -> DResult<Value> {
        let Value::Struct { frame, sid } = base else {
            return Err(self.err(DataErrorKind::Type(format!(
                "`.{name}` needs a struct, found {}",
                base.kind_name()
            ))));
        };
        let sp = &self.plan.structs[sid as usize];
        if name == "parent" {
            // `parent.parent`: the struct that encloses this one while it is being decoded
            let i = self.st.frames.iter().rposition(|&f| f == (frame, sid));
            return match i.filter(|&i| i > 0) {
                Some(i) => Ok(Value::Struct {
                    frame: self.st.frames[i - 1].0,
                    sid: self.st.frames[i - 1].1,
                }),
                None => Err(self.err(DataErrorKind::Type("this struct has no parent".into()))),
            };
        }
        match sp.find(name) {
            Some(Lookup::Slot(s)) => match self.st.arena[(frame + s) as usize] {
                Value::Lazy(fi) => self.force_lazy(frame, sid, fi),
                Value::Absent => Ok(self.in_progress(frame, sid, s).unwrap_or(Value::Absent)),
                v => Ok(v),
            },
            Some(Lookup::Embedded(s)) => {
                let inner = self.st.arena[(frame + s) as usize];
                if matches!(inner, Value::Absent) {
                    return Err(self.err(DataErrorKind::Absent(name.to_string())));
                }
                self.member(inner, name)
            }
            None => Err(self.err(DataErrorKind::Absent(format!("{}.{name}", sp.name)))),
        }
    }

    /// The struct that slot `s` of struct `sid` (at `frame`) is being decoded into, when it
    /// is the only field of that struct's type: `root.header` named by a lazy field of the
    /// header itself, decoded at its place, reads the header's fields decoded so far (Kaitai
    /// reads instances once the whole struct is there).
    #[cold]
    fn in_progress(&self, frame: u32, sid: StructId, s: u32) -> Option<Value> {
        let frames = &self.st.frames;
        let i = frames.iter().rposition(|&f| f == (frame, sid))?;
        let (cframe, csid) = *frames.get(i + 1)?;
        let of_child = |f: &crate::plan::FieldPlan| matches!(f.spec.ty, crate::plan::TypePlan::Struct { id, .. } if id == csid);
        let fields = &self.plan.structs[sid as usize].fields;
        let mut it = fields.iter().filter(|f| of_child(f));
        let only = it.next().filter(|_| it.next().is_none())?;
        (only.slot == Some(s)).then_some(Value::Struct {
            frame: cframe,
            sid: csid,
        })
    }

    /// The name of slot `s` of the current struct (for error messages).
    #[cold]
    fn slot_name(&self, s: u32) -> String {
        let sid = self.st.frames.last().map_or(0, |f| f.1);
        let sp = &self.plan.structs[sid as usize];
        sp.lookup
            .iter()
            .find(|(_, l)| *l == Lookup::Slot(s))
            .map_or_else(|| "value".to_string(), |(n, _)| n.clone())
    }

    fn current_frame(&self) -> u32 {
        self.st.frames.last().map_or(0, |f| f.0)
    }

    pub(super) fn eval(&mut self, id: ExprId) -> DResult<Value> {
        let plan = self.plan;
        Ok(match plan.expr(id) {
            PExpr::Int(v) => Value::Int(*v),
            PExpr::Float(v) => Value::Float(*v),
            PExpr::Bool(b) => Value::Bool(*b),
            PExpr::Lit(_) => Value::Lit(id),
            PExpr::This => self.this,
            PExpr::Slot(s) => match self.st.arena[(self.current_frame() + s) as usize] {
                // name the absent field here, where its name is known (`??` catches this)
                Value::Absent => return Err(self.err(DataErrorKind::Absent(self.slot_name(*s)))),
                Value::Lazy(fi) => {
                    let (frame, sid) = self.st.frames.last().copied().unwrap_or_default();
                    match self.force_lazy(frame, sid, fi)? {
                        Value::Absent => {
                            return Err(self.err(DataErrorKind::Absent(self.slot_name(*s))));
                        }
                        v => v,
                    }
                }
                v => v,
            },
            PExpr::Embedded { slot, name } => {
                let inner = self.st.arena[(self.current_frame() + slot) as usize];
                self.member(inner, name)?
            }
            PExpr::Frame(n) => self.frame_value(*n)?,
            PExpr::Member(b, name) => {
                let base = self.eval(*b)?;
                self.member(base, name)?
            }
            PExpr::Index(a, i) => {
                let av = self.eval(*a)?;
                let i = self.eval_int(*i)?;
                self.index(av, i)?
            }
            PExpr::Builtin(Builtin::Io | Builtin::Size) | PExpr::IoOf(_) | PExpr::SizeOf(_) => {
                self.eval_stream(id)?
            }
            PExpr::Builtin(b) => Value::Int(match b {
                Builtin::Offset => self.abs(self.pos) as i128 + if self.bitpos > 0 { 1 } else { 0 },
                Builtin::Remaining => self.remaining() as i128,
                Builtin::InputSize => match self.total {
                    Some(t) => t as i128,
                    None => return Err(self.err(DataErrorKind::NotStreamable("`@input_size`"))),
                },
                Builtin::Index => *self.st.index.last().unwrap_or(&0) as i128,
                Builtin::Io | Builtin::Size => unreachable!("handled above"),
            }),
            PExpr::Unary(op, a) => {
                let v = self.eval(*a)?;
                match op {
                    UnOp::Not => Value::Bool(!self.truthy(v)?),
                    UnOp::Neg if matches!(v, Value::Float(_)) => Value::Float(-self.as_float(v)?),
                    UnOp::Neg => Value::Int(
                        self.as_int(v)?
                            .checked_neg()
                            .ok_or_else(|| self.err(DataErrorKind::Overflow { op: "-" }))?,
                    ),
                    UnOp::BitNot => Value::Int(!self.as_int(v)?),
                }
            }
            PExpr::Binary(op, a, b) => self.binary(*op, *a, *b)?,
            PExpr::Cond(c, a, b) => {
                let cv = self.eval(*c)?;
                if self.truthy(cv)? {
                    self.eval(*a)?
                } else {
                    self.eval(*b)?
                }
            }
            PExpr::Call(f, args) => self.call(*f, args)?,
            PExpr::Peek { ty, at } => self.peek(ty, *at)?,
            PExpr::Cast(a, e) => {
                let v = self.eval_int(*a)?;
                Value::Enum { id: *e, v }
            }
            PExpr::EnumConst(e, v) => Value::Enum { id: *e, v: *v },
            PExpr::Slice(a, lo, hi) => {
                let v = self.eval_present(*a)?;
                let lo = lo.map(|e| self.eval_int(e)).transpose()?;
                let hi = hi.map(|e| self.eval_int(e)).transpose()?;
                self.slice(v, lo, hi)?
            }
            PExpr::ToText(a, enc) => {
                let v = self.eval_present(*a)?;
                self.text_value(v, *enc)?
            }
            PExpr::Array { items, bytes } => self.array_literal(items, *bytes)?,
            PExpr::Reverse(a) => {
                let v = self.eval_present(*a)?;
                self.reverse(v)?
            }
        })
    }

    /// `x[lo..hi]`: Python's slice rules (negative ends count from the end, ends are clamped,
    /// `lo > hi` is empty); text is sliced by characters.
    fn slice(&mut self, v: Value, lo: Option<i128>, hi: Option<i128>) -> DResult<Value> {
        let range = |len: usize| {
            let fix = |x: i128| {
                let x = if x < 0 { x + len as i128 } else { x };
                x.clamp(0, len as i128) as usize
            };
            let lo = lo.map_or(0, fix);
            let hi = hi.map_or(len, fix);
            (lo, hi.max(lo))
        };
        match v {
            Value::Array(id) => {
                let (lo, hi) = range(self.st.arrays[id as usize].len());
                self.charge_copy(hi - lo)?;
                let new = self.new_array();
                for k in lo..hi {
                    let x = self.st.arrays[id as usize][k];
                    self.st.arrays[new as usize].push(x);
                }
                Ok(Value::Array(new))
            }
            Value::Bytes { off, len } => {
                let (lo, hi) = range(len);
                Ok(Value::Bytes {
                    off: off + lo,
                    len: hi - lo,
                })
            }
            Value::Str {
                off,
                len,
                enc: enc @ (Encoding::Ascii | Encoding::Latin1 | Encoding::Cp437),
            } => {
                // one byte per character
                let (lo, hi) = range(len);
                Ok(Value::Str {
                    off: off + lo,
                    len: hi - lo,
                    enc,
                })
            }
            Value::Blob(_) => {
                let b = self.bytes_of(v).unwrap_or_default();
                let (lo, hi) = range(b.len());
                let part = b[lo..hi].to_vec();
                self.owned(&part, false)
            }
            other => match self.string_of(other) {
                Some(t) => {
                    let chars: Vec<char> = t.chars().collect();
                    let (lo, hi) = range(chars.len());
                    let part: String = chars[lo..hi].iter().collect();
                    self.owned(part.as_bytes(), true)
                }
                None => Err(self.err(DataErrorKind::Type(format!(
                    "cannot slice {}",
                    other.kind_name()
                )))),
            },
        }
    }

    /// `str(x)`: an integer in decimal, a float as Python prints it, bytes as text in `enc`.
    fn text_value(&mut self, v: Value, enc: Option<Encoding>) -> DResult<Value> {
        match (v, enc) {
            (Value::Bytes { off, len }, Some(enc)) => {
                let raw = &self.data[off..off + len];
                if !self.opts.lossy
                    && let Err(p) = crate::text::validate(raw, enc)
                {
                    return Err(crate::error::DataError::new(
                        self.abs(off + p),
                        DataErrorKind::BadText {
                            encoding: enc.name(),
                            pos: p,
                            byte: raw.get(p).copied().unwrap_or(0),
                        },
                    ));
                }
                Ok(Value::Str { off, len, enc })
            }
            (Value::Blob(_), Some(enc)) => {
                let b = self.bytes_of(v).unwrap_or_default();
                let mut t = String::with_capacity(b.len());
                crate::text::decode_chars(b, enc, |c| t.push(c));
                self.owned(t.as_bytes(), true)
            }
            (Value::Float(f), _) => {
                let mut b = zmij::Buffer::new();
                let t = match f {
                    f if f.is_finite() => b.format_finite(f),
                    f if f.is_nan() => "nan",
                    f if f > 0.0 => "inf",
                    _ => "-inf",
                };
                self.owned(t.as_bytes(), true)
            }
            (Value::Str { .. } | Value::Lit(_) | Value::Text(_), _) => Ok(v),
            _ => {
                let n = self.as_int(v)?;
                self.owned(n.to_string().as_bytes(), true)
            }
        }
    }

    /// `[a, b, c]`: an array of the values, or bytes of integer values. Out of line, so
    /// that `eval`'s frame stays small for deeply nested expressions and peeks.
    #[inline(never)]
    fn array_literal(&mut self, items: &[ExprId], bytes: bool) -> DResult<Value> {
        if bytes {
            let mut b = Vec::with_capacity(items.len());
            for &x in items {
                let v = self.eval_int(x)?;
                let byte = u8::try_from(v).map_err(|_| {
                    self.err(DataErrorKind::Type(format!(
                        "{v} is not a byte value (0..=255)"
                    )))
                })?;
                b.push(byte);
            }
            return self.owned(&b, false);
        }
        let mut vals = Vec::with_capacity(items.len());
        for &x in items {
            vals.push(self.eval_present(x)?);
        }
        self.charge_copy(vals.len())?;
        let new = self.new_array();
        self.st.arrays[new as usize].extend_from_slice(&vals);
        Ok(Value::Array(new))
    }

    /// `reverse(x)`: an array's elements, bytes, or text's characters in reverse order.
    fn reverse(&mut self, v: Value) -> DResult<Value> {
        match v {
            Value::Array(id) => {
                self.charge_copy(self.st.arrays[id as usize].len())?;
                let new = self.new_array();
                for k in (0..self.st.arrays[id as usize].len()).rev() {
                    let x = self.st.arrays[id as usize][k];
                    self.st.arrays[new as usize].push(x);
                }
                Ok(Value::Array(new))
            }
            Value::Bytes { .. } | Value::Blob(_) => {
                let mut b = self.bytes_of(v).unwrap_or_default().to_vec();
                b.reverse();
                self.owned(&b, false)
            }
            other => match self.string_of(other) {
                Some(t) => {
                    let r: String = t.chars().rev().collect();
                    self.owned(r.as_bytes(), true)
                }
                None => Err(self.err(DataErrorKind::Type(format!(
                    "cannot reverse {}",
                    other.kind_name()
                )))),
            },
        }
    }

    fn index(&self, av: Value, i: i128) -> DResult<Value> {
        match av {
            Value::Array(id) => {
                let arr = &self.st.arrays[id as usize];
                let len = arr.len() as i128;
                let k = if i < 0 { len + i } else { i };
                if k < 0 || k >= len {
                    return Err(self.err(DataErrorKind::IndexOut {
                        index: i,
                        len: len as u64,
                    }));
                }
                Ok(arr[k as usize])
            }
            Value::Absent => Err(self.err(DataErrorKind::Absent("array".into()))),
            other => match self.bytes_of(other) {
                Some(b) => {
                    let len = b.len() as i128;
                    let k = if i < 0 { len + i } else { i };
                    if k < 0 || k >= len {
                        return Err(self.err(DataErrorKind::IndexOut {
                            index: i,
                            len: len as u64,
                        }));
                    }
                    Ok(Value::Int(b[k as usize] as i128))
                }
                None => Err(self.err(DataErrorKind::Type(format!(
                    "cannot index {}",
                    other.kind_name()
                )))),
            },
        }
    }

    fn binary(&mut self, op: BinOp, a: ExprId, b: ExprId) -> DResult<Value> {
        use BinOp::*;
        match op {
            And => {
                let l = self.eval(a)?;
                if !self.truthy(l)? {
                    return Ok(Value::Bool(false));
                }
                let r = self.eval(b)?;
                return Ok(Value::Bool(self.truthy(r)?));
            }
            Or => {
                let l = self.eval(a)?;
                if self.truthy(l)? {
                    return Ok(Value::Bool(true));
                }
                let r = self.eval(b)?;
                return Ok(Value::Bool(self.truthy(r)?));
            }
            Coalesce => {
                let l = match self.eval(a) {
                    Ok(v) => v,
                    Err(e) if matches!(e.kind, DataErrorKind::Absent(_)) => Value::Absent,
                    Err(e) => return Err(e),
                };
                return if matches!(l, Value::Absent) {
                    self.eval(b)
                } else {
                    Ok(l)
                };
            }
            _ => {}
        }
        let l = self.eval(a)?;
        let r = self.eval(b)?;
        // the common case first: two integers (or enum values)
        if let (
            Value::Int(x) | Value::Enum { v: x, .. },
            Value::Int(y) | Value::Enum { v: y, .. },
        ) = (l, r)
        {
            return self.int_binary(op, x, y);
        }
        if matches!(op, Eq | Ne) {
            let eq = self.equal(l, r)?;
            return Ok(Value::Bool(if op == Eq { eq } else { !eq }));
        }
        if op == Add
            && let (Some(x), Some(y)) = (self.string_of(l), self.string_of(r))
        {
            return self.owned((x + &y).as_bytes(), true);
        }
        if op == Add
            && let (Some(x), Some(y)) = (self.bytes_of(l), self.bytes_of(r))
        {
            let cat = [x, y].concat();
            return self.owned(&cat, false);
        }
        if matches!(op, Add | Sub | Mul | Div | Rem)
            && (matches!(l, Value::Float(_)) || matches!(r, Value::Float(_)))
        {
            return self.float_binary(op, self.as_float(l)?, self.as_float(r)?);
        }
        if matches!(op, Lt | Le | Gt | Ge)
            && let (Some(x), Some(y)) = (self.bytes_of(l), self.bytes_of(r))
        {
            // text in different encodings compares by characters, everything else by bytes
            let ord = match (self.text_of(l), self.text_of(r)) {
                (Some((_, e1)), Some((_, e2))) if e1 != e2 => {
                    self.string_of(l).cmp(&self.string_of(r))
                }
                _ => x.cmp(y),
            };
            return Ok(Value::Bool(match op {
                Lt => ord.is_lt(),
                Le => ord.is_le(),
                Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }));
        }
        if matches!(op, Lt | Le | Gt | Ge) {
            let ord = match (l, r) {
                (Value::Float(x), y) | (y, Value::Float(x)) if !matches!(y, Value::Float(_)) => {
                    let yf = self.as_int(y)? as f64;
                    let (p, q) = if matches!(l, Value::Float(_)) {
                        (x, yf)
                    } else {
                        (yf, x)
                    };
                    p.partial_cmp(&q)
                }
                (Value::Float(x), Value::Float(y)) => x.partial_cmp(&y),
                _ => Some(self.as_int(l)?.cmp(&self.as_int(r)?)),
            };
            let Some(ord) = ord else {
                return Ok(Value::Bool(false));
            };
            return Ok(Value::Bool(match op {
                Lt => ord.is_lt(),
                Le => ord.is_le(),
                Gt => ord.is_gt(),
                _ => ord.is_ge(),
            }));
        }
        let x = self.as_int(l)?;
        let y = self.as_int(r)?;
        self.int_binary(op, x, y)
    }

    /// A binary operator (not `and`, `or`, `??`) on two integers.
    #[inline]
    fn int_binary(&self, op: BinOp, x: i128, y: i128) -> DResult<Value> {
        use BinOp::*;
        let overflow = |d: &Self| d.err(DataErrorKind::Overflow { op: op.symbol() });
        let v = match op {
            Eq => return Ok(Value::Bool(x == y)),
            Ne => return Ok(Value::Bool(x != y)),
            Lt => return Ok(Value::Bool(x < y)),
            Le => return Ok(Value::Bool(x <= y)),
            Gt => return Ok(Value::Bool(x > y)),
            Ge => return Ok(Value::Bool(x >= y)),
            Add => x.checked_add(y).ok_or_else(|| overflow(self))?,
            Sub => x.checked_sub(y).ok_or_else(|| overflow(self))?,
            Mul => x.checked_mul(y).ok_or_else(|| overflow(self))?,
            Div | Rem => {
                if y == 0 {
                    return Err(self.err(DataErrorKind::DivByZero));
                }
                let r = if op == Div {
                    floor_div(x, y)
                } else {
                    floor_rem(x, y)
                };
                r.ok_or_else(|| overflow(self))?
            }
            Shl | Shr => {
                if !(0..64).contains(&y) {
                    return Err(self.err(DataErrorKind::BadShift(y)));
                }
                if op == Shl {
                    let v = x << y;
                    if v >> y != x {
                        return Err(overflow(self));
                    }
                    v
                } else {
                    x >> y
                }
            }
            BitAnd => x & y,
            BitOr => x | y,
            BitXor => x ^ y,
            And | Or | Coalesce => unreachable!("short-circuit operators are handled by `binary`"),
        };
        Ok(Value::Int(v))
    }

    /// Arithmetic with a float operand: `/` is true division, `%` takes the divisor's sign
    /// (Python's and Kaitai's `%`).
    fn float_binary(&self, op: BinOp, x: f64, y: f64) -> DResult<Value> {
        use BinOp::*;
        if matches!(op, Div | Rem) && y == 0.0 {
            return Err(self.err(DataErrorKind::DivByZero));
        }
        Ok(Value::Float(match op {
            Add => x + y,
            Sub => x - y,
            Mul => x * y,
            Div => x / y,
            _ => {
                let m = x % y;
                if m != 0.0 && (m < 0.0) != (y < 0.0) {
                    m + y
                } else {
                    m
                }
            }
        }))
    }

    fn equal(&self, l: Value, r: Value) -> DResult<bool> {
        if let (Some((_, e1)), Some((_, e2))) = (self.text_of(l), self.text_of(r))
            && e1 != e2
        {
            return Ok(self.string_of(l) == self.string_of(r));
        }
        if let (Some(a), Some(b)) = (self.bytes_of(l), self.bytes_of(r)) {
            return Ok(a == b);
        }
        Ok(match (l, r) {
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Float(x), y) | (y, Value::Float(x)) => x == self.as_int(y)? as f64,
            (Value::Absent, _) | (_, Value::Absent) => {
                return Err(self.err(DataErrorKind::Absent("value".into())));
            }
            _ => self.as_int(l)? == self.as_int(r)?,
        })
    }

    /// Evaluates a function argument; an absent value is an `Absent` error (so `??` applies).
    fn eval_present(&mut self, id: ExprId) -> DResult<Value> {
        match self.eval(id)? {
            Value::Absent => Err(self.err(DataErrorKind::Absent("value".into()))),
            v => Ok(v),
        }
    }

    /// `min`/`max` over several values, or over the elements of one array or byte string.
    fn min_max(&mut self, f: Func, args: &[ExprId]) -> DResult<Value> {
        let mut vals = Vec::new();
        if let [one] = args {
            match self.eval_present(*one)? {
                Value::Array(id) => vals.extend_from_slice(&self.st.arrays[id as usize]),
                v => match self.bytes_of(v) {
                    Some(b) => vals.extend(b.iter().map(|&x| Value::Int(x as i128))),
                    None => vals.push(v),
                },
            }
        } else {
            for a in args {
                vals.push(self.eval_present(*a)?);
            }
        }
        let mut best: Option<Value> = None;
        for v in vals {
            best = Some(match best {
                None => v,
                Some(b) => {
                    let ord = match (b, v) {
                        (Value::Float(_), _) | (_, Value::Float(_)) => self
                            .as_float(v)?
                            .partial_cmp(&self.as_float(b)?)
                            .unwrap_or(std::cmp::Ordering::Equal),
                        _ => match (self.bytes_of(b), self.bytes_of(v)) {
                            (Some(x), Some(y)) => y.cmp(x),
                            _ => self.as_int(v)?.cmp(&self.as_int(b)?),
                        },
                    };
                    let better = if f == Func::Min {
                        ord.is_lt()
                    } else {
                        ord.is_gt()
                    };
                    if better { v } else { b }
                }
            });
        }
        best.ok_or_else(|| {
            self.err(DataErrorKind::Type(format!(
                "`{}` of nothing",
                if f == Func::Min { "min" } else { "max" }
            )))
        })
    }

    /// `len(x)`, `x.length`, `x.size`: elements of an array, characters of text, bytes of
    /// bytes, the size of a stream.
    fn length_of(&mut self, v: Value) -> DResult<i128> {
        Ok(match v {
            Value::Array(id) => self.st.arrays[id as usize].len() as i128,
            Value::Io { start, end, .. } => (end - start) as i128,
            // text counts characters
            Value::Str {
                enc:
                    Encoding::Utf8
                    | Encoding::Utf16le
                    | Encoding::Utf16be
                    | Encoding::Mutf8
                    | Encoding::ShiftJis
                    | Encoding::Whatwg(_),
                ..
            }
            | Value::Lit(_)
            | Value::Text(_) => {
                let (b, enc) = self.text_of(v).unwrap_or_default();
                let mut n = 0;
                crate::text::decode_chars(b, enc, |_| n += 1);
                n
            }
            other => match self.bytes_of(other) {
                Some(b) => b.len() as i128,
                None => {
                    return Err(self.err(DataErrorKind::Type(format!(
                        "`len` of {}",
                        other.kind_name()
                    ))));
                }
            },
        })
    }

    fn call(&mut self, f: Func, args: &[ExprId]) -> DResult<Value> {
        let int = |d: &mut Self, k: usize| d.eval_int(args[k]);
        if matches!(f, Func::Min | Func::Max) {
            return self.min_max(f, args);
        }
        Ok(Value::Int(match f {
            Func::Len => {
                let v = self.eval_present(args[0])?;
                self.length_of(v)?
            }
            Func::Abs => {
                let v = self.eval_present(args[0])?;
                if let Value::Float(x) = v {
                    return Ok(Value::Float(x.abs()));
                }
                let v = self.as_int(v)?;
                v.checked_abs()
                    .ok_or_else(|| self.err(DataErrorKind::Overflow { op: "abs" }))?
            }
            Func::Min | Func::Max => unreachable!("handled by `min_max`"),
            Func::Int => {
                let v = self.eval_present(args[0])?;
                if let Value::Float(x) = v {
                    // toward zero, as Kaitai's `to_i` of a float
                    if !x.is_finite() || x.abs() >= 1.7e38 {
                        return Err(self.err(DataErrorKind::Overflow { op: "int" }));
                    }
                    return Ok(Value::Int(x.trunc() as i128));
                }
                if args.len() == 1
                    && let Value::Int(_) | Value::Enum { .. } | Value::Bool(_) = v
                {
                    // an enum's or a boolean's integer value
                    return Ok(Value::Int(self.as_int(v)?));
                }
                let base = if args.len() > 1 { int(self, 1)? } else { 10 };
                let Some(b) = self.bytes_of(v) else {
                    return Err(self.err(DataErrorKind::Type("`int` needs text".into())));
                };
                if !(2..=36).contains(&base) {
                    return Err(self.err(DataErrorKind::Type(format!(
                        "`int` base must be 2..36, got {base}"
                    ))));
                }
                parse_int(b, base as u32).ok_or_else(|| {
                    self.err(DataErrorKind::NotANumber {
                        text: String::from_utf8_lossy(b).into_owned(),
                        base: base as u32,
                    })
                })?
            }
            Func::Fail => {
                let v = self.eval_present(args[0])?;
                let msg = match self.bytes_of(v) {
                    Some(b) => String::from_utf8_lossy(b).into_owned(),
                    None => String::new(),
                };
                return Err(self.err(DataErrorKind::Failed(msg)));
            }
            Func::Sum => {
                let v = self.eval_present(args[0])?;
                let Some(b) = self.bytes_of(v) else {
                    return Err(self.err(DataErrorKind::Type("`sum` needs bytes".into())));
                };
                b.iter().map(|&x| x as i128).sum()
            }
            Func::Crc32 => {
                let v = self.eval_present(args[0])?;
                let Some(b) = self.bytes_of(v) else {
                    return Err(self.err(DataErrorKind::Type("`crc32` needs bytes".into())));
                };
                crc32(b) as i128
            }
            Func::Find | Func::Rfind => {
                let pv = self.eval_present(args[0])?;
                let lo = int(self, 1)?;
                let hi = int(self, 2)?;
                let Some(pat) = self.bytes_of(pv) else {
                    return Err(self.err(DataErrorKind::Type("`find` needs a byte pattern".into())));
                };
                let size = self.total.unwrap_or(self.base + self.data.len() as u64) as i128;
                let lo = lo.clamp(0, size);
                let hi = hi.clamp(lo, size);
                let rel =
                    |x: i128| (x - self.base as i128).clamp(0, self.data.len() as i128) as usize;
                let hay = &self.data[rel(lo)..rel(hi)];
                let found = if f == Func::Find {
                    memchr::memmem::find(hay, pat)
                } else {
                    memchr::memmem::rfind(hay, pat)
                };
                match found {
                    Some(p) => rel(lo) as i128 + self.base as i128 + p as i128,
                    None => -1,
                }
            }
        }))
    }

    fn peek(&mut self, ty: &TypePlan, at: ExprId) -> DResult<Value> {
        let target = self.eval_int(at)?;
        let size = self.total.unwrap_or(self.base + self.data.len() as u64);
        if target < 0 || target > size as i128 {
            return Err(self.err(DataErrorKind::AtOutside { target, size }));
        }
        let rel = target - self.base as i128;
        if rel < 0 || rel > self.data.len() as i128 {
            return Err(self.err(DataErrorKind::NotStreamable(
                "a peek outside the current buffer",
            )));
        }
        let rel = rel as usize;
        let simple = match ty {
            TypePlan::Str { kind, .. } => *kind != StrKind::Z,
            TypePlan::Int { .. }
            | TypePlan::Float { .. }
            | TypePlan::Enum { .. }
            | TypePlan::Bool
            | TypePlan::Bytes(_) => true,
            _ => false,
        };
        if !simple {
            // any other type (`strz`, a struct, an array) is decoded there, as a field with
            // `at` would be, and not written
            let saved = (self.pos, self.end, self.region_start, self.bitpos);
            let depth = self.depth;
            let r = self.enter().and_then(|()| {
                self.pos = rel;
                self.end = self.data.len();
                self.region_start = rel;
                self.bitpos = 0;
                self.decode_type(ty, true, false)
            });
            (self.pos, self.end, self.region_start, self.bitpos) = saved;
            self.depth = depth;
            return r;
        }
        let n = match ty {
            TypePlan::Int { size, .. }
            | TypePlan::Float { size, .. }
            | TypePlan::Enum { size, .. } => *size as usize,
            TypePlan::Bool => 1,
            TypePlan::Bytes(l) | TypePlan::Str { len: l, .. } => match l {
                LenPlan::Fixed(n) => *n as usize,
                LenPlan::Expr(e) => {
                    let n = self.eval_int(*e)?;
                    if n < 0 {
                        return Err(self.err(DataErrorKind::NegativeLength(n)));
                    }
                    n.min(usize::MAX as i128) as usize
                }
                LenPlan::Rest => self.data.len() - rel,
            },
            _ => 0,
        };
        let left = self.data.len() - rel;
        if n > left {
            return Err(crate::error::DataError::new(
                target as u64,
                DataErrorKind::Truncated {
                    need: n as u64,
                    left: left as u64,
                },
            ));
        }
        let b = &self.data[rel..rel + n];
        if let Some(s) = super::read_scalar(ty, b, self.order) {
            return Ok(s.value());
        }
        Ok(match ty {
            TypePlan::Str { enc, kind, .. } => Value::Str {
                off: rel,
                // `strz[N]`: the text up to the first NUL
                len: match kind {
                    StrKind::ZFixed if matches!(enc, Encoding::Utf16le | Encoding::Utf16be) => b
                        .chunks_exact(2)
                        .position(|c| c == [0, 0])
                        .map_or(n, |p| p * 2),
                    StrKind::ZFixed => memchr::memchr(0, b).unwrap_or(n),
                    _ => n,
                },
                enc: *enc,
            },
            _ => Value::Bytes { off: rel, len: n },
        })
    }
}

/// `x / y` rounded toward negative infinity (Python's `//`, Kaitai's `/` on integers); None
/// when `y` is 0 or the quotient overflows.
pub(super) fn floor_div(x: i128, y: i128) -> Option<i128> {
    let q = x.checked_div(y)?;
    Some(if x % y != 0 && ((x < 0) != (y < 0)) {
        q - 1
    } else {
        q
    })
}

/// `x % y` with the sign of `y` (Python's `%`, Kaitai's `%`); None when `y` is 0.
pub(super) fn floor_rem(x: i128, y: i128) -> Option<i128> {
    let r = x.checked_rem(y)?;
    Some(if r != 0 && ((r < 0) != (y < 0)) {
        r + y
    } else {
        r
    })
}

/// Parses ASCII digits in `base`, ignoring surrounding spaces and NULs (tar pads octal
/// fields with either). An empty field is 0.
fn parse_int(b: &[u8], base: u32) -> Option<i128> {
    let t = b
        .iter()
        .position(|&c| c != b' ' && c != 0)
        .map_or(&b[..0], |s| {
            let e = b
                .iter()
                .rposition(|&c| c != b' ' && c != 0)
                .map_or(s, |e| e + 1);
            &b[s..e]
        });
    if t.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match t[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i128 = 0;
    for &c in digits {
        let d = (c as char).to_digit(base)?;
        v = v.checked_mul(base as i128)?.checked_add(d as i128)?;
    }
    Some(if neg { -v } else { v })
}

/// CRC-32 (IEEE 802.3, as zlib), table-driven.
fn crc32(b: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, e) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        t
    });
    !b.iter().fold(!0u32, |c, &x| {
        t[((c ^ x as u32) & 0xff) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        // python3 -c "import zlib; print(zlib.crc32(b'123456789'))"
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn parse_int_octal_fields() {
        assert_eq!(parse_int(b"0000644\0", 8), Some(0o644));
        assert_eq!(parse_int(b"  17 ", 8), Some(15));
        assert_eq!(parse_int(b"\0\0\0", 8), Some(0));
        assert_eq!(parse_int(b"12x", 10), None);
        assert_eq!(parse_int(b"-5", 10), Some(-5));
    }
}
