//! The JSON writer (compact, pretty, NDJSON).
//!
//! [`JsonWriter`] implements [`Sink`] by appending to an internal byte buffer, which is
//! written to the output only when it grows past 1 MiB (checked in `end_record`,
//! `end_object`, `end_array`; the last two not while a record is under a [`Sink::mark`])
//! and in `finish`. No value allocates.
//!
//! Layout rules:
//! - [`Style::Compact`]: no whitespace; the document is followed by one `\n` (written by
//!   `end_record` or `finish`, whichever comes first).
//! - [`Style::Ndjson`]: like compact; every top-level value ends with `\n` (`end_record`).
//!   Compact and NDJSON produce identical bytes for identical calls: top-level values
//!   are always separated by a newline. The style only tells the caller how to drive the
//!   writer (records as top-level values, or wrapped in an array).
//! - [`Style::Pretty`]: as `jq .` / `serde_json::to_string_pretty`: two-space indent,
//!   `"key": value`, `[]` and `{}` for empty containers, a newline after each top-level
//!   value. Two exceptions keep output readable: byte strings in [`BytesStyle::Array`]
//!   form are written on one line as `[137, 80, 78, 71]`, and each `@offsets` entry is
//!   one line, `"magic": [0, 4]`.
//!
//! Strings are written as UTF-8 (non-ASCII is not `\u`-escaped). Escapes: `\"` `\\` `\n`
//! `\r` `\t` `\b` `\f`, other control characters below 0x20 as `\u00xx` (lower-case hex);
//! 0x7f is written raw. Non-finite floats are written as the strings `"NaN"`,
//! `"Infinity"` and `"-Infinity"`.
//!
//! With [`JsonOptions::offsets`], the spans reported by [`Sink::span`] are gathered per
//! open object and written before its `}` as one extra member,
//! `"@offsets":{"<key>":[offset,size],...}`, in the order they were reported (the member
//! is left out if the object got no spans).

use std::cell::Cell;
use std::io::{self, Write};

use super::{BytesStyle, Sink};
use crate::text::{self, Encoding};

mod format;
mod record;
#[cfg(test)]
mod tests;

use format::*;
/// Formatting shared with the other text writers of `emit` (CSV).
pub(in crate::emit) use format::{escape_str, push_bytes, push_f32, push_f64, push_i64, push_u64};
pub use record::{JsonBuf, JsonValue};

/// Output layout; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Compact,
    Pretty,
    Ndjson,
}

/// How integers are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum IntStyle {
    /// JSON numbers, exact at any size: `255`, `18446744073709551615`.
    #[default]
    Number,
    /// Strings in Python's `hex()` form: `"0xff"`, `"-0x10"`.
    Hex,
    /// Numbers while JavaScript (and jq 1.6) can hold them exactly, `-(2^53-1)..=2^53-1`
    /// (`Number.isSafeInteger`); decimal strings outside: `"18446744073709551615"`.
    BigAsString,
}

/// Options of a [`JsonWriter`].
#[derive(Clone, Copy, Debug)]
pub struct JsonOptions {
    pub style: Style,
    pub bytes: BytesStyle,
    /// Write an `@offsets` member in every object that got [`Sink::span`] calls.
    pub offsets: bool,
    /// Added to every offset in `@offsets`: where the decoded input starts in its file
    /// (`--offset` carving), so that offsets are file offsets.
    pub offsets_base: u64,
    /// How integers are written.
    pub ints: IntStyle,
}

impl JsonOptions {
    /// Compact JSON, hex byte strings, integers as numbers, no offsets.
    pub const DEFAULT: JsonOptions = JsonOptions {
        style: Style::Compact,
        bytes: BytesStyle::Hex,
        offsets: false,
        offsets_base: 0,
        ints: IntStyle::Number,
    };
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions::DEFAULT
    }
}

/// The buffer is written out once it holds more than this many bytes.
const FLUSH_AT: usize = 1 << 20;

// Where the writer is inside the current container (or at the top level).
/// Nothing written yet in this container (or at the top level since the last newline).
const FIRST: u8 = 0;
/// At least one value written: the next needs a separator.
const REST: u8 = 1;
/// A key was just written: the value follows directly.
const AFTER_KEY: u8 = 2;

/// What [`Sink::rewind`] restores besides the buffer length.
#[derive(Clone, Copy, Debug, Default)]
struct Mark {
    state: u8,
    depth: usize,
    spans: usize,
    span_starts: usize,
    #[cfg(debug_assertions)]
    open: usize,
}

