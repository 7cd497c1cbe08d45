//! One line of the hex view: its columns, cut to fit, and its colours.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Effects, Style};

use crate::emit::BitPos;

/// What a value is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Float,
    Text,
    Bytes,
    /// Enum member names, booleans, null, inline values.
    Enum,
    Bool,
    Null,
    Header,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineKind {
    Leaf,
    StructHeader,
    ArrayHeader,
    /// The closing line of a header that was written before its size was known.
    Footer,
    /// The folded elements of a long array.
    Fold,
    Error,
}

pub(super) struct Line {
    pub id: u64,
    pub start: BitPos,
    pub end: Option<BitPos>,
    pub depth: usize,
    pub name: String,
    pub value: String,
    pub kind: LineKind,
    pub value_kind: Kind,
    /// The input bytes shown (leaves; for errors, those at the offset), at most enough to
    /// fill the bytes column and say that it was cut.
    pub bytes: Vec<u8>,
    /// The offsets are in a buffer of its own (the bytes a `process` produced).
    pub decoded: bool,
}

/// Column widths.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Hex digits of an offset.
    pub offset_digits: usize,
    /// Bytes shown in the bytes column before it is cut with `…`.
    pub hex_bytes: usize,
    /// Columns a line may take (values are cut with `…` to fit); None: no limit.
    pub width: Option<usize>,
}

impl Layout {
    /// Widths for an input whose offsets go up to `max_offset`, on a screen `width` columns
    /// wide (None: not a terminal).
    pub fn new(max_offset: u64, width: Option<usize>) -> Layout {
        let digits = (64 - max_offset.leading_zeros() as usize)
            .div_ceil(4)
            .max(4);
        let hex_bytes = match width {
            // offset, size and a name and value of about 40 columns
            Some(w) => (w.saturating_sub(digits + 2 + 8 + 2 + 40) / 3).clamp(4, 16),
            None => 8,
        };
        Layout {
            offset_digits: digits,
            hex_bytes,
            width,
        }
    }

    fn hex_width(&self) -> usize {
        self.hex_bytes * 3 + 1
    }

    /// The column titles.
    pub(super) fn title(&self, color: bool) -> String {
        let text = format!(
            "{:<ow$}{:>8}  {:<hw$} field\n",
            "offset",
            "size",
            "bytes",
            ow = self.offset_digits + 2,
            hw = self.hex_width()
        );
        paint(&text, style_title(), color)
    }

    /// Renders `l`; `shift` is added to the offsets shown (in the input, not in a buffer of
    /// their own).
    pub(super) fn render(&self, l: &Line, color: bool, shift: u64) -> String {
        let bytes = &l.bytes[..];
        let mut out = String::new();
        // offset: hex, `.bit` for positions inside a byte; `+` for an offset in the bytes a
        // `process` produced
        let mut off = if l.decoded {
            format!("+{:0w$x}", l.start.byte, w = self.offset_digits)
        } else {
            format!("{:0w$x}", l.start.byte + shift, w = self.offset_digits)
        };
        if l.start.bit != 0 {
            let _ = write!(off, ".{}", l.start.bit);
        }
        let off = format!("{off:<w$}", w = self.offset_digits + 2);
        out.push_str(&paint(&off, style_dim(), color));
        // size: bytes, or bits for values that do not cover whole bytes
        let size = match (l.kind, l.end) {
            (LineKind::Error, _) => String::new(),
            (_, None) => "…".to_string(),
            // computed values take no bytes
            (LineKind::Leaf, Some(e)) if e == l.start => String::new(),
            (_, Some(e)) => {
                if l.start.bit == 0 && e.bit == 0 {
                    (e.byte.saturating_sub(l.start.byte)).to_string()
                } else {
                    format!("{}b", e.bits().saturating_sub(l.start.bits()))
                }
            }
        };
        out.push_str(&paint(&format!("{size:>8}"), style_dim(), color));
        out.push_str("  ");
        // bytes
        let bits = l.start.bit != 0 || l.end.is_some_and(|e| e.bit != 0);
        let total = match l.end {
            Some(e) => e.byte + u64::from(e.bit > 0) - l.start.byte,
            None => bytes.len() as u64,
        };
        let hex = match l.kind {
            LineKind::Leaf if bits => binary(bytes, self.hex_width() - 1),
            LineKind::Leaf | LineKind::Error => hex(bytes, total, self.hex_bytes),
            _ => String::new(),
        };
        let hex_cols = hex.chars().count();
        out.push_str(&paint(&hex, style_kind(l.value_kind), color));
        out.push_str(&" ".repeat(self.hex_width().saturating_sub(hex_cols) + 1));
        // name and value
        let used = self.offset_digits + 2 + 8 + 2 + self.hex_width() + 1 + 2 * l.depth;
        out.push_str(&"  ".repeat(l.depth));
        let room = |name: &str, sep: usize| {
            self.width
                .map(|w| w.saturating_sub(used + name.chars().count() + sep).max(12))
        };
        match l.kind {
            LineKind::Leaf => {
                out.push_str(&l.name);
                if !l.name.is_empty() {
                    out.push_str(": ");
                }
                let v = cut(&l.value, room(&l.name, 2));
                out.push_str(&paint(&v, style_kind(l.value_kind), color));
            }
            LineKind::StructHeader | LineKind::ArrayHeader => {
                out.push_str(&paint(&l.name, style_kind(Kind::Header), color));
                if !l.value.is_empty() {
                    out.push(' ');
                    out.push_str(&paint(&l.value, style_dim(), color));
                }
            }
            LineKind::Footer => {
                out.push_str(&paint(&l.name, style_kind(Kind::Header), color));
                out.push(' ');
                out.push_str(&paint(&l.value, style_dim(), color));
            }
            LineKind::Fold => out.push_str(&paint(&l.name, style_dim(), color)),
            LineKind::Error => {
                let text = if l.name.is_empty() {
                    format!("error: {}", l.value)
                } else {
                    format!("error: {}: {}", l.name, l.value)
                };
                out.push_str(&paint(&text, style_kind(Kind::Error), color));
            }
        }
        out.push('\n');
        out
    }
}

