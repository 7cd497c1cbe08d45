//! The annotated hex view (`unstruct view`): one line per value in document order, with its
//! input offset, its size, its bytes, its name indented by depth, and the value.
//!
//! ```text
//! offset     size  bytes                        field
//! 0000          4  52 49 46 46                  magic: "RIFF"
//! 0004          4  64 06 00 00                  size: 1636  0x664
//! 000c       1624                               chunks [2]
//! 000c         24                                 [0] {…}
//! ```
//!
//! [`ViewSink`] is a [`Sink`] with [`Sink::POSITIONS`]: the decoder tells it where each value
//! starts and ends. It streams: a line is written as soon as it is complete, except that
//! lines after a struct or array header wait (at most [`QUEUE`] of them) until the header
//! knows its size; past that the header is written with size `…` and a closing line gives
//! its span. Memory is bounded by the nesting depth and [`QUEUE`], not by the input.

mod line;

use std::collections::VecDeque;
use std::io::{self, Write};

use crate::emit::{BitPos, Sink};
use crate::error::DataError;
use crate::text::{self, Encoding};

pub use line::Layout;
use line::{Kind, Line, LineKind};

/// Lines held back at most while a header waits for its size.
pub const QUEUE: usize = 256;

/// How the view looks.
#[derive(Clone, Copy, Debug)]
pub struct ViewOptions {
    /// ANSI colours by kind of value.
    pub color: bool,
    /// Elements of an array shown before the rest is folded into one line (None: all).
    pub max_elems: Option<u64>,
    /// Column widths.
    pub layout: Layout,
}

/// A value begun by `value_start` (or the root) and not yet ended.
struct Open {
    start: BitPos,
    name: String,
    depth: usize,
    /// Inside a folded array element: nothing of it is shown.
    hidden: bool,
    /// Its offsets are in a buffer of its own (`process`).
    decoded: bool,
    state: State,
}

enum State {
    /// Started; nothing known yet.
    Pending,
    /// A scalar value, rendered.
    Leaf(String, Kind),
    /// A struct or an array.
    Container(Container),
}

struct Container {
    array: bool,
    header: Header,
    /// Elements begun (arrays).
    count: u64,
    /// Values written without a position of their own (the names of a flags enum), shown
    /// inline if the container has no other children.
    inline: Vec<String>,
    /// Nested inline containers being collected (a flags enum inside such a value).
    inline_depth: usize,
    /// Start of the first folded element.
    fold_start: Option<BitPos>,
    /// A child is shown, so the container needs its header line.
    wants_header: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Header {
    /// Not shown yet (it may still become an inline value such as `[]`).
    None,
    /// Waiting in the queue for its size: the id of its line.
    Queued(u64),
    /// Written without its size; a closing line gives the span.
    Written,
}

/// Writes the hex view of the values the decoder pushes.
pub struct ViewSink<W: Write> {
    out: W,
    opts: ViewOptions,
    error: Option<io::Error>,
    opens: Vec<Open>,
    key: Option<String>,
    queue: VecDeque<Line>,
    /// Id of the first line in `queue`.
    queue_front: u64,
    /// Queued headers still waiting for their size.
    waiting: usize,
    /// The furthest position a value ended at (the root's end).
    last_end: BitPos,
    /// Name of the root value.
    root: String,
    /// Added to every offset shown (where the decoded part starts in the file).
    shift: u64,
    /// Inside buffers of their own (`process`): offsets are in the buffer.
    in_buffer: usize,
}

impl<W: Write> ViewSink<W> {
    /// A view whose offsets are shown plus `shift` (where the decoded range starts in the
    /// file); `root` names the top-level value.
    pub fn new(shift: u64, root: &str, out: W, opts: ViewOptions) -> Self {
        ViewSink {
            out,
            opts,
            error: None,
            opens: Vec::new(),
            key: None,
            queue: VecDeque::new(),
            queue_front: 0,
            waiting: 0,
            last_end: BitPos::default(),
            root: root.to_string(),
            shift,
            in_buffer: 0,
        }
    }

    /// Writes the column titles.
    pub fn title(&mut self) {
        let t = self.opts.layout.title(self.opts.color);
        self.write(&t);
    }

