//! Scalar reads: LEB128, bit fields, lengths, strings, text and the values written for
//! numbers and enums.

use super::*;

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    /// A LEB128 integer: 7 bits per byte, least significant group first, high bit set on
    /// every byte but the last; at most 10 bytes (64 bits).
    pub(super) fn read_leb128(&mut self, signed: bool) -> DResult<i128> {
        self.align_bits();
        let start = self.pos;
        let mut v: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.take(1)?[0];
            if shift == 63 && b & 0x7e != 0 {
                self.pos = start;
                return Err(self.err(DataErrorKind::Overflow {
                    op: "leb128 (more than 64 bits)",
                }));
            }
            v |= ((b & 0x7f) as u64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if signed && shift < 64 && b & 0x40 != 0 {
                    return Ok((v | (!0u64 << shift)) as i64 as i128);
                }
                return Ok(if signed { v as i64 as i128 } else { v as i128 });
            }
            if shift >= 70 {
                self.pos = start;
                return Err(self.err(DataErrorKind::Overflow {
                    op: "leb128 (more than 10 bytes)",
                }));
            }
        }
    }

    /// `n` bits in a given bit order: a field's own (`b6le` in a big-endian struct), or the
    /// struct's after such a field. The order can change only between bytes.
    #[cold]
    pub(super) fn read_bits_in(&mut self, n: u32, little: bool) -> DResult<u64> {
        let partial_other = self.bitpos != 0 && self.bits_other;
        let this_other = little != self.bit_little;
        if self.bitpos != 0 && partial_other != this_other {
            return Err(self.err(DataErrorKind::Type(format!(
                "a {} bit field cannot start inside a byte read in the other bit order",
                if little {
                    "little-endian"
                } else {
                    "big-endian"
                }
            ))));
        }
        let saved = std::mem::replace(&mut self.bit_little, little);
        let r = self.read_bits(n);
        self.bit_little = saved;
        // the rest of a partly read byte is in the field's order
        self.bits_other = this_other && self.bitpos != 0;
        r
    }

    pub(super) fn read_bits(&mut self, n: u32) -> DResult<u64> {
        let need_bits = self.bitpos + n;
        let nbytes = need_bits.div_ceil(8) as usize;
        let left = self.remaining();
        if nbytes > left {
            return Err(self.truncated(nbytes as u64, left as u64));
        }
        let bytes = &self.data[self.pos..self.pos + nbytes];
        let v = if self.bit_little {
            let mut acc: u128 = 0;
            for (i, &b) in bytes.iter().enumerate() {
                acc |= (b as u128) << (8 * i);
            }
            (acc >> self.bitpos) & mask(n)
        } else {
            let mut acc: u128 = 0;
            for &b in bytes {
                acc = (acc << 8) | b as u128;
            }
            (acc >> (nbytes as u32 * 8 - need_bits)) & mask(n)
        };
        self.pos += (need_bits / 8) as usize;
        self.bitpos = need_bits % 8;
        Ok(v as u64)
    }

    pub(super) fn len_of(&mut self, len: &LenPlan) -> DResult<usize> {
        match len {
            LenPlan::Fixed(n) => {
                usize::try_from(*n).map_err(|_| self.truncated(*n, self.remaining() as u64))
            }
            LenPlan::Rest => {
                self.align_bits();
                Ok(self.remaining())
            }
            LenPlan::Expr(e) => {
                let n = self.eval_int(*e)?;
                if n < 0 {
                    return Err(self.err(DataErrorKind::NegativeLength(n)));
                }
                let left = self.remaining();
                if n > left as i128 {
                    return Err(self.truncated(n.min(u64::MAX as i128) as u64, left as u64));
                }
                Ok(n as usize)
            }
        }
    }

    pub(super) fn decode_str(
        &mut self,
        kind: StrKind,
        len: &LenPlan,
        enc: Encoding,
        trim: Option<&[u8]>,
        emit: bool,
    ) -> DResult<Value> {
        if kind == StrKind::Z {
            self.align_bits();
            let hay = &self.data[self.pos..self.end.max(self.pos)];
            let utf16 = matches!(enc, Encoding::Utf16le | Encoding::Utf16be);
            let found = if utf16 {
                hay.chunks_exact(2).position(|c| c == [0, 0]).map(|p| p * 2)
            } else {
                memchr::memchr(0, hay)
            };
            let Some(z) = found else {
                return Err(self.err(DataErrorKind::NoTerminator {
                    left: hay.len() as u64,
                }));
            };
            let off = self.pos;
            self.pos += z + if utf16 { 2 } else { 1 };
            return self.str_at(off, z, StrKind::Fixed, enc, trim, emit);
        }
        let n = self.len_of(len)?;
        self.align_bits();
        let off = self.pos;
        self.take(n)?;
        self.str_at(off, n, kind, enc, trim, emit)
    }

    /// Text in the `n` bytes at `off` (already bounds-checked): cut at a NUL for `strz[N]`,
    /// trimmed, validated and emitted.
    #[inline]
    pub(super) fn str_at(
        &mut self,
        off: usize,
        n: usize,
        kind: StrKind,
        enc: Encoding,
        trim: Option<&[u8]>,
        emit: bool,
    ) -> DResult<Value> {
        let b = &self.data[off..off + n];
        let mut n = if kind == StrKind::ZFixed {
            if matches!(enc, Encoding::Utf16le | Encoding::Utf16be) {
                b.chunks_exact(2)
                    .position(|c| c == [0, 0])
                    .map_or(n, |p| p * 2)
            } else if n <= 32 {
                // short C strings: a plain loop beats a call into memchr
                b.iter().position(|&c| c == 0).unwrap_or(n)
            } else {
                memchr::memchr(0, b).unwrap_or(n)
            }
        } else {
            n
        };
        if let Some(t) = trim {
            while n >= t.len() && &self.data[off + n - t.len()..off + n] == t {
                n -= t.len();
            }
        }
        self.emit_text(&self.data[off..off + n], enc, off, emit)?;
        Ok(Value::Str { off, len: n, enc })
    }

    #[inline]
    pub(super) fn emit_text(
        &mut self,
        raw: &'a [u8],
        enc: Encoding,
        off: usize,
        emit: bool,
    ) -> DResult<()> {
        // ASCII is valid in every ASCII-compatible encoding (mutf8 excludes raw NUL)
        let ascii_ok =
            raw.is_ascii() && matches!(enc, Encoding::Utf8 | Encoding::Ascii | Encoding::Latin1);
        if !self.opts.lossy
            && !ascii_ok
            && let Err(p) = text::validate(raw, enc)
        {
            return Err(DataError::new(
                self.abs(off + p),
                DataErrorKind::BadText {
                    encoding: enc.name(),
                    pos: p,
                    byte: raw.get(p).copied().unwrap_or(0),
                },
            ));
        }
        if emit {
            self.sink.text(raw, enc, self.opts.lossy);
        }
        Ok(())
    }

    pub(super) fn emit_enum(&mut self, id: EnumId, v: i128) {
        let e = &self.plan.enums[id as usize];
        if e.is_flags {
            self.sink.begin_array();
            let mut rest = v;
            for (bit, name) in &e.members {
                if *bit != 0 && v & bit == *bit {
                    self.sink.str(name);
                    rest &= !bit;
                }
            }
            if rest != 0 {
                self.sink.i128(rest);
            }
            self.sink.end_array();
        } else {
            match e.name_of(v) {
                Some(n) => self.sink.str(n),
                None => self.sink.i128(v),
            }
        }
    }
}
