//! `--select PATH`: only the values at a path are written, each as a top-level value (one
//! NDJSON line each with `-o ndjson`), as the decoder reaches them.
//!
//! [`Select`] wraps the writer and follows the document as the decoder walks it: values on
//! the way to the path are decoded but not written; a selected value is passed on whole and
//! ended with `end_record`. Memory is the depth of the path, not the document: with
//! `packets[*]` each packet is written as soon as it is decoded.

pub mod path;
mod target;

use std::io;

pub use path::{Path, PathError, Step, parse};
pub use target::selected_struct;

use crate::emit::Sink;
use crate::error::DataError;
use crate::text::Encoding;

/// A step with its field name rendered as a JSON key, as the decoder passes keys.
#[derive(Debug)]
enum Want {
    Key(Vec<u8>),
    Index(u64),
    All,
}

/// Where a value begins, relative to the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    /// Inside a selected value: passed on.
    Inside,
    /// A value the path selects.
    Selected,
    /// A container the path goes through.
    OnPath,
    /// Anything else: dropped.
    Off,
}

/// Which buffer a [`Sink::raw_value`] was lent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Raw {
    None,
    /// The writer's, for a value inside a selection (`starts`: it began the selection).
    Inner {
        starts: bool,
        bumped: bool,
    },
}

/// Writes only the values at a path; see the module docs.
pub struct Select<'w, S: Sink> {
    inner: &'w mut S,
    want: Vec<Want>,
    /// Containers along the path that are open, outermost first: the next index for
    /// arrays, None for objects.
    live: Vec<Option<u64>>,
    /// Containers open inside a value off the path.
    dead: usize,
    /// Containers open inside the selected value.
    inside: usize,
    /// A selected value is being written.
    selecting: bool,
    /// The last key matched the path's next step.
    key_match: bool,
    root_seen: bool,
    /// The writer's mark before the selected value (so that a value cut by an error is
    /// taken back).
    mark: usize,
    raw: Raw,
    /// Values written.
    pub found: u64,
    /// An array that a `[*]` step goes through was reached.
    pub reached_all: bool,
}

impl<'w, S: Sink> Select<'w, S> {
    pub fn new(inner: &'w mut S, path: &Path) -> Self {
        let want = path
            .steps
            .iter()
            .map(|s| match s {
                Step::Field(n) => Want::Key(serde_json::to_vec(n).unwrap_or_default()),
                Step::Index(i) => Want::Index(*i),
                Step::All => Want::All,
            })
            .collect();
        Select {
            inner,
            want,
            live: Vec::new(),
            dead: 0,
            inside: 0,
            selecting: false,
            key_match: false,
            root_seen: false,
            mark: 0,
            raw: Raw::None,
            found: 0,
            reached_all: false,
        }
    }

    pub fn get_mut(&mut self) -> &mut S {
        self.inner
    }

    /// After a data error: takes back a selected value that the error cut, and with
    /// `partial` writes `{"@error": …}` as one more top-level value.
    pub fn fail(&mut self, e: &DataError, base: u64, partial: bool) -> io::Result<()> {
        if self.selecting {
            self.inner.rewind(self.mark);
            self.selecting = false;
        }
        if partial {
            self.inner.begin_object();
            self.inner.key(b"\"@error\"");
            crate::emit::partial::write_error(self.inner, e, base);
            self.inner.end_object();
        }
        self.inner.end_record()
    }

    /// Where the next value is, and whether it moves the index of the array it is in; no
    /// state changes.
    fn locate(&self) -> (At, bool) {
        if self.selecting {
            return (At::Inside, false);
        }
        if self.dead > 0 {
            return (At::Off, false);
        }
        let Some(parent) = self.live.last() else {
            // the root: the path starts inside it
            return (if self.root_seen { At::Off } else { At::OnPath }, false);
        };
        let step = &self.want[self.live.len() - 1];
        let (hit, bumped) = match (parent, step) {
            (None, Want::Key(_)) => (self.key_match, false),
            (None, _) => (false, false),
            (Some(i), Want::Index(n)) => (i == n, true),
            (Some(_), Want::All) => (true, true),
            (Some(_), Want::Key(_)) => (false, true),
        };
        let at = match hit {
            true if self.live.len() == self.want.len() => At::Selected,
            true => At::OnPath,
            false => At::Off,
        };
        (at, bumped)
    }

    /// A [`Sink::raw_value`] the writer declined: the value comes as events instead.
    #[inline]
    fn undo_declined(&mut self) {
        if let Raw::Inner { starts, bumped } = self.raw {
            self.raw = Raw::None;
            if starts {
                self.selecting = false;
            }
            self.unbump(bumped);
        }
    }

    fn bump(&mut self, bumped: bool) {
        if bumped && let Some(Some(i)) = self.live.last_mut() {
            *i += 1;
        }
    }

    fn unbump(&mut self, bumped: bool) {
        if bumped && let Some(Some(i)) = self.live.last_mut() {
            *i -= 1;
        }
    }