    /// Shows a data error where decoding stopped, then closes every open value.
    pub fn fail(&mut self, e: &DataError) {
        let depth = match self.opens.last() {
            Some(o) if matches!(o.state, State::Container(_)) => o.depth + 1,
            Some(o) => o.depth,
            None => 0,
        };
        // the value that failed has no line of its own: drop it
        if self
            .opens
            .last()
            .is_some_and(|o| !matches!(o.state, State::Container(_)))
        {
            self.opens.pop();
        }
        for o in &mut self.opens {
            if let State::Container(c) = &mut o.state {
                c.wants_header = true;
            }
        }
        self.show_pending_headers();
        let at = BitPos {
            byte: e.offset,
            bit: 0,
        };
        let line = Line {
            id: 0,
            start: at,
            end: None,
            depth,
            name: e.path_string(),
            value: e.kind.to_string(),
            kind: LineKind::Error,
            value_kind: Kind::Error,
            bytes: e.here.clone(),
            decoded: false,
        };
        self.flush_queue();
        let text = self.opts.layout.render(&line, self.opts.color, self.shift);
        self.write(&text);
        self.opens.clear();
    }

    /// Ends the view: closes the root and flushes. Returns the first output error.
    pub fn finish_view(&mut self) -> io::Result<()> {
        while let Some(o) = self.opens.pop() {
            let end = self.last_end.max(o.start);
            self.close(o, end, &[]);
        }
        self.flush_queue();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }

    /// Gives the writer back.
    pub fn into_inner(self) -> W {
        self.out
    }

    // ------------------------------------------------------------ events

    fn hidden(&self) -> bool {
        self.opens.last().is_some_and(|o| o.hidden)
    }

    /// A scalar value, rendered by `render` unless it is hidden.
    fn scalar(&mut self, kind: Kind, render: impl FnOnce() -> String) {
        let Some(top) = self.opens.last_mut() else {
            return;
        };
        if top.hidden {
            return;
        }
        match &mut top.state {
            State::Pending => top.state = State::Leaf(render(), kind),
            State::Leaf(..) => {}
            State::Container(c) => c.inline.push(render()),
        }
    }

    fn begin(&mut self, array: bool) {
        match self.opens.last_mut() {
            None => {
                // the root: no value_start before it
                self.opens.push(Open {
                    start: self.last_end,
                    name: std::mem::take(&mut self.root),
                    depth: 0,
                    hidden: false,
                    decoded: false,
                    state: State::Container(Container::new(array)),
                });
            }
            Some(top) => match &mut top.state {
                State::Pending => top.state = State::Container(Container::new(array)),
                State::Container(c) => {
                    c.inline_depth += 1;
                    c.inline.push(if array { "[".into() } else { "{".into() });
                }
                State::Leaf(..) => {}
            },
        }
    }

    fn end(&mut self, array: bool) {
        if let Some(Open {
            state: State::Container(c),
            ..
        }) = self.opens.last_mut()
            && c.inline_depth > 0
        {
            c.inline_depth -= 1;
            c.inline.push(if array { "]".into() } else { "}".into() });
        }
    }

    fn start(&mut self, at: BitPos) {
        let key = self.key.take();
        let (depth, hidden, name) = match self.opens.last_mut() {
            None => (0, false, key.unwrap_or_default()),
            Some(parent) => {
                let depth = parent.depth + 1;
                let mut hidden = parent.hidden;
                let mut name = key.unwrap_or_default();
                if let State::Container(c) = &mut parent.state {
                    if c.array {
                        let i = c.count;
                        c.count += 1;
                        name = format!("[{i}]");
                        if !hidden && self.opts.max_elems.is_some_and(|m| i >= m) {
                            hidden = true;
                            c.fold_start.get_or_insert(at);
                        }
                    }
                    if !hidden {
                        c.wants_header = true;
                    }
                }
                (depth, hidden, name)
            }
        };
        if !hidden {
            self.show_pending_headers();
        }
        self.opens.push(Open {
            start: at,
            name,
            depth,
            hidden,
            decoded: self.in_buffer > 0,
            state: State::Pending,
        });
    }

    fn stop(&mut self, at: BitPos, bytes: &[u8]) {
        if self.in_buffer == 0 {
            self.last_end = self.last_end.max(at);
        }
        if let Some(o) = self.opens.pop() {
            self.close(o, at, bytes);
        }
    }

    // ------------------------------------------------------------ lines

