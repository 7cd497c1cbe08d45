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

use base64::Engine as _;

use super::{BytesStyle, Sink};
use crate::text::{self, Encoding};

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
    buf: Vec<u8>,
    state: u8,
    pretty: bool,
    offsets: bool,
    offsets_base: u64,
    ints: IntStyle,
    bytes_style: BytesStyle,
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
            buf: Vec::with_capacity(64 << 10),
            state: FIRST,
            pretty: opts.style == Style::Pretty,
            offsets: opts.offsets,
            offsets_base: opts.offsets_base,
            ints: opts.ints,
            bytes_style: opts.bytes,
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
        std::mem::replace(&mut self.buf, buf)
    }

    /// Bytes produced but not yet flushed to `out`.
    #[inline]
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Moves the buffered bytes out (appending them to `into`) and leaves the buffer empty
    /// with its capacity. For parallel workers that format into memory and hand buffers to
    /// an ordered writer. Bytes already flushed to `out` (the buffer passed 1 MiB at an
    /// `end_*` call) precede the bytes moved here.
    #[inline]
    pub fn take_buffered(&mut self, into: &mut Vec<u8>) {
        into.extend_from_slice(&self.buf);
        self.buf.clear();
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
            && !self.buf.is_empty()
            && let Err(e) = self.out.write_all(&self.buf)
        {
            self.failed = Some(e.kind());
            self.error = Some(e);
        }
        self.buf.clear();
    }

    /// Flushes a full buffer unless a record is in progress under a [`Sink::mark`].
    #[inline]
    fn flush_if_full(&mut self) {
        if self.buf.len() > self.flush_at && !self.marked.get() {
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
            self.buf.push(b'\n');
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
            self.buf.push(if self.depth == 0 { b'\n' } else { b',' });
        }
    }

    fn before_value_pretty(&mut self, st: u8) {
        if self.depth == 0 {
            if st == REST {
                self.buf.push(b'\n');
            }
        } else {
            if st == REST {
                self.buf.push(b',');
            }
            newline_indent(&mut self.buf, self.depth);
        }
    }

    /// Closes a container: `close` is `}` or `]`.
    #[inline]
    fn close(&mut self, close: u8) {
        // Saturating: an unbalanced close (a caller bug, caught in debug builds) must not
        // turn into a huge pretty indent.
        self.depth = self.depth.saturating_sub(1);
        if self.pretty && self.state != FIRST {
            newline_indent(&mut self.buf, self.depth);
        }
        self.buf.push(close);
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
            self.buf.push(b',');
        }
        if self.pretty {
            newline_indent(&mut self.buf, self.depth);
            self.buf.extend_from_slice(b"\"@offsets\": {");
            self.buf.extend_from_slice(&self.spans[start..]);
            newline_indent(&mut self.buf, self.depth);
        } else {
            self.buf.extend_from_slice(b"\"@offsets\":{");
            self.buf.extend_from_slice(&self.spans[start..]);
        }
        self.buf.push(b'}');
        self.spans.truncate(start);
        self.state = REST;
    }

    /// An integer in [`IntStyle::Hex`] or [`IntStyle::BigAsString`] (after `before_value`).
    #[inline(never)]
    fn styled_int(&mut self, v: i128) {
        /// `Number.MAX_SAFE_INTEGER`: the largest integer that every JSON reader built on
        /// doubles (JavaScript, jq 1.6) reads back exactly, with all below it.
        const SAFE: u128 = (1 << 53) - 1;
        let b = &mut self.buf;
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
        let buf = &mut self.buf;
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
        let buf = &mut self.buf;
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
            Encoding::Utf16le | Encoding::Utf16be => {
                text::decode_chars(raw, enc, |c| push_char(buf, c))
            }
        }
    }

    fn bytes_slow(&mut self, b: &[u8]) {
        push_bytes(&mut self.buf, b, self.bytes_style, self.pretty);
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
    #[inline]
    fn begin_object(&mut self) {
        self.before_value();
        self.buf.push(b'{');
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
        self.buf.push(b'[');
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
        self.buf.reserve(n + 2);
        // SAFETY: `n + 2` bytes are reserved at `len`; the comma slot is always written
        // but only counted when needed, then `n` key bytes and the colon follow.
        unsafe {
            let len = self.buf.len();
            let p = self.buf.as_mut_ptr().add(len);
            *p = b',';
            let p = p.add(comma);
            copy_short(json_key.as_ptr(), p, n);
            *p.add(n) = b':';
            self.buf.set_len(len + comma + n + 1);
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
        self.buf.extend_from_slice(b"null");
    }

    #[inline]
    fn bool(&mut self, v: bool) {
        self.before_value();
        extend(&mut self.buf, if v { b"true" } else { b"false" });
    }

    #[inline]
    fn u64(&mut self, v: u64) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(i128::from(v));
        }
        push_u64(&mut self.buf, v);
    }

    #[inline]
    fn i64(&mut self, v: i64) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(i128::from(v));
        }
        push_i64(&mut self.buf, v);
    }

    #[inline]
    fn i128(&mut self, v: i128) {
        self.before_value();
        if self.ints != IntStyle::Number {
            return self.styled_int(v);
        }
        extend(&mut self.buf, itoa::Buffer::new().format(v).as_bytes());
    }

    #[inline]
    fn f64(&mut self, v: f64) {
        self.before_value();
        push_f64(&mut self.buf, v);
    }

    #[inline]
    fn f32(&mut self, v: f32) {
        self.before_value();
        push_f32(&mut self.buf, v);
    }

    #[inline]
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool) {
        self.before_value();
        self.buf.push(b'"');
        if matches!(enc, Encoding::Utf8 | Encoding::Ascii) && !lossy {
            debug_assert!(
                text::validate(raw, enc).is_ok(),
                "JsonWriter: unvalidated {enc:?} text"
            );
            escape_str(&mut self.buf, raw);
        } else {
            self.text_slow(raw, enc);
        }
        self.buf.push(b'"');
    }

    #[inline]
    fn str(&mut self, s: &str) {
        self.before_value();
        self.buf.push(b'"');
        escape_str(&mut self.buf, s.as_bytes());
        self.buf.push(b'"');
    }

    #[inline]
    fn bytes(&mut self, b: &[u8]) {
        self.before_value();
        self.bytes_slow(b);
    }

    #[inline]
    fn raw_value(&mut self) -> Option<(&mut Vec<u8>, BytesStyle)> {
        // the compiled writers write integers as numbers and no offsets: they defer
        if self.pretty || self.offsets || self.ints != IntStyle::Number {
            return None;
        }
        self.raw_undo = (self.buf.len(), self.state);
        self.before_value();
        Some((&mut self.buf, self.bytes_style))
    }

    #[inline]
    fn raw_abort(&mut self) {
        let (len, state) = self.raw_undo;
        self.buf.truncate(len);
        self.state = state;
    }

    #[inline]
    fn raw_done(&mut self) {
        self.state = REST;
    }

    #[inline]
    fn raw_lines(&mut self) -> Option<(&mut Vec<u8>, BytesStyle, usize)> {
        if self.pretty
            || self.offsets
            || self.ints != IntStyle::Number
            || self.depth != 0
            || self.state != FIRST
        {
            return None;
        }
        Some((&mut self.buf, self.bytes_style, self.flush_at))
    }

    #[inline]
    fn raw_lines_done(&mut self) -> io::Result<()> {
        self.flush_if_full();
        self.result()
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
        self.buf.len()
    }

    /// Drops the output written since `mark` and restores the writer state (open
    /// containers, separators, recorded spans) to what it was then.
    fn rewind(&mut self, mark: usize) {
        let active = self.marked.replace(false);
        debug_assert!(active, "JsonWriter: rewind without a mark");
        debug_assert!(mark <= self.buf.len(), "JsonWriter: rewind past a flush");
        if !active {
            return;
        }
        let m = self.mark.get();
        self.buf.truncate(mark);
        self.state = m.state;
        self.depth = m.depth;
        self.spans.truncate(m.spans);
        self.span_starts.truncate(m.span_starts);
        #[cfg(debug_assertions)]
        self.open.truncate(m.open);
    }
}