/// A streaming JSON writer; see the module docs for the output format.
///
/// Call [`Sink::finish`] at the end: bytes still buffered when the writer is dropped (or
/// turned back into its output with [`JsonWriter::into_inner`]) are not written.
///
/// Errors from the output are kept (the first one) and returned by the next
/// [`Sink::end_record`] or [`Sink::finish`]; after an error nothing more is written and
/// every later `end_record`/`finish` fails with an error of the same kind.
pub struct JsonWriter<W: Write> {
    /// The output buffer and bytes style (lent to compiled programs as one).
    jb: JsonBuf,
    state: u8,
    pretty: bool,
    offsets: bool,
    offsets_base: u64,
    ints: IntStyle,
    /// Number of open containers.
    depth: usize,
    /// `"key":[offset,size]` entries of all open objects, innermost last.
    spans: Vec<u8>,
    /// Where each open object's entries start in `spans` (one per open object).
    span_starts: Vec<usize>,
    error: Option<io::Error>,
    failed: Option<io::ErrorKind>,
    /// The writer state at the last [`Sink::mark`], for [`Sink::rewind`].
    mark: Cell<Mark>,
    /// Set by `mark`, cleared by `end_record`, `finish` and `rewind`. While set, the
    /// buffer is not flushed in `end_object`/`end_array`, so the mark stays valid.
    marked: Cell<bool>,
    /// The buffer is written to `out` when it grows past this (see [`JsonWriter::keep_all`]).
    flush_at: usize,
    /// Buffer length and state before the last [`Sink::raw_value`], for [`Sink::raw_abort`].
    raw_undo: (usize, u8),
    out: W,
    /// Open containers (`true` = object), to catch call-order mistakes in debug builds.
    #[cfg(debug_assertions)]
    open: Vec<bool>,
}

impl<W: Write> JsonWriter<W> {
    pub fn new(out: W, opts: JsonOptions) -> Self {
        JsonWriter {
            // Grows to ~2 MiB when used to the full; small jobs stay small.
            jb: JsonBuf::new(Vec::with_capacity(64 << 10), opts.bytes),
            state: FIRST,
            pretty: opts.style == Style::Pretty,
            offsets: opts.offsets,
            offsets_base: opts.offsets_base,
            ints: opts.ints,
            depth: 0,
            spans: Vec::new(),
            span_starts: Vec::new(),
            error: None,
            failed: None,
            mark: Cell::new(Mark::default()),
            marked: Cell::new(false),
            flush_at: FLUSH_AT,
            raw_undo: (0, FIRST),
            out,
            #[cfg(debug_assertions)]
            open: Vec::new(),
        }
    }

    /// Sets [`JsonOptions::offsets_base`] (known once the input is open).
    pub fn set_offsets_base(&mut self, base: u64) {
        self.offsets_base = base;
    }

    /// Keeps all output in the buffer until [`JsonWriter::swap_buffer`] takes it (parallel
    /// workers format a chunk in memory and hand the buffer over without copying it).
    pub fn keep_all(mut self) -> Self {
        self.flush_at = usize::MAX;
        self
    }

    /// Replaces the buffer with `buf` (emptied) and returns what was written so far.
    pub fn swap_buffer(&mut self, mut buf: Vec<u8>) -> Vec<u8> {
        buf.clear();
        std::mem::replace(&mut self.jb.w.buf, buf)
    }

    /// Bytes produced but not yet flushed to `out`.
    #[inline]
    pub fn buffered(&self) -> &[u8] {
        &self.jb.w.buf
    }

