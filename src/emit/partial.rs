//! `--partial`: a document cut by a data error is closed as valid JSON, with an `"@error"`
//! member where decoding stopped.

use std::io;

use super::Sink;
use crate::error::DataError;
use crate::text::Encoding;

/// Writes `{"message": …, "offset": …, "path": …}` for `e` (offset `base + e.offset`, a file
/// offset when the decoded range starts at `base`).
pub fn write_error<S: Sink>(sink: &mut S, e: &DataError, base: u64) {
    sink.begin_object();
    sink.key(b"\"message\"");
    sink.str(&e.kind.to_string());
    sink.key(b"\"offset\"");
    sink.u64(base + e.offset);
    sink.key(b"\"path\"");
    sink.str(&e.path_string());
    sink.end_object();
}

/// Passes values to `inner` and remembers the open containers, so that [`Partial::fail`]
/// can close them. A key is passed on with its value, so that a field whose value failed
/// leaves no key behind. Values take the decoder's general path (no [`Sink::raw_value`]):
/// a compiled value that fails half-way would leave half a value.
pub struct Partial<'w, S: Sink> {
    inner: &'w mut S,
    /// Open containers, innermost last: true for objects.
    open: Vec<bool>,
    key: Vec<u8>,
    has_key: bool,
}

impl<'w, S: Sink> Partial<'w, S> {
    pub fn new(inner: &'w mut S) -> Self {
        Partial {
            inner,
            open: Vec::new(),
            key: Vec::new(),
            has_key: false,
        }
    }

    pub fn get_mut(&mut self) -> &mut S {
        self.inner
    }

    #[inline]
    fn value(&mut self) {
        if self.has_key {
            self.has_key = false;
            self.inner.key(&self.key);
        }
    }

    /// Closes every open container, with `"@error"` in the innermost object (or, when no
    /// object is open, as `{"@error": …}` in the innermost array or at the top), then ends
    /// the document.
    pub fn fail(&mut self, e: &DataError, base: u64) -> io::Result<()> {
        self.has_key = false;
        let member = |s: &mut S| {
            s.key(b"\"@error\"");
            write_error(s, e, base);
        };
        match self.open.iter().rposition(|&obj| obj) {
            Some(i) => {
                for _ in i + 1..self.open.len() {
                    self.inner.end_array();
                }
                self.open.truncate(i + 1);
                member(self.inner);
            }
            None => {
                self.inner.begin_object();
                member(self.inner);
                self.inner.end_object();
            }
        }
        while let Some(obj) = self.open.pop() {
            if obj {
                self.inner.end_object();
            } else {
                self.inner.end_array();
            }
        }
        self.inner.end_record()
    }
}

impl<S: Sink> Sink for Partial<'_, S> {
    type Out = super::NoRecords;

    fn begin_object(&mut self) {
        self.value();
        self.open.push(true);
        self.inner.begin_object();
    }
    fn end_object(&mut self) {
        self.open.pop();
        self.inner.end_object();
    }
    fn begin_array(&mut self) {
        self.value();
        self.open.push(false);
        self.inner.begin_array();
    }
    fn end_array(&mut self) {
        self.open.pop();
        self.inner.end_array();
    }
    fn key(&mut self, json_key: &[u8]) {
        self.key.clear();
        self.key.extend_from_slice(json_key);
        self.has_key = true;
    }
    fn span(&mut self, json_key: &[u8], offset: u64, size: u64) {
        self.inner.span(json_key, offset, size);
    }
    fn null(&mut self) {
        self.value();
        self.inner.null();
    }
    fn bool(&mut self, v: bool) {
        self.value();
        self.inner.bool(v);
    }
    fn u64(&mut self, v: u64) {
        self.value();
        self.inner.u64(v);
    }
    fn i64(&mut self, v: i64) {
        self.value();
        self.inner.i64(v);
    }
    fn i128(&mut self, v: i128) {
        self.value();
        self.inner.i128(v);
    }
    fn f64(&mut self, v: f64) {
        self.value();
        self.inner.f64(v);
    }
    fn f32(&mut self, v: f32) {
        self.value();
        self.inner.f32(v);
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, lossy: bool) {
        self.value();
        self.inner.text(raw, enc, lossy);
    }
    fn str(&mut self, s: &str) {
        self.value();
        self.inner.str(s);
    }
    fn bytes(&mut self, b: &[u8]) {
        self.value();
        self.inner.bytes(b);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::json::{JsonOptions, JsonWriter};
    use crate::error::DataErrorKind;

    fn run(f: impl FnOnce(&mut Partial<JsonWriter<Vec<u8>>>)) -> serde_json::Value {
        let mut w = JsonWriter::new(Vec::new(), JsonOptions::DEFAULT);
        let mut p = Partial::new(&mut w);
        f(&mut p);
        let mut e = DataError::new(6, DataErrorKind::Truncated { need: 4, left: 2 });
        e.path = vec![crate::error::PathSeg::Field("a".into())];
        p.fail(&e, 10).unwrap();
        w.finish().unwrap();
        let text = String::from_utf8(w.into_inner()).unwrap();
        assert!(text.ends_with('\n'), "{text:?}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn closes_with_error_in_the_innermost_object() {
        let v = run(|p| {
            p.begin_object();
            p.key(b"\"x\"");
            p.u64(1);
            p.key(b"\"list\"");
            p.begin_array();
            p.u64(2);
            p.begin_object();
            p.key(b"\"y\"");
            p.u64(3);
            p.key(b"\"z\"");
        });
        assert_eq!(
            v,
            serde_json::json!({"x": 1, "list": [2, {"y": 3, "@error": {
                "message": "need 4 bytes, only 2 left", "offset": 16, "path": "a"}}]})
        );
    }

    #[test]
    fn arrays_are_closed_up_to_the_object() {
        let v = run(|p| {
            p.begin_object();
            p.key(b"\"list\"");
            p.begin_array();
            p.begin_array();
            p.u64(1);
        });
        assert_eq!(v["list"], serde_json::json!([[1]]));
        assert_eq!(v["@error"]["offset"], 16);
    }

    #[test]
    fn no_object_open() {
        let v = run(|p| {
            p.begin_array();
            p.u64(1);
        });
        assert_eq!(v[0], 1);
        assert_eq!(v[1]["@error"]["path"], "a");
        let v = run(|_| {});
        assert_eq!(v["@error"]["message"], "need 4 bytes, only 2 left");
    }
}