/// Escape of each byte in a JSON string: 0 = copied as is, `u` = `\u00xx`, otherwise the
/// character after the backslash.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

static HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Two lower-case hex digits of every byte.
static HEX2: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_DIGITS[i >> 4], HEX_DIGITS[i & 15]];
        i += 1;
    }
    t
};

/// Appends `s` to `buf`: like `extend_from_slice`, but short slices (the common case:
/// keys, numbers, short strings) are copied inline instead of through a `memcpy` call.
#[inline(always)]
pub(crate) fn extend(buf: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    let len = buf.len();
    if n <= 32 && buf.capacity() - len >= n {
        // SAFETY: `n` bytes of spare capacity exist at `len`, and are initialized after.
        unsafe {
            copy_short(s.as_ptr(), buf.as_mut_ptr().add(len), n);
            buf.set_len(len + n);
        }
    } else {
        buf.extend_from_slice(s);
    }
}

/// Copies `n` bytes from `src` to `dst` (non-overlapping), inline for `n <= 32`.
///
/// # Safety
/// `src` must be valid for reading `n` bytes and `dst` for writing `n` bytes.
#[inline(always)]
pub(crate) unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    // Each pair of copies covers the range from both ends (overlapping in the middle),
    // so every read is within `src[..n]` and every write within `dst[..n]`.
    unsafe {
        if n > 32 {
            std::ptr::copy_nonoverlapping(src, dst, n);
        } else if n >= 16 {
            let a = src.cast::<u128>().read_unaligned();
            let b = src.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(a);
            dst.add(n - 16).cast::<u128>().write_unaligned(b);
        } else if n >= 8 {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
    }
}