    /// Moves the buffered bytes out (appending them to `into`) and leaves the buffer empty
    /// with its capacity. For parallel workers that format into memory and hand buffers to
    /// an ordered writer. Bytes already flushed to `out` (the buffer passed 1 MiB at an
    /// `end_*` call) precede the bytes moved here.
    #[inline]
    pub fn take_buffered(&mut self, into: &mut Vec<u8>) {
        into.extend_from_slice(&self.jb.w.buf);
        self.jb.w.buf.clear();
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The output, without flushing: call [`Sink::finish`] first.
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes the buffer to `out` (unless an earlier write failed) and empties it.
    #[cold]
    #[inline(never)]
    fn flush_buf(&mut self) {
        if self.failed.is_none()
            && !self.jb.w.buf.is_empty()
            && let Err(e) = self.out.write_all(&self.jb.w.buf)
        {
            self.failed = Some(e.kind());
            self.error = Some(e);
        }
        self.jb.w.buf.clear();
    }

    /// Flushes a full buffer unless a record is in progress under a [`Sink::mark`].
    #[inline]
    fn flush_if_full(&mut self) {
        if self.jb.w.buf.len() > self.flush_at && !self.marked.get() {
            self.flush_buf();
        }
    }

    #[inline]
    fn result(&mut self) -> io::Result<()> {
        match self.failed {
            None => Ok(()),
            Some(kind) => Err(self.error.take().unwrap_or_else(|| {
                io::Error::new(kind, "an earlier write of the JSON output failed")
            })),
        }
    }

    /// Ends the current top-level value with a newline.
    #[inline]
    fn end_line(&mut self) {
        if self.depth == 0 && self.state == REST {
            self.jb.w.buf.push(b'\n');
            self.state = FIRST;
        }
    }

    /// Writes what goes before a value: a separator (and in pretty style the indent),
    /// nothing after a key.
    #[inline(always)]
    fn before_value(&mut self) {
        #[cfg(debug_assertions)]
        self.check_value();
        let st = self.state;
        self.state = REST;
        if st == AFTER_KEY {
            return;
        }
        if self.pretty {
            self.before_value_pretty(st);
        } else if st == REST {
            self.jb
                .w
                .buf
                .push(if self.depth == 0 { b'\n' } else { b',' });
        }
    }

    fn before_value_pretty(&mut self, st: u8) {
        if self.depth == 0 {
            if st == REST {
                self.jb.w.buf.push(b'\n');
            }
        } else {
            if st == REST {
                self.jb.w.buf.push(b',');
            }
            newline_indent(&mut self.jb.w.buf, self.depth);
        }
    }

    /// Closes a container: `close` is `}` or `]`.
    #[inline]
    fn close(&mut self, close: u8) {
        // Saturating: an unbalanced close (a caller bug, caught in debug builds) must not
        // turn into a huge pretty indent.
        self.depth = self.depth.saturating_sub(1);
        if self.pretty && self.state != FIRST {
            newline_indent(&mut self.jb.w.buf, self.depth);
        }
        self.jb.w.buf.push(close);
        self.state = REST;
        self.flush_if_full();
    }

    /// Writes the `@offsets` member of the object being closed, if it got spans.
    #[inline(never)]
    fn write_offsets(&mut self) {
        let Some(start) = self.span_starts.pop() else {
            return;
        };
        if self.spans.len() == start {
            return;
        }
        if self.state == REST {
            self.jb.w.buf.push(b',');
        }
        if self.pretty {
            newline_indent(&mut self.jb.w.buf, self.depth);
            self.jb.w.buf.extend_from_slice(b"\"@offsets\": {");
            self.jb.w.buf.extend_from_slice(&self.spans[start..]);
            newline_indent(&mut self.jb.w.buf, self.depth);
        } else {
            self.jb.w.buf.extend_from_slice(b"\"@offsets\":{");
            self.jb.w.buf.extend_from_slice(&self.spans[start..]);
        }
        self.jb.w.buf.push(b'}');
        self.spans.truncate(start);
        self.state = REST;
    }

    /// An integer in [`IntStyle::Hex`] or [`IntStyle::BigAsString`] (after `before_value`).
    #[inline(never)]
    fn styled_int(&mut self, v: i128) {
        /// `Number.MAX_SAFE_INTEGER`: the largest integer that every JSON reader built on
        /// doubles (JavaScript, jq 1.6) reads back exactly, with all below it.
        const SAFE: u128 = (1 << 53) - 1;
        let b = &mut self.jb.w.buf;
        match self.ints {
            IntStyle::Hex => {
                let sign = if v < 0 { "-" } else { "" };
                b.extend_from_slice(format!("\"{sign}{:#x}\"", v.unsigned_abs()).as_bytes());
            }
            IntStyle::BigAsString if v.unsigned_abs() > SAFE => {
                b.push(b'"');
                extend(b, itoa::Buffer::new().format(v).as_bytes());
                b.push(b'"');
            }
            _ => extend(b, itoa::Buffer::new().format(v).as_bytes()),
        }
    }

    #[inline(never)]
    fn record_span(&mut self, json_key: &[u8], offset: u64, size: u64) {
        let Some(&start) = self.span_starts.last() else {
            return;
        };
        let s = &mut self.spans;
        if s.len() > start {
            s.push(b',');
        }
        if self.pretty {
            newline_indent(s, self.depth + 1);
            extend(s, json_key);
            s.extend_from_slice(b": [");
            push_u64(s, offset);
            s.extend_from_slice(b", ");
        } else {
            extend(s, json_key);
            s.extend_from_slice(b":[");
            push_u64(s, offset);
            s.push(b',');
        }
        push_u64(s, size);
        s.push(b']');
    }

    #[inline(never)]
    fn key_pretty(&mut self, json_key: &[u8]) {
        let buf = &mut self.jb.w.buf;
        if self.state == REST {
            buf.push(b',');
        }
        newline_indent(buf, self.depth);
        extend(buf, json_key);
        buf.extend_from_slice(b": ");
        self.state = AFTER_KEY;
    }

    #[inline(never)]
    fn text_slow(&mut self, raw: &[u8], enc: Encoding) {
        let buf = &mut self.jb.w.buf;
        match enc {
            Encoding::Utf8 => {
                for chunk in raw.utf8_chunks() {
                    escape_str(buf, chunk.valid().as_bytes());
                    if !chunk.invalid().is_empty() {
                        buf.extend_from_slice("\u{fffd}".as_bytes());
                    }
                }
            }
            Encoding::Ascii | Encoding::Latin1 | Encoding::Cp437 | Encoding::Mutf8 => {
                escape_ascii_compatible(buf, raw, enc)
            }
            Encoding::Utf16le | Encoding::Utf16be | Encoding::ShiftJis | Encoding::Whatwg(_) => {
                text::decode_chars(raw, enc, |c| push_char(buf, c))
            }
        }
    }

    fn bytes_slow(&mut self, b: &[u8]) {
        push_bytes(&mut self.jb.w.buf, b, self.jb.w.style, self.pretty);
    }

    #[cfg(debug_assertions)]
    fn check_value(&self) {
        if let Some(&true) = self.open.last() {
            assert_eq!(
                self.state, AFTER_KEY,
                "JsonWriter: value in an object without a key"
            );
        }
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    type Out = JsonBuf;

    #[inline]
    fn begin_object(&mut self) {
        self.before_value();
        self.jb.w.buf.push(b'{');
        self.depth += 1;
        self.state = FIRST;
        if self.offsets {
            self.span_starts.push(self.spans.len());
        }
        #[cfg(debug_assertions)]
        self.open.push(true);
    }

    #[inline]
    fn end_object(&mut self) {
        #[cfg(debug_assertions)]
        {
            assert_eq!(
                self.open.pop(),
                Some(true),
                "JsonWriter: end_object without an open object"
            );
            assert_ne!(self.state, AFTER_KEY, "JsonWriter: key without a value");
        }
        if self.offsets {
            self.write_offsets();
        }
        self.close(b'}');
    }

    #[inline]
    fn begin_array(&mut self) {
        self.before_value();
        self.jb.w.buf.push(b'[');
        self.depth += 1;
        self.state = FIRST;
        #[cfg(debug_assertions)]
        self.open.push(false);
    }

    #[inline]
    fn end_array(&mut self) {
        #[cfg(debug_assertions)]
        assert_eq!(
            self.open.pop(),
            Some(false),
            "JsonWriter: end_array without an open array"
        );
        self.close(b']');
    }

    #[inline]
    fn key(&mut self, json_key: &[u8]) {
        #[cfg(debug_assertions)]
        {
            assert_eq!(
                self.open.last(),
                Some(&true),
                "JsonWriter: key outside an object"
            );
            assert_ne!(self.state, AFTER_KEY, "JsonWriter: two keys in a row");
        }
        if self.pretty {
            return self.key_pretty(json_key);
        }
        let comma = usize::from(self.state == REST);
        self.state = AFTER_KEY;
        let n = json_key.len();
        self.jb.w.buf.reserve(n + 2);
        // SAFETY: `n + 2` bytes are reserved at `len`; the comma slot is always written
        // but only counted when needed, then `n` key bytes and the colon follow.
        unsafe {
            let len = self.jb.w.buf.len();
            let p = self.jb.w.buf.as_mut_ptr().add(len);
            *p = b',';
            let p = p.add(comma);
            copy_short(json_key.as_ptr(), p, n);
            *p.add(n) = b':';
            self.jb.w.buf.set_len(len + comma + n + 1);
        }
    }

    #[inline]
    fn span(&mut self, json_key: &[u8], offset: u64, size: u64) {
        if self.offsets {
            self.record_span(json_key, offset.saturating_add(self.offsets_base), size);
        }
    }

    #[inline]
    fn null(&mut self) {
        self.before_value();
        self.jb.w.buf.extend_from_slice(b"null");
    }

    #[inline]
    fn bool(&mut self, v: bool) {
        self.before_value();
        extend(&mut self.jb.w.buf, if v { b"true" } else { b"false" });
    }

    #[inline]
    fn u64(&mut self, v: u64) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(i128::from(v));
        }
        push_u64(&mut self.jb.w.buf, v);
    }

