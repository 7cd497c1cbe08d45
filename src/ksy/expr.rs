//! Kaitai Struct's expression language, parsed with nom into [`KExpr`].
//!
//! The tree keeps Kaitai's own vocabulary (methods, `::` paths, `_io`, `.as<T>`); the lowering
//! turns it into the descriptor AST, and the conformance runner evaluates it over decoded
//! values. Offsets are byte offsets in the expression text.

pub use crate::plan::{BinOp, UnOp};
use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while, take_while1},
    character::complete::{char, multispace0, satisfy},
    combinator::{opt, recognize},
    error::{ErrorKind, ParseError},
    sequence::pair,
};

/// A parsed Kaitai expression; `start`/`end` are byte offsets in its text.
#[derive(Clone, Debug, PartialEq)]
pub struct KExpr {
    pub kind: K,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum K {
    Int(i128),
    Float(f64),
    Str(String),
    Bool(bool),
    /// `[a, b, …]`: an array (of bytes when every element is a byte literal).
    Array(Vec<KExpr>),
    /// A name: a field, a parameter, `_`, `_root`, `_parent`, `_io`, `_index`.
    Name(String),
    /// `a::b::c`: an enum member or a type path.
    Path(Vec<String>),
    Attr(Box<KExpr>, String),
    Method(Box<KExpr>, String, Vec<KExpr>),
    Index(Box<KExpr>, Box<KExpr>),
    /// `x.as<T>`
    As(Box<KExpr>, String),
    /// `sizeof<T>`
    SizeOf(String),
    Unary(UnOp, Box<KExpr>),
    Binary(BinOp, Box<KExpr>, Box<KExpr>),
    Cond(Box<KExpr>, Box<KExpr>, Box<KExpr>),
}

/// A syntax error at a byte offset of the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub offset: usize,
    pub message: String,
}

#[derive(Debug)]
struct PErr {
    rem: usize,
    message: String,
}

impl<'a> ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        PErr {
            rem: input.len(),
            message: format!("unexpected input ({kind:?})"),
        }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        if other.rem < self.rem { other } else { self }
    }
}

type R<'a, T> = IResult<&'a str, T, PErr>;

/// Nesting of parentheses, brackets, unary operators and `? :`: far beyond real specs, and
/// shallow enough for a small thread stack in a debug build.
const MAX_DEPTH: usize = 32;

struct P {
    len: usize,
}

fn fail<T>(i: &str, msg: impl Into<String>) -> R<'static, T> {
    Err(nom::Err::Failure(PErr {
        rem: i.len(),
        message: msg.into(),
    }))
}

fn soft<T>(i: &str, msg: impl Into<String>) -> R<'static, T> {
    Err(nom::Err::Error(PErr {
        rem: i.len(),
        message: msg.into(),
    }))
}

fn ws(i: &str) -> R<'_, &str> {
    multispace0(i)
}

fn ident(i: &str) -> R<'_, &str> {
    recognize(pair(
        satisfy(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// Parses a whole Kaitai expression.
/// The character of the escape after a `\\` in a double-quoted string (`r` starts after the
/// backslash); `i` is the string's start, for the error of an unterminated one.
fn escape<'a>(i: &str, r: &'a str) -> R<'a, char> {
    let Some(e) = r.chars().next() else {
        return fail(i, "unterminated string");
    };
    let mut r = &r[e.len_utf8()..];
    let ch = match e {
        'n' => '\n',
        't' => '\t',
        'r' => '\r',
        'a' => '\x07',
        'b' => '\x08',
        'f' => '\x0c',
        'v' => '\x0b',
        'e' => '\x1b',
        '0'..='7' => {
            // octal, up to 3 digits
            let mut v = e as u32 - '0' as u32;
            for _ in 0..2 {
                match r.chars().next() {
                    Some(c @ '0'..='7') => {
                        v = v * 8 + (c as u32 - '0' as u32);
                        r = &r[1..];
                    }
                    _ => break,
                }
            }
            char::from_u32(v).unwrap_or('\u{fffd}')
        }
        'x' => {
            let h: String = r.chars().take(2).collect();
            match u32::from_str_radix(&h, 16) {
                Ok(v) if h.len() == 2 => {
                    r = &r[2..];
                    char::from_u32(v).unwrap_or('\u{fffd}')
                }
                _ => return fail(r, "bad `\\x` escape"),
            }
        }
        'u' => {
            let h: String = r.chars().take(4).collect();
            match u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                Some(ch) if h.len() == 4 => {
                    r = &r[4..];
                    ch
                }
                _ => return fail(r, "bad `\\u` escape"),
            }
        }
        other => other,
    };
    Ok((r, ch))
}