/// `"00"`, `"01"`, ... `"99"`.
static DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Number of decimal digits of `n` (1 for 0).
#[inline(always)]
fn decimal_len(n: u64) -> usize {
    // floor(log10(2^bits)) via 1233/4096 ~ log10(2), then corrected with one comparison.
    // `n | 1` makes 0 count as 1 digit (powers of ten above 1 are even, so nothing else
    // changes).
    let n = n | 1;
    let t = (((64 - n.leading_zeros()) * 1233) >> 12) as usize;
    t + 1 - usize::from(n < POW10[t])
}

/// Appends the decimal digits of `n`, formatted straight into the buffer (no copy out of
/// a scratch buffer, which would stall on store forwarding).
#[inline(always)]
pub(crate) fn push_u64(buf: &mut Vec<u8>, n: u64) {
    buf.reserve(20);
    let len = buf.len();
    // SAFETY: 20 bytes (the most a u64 takes) are reserved at `len` and the digits written
    // there are initialized.
    unsafe {
        let k = write_u64_at(buf.as_mut_ptr().add(len), n);
        buf.set_len(len + k);
    }
}

/// Writes the decimal digits of `n` at `dst` and returns how many (at most 20).
///
/// # Safety
/// `dst` must be valid for writing 20 bytes.
#[inline(always)]
pub(crate) unsafe fn write_u64_at(dst: *mut u8, mut n: u64) -> usize {
    let digits = decimal_len(n);
    // SAFETY: the loop writes exactly the positions `0..digits` from the right (every
    // write below is at `end - 2` or `end - 1` with `end` counting down from `digits`
    // to 0), all within the 20 bytes the caller provides.
    unsafe {
        let pair = |d: usize| DIGITS2.as_ptr().add(2 * d);
        let mut end = digits;
        while n >= 10_000 {
            let r = (n % 10_000) as usize;
            n /= 10_000;
            end -= 4;
            std::ptr::copy_nonoverlapping(pair(r / 100), dst.add(end), 2);
            std::ptr::copy_nonoverlapping(pair(r % 100), dst.add(end + 2), 2);
        }
        let mut n = n as usize;
        if n >= 100 {
            end -= 2;
            std::ptr::copy_nonoverlapping(pair(n % 100), dst.add(end), 2);
            n /= 100;
        }
        if n >= 10 {
            end -= 2;
            std::ptr::copy_nonoverlapping(pair(n), dst.add(end), 2);
        } else {
            end -= 1;
            *dst.add(end) = b'0' + n as u8;
        }
        debug_assert_eq!(end, 0);
    }
    digits
}

static SPACES: [u8; 32] = [b' '; 32];