    #[inline]
    fn i64(&mut self, v: i64) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(i128::from(v));
        }
        push_i64(&mut self.jb.w.buf, v);
    }

    #[inline]
    fn i128(&mut self, v: i128) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(v);
        }
        extend(&mut self.jb.w.buf, itoa::Buffer::new().format(v).as_bytes());
    }

    #[inline]
    fn f64(&mut self, v: f64) {
        self.before_value();
        push_f64(&mut self.jb.w.buf, v);
    }

    #[inline]
    fn f32(&mut self, v: f32) {
        self.before_value();
        push_f32(&mut self.jb.w.buf, v);
    }

    #[inline]
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool) {
        self.before_value();
        self.jb.w.buf.push(b'"');
        if matches!(enc, Encoding::Utf8 | Encoding::Ascii) && !lossy {
            debug_assert!(
                text::validate(raw, enc).is_ok(),
                "JsonWriter: unvalidated {enc:?} text"
            );
            escape_str(&mut self.jb.w.buf, raw);
        } else {
            self.text_slow(raw, enc);
        }
        self.jb.w.buf.push(b'"');
    }

    #[inline]
    fn str(&mut self, s: &str) {
        self.before_value();
        self.jb.w.buf.push(b'"');
        escape_str(&mut self.jb.w.buf, s.as_bytes());
        self.jb.w.buf.push(b'"');
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.before_value();
        self.bytes_slow(b);
    }

    #[inline]
    fn raw_value(&mut self) -> Option<&mut JsonBuf> {
        // the compiled writers write integers as numbers and no offsets: they defer
        if self.offsets || self.ints != IntStyle::Number {
            return None;
        }
        self.raw_undo = (self.jb.w.buf.len(), self.state);
        self.before_value();
        // pretty: the value's fields go one level deeper than the containers open now
        self.jb.indent = self.pretty.then_some(self.depth);
        Some(&mut self.jb)
    }

    #[inline]
    fn raw_abort(&mut self) {
        let (len, state) = self.raw_undo;
        self.jb.w.buf.truncate(len);
        self.state = state;
    }

    #[inline]
    fn raw_done(&mut self) {
        self.state = REST;
        // a document whose values all come from compiled programs (an array of records)
        // is written as it goes, like any other
        self.flush_if_full();
    }

    #[inline]
    fn raw_lines(&mut self) -> Option<(&mut JsonBuf, usize)> {
        if self.offsets || self.ints != IntStyle::Number || self.depth != 0 || self.state != FIRST {
            return None;
        }
        // a pretty top-level value ends with its own newline, as a compact line does
        self.jb.indent = self.pretty.then_some(0);
        Some((&mut self.jb, self.flush_at))
    }

    #[inline]
    fn raw_lines_done(&mut self) -> io::Result<()> {
        self.flush_if_full();
        self.result()
    }

    #[inline]
    fn failed(&self) -> bool {
        self.failed.is_some()
    }

    fn end_record(&mut self) -> io::Result<()> {
        self.end_line();
        self.marked.set(false);
        self.flush_if_full();
        self.result()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.end_line();
        self.marked.set(false);
        self.flush_buf();
        if self.failed.is_none()
            && let Err(e) = self.out.flush()
        {
            self.failed = Some(e.kind());
            self.error = Some(e);
        }
        self.result()
    }

    /// The buffer length; the writer state is kept alongside for [`Sink::rewind`]. Until
    /// the next `end_record`, `finish` or `rewind`, the buffer is not flushed (a record
    /// larger than 1 MiB stays in memory whole).
    #[inline]
    fn mark(&self) -> usize {
        self.marked.set(true);
        self.mark.set(Mark {
            state: self.state,
            depth: self.depth,
            spans: self.spans.len(),
            span_starts: self.span_starts.len(),
            #[cfg(debug_assertions)]
            open: self.open.len(),
        });
        self.jb.w.buf.len()
    }

    /// Drops the output written since `mark` and restores the writer state (open
    /// containers, separators, recorded spans) to what it was then.
    fn rewind(&mut self, mark: usize) {
        let active = self.marked.replace(false);
        debug_assert!(active, "JsonWriter: rewind without a mark");
        debug_assert!(
            mark <= self.jb.w.buf.len(),
            "JsonWriter: rewind past a flush"
        );
        if !active {
            return;
        }
        let m = self.mark.get();
        self.jb.w.buf.truncate(mark);
        self.state = m.state;
        self.depth = m.depth;
        self.spans.truncate(m.spans);
        self.span_starts.truncate(m.span_starts);
        #[cfg(debug_assertions)]
        self.open.truncate(m.open);
    }
}