    /// A scalar: passed on when selected or inside a selection.
    #[inline]
    fn scalar(&mut self, f: impl FnOnce(&mut S)) {
        self.undo_declined();
        let (at, bumped) = self.locate();
        self.bump(bumped);
        match at {
            At::Inside => f(self.inner),
            At::Selected => {
                self.start();
                f(self.inner);
                self.end();
            }
            At::OnPath => self.root_seen = true,
            At::Off => {}
        }
    }

    fn begin(&mut self, array: bool) {
        self.undo_declined();
        let (at, bumped) = self.locate();
        self.bump(bumped);
        match at {
            At::Inside => {
                self.inside += 1;
                self.pass_begin(array);
            }
            At::Selected => {
                self.start();
                self.inside = 1;
                self.pass_begin(array);
            }
            At::OnPath => {
                self.root_seen = true;
                let depth = self.live.len();
                if array && matches!(self.want.get(depth), Some(Want::All)) {
                    self.reached_all = true;
                }
                self.live.push(array.then_some(0));
                self.key_match = false;
            }
            At::Off => self.dead += 1,
        }
    }

    fn close(&mut self, array: bool) {
        if self.selecting {
            if array {
                self.inner.end_array();
            } else {
                self.inner.end_object();
            }
            self.inside -= 1;
            if self.inside == 0 {
                self.end();
            }
        } else if self.dead > 0 {
            self.dead -= 1;
        } else {
            self.live.pop();
        }
    }

    fn pass_begin(&mut self, array: bool) {
        if array {
            self.inner.begin_array();
        } else {
            self.inner.begin_object();
        }
    }

    fn start(&mut self) {
        self.mark = self.inner.mark();
        self.selecting = true;
    }

    fn end(&mut self) {
        self.selecting = false;
        self.found += 1;
        // an output error is kept by the writer and returned by `finish`
        let _ = self.inner.end_record();
    }
}

impl<S: Sink> Sink for Select<'_, S> {
    type Out = S::Out;

    fn begin_object(&mut self) {
        self.begin(false);
    }
    fn end_object(&mut self) {
        self.close(false);
    }
    fn begin_array(&mut self) {
        self.begin(true);
    }
    fn end_array(&mut self) {
        self.close(true);
    }
    fn key(&mut self, json_key: &[u8]) {
        if self.selecting {
            self.inner.key(json_key);
        } else if self.dead == 0 && !self.live.is_empty() {
            self.key_match = matches!(
                self.want.get(self.live.len() - 1),
                Some(Want::Key(k)) if k == json_key
            );
        }
    }
    fn span(&mut self, json_key: &[u8], offset: u64, size: u64) {
        if self.selecting {
            self.inner.span(json_key, offset, size);
        }
    }
    fn null(&mut self) {
        self.scalar(|s| s.null());
    }
    fn bool(&mut self, v: bool) {
        self.scalar(|s| s.bool(v));
    }
    fn u64(&mut self, v: u64) {
        self.scalar(|s| s.u64(v));
    }
    fn i64(&mut self, v: i64) {
        self.scalar(|s| s.i64(v));
    }
    fn i128(&mut self, v: i128) {
        self.scalar(|s| s.i128(v));
    }
    fn f64(&mut self, v: f64) {
        self.scalar(|s| s.f64(v));
    }
    fn f32(&mut self, v: f32) {
        self.scalar(|s| s.f32(v));
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool) {
        self.scalar(|s| s.text(raw, enc, lossy));
    }
    fn str(&mut self, v: &str) {
        self.scalar(|s| s.str(v));
    }
    fn bytes(&mut self, b: &[u8]) {
        self.scalar(|s| s.bytes(b));
    }
    fn end_record(&mut self) -> io::Result<()> {
        self.inner.end_record()
    }
    fn failed(&self) -> bool {
        self.inner.failed()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
    fn raw_value(&mut self) -> Option<&mut S::Out> {
        let (at, bumped) = self.locate();
        match at {
            // a value on the path is walked through, not written whole; a value off the
            // path comes as events, which are dropped
            At::OnPath | At::Off => None,
            At::Inside | At::Selected => {
                let starts = at == At::Selected;
                self.bump(bumped);
                if starts {
                    self.start();
                }
                // if the writer does not lend its buffer, the value's events follow and
                // `undo_declined` takes this back
                self.raw = Raw::Inner { starts, bumped };
                self.inner.raw_value()
            }
        }
    }
    fn raw_done(&mut self) {
        match std::mem::replace(&mut self.raw, Raw::None) {
            Raw::Inner { starts, .. } => {
                self.inner.raw_done();
                if starts {
                    self.end();
                }
            }
            Raw::None => {}
        }
    }
    fn raw_abort(&mut self) {
        match std::mem::replace(&mut self.raw, Raw::None) {
            Raw::Inner { starts, bumped } => {
                self.inner.raw_abort();
                if starts {
                    self.selecting = false;
                }
                self.unbump(bumped);
            }
            Raw::None => {}
        }
    }
}