#[inline]
fn newline_indent(buf: &mut Vec<u8>, depth: usize) {
    buf.push(b'\n');
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        extend(buf, &SPACES[..k]);
        n -= k;
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes in `w` needs escaping (or, with `NON_ASCII`, is >= 0x80).
#[inline(always)]
fn word_is_dirty<const NON_ASCII: bool>(w: u64) -> bool {
    // Standard SWAR tests: a byte below 0x20, equal to '"', equal to '\\'.
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * b'"' as u64);
    let q = q.wrapping_sub(LO) & !q;
    let b = w ^ (LO * b'\\' as u64);
    let b = b.wrapping_sub(LO) & !b;
    let hi = if NON_ASCII { w } else { 0 };
    (ctl | q | b | hi) & HI != 0
}

#[inline(always)]
fn byte_is_dirty<const NON_ASCII: bool>(b: u8) -> bool {
    ESCAPE[b as usize] != 0 || (NON_ASCII && b >= 0x80)
}

/// The index of the first byte at or after `i` that needs escaping (or, with `NON_ASCII`,
/// is >= 0x80), or `s.len()`.
#[inline(always)]
fn scan<const NON_ASCII: bool>(s: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap());
        if word_is_dirty::<NON_ASCII>(w) {
            break;
        }
        i += 8;
    }
    let n = s.len();
    if i < n && i + 8 > n {
        // Fewer than 8 bytes left and none checked: test them as one word (overlapping
        // bytes already known clean, or repeating some of the tail), so a clean tail
        // costs no byte loop.
        let w = if n >= 8 {
            u64::from_le_bytes(s[n - 8..].try_into().unwrap())
        } else {
            let t = &s[i..];
            if t.len() >= 4 {
                let lo = u32::from_le_bytes(t[..4].try_into().unwrap());
                let hi = u32::from_le_bytes(t[t.len() - 4..].try_into().unwrap());
                u64::from(lo) | (u64::from(hi) << 32)
            } else {
                let (a, b, c) = (t[0], t[t.len() / 2], t[t.len() - 1]);
                u64::from_le_bytes([a, b, c, a, a, a, a, a])
            }
        };
        if !word_is_dirty::<NON_ASCII>(w) {
            return n;
        }
    }
    while i < n && !byte_is_dirty::<NON_ASCII>(s[i]) {
        i += 1;
    }
    i
}

/// Writes the escape of an ASCII byte that needs one.
#[inline]
fn push_escape(buf: &mut Vec<u8>, b: u8) {
    match ESCAPE[b as usize] {
        b'u' => buf.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX_DIGITS[(b >> 4) as usize],
            HEX_DIGITS[(b & 15) as usize],
        ]),
        e => buf.extend_from_slice(&[b'\\', e]),
    }
}

/// Appends UTF-8 `s` escaped for a JSON string (without the quotes).
#[inline]
pub(crate) fn escape_str(buf: &mut Vec<u8>, s: &[u8]) {
    let mut i = scan::<false>(s, 0);
    if i == s.len() {
        extend(buf, s);
        return;
    }
    let mut start = 0;
    loop {
        extend(buf, &s[start..i]);
        if i == s.len() {
            return;
        }
        push_escape(buf, s[i]);
        start = i + 1;
        i = scan::<false>(s, start);
    }
}