    /// Queues the header lines that open containers now need (a child is about to show).
    fn show_pending_headers(&mut self) {
        for i in 0..self.opens.len() {
            let o = &self.opens[i];
            let State::Container(c) = &o.state else {
                continue;
            };
            if o.hidden || c.header != Header::None || !c.wants_header {
                continue;
            }
            let line = Line {
                id: 0,
                start: o.start,
                end: None,
                depth: o.depth,
                name: o.name.clone(),
                value: String::new(),
                kind: if c.array {
                    LineKind::ArrayHeader
                } else {
                    LineKind::StructHeader
                },
                value_kind: Kind::Header,
                bytes: Vec::new(),
                decoded: o.decoded,
            };
            let id = self.push(line, true);
            if let State::Container(c) = &mut self.opens[i].state {
                c.header = match id {
                    Some(id) => Header::Queued(id),
                    None => Header::Written,
                };
            }
        }
    }

    fn close(&mut self, o: Open, end: BitPos, bytes: &[u8]) {
        if o.hidden {
            return;
        }
        match o.state {
            State::Pending | State::Leaf(..) => {
                let (value, kind) = match o.state {
                    State::Leaf(v, k) => (v, k),
                    _ => (String::new(), Kind::Null),
                };
                self.push(
                    Line {
                        id: 0,
                        start: o.start,
                        end: Some(end),
                        depth: o.depth,
                        name: o.name,
                        value,
                        kind: LineKind::Leaf,
                        value_kind: kind,
                        // what the line can show, and one more to say it was cut
                        bytes: bytes[..bytes.len().min(self.opts.layout.hex_bytes * 8 + 1)]
                            .to_vec(),
                        decoded: o.decoded,
                    },
                    false,
                );
            }
            State::Container(c) => {
                let folded = c.fold_start.map(|s| (s, c.count - self.shown(&c)));
                match c.header {
                    Header::None => {
                        // no child was shown: an inline value (`[]`, `{}`, a flags enum)
                        let value = c.inline_value();
                        self.push(
                            Line {
                                id: 0,
                                start: o.start,
                                end: Some(end),
                                depth: o.depth,
                                name: o.name,
                                value,
                                kind: LineKind::Leaf,
                                value_kind: Kind::Enum,
                                bytes: Vec::new(),
                                decoded: o.decoded,
                            },
                            false,
                        );
                        return;
                    }
                    Header::Queued(id) => {
                        let count = c.array.then_some(c.count);
                        if let Some(l) = self.queued_mut(id) {
                            l.end = Some(end);
                            if let Some(n) = count {
                                l.value = format!("[{n}]");
                            }
                        }
                        self.waiting -= 1;
                    }
                    Header::Written => {}
                }
                if let Some((from, n)) = folded {
                    self.push(
                        Line {
                            id: 0,
                            start: from,
                            end: Some(end),
                            depth: o.depth + 1,
                            name: format!("… {n} more element{}", if n == 1 { "" } else { "s" }),
                            value: String::new(),
                            kind: LineKind::Fold,
                            value_kind: Kind::Header,
                            bytes: Vec::new(),
                            decoded: o.decoded,
                        },
                        false,
                    );
                }
                if c.header == Header::Written {
                    let value = if c.array {
                        format!("end [{}]", c.count)
                    } else {
                        "end".to_string()
                    };
                    self.push(
                        Line {
                            id: 0,
                            start: o.start,
                            end: Some(end),
                            depth: o.depth,
                            name: o.name,
                            value,
                            kind: LineKind::Footer,
                            value_kind: Kind::Header,
                            bytes: Vec::new(),
                            decoded: o.decoded,
                        },
                        false,
                    );
                }
                if self.waiting == 0 {
                    self.flush_queue();
                }
            }
        }
    }

    /// Elements of an array that were shown.
    fn shown(&self, c: &Container) -> u64 {
        self.opts.max_elems.map_or(c.count, |m| c.count.min(m))
    }

    /// Writes a line, or queues it while a header waits; returns its id when queued.
    fn push(&mut self, mut line: Line, header: bool) -> Option<u64> {
        if self.waiting == 0 && !header {
            self.write_line(&line);
            return None;
        }
        let id = self.queue_front + self.queue.len() as u64;
        line.id = id;
        self.queue.push_back(line);
        if header {
            self.waiting += 1;
        }
        if self.queue.len() > QUEUE {
            // too long to wait: headers go out without their size
            self.flush_queue();
            return if header { None } else { Some(id) };
        }
        Some(id)
    }