/// Bytes in hex, cut with `…` after `max` of `total`.
fn hex(bytes: &[u8], total: u64, max: usize) -> String {
    let mut s = String::with_capacity(max * 3 + 3);
    for (i, b) in bytes.iter().take(max).enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    if total > max as u64 {
        s.push('…');
    }
    s
}

/// The bytes that hold a bit field, in binary, cut with `…` to `width` columns.
fn binary(bytes: &[u8], width: usize) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:08b}");
    }
    if s.len() > width {
        s.truncate(width.saturating_sub(1));
        s.push('…');
    }
    s
}

/// `text` cut to `room` characters with `…`.
fn cut(text: &str, room: Option<usize>) -> String {
    match room {
        Some(n) if text.chars().count() > n => {
            let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
            s.push('…');
            s
        }
        _ => text.to_string(),
    }
}

/// An integer in decimal, and in hex when that says more.
pub(super) fn int(v: i128) -> String {
    if (-9..=9).contains(&v) {
        v.to_string()
    } else if v < 0 {
        format!("{v} (-{:#x})", v.unsigned_abs())
    } else {
        format!("{v} ({v:#x})")
    }
}

/// Bytes as text between bars, like `hexdump -C`: printable ASCII as is, other bytes `.`.
pub(super) fn ascii(b: &[u8]) -> String {
    const MAX: usize = 64;
    let mut s = String::with_capacity(b.len().min(MAX) + 8);
    s.push('|');
    for &c in b.iter().take(MAX) {
        s.push(if (0x20..0x7f).contains(&c) {
            c as char
        } else {
            '.'
        });
    }
    if b.len() > MAX {
        s.push('…');
    }
    s.push('|');
    s
}

fn paint(text: &str, style: Style, color: bool) -> String {
    if !color || text.is_empty() {
        return text.to_string();
    }
    format!("{}{text}{}", style.render(), style.render_reset())
}

fn style_dim() -> Style {
    Style::new().effects(Effects::DIMMED)
}

fn style_title() -> Style {
    Style::new().effects(Effects::BOLD)
}

fn style_kind(k: Kind) -> Style {
    let fg = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
    match k {
        Kind::Int | Kind::Float => fg(AnsiColor::Cyan),
        Kind::Text => fg(AnsiColor::Green),
        Kind::Bytes => fg(AnsiColor::Yellow),
        Kind::Enum | Kind::Bool | Kind::Null => fg(AnsiColor::Magenta),
        Kind::Header => fg(AnsiColor::Blue).effects(Effects::BOLD),
        Kind::Error => fg(AnsiColor::Red).effects(Effects::BOLD),
    }
}