/// Appends a char escaped for a JSON string.
#[inline]
fn push_char(buf: &mut Vec<u8>, c: char) {
    if c.is_ascii() {
        let b = c as u8;
        if ESCAPE[b as usize] == 0 {
            buf.push(b);
        } else {
            push_escape(buf, b);
        }
    } else {
        buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// Escapes text in an encoding whose bytes below 0x80 are ASCII characters (ascii,
/// latin1, cp437, mutf8): ASCII runs are copied whole, runs of bytes >= 0x80 transcoded.
fn escape_ascii_compatible(buf: &mut Vec<u8>, s: &[u8], enc: Encoding) {
    let mut start = 0;
    loop {
        let i = scan::<true>(s, start);
        buf.extend_from_slice(&s[start..i]);
        let Some(&b) = s.get(i) else {
            return;
        };
        if b < 0x80 {
            if b == 0 && enc == Encoding::Mutf8 {
                // A raw NUL is not modified UTF-8: same as `text::decode_chars`.
                buf.extend_from_slice("\u{fffd}".as_bytes());
            } else {
                push_escape(buf, b);
            }
            start = i + 1;
        } else {
            let end = s[i..]
                .iter()
                .position(|&b| b < 0x80)
                .map_or(s.len(), |n| i + n);
            let run = &s[i..end];
            if enc == Encoding::Latin1 {
                for &b in run {
                    buf.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                }
            } else {
                text::decode_chars(run, enc, |c| push_char(buf, c));
            }
            start = end;
        }
    }
}

/// Writes bytes as a JSON value in `style` (arrays get a space after commas when `pretty`).
pub(crate) fn push_bytes(buf: &mut Vec<u8>, b: &[u8], style: BytesStyle, pretty: bool) {
    match style {
        BytesStyle::Hex => {
            buf.reserve(2 * b.len() + 2);
            buf.push(b'"');
            let start = buf.len();
            // SAFETY: 2 * b.len() bytes are reserved at `start`; pair `i` goes to
            // `start + 2i`, so every byte up to the new length is written.
            unsafe {
                let dst = buf.as_mut_ptr().add(start).cast::<[u8; 2]>();
                for (i, &x) in b.iter().enumerate() {
                    dst.add(i).write(HEX2[x as usize]);
                }
                buf.set_len(start + 2 * b.len());
            }
            buf.push(b'"');
        }
        BytesStyle::Base64 => {
            buf.push(b'"');
            let n = base64::encoded_len(b.len(), true).expect("base64 length overflows");
            let start = buf.len();
            buf.resize(start + n, 0);
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(b, &mut buf[start..])
                .expect("base64 output sized exactly");
            debug_assert_eq!(written, n);
            buf.push(b'"');
        }
        BytesStyle::Array => {
            buf.push(b'[');
            let sep: &[u8] = if pretty { b", " } else { b"," };
            let mut n = itoa::Buffer::new();
            for (i, &x) in b.iter().enumerate() {
                if i > 0 {
                    buf.extend_from_slice(sep);
                }
                buf.extend_from_slice(n.format(x).as_bytes());
            }
            buf.push(b']');
        }
    }
}

/// Writes a signed integer.
#[inline(always)]
pub(crate) fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

/// Writes a float from 64-bit input: shortest round-trip text, non-finite as a string.
#[inline(always)]
pub(crate) fn push_f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        buf.reserve(FLOAT_MAX);
        // SAFETY: FLOAT_MAX bytes are reserved at `len`; `write_float_at` initializes the
        // bytes it counts.
        unsafe {
            let len = buf.len();
            let n = write_float_at(buf.as_mut_ptr().add(len), v);
            buf.set_len(len + n);
        }
    } else {
        push_non_finite(buf, v);
    }
}

/// Writes a float from 32-bit (or 16-bit) input: the shortest text that reads back to the
/// same f32.
#[inline(always)]
pub(crate) fn push_f32(buf: &mut Vec<u8>, v: f32) {
    if v.is_finite() {
        buf.reserve(FLOAT_MAX);
        // SAFETY: as in `push_f64`.
        unsafe {
            let len = buf.len();
            let n = write_float_at(buf.as_mut_ptr().add(len), v);
            buf.set_len(len + n);
        }
    } else {
        push_non_finite(buf, f64::from(v));
    }
}

/// The most bytes a finite float takes as text (`-2.2250738585072014e-308`).
pub(crate) const FLOAT_MAX: usize = 24;

/// Writes a finite float as the shortest text that reads back to the same value (`1.0`,
/// `0.1`, `1e+16`, `5e-324`: Python's `repr` style), returning its length.
///
/// # Safety
/// `dst` must be valid for writing [`FLOAT_MAX`] bytes; `v` must be finite.
#[inline(always)]
pub(crate) unsafe fn write_float_at<F: zmij::Float>(dst: *mut u8, v: F) -> usize {
    let mut b = zmij::Buffer::new();
    let s = b.format_finite(v);
    debug_assert!(s.len() <= FLOAT_MAX);
    // SAFETY: the text is at most FLOAT_MAX bytes, which the caller provides.
    unsafe { copy_short(s.as_ptr(), dst, s.len()) };
    s.len()
}

#[cold]
fn push_non_finite(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(if v.is_nan() {
        b"\"NaN\""
    } else if v > 0.0 {
        b"\"Infinity\""
    } else {
        b"\"-Infinity\""
    });
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