    fn queued_mut(&mut self, id: u64) -> Option<&mut Line> {
        let i = id.checked_sub(self.queue_front)?;
        self.queue.get_mut(i as usize)
    }

    /// Writes every queued line; headers still waiting are written without a size.
    fn flush_queue(&mut self) {
        while let Some(l) = self.queue.pop_front() {
            self.queue_front += 1;
            self.write_line(&l);
        }
        if self.waiting > 0 {
            self.waiting = 0;
            for o in &mut self.opens {
                if let State::Container(c) = &mut o.state
                    && matches!(c.header, Header::Queued(_))
                {
                    c.header = Header::Written;
                }
            }
        }
    }

    fn write_line(&mut self, l: &Line) {
        let text = self.opts.layout.render(l, self.opts.color, self.shift);
        self.write(&text);
    }

    fn write(&mut self, s: &str) {
        if self.error.is_none()
            && let Err(e) = self.out.write_all(s.as_bytes())
        {
            self.error = Some(e);
        }
    }
}

impl Container {
    fn new(array: bool) -> Self {
        Container {
            array,
            header: Header::None,
            count: 0,
            inline: Vec::new(),
            inline_depth: 0,
            fold_start: None,
            wants_header: false,
        }
    }

    fn inline_value(&self) -> String {
        let (open, close) = if self.array { ("[", "]") } else { ("{", "}") };
        let mut s = String::from(open);
        let mut first = true;
        for item in &self.inline {
            let opener = item == "[" || item == "{";
            let closer = item == "]" || item == "}";
            if !first && !closer {
                s.push_str(", ");
            }
            s.push_str(item);
            first = opener;
        }
        s.push_str(close);
        s
    }
}

impl<W: Write> Sink for ViewSink<W> {
    type Out = crate::emit::NoRecords;

    const POSITIONS: bool = true;

    fn value_start(&mut self, at: BitPos) {
        self.start(at);
    }
    fn value_end(&mut self, at: BitPos, bytes: &[u8]) {
        self.stop(at, bytes);
    }
    fn enter_buffer(&mut self) {
        self.in_buffer += 1;
    }
    fn leave_buffer(&mut self) {
        self.in_buffer = self.in_buffer.saturating_sub(1);
    }
    fn begin_object(&mut self) {
        self.begin(false);
    }
    fn end_object(&mut self) {
        self.end(false);
    }
    fn begin_array(&mut self) {
        self.begin(true);
    }
    fn end_array(&mut self) {
        self.end(true);
    }
    fn key(&mut self, json_key: &[u8]) {
        if self.hidden() {
            return;
        }
        let name = serde_json::from_slice::<String>(json_key)
            .unwrap_or_else(|_| String::from_utf8_lossy(json_key).into_owned());
        self.key = Some(name);
    }
    fn span(&mut self, _: &[u8], _: u64, _: u64) {}
    fn null(&mut self) {
        self.scalar(Kind::Null, || "null".into());
    }
    fn bool(&mut self, v: bool) {
        self.scalar(Kind::Bool, || v.to_string());
    }
    fn u64(&mut self, v: u64) {
        self.scalar(Kind::Int, || line::int(v as i128));
    }
    fn i64(&mut self, v: i64) {
        self.scalar(Kind::Int, || line::int(v as i128));
    }
    fn i128(&mut self, v: i128) {
        self.scalar(Kind::Int, || line::int(v));
    }
    fn f64(&mut self, v: f64) {
        self.scalar(Kind::Float, || v.to_string());
    }
    fn f32(&mut self, v: f32) {
        self.scalar(Kind::Float, || v.to_string());
    }
    fn text(&mut self, raw: &[u8], enc: Encoding, _lossy: bool) {
        self.scalar(Kind::Text, || {
            let mut s = String::new();
            text::decode_chars(raw, enc, |c| s.push(c));
            serde_json::to_string(&s).unwrap_or_default()
        });
    }
    fn str(&mut self, s: &str) {
        self.scalar(Kind::Enum, || s.to_string());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.scalar(Kind::Bytes, || line::ascii(b));
    }
    fn end_record(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}
