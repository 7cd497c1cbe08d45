//! Output sinks: the decoder pushes borrowed values here as it goes.
//!
//! The decoder never builds a tree of the input. It calls a [`Sink`] in document order:
//! `begin_object`, then for every emitted field `key` followed by exactly one value
//! (a scalar call, or a nested `begin_*`/`end_*` pair), then `end_object`.

pub mod columnar;
pub mod columns;
pub mod json;
pub mod partial;
pub mod record;
pub mod tree;

pub use columns::ColumnsOut;
pub use record::{NoRecords, RecordOut};

use crate::text::Encoding;

/// How byte strings (`bytes[N]`, byte-list constants) are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BytesStyle {
    /// Lower-case hex, two digits per byte: `"89504e47"`.
    #[default]
    Hex,
    /// Standard base64 with padding: `"iVBORw=="`.
    Base64,
    /// An array of numbers: `[137,80,78,71]`.
    Array,
}

/// A position in the input: an absolute byte offset and how many bits of that byte are
/// already consumed by bit fields (0..8; bits count from the end the struct's bit order
/// reads first).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct BitPos {
    pub byte: u64,
    pub bit: u8,
}

impl BitPos {
    /// Position in bits from the start of the input.
    pub fn bits(self) -> u64 {
        self.byte * 8 + self.bit as u64
    }
}

/// Receives decoded values in document order.
///
/// Keys are pre-rendered by the plan as JSON (`"sample_rate"` with quotes, already escaped),
/// so the writer copies them whole.
pub trait Sink {
    /// Sinks that show where every value lies (the hex view) set this. The decoder then calls
    /// [`Sink::value_start`] before and [`Sink::value_end`] after the value of every written
    /// field and array element (after `key`, before `span`), and skips its compiled paths,
    /// which write values without them. A constant, so that other sinks pay nothing.
    const POSITIONS: bool = false;
    /// Where the next value starts (only when [`Sink::POSITIONS`]). For a field placed with
    /// `at`, the position it jumped to.
    fn value_start(&mut self, _at: BitPos) {}
    /// Where the value begun by the matching [`Sink::value_start`] ends, and the bytes it
    /// covers (with a bit field's, the whole bytes that hold it).
    fn value_end(&mut self, _at: BitPos, _bytes: &[u8]) {}
    /// Values from here to [`Sink::leave_buffer`] come from a buffer of their own (the
    /// bytes a `process` produced): their positions are offsets in that buffer.
    fn enter_buffer(&mut self) {}
    /// Ends [`Sink::enter_buffer`].
    fn leave_buffer(&mut self) {}
    fn begin_object(&mut self);
    fn end_object(&mut self);
    fn begin_array(&mut self);
    fn end_array(&mut self);
    /// The key of the next value, pre-rendered as a JSON string including its quotes.
    fn key(&mut self, json_key: &[u8]);
    /// Where the value of the field whose key was written last came from: absolute input
    /// offset and size in bytes. Called after the value. Only used for `--offsets`.
    fn span(&mut self, json_key: &[u8], offset: u64, size: u64);
    fn null(&mut self);
    fn bool(&mut self, v: bool);
    fn u64(&mut self, v: u64);
    fn i64(&mut self, v: i64);
    /// Integers from expressions (evaluated in i128).
    fn i128(&mut self, v: i128);
    /// Floats that came from 64-bit input (or expressions).
    fn f64(&mut self, v: f64);
    /// Floats that came from 32-bit (or 16-bit) input: written shortest for f32.
    fn f32(&mut self, v: f32);
    /// Text already validated by the decoder for `enc` (or to be decoded lossily when `lossy`).
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool);
    /// A string known to be valid UTF-8 (enum member names, constants).
    fn str(&mut self, s: &str);
    /// Raw bytes, written in the configured [`BytesStyle`].
    fn bytes(&mut self, b: &[u8]);
    /// Called after every top-level record in records mode (writes the newline, may flush).
    fn end_record(&mut self) -> std::io::Result<()>;
    /// Flush everything written so far.
    fn finish(&mut self) -> std::io::Result<()>;
    /// Whether writing the output has failed (say, a reader that closed the pipe, as
    /// `| head` does): the decoder then stops between array elements instead of decoding
    /// the rest for nothing, and the caller reports the write error.
    fn failed(&self) -> bool {
        false
    }
    /// A position in the output that [`Sink::rewind`] can return to, taken before a record is
    /// decoded so that a record that fails half-way leaves no output. Writers only flush in
    /// `end_record`/`finish`, so the mark stays valid until the record ends.
    fn mark(&self) -> usize {
        0
    }
    /// Drops everything written after `mark`.
    fn rewind(&mut self, _mark: usize) {}
    /// What the sink lends to compiled record programs ([`record`]); [`NoRecords`] for
    /// sinks that take none.
    type Out: RecordOut;
    /// The decoder's fast path for structs it has compiled: when the sink can take a
    /// compiled value here (the JSON writer, compact or pretty, without `@offsets` or integer
    /// styles), it writes what precedes a value (a comma between array elements, in pretty
    /// output the line break and indent) and lends its [`RecordOut`]. The
    /// caller then writes exactly one value and calls [`Sink::raw_done`] (or
    /// [`Sink::raw_abort`]).
    fn raw_value(&mut self) -> Option<&mut Self::Out> {
        None
    }
    /// Ends a value written through [`Sink::raw_value`].
    fn raw_done(&mut self) {}
    /// Gives back a [`Sink::raw_value`] that was not written after all: drops what the
    /// writer put before it (a separator) and returns to the state before the call. A writer
    /// that lends its buffer through `raw_value` must implement this too.
    fn raw_abort(&mut self) {}
    /// Records mode's fast path: when the sink stands between top-level values and can take
    /// compiled values, it lends its [`RecordOut`] for whole records (each value ended with
    /// a newline) and says how much output ([`RecordOut::held`]) it may hold before the
    /// caller must stop and call [`Sink::raw_lines_done`], which may flush it.
    fn raw_lines(&mut self) -> Option<(&mut Self::Out, usize)> {
        None
    }
    /// Ends a run of lines written through [`Sink::raw_lines`]; flushes a full buffer and
    /// reports an earlier output error.
    fn raw_lines_done(&mut self) -> std::io::Result<()> {
        Ok(())
    }
    /// Records mode's column tier ([`columns`]): when the sink keeps values as columns and
    /// stands between top-level records, it lends its [`ColumnsOut`] for runs of whole
    /// fixed-layout records, and says how many records it takes before the caller must call
    /// [`Sink::raw_columns_done`] (which may write a full batch).
    fn raw_columns(&mut self) -> Option<(&mut dyn ColumnsOut, usize)> {
        None
    }
    /// Ends the runs written through [`Sink::raw_columns`]; writes a full batch and reports
    /// an output error.
    fn raw_columns_done(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that writes nothing (skipping records, `check`, benchmarks of the decoder alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl Sink for NullSink {
    type Out = NoRecords;

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
}