pub fn parse(text: &str) -> Result<KExpr, ExprError> {
    let p = P { len: text.len() };
    let res = (|i| {
        let (i, _) = ws(i)?;
        let (i, e) = p.ternary(i, 0)?;
        let (i, _) = ws(i)?;
        Ok((i, e))
    })(text);
    match res {
        Ok(("", e)) => Ok(e),
        Ok((rest, _)) => Err(ExprError {
            offset: text.len() - rest.len(),
            message: format!("unexpected `{}`", rest.chars().next().unwrap_or(' ')),
        }),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(ExprError {
            offset: text.len().saturating_sub(e.rem),
            message: e.message,
        }),
        Err(nom::Err::Incomplete(_)) => Err(ExprError {
            offset: text.len(),
            message: "unexpected end of the expression".into(),
        }),
    }
}

/// Parses a Kaitai integer literal: decimal, `0x`, `0b`, `0o`, with `_` separators and an
/// optional sign.
pub fn parse_int(s: &str) -> Option<i128> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) = if let Some(r) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0b").or(s.strip_prefix("0B")) {
        (2, r)
    } else if let Some(r) = s.strip_prefix("0o").or(s.strip_prefix("0O")) {
        (8, r)
    } else {
        (10, s)
    };
    if digits.is_empty() || digits.starts_with('_') || !digits.chars().any(|c| c != '_') {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    let v = u128::from_str_radix(&clean, radix).ok()?;
    let v = i128::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

impl P {
    fn at(&self, i: &str) -> usize {
        self.len - i.len()
    }

    fn mk(&self, kind: K, start: usize, i: &str) -> KExpr {
        KExpr {
            kind,
            start,
            end: self.at(i),
        }
    }

    fn ternary<'a>(&self, i: &'a str, d: usize) -> R<'a, KExpr> {
        if d > MAX_DEPTH {
            return fail(i, "expression nested too deeply");
        }
        let start = self.at(i);
        let (i, c) = self.binary(i, 0, d)?;
        let (j, _) = ws(i)?;
        if let Ok((j, _)) = char::<_, PErr>('?').parse(j) {
            let (j, _) = ws(j)?;
            let (j, a) = self.ternary(j, d + 1)?;
            let (j, _) = ws(j)?;
            let (j, _) = match char::<_, PErr>(':').parse(j) {
                Ok(r) => r,
                Err(_) => return fail(j, "expected `:` of the `? :` operator"),
            };
            let (j, _) = ws(j)?;
            let (j, b) = self.ternary(j, d + 1)?;
            return Ok((
                j,
                self.mk(K::Cond(Box::new(c), Box::new(a), Box::new(b)), start, j),
            ));
        }
        Ok((i, c))
    }

    fn binop<'a>(&self, i: &'a str, level: usize) -> Option<(&'a str, BinOp)> {
        let word = |w: &'static str, op: BinOp| -> Option<(&'a str, BinOp)> {
            let r = i.strip_prefix(w)?;
            if r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                None
            } else {
                Some((r, op))
            }
        };
        let sym = |ops: &[(&'static str, BinOp)]| -> Option<(&'a str, BinOp)> {
            ops.iter()
                .find_map(|(s, op)| i.strip_prefix(s).map(|r| (r, *op)))
        };
        match level {
            0 => word("or", BinOp::Or),
            1 => word("and", BinOp::And),
            3 => {
                if i.starts_with("<<") || i.starts_with(">>") {
                    None
                } else {
                    sym(&[
                        ("==", BinOp::Eq),
                        ("!=", BinOp::Ne),
                        ("<=", BinOp::Le),
                        (">=", BinOp::Ge),
                        ("<", BinOp::Lt),
                        (">", BinOp::Gt),
                    ])
                }
            }
            4 => {
                if i.starts_with("||") {
                    None
                } else {
                    sym(&[("|", BinOp::BitOr)])
                }
            }
            5 => sym(&[("^", BinOp::BitXor)]),
            6 => {
                if i.starts_with("&&") {
                    None
                } else {
                    sym(&[("&", BinOp::BitAnd)])
                }
            }
            7 => sym(&[("<<", BinOp::Shl), (">>", BinOp::Shr)]),
            8 => sym(&[("+", BinOp::Add), ("-", BinOp::Sub)]),
            9 => sym(&[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)]),
            _ => None,
        }
    }

    /// Binary operators of level `min` and tighter, by precedence climbing: one frame per
    /// operand however many levels there are, so nesting costs little stack.
    fn binary<'a>(&self, i: &'a str, min: usize, d: usize) -> R<'a, KExpr> {
        let start = self.at(i);
        // `not` binds looser than comparisons (as in Python)
        let (mut i, mut lhs) = match i.strip_prefix("not") {
            Some(r)
                if min <= 2 && !r.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') =>
            {
                if d > MAX_DEPTH {
                    return fail(i, "expression nested too deeply");
                }
                let (r, _) = ws(r)?;
                let (r, e) = self.binary(r, 2, d + 1)?;
                (r, self.mk(K::Unary(UnOp::Not, Box::new(e)), start, r))
            }
            _ => self.unary(i, d)?,
        };
        let mut n = 0;
        loop {
            let (j, _) = ws(i)?;
            let Some((j, op, level)) =
                (min..=9).find_map(|l| self.binop(j, l).map(|(j, op)| (j, op, l)))
            else {
                return Ok((i, lhs));
            };
            n += 1;
            if n > 256 {
                return fail(j, "too many operators in a row");
            }
            let (j, _) = ws(j)?;
            let (j, rhs) = self.binary(j, level + 1, d)?;
            lhs = self.mk(K::Binary(op, Box::new(lhs), Box::new(rhs)), start, j);
            i = j;
        }
    }

    fn unary<'a>(&self, i: &'a str, d: usize) -> R<'a, KExpr> {
        if d > MAX_DEPTH {
            return fail(i, "expression nested too deeply");
        }
        let start = self.at(i);
        if let Some(r) = i.strip_prefix('+') {
            // unary plus: the operand itself
            let (r, _) = ws(r)?;
            let (r, mut e) = self.unary(r, d + 1)?;
            e.start = start;
            return Ok((r, e));
        }
        let op = if let Some(r) = i.strip_prefix('-') {
            Some((r, UnOp::Neg))
        } else if let Some(r) = i.strip_prefix('~') {
            Some((r, UnOp::BitNot))
        } else {
            i.strip_prefix('!').map(|r| (r, UnOp::Not))
        };
        if let Some((r, op)) = op {
            let (r, _) = ws(r)?;
            let (r, e) = self.unary(r, d + 1)?;
            // fold a negative literal
            if op == UnOp::Neg {
                match e.kind {
                    K::Int(v) => return Ok((r, self.mk(K::Int(-v), start, r))),
                    K::Float(v) => return Ok((r, self.mk(K::Float(-v), start, r))),
                    _ => {}
                }
            }
            return Ok((r, self.mk(K::Unary(op, Box::new(e)), start, r)));
        }
        self.postfix(i, d)
    }

    fn postfix<'a>(&self, i: &'a str, d: usize) -> R<'a, KExpr> {
        let start = self.at(i);
        let (mut i, mut e) = self.primary(i, d)?;
        let mut n = 0;
        loop {
            n += 1;
            if n > 256 {
                return fail(i, "too many postfix operators");
            }
            let (j, _) = ws(i)?;
            if let Some(j) = j.strip_prefix('.') {
                let (j, _) = ws(j)?;
                let Ok((j, name)) = ident(j) else {
                    return fail(j, "expected a name after `.`");
                };
                if name == "as"
                    && let Some(k) = j.trim_start().strip_prefix('<')
                {
                    let (k, t) = self.type_name(k)?;
                    let Some(k) = k.trim_start().strip_prefix('>') else {
                        return fail(k, "expected `>` after the type of `.as<…>`");
                    };
                    e = self.mk(K::As(Box::new(e), t), start, k);
                    i = k;
                    continue;
                }
                let (k, _) = ws(j)?;
                if let Some(k) = k.strip_prefix('(') {
                    let (k, args) = self.args(k, ')', d)?;
                    e = self.mk(K::Method(Box::new(e), name.to_string(), args), start, k);
                    i = k;
                } else {
                    e = self.mk(K::Attr(Box::new(e), name.to_string()), start, j);
                    i = j;
                }
            } else if let Some(j) = j.strip_prefix('[') {
                let (j, _) = ws(j)?;
                let (j, idx) = self.ternary(j, d + 1)?;
                let (j, _) = ws(j)?;
                let Some(j) = j.strip_prefix(']') else {
                    return fail(j, "expected `]`");
                };
                e = self.mk(K::Index(Box::new(e), Box::new(idx)), start, j);
                i = j;
            } else {
                return Ok((i, e));
            }
        }
    }

    /// A type name in `<…>`: `a::b`, `u4`, possibly `a::b[]`.
    fn type_name<'a>(&self, i: &'a str) -> R<'a, String> {
        let (i, _) = ws(i)?;
        let (i, t) = recognize(pair(
            ident,
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        ))
        .parse(i)?;
        let (i, arr) = opt(tag("[]")).parse(i)?;
        Ok((i, format!("{t}{}", if arr.is_some() { "[]" } else { "" })))
    }

    fn args<'a>(&self, i: &'a str, close: char, d: usize) -> R<'a, Vec<KExpr>> {
        let mut out = Vec::new();
        let (mut i, _) = ws(i)?;
        if let Some(r) = i.strip_prefix(close) {
            return Ok((r, out));
        }
        loop {
            if out.len() > 4096 {
                return fail(i, "too many elements");
            }
            let (j, e) = self.ternary(i, d + 1)?;
            out.push(e);
            let (j, _) = ws(j)?;
            if let Some(j) = j.strip_prefix(',') {
                let (j, _) = ws(j)?;
                if let Some(r) = j.strip_prefix(close) {
                    return Ok((r, out));
                }
                i = j;
            } else if let Some(j) = j.strip_prefix(close) {
                return Ok((j, out));
            } else {
                return fail(j, format!("expected `,` or `{close}`"));
            }
        }
    }

    fn number<'a>(&self, i: &'a str) -> R<'a, K> {
        let (r, text) = recognize(pair(
            satisfy(|c: char| c.is_ascii_digit()),
            take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
        ))
        .parse(i)?;
        // a float: digits '.' digits [e[+-]digits], or digits e digits
        let lower = text.to_ascii_lowercase();
        let is_prefixed =
            lower.starts_with("0x") || lower.starts_with("0b") || lower.starts_with("0o");
        if !is_prefixed {
            let mut end = text.len();
            let mut is_float = false;
            let rest_after = &i[end..];
            if let Some(frac) = rest_after.strip_prefix('.')
                && frac.starts_with(|c: char| c.is_ascii_digit())
            {
                let flen = frac
                    .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                    .unwrap_or(frac.len());
                end += 1 + flen;
                is_float = true;
            } else if let Some(after) = rest_after.strip_prefix('.')
                && !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                // `24000.`: a float with an empty fraction (`1.foo` stays a method call)
                end += 1;
                is_float = true;
            }
            let num_part = &i[..end];
            let after = &i[end..];
            let exp_src = if is_float { after } else { "" };
            let mut exp_len = 0;
            if let Some(e) = exp_src.strip_prefix(['e', 'E']) {
                let sign = usize::from(e.starts_with(['+', '-']));
                let digits = e[sign..]
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(e.len() - sign);
                if digits > 0 {
                    exp_len = 1 + sign + digits;
                }
            } else if !is_float && lower.contains('e') && !lower.starts_with('0') {
                // 1e5
                if let Some(p) = lower.find('e')
                    && lower[..p].chars().all(|c| c.is_ascii_digit())
                    && lower[p + 1..].chars().all(|c| c.is_ascii_digit())
                    && p + 1 < lower.len()
                {
                    let s: String = text.chars().filter(|&c| c != '_').collect();
                    if let Ok(f) = s.parse::<f64>() {
                        return Ok((r, K::Float(f)));
                    }
                }
            }
            if is_float {
                let full = &i[..end + exp_len];
                let clean: String = full.chars().filter(|&c| c != '_').collect();
                let _ = num_part;
                return match clean.parse::<f64>() {
                    Ok(f) => Ok((&i[end + exp_len..], K::Float(f))),
                    Err(_) => fail(i, format!("bad number `{full}`")),
                };
            }
        }
        match parse_int(text) {
            Some(v) => Ok((r, K::Int(v))),
            None => fail(i, format!("bad integer literal `{text}`")),
        }
    }

    fn string<'a>(&self, i: &'a str) -> R<'a, K> {
        if let Some(r) = i.strip_prefix('\'') {
            return match r.find('\'') {
                Some(p) => Ok((&r[p + 1..], K::Str(r[..p].to_string()))),
                None => fail(i, "unterminated string"),
            };
        }
        let Some(mut r) = i.strip_prefix('"') else {
            return soft(i, "expected a string");
        };
        let mut out = String::new();
        loop {
            let Some(c) = r.chars().next() else {
                return fail(i, "unterminated string");
            };
            r = &r[c.len_utf8()..];
            match c {
                '"' => return Ok((r, K::Str(out))),
                '\\' => {
                    let (k, ch) = escape(i, r)?;
                    r = k;
                    out.push(ch);
                }
                c => out.push(c),
            }
        }
    }

    /// `f"abc={x}"`: the literal parts and each `{expr}` as text (`.to_s`), concatenated.
    fn fstring<'a>(&self, i: &'a str, d: usize) -> R<'a, KExpr> {
        let start = self.at(i);
        let mut r = &i[2..];
        let mut acc = self.mk(K::Str(String::new()), start, r);
        let mut lit = String::new();
        loop {
            let Some(c) = r.chars().next() else {
                return fail(i, "unterminated string");
            };
            r = &r[c.len_utf8()..];
            match c {
                '"' | '{' if !lit.is_empty() => {
                    let part = self.mk(K::Str(std::mem::take(&mut lit)), start, r);
                    acc = self.mk(
                        K::Binary(BinOp::Add, Box::new(acc), Box::new(part)),
                        start,
                        r,
                    );
                }
                _ => {}
            }
            match c {
                '"' => {
                    acc.end = self.at(r);
                    return Ok((r, acc));
                }
                '{' => {
                    let (k, _) = ws(r)?;
                    let (k, e) = self.ternary(k, d + 1)?;
                    let (k, _) = ws(k)?;
                    let Some(k) = k.strip_prefix('}') else {
                        return fail(k, "expected `}`");
                    };
                    r = k;
                    let text = self.mk(K::Attr(Box::new(e), "to_s".into()), start, r);
                    acc = self.mk(
                        K::Binary(BinOp::Add, Box::new(acc), Box::new(text)),
                        start,
                        r,
                    );
                }
                '\\' => {
                    let (k, ch) = escape(i, r)?;
                    r = k;
                    lit.push(ch);
                }
                c => lit.push(c),
            }
        }
    }

    fn primary<'a>(&self, i: &'a str, d: usize) -> R<'a, KExpr> {
        let start = self.at(i);
        if i.starts_with("f\"") {
            return self.fstring(i, d);
        }
        if i.starts_with(|c: char| c.is_ascii_digit()) {
            let (r, k) = self.number(i)?;
            return Ok((r, self.mk(k, start, r)));
        }
        if i.starts_with(['"', '\'']) {
            let (r, k) = self.string(i)?;
            return Ok((r, self.mk(k, start, r)));
        }
        if let Some(r) = i.strip_prefix('(') {
            let (r, _) = ws(r)?;
            let (r, mut e) = self.ternary(r, d + 1)?;
            let (r, _) = ws(r)?;
            let Some(r) = r.strip_prefix(')') else {
                return fail(r, "expected `)`");
            };
            e.start = start;
            e.end = self.at(r);
            return Ok((r, e));
        }
        if let Some(r) = i.strip_prefix('[') {
            let (r, items) = self.args(r, ']', d)?;
            return Ok((r, self.mk(K::Array(items), start, r)));
        }
        let (r, name) = match ident(i) {
            Ok(x) => x,
            Err(_) => return fail(i, "expected an expression"),
        };
        match name {
            "true" => return Ok((r, self.mk(K::Bool(true), start, r))),
            "false" => return Ok((r, self.mk(K::Bool(false), start, r))),
            "sizeof" | "bitsizeof" if r.trim_start().starts_with('<') => {
                let k = r.trim_start().strip_prefix('<').unwrap_or(r);
                let (k, t) = self.type_name(k)?;
                let Some(k) = k.trim_start().strip_prefix('>') else {
                    return fail(k, "expected `>`");
                };
                return Ok((k, self.mk(K::SizeOf(t), start, k)));
            }
            _ => {}
        }
        // a::b::c
        let mut parts = vec![name.to_string()];
        let mut r = r;
        while let Ok((k, _)) = tag::<_, _, PErr>("::").parse(r) {
            let Ok((k, n)) =
                take_while1::<_, _, PErr>(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(k)
            else {
                return fail(k, "expected a name after `::`");
            };
            parts.push(n.to_string());
            r = k;
        }
        let kind = if parts.len() == 1 {
            K::Name(parts.pop().unwrap_or_default())
        } else {
            K::Path(parts)
        };
        Ok((r, self.mk(kind, start, r)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> K {
        parse(s).unwrap().kind
    }

    #[test]
    fn literals() {
        assert_eq!(p("0x0253_f200"), K::Int(0x0253_f200));
        assert_eq!(p("0b1010"), K::Int(10));
        assert_eq!(p("1_000"), K::Int(1000));
        assert_eq!(p("-5"), K::Int(-5));
        assert_eq!(p("1.5"), K::Float(1.5));
        assert_eq!(p("1.5e3"), K::Float(1500.0));
        assert_eq!(p(r#""a\x41\n""#), K::Str("aA\n".into()));
        assert_eq!(p("'a\\n'"), K::Str("a\\n".into()));
    }

    #[test]
    fn operators_and_postfix() {
        let e = parse("a.b[1].to_s('ASCII') == \"x\" and not c or d ? 1 : 2").unwrap();
        assert!(matches!(e.kind, K::Cond(..)));
        assert!(matches!(p("foo::bar::baz"), K::Path(v) if v.len() == 3));
        assert!(matches!(p("x.as<foo::bar>"), K::As(_, t) if t == "foo::bar"));
        assert!(matches!(p("sizeof<u4>"), K::SizeOf(t) if t == "u4"));
        assert!(matches!(p("1 << 2 < 3"), K::Binary(BinOp::Lt, ..)));
        assert!(matches!(p("a & b == c"), K::Binary(BinOp::Eq, ..)));
        assert!(matches!(p("not a == b"), K::Unary(UnOp::Not, ..)));
        assert!(parse("(1").is_err());
        assert!(parse("1 +").is_err());
        assert!(parse(&"(".repeat(1000)).is_err());
        for deep in ["(-", "a[", "f.g(", "[", "not ", "~", "a ? b : "] {
            assert!(parse(&deep.repeat(1000)).is_err(), "{deep}");
        }
        assert!(parse(&format!("{}1{}", "(".repeat(30), ")".repeat(30))).is_ok());
    }

    #[test]
    fn precedence_climbing_keeps_kaitai_precedence() {
        // a + b * c - d: (a + (b * c)) - d
        let K::Binary(BinOp::Sub, l, _) = p("a + b * c - d") else {
            panic!("sub at the top")
        };
        assert!(
            matches!(&l.kind, K::Binary(BinOp::Add, _, r) if matches!(r.kind, K::Binary(BinOp::Mul, ..)))
        );
        // not a == b and c: (not (a == b)) and c
        let K::Binary(BinOp::And, l, _) = p("not a == b and c") else {
            panic!("and at the top")
        };
        assert!(
            matches!(&l.kind, K::Unary(UnOp::Not, x) if matches!(x.kind, K::Binary(BinOp::Eq, ..)))
        );
        assert!(matches!(p("a or b and c"), K::Binary(BinOp::Or, ..)));
        assert!(matches!(p("a | b ^ c & d"), K::Binary(BinOp::BitOr, ..)));
        assert!(matches!(p("1 < 2 == true"), K::Binary(BinOp::Eq, ..)));
        // a long chain is a loop, not nesting
        assert!(parse(&vec!["x"; 200].join(" + ")).is_ok());
    }

    #[test]
    fn unary_plus_and_trailing_dot() {
        assert_eq!(p("+1"), K::Int(1));
        assert_eq!(p("24000."), K::Float(24000.0));
        assert!(
            matches!(p("x * 24000."), K::Binary(BinOp::Mul, _, r) if r.kind == K::Float(24000.0))
        );
        assert!(matches!(
            p("(a < 0 ? -1 : +1) * a"),
            K::Binary(BinOp::Mul, ..)
        ));
        assert!(matches!(p("1.to_s"), K::Attr(_, m) if m == "to_s"));
    }
}
