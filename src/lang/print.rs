//! Prints descriptor AST items as `.struct` text (`unstruct translate`): the output parses
//! back to the same items. A construct without `.struct` syntax yet is printed as the
//! nearest one with a `# …` comment saying what differs.

use std::fmt::Write;

use super::ast::*;

/// Prints the items of several files as one descriptor. `file_endians[i]` is file i's
/// `endian` line: a struct of another file without its own byte order gets it in its header.
pub fn print_files(files: &[Vec<Item>]) -> String {
    let mut out = String::new();
    let main_endian = files.first().and_then(|f| file_endian(f));
    if let Some(e) = main_endian {
        let _ = writeln!(out, "endian {}\n", endian_name(e));
    }
    for (fi, items) in files.iter().enumerate() {
        let fe = file_endian(items);
        for item in items {
            match item {
                Item::Struct(s) => {
                    let inherit = if fi > 0 && fe != main_endian {
                        fe
                    } else {
                        None
                    };
                    print_struct(&mut out, s, inherit);
                }
                Item::Enum(e) => print_enum(&mut out, e),
                Item::Encoding(n) => {
                    let _ = writeln!(out, "encoding {}\n", n.name);
                }
                Item::Root(n) => {
                    let _ = writeln!(out, "root {}\n", n.name);
                }
                Item::Endian(..) | Item::Import(..) => {}
            }
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn file_endian(items: &[Item]) -> Option<Endian> {
    items.iter().find_map(|i| match i {
        Item::Endian(e, _) => Some(*e),
        _ => None,
    })
}

fn endian_name(e: Endian) -> &'static str {
    match e {
        Endian::Little => "little",
        Endian::Big => "big",
        Endian::Native => "native",
    }
}

fn print_struct(out: &mut String, s: &StructDecl, file_endian: Option<Endian>) {
    if s.emit_params && !s.params.is_empty() {
        out.push_str(
            "# Kaitai: the parameters are written as keys before the fields (no .struct syntax yet)\n",
        );
    }
    let _ = write!(out, "struct {}", s.name.name);
    if !s.params.is_empty() {
        let ps: Vec<&str> = s.params.iter().map(|p| p.name.as_str()).collect();
        let _ = write!(out, "({})", ps.join(", "));
    }
    match &s.endian {
        Some(EndianSpec::Fixed(e)) => {
            let _ = write!(out, " endian {}", endian_name(*e));
        }
        Some(EndianSpec::Match(on, arms)) => {
            let _ = write!(out, " endian match {} {{ ", expr(on));
            let arms: Vec<String> = arms
                .iter()
                .map(|(ps, e)| format!("{} => {}", patterns(ps), endian_name(*e)))
                .collect();
            let _ = write!(out, "{} }}", arms.join(", "));
        }
        None => {
            if let Some(e) = file_endian {
                let _ = write!(out, " endian {}", endian_name(e));
            }
        }
    }
    if let Some(b) = s.bits_little {
        let _ = write!(out, " bits {}", if b { "little" } else { "big" });
    }
    if let Some(v) = &s.valid {
        let _ = write!(out, " valid {}", expr(v));
    }
    out.push_str(" {\n");
    for f in &s.fields {
        let name = match &f.name {
            FieldName::Named(n) | FieldName::Hidden(n) => format!("{}: ", n.name),
            FieldName::Skip(_) => "_: ".into(),
            FieldName::Embed => String::new(),
        };
        let (text, mut note) = spec(&f.spec, 1);
        if let FieldName::Named(n) = &f.name
            && n.name.starts_with('_')
        {
            note = Some(format!(
                "Kaitai: emitted as `{}` (a `_` name is hidden in .struct)",
                n.name
            ));
        }
        let _ = write!(out, "    {name}{text}");
        if let Some(n) = note {
            let _ = write!(out, "  # {n}");
        }
        out.push('\n');
    }
    out.push_str("}\n\n");
}

fn print_enum(out: &mut String, e: &EnumDecl) {
    let _ = writeln!(
        out,
        "{} {}: {} {{",
        if e.is_flags { "flags" } else { "enum" },
        e.name.name,
        prim(e.base)
    );
    for (m, v) in &e.members {
        let _ = writeln!(out, "    {} = {v},", m.name);
    }
    out.push_str("}\n\n");
}

fn prim(p: Prim) -> String {
    let suffix = |e: Option<Endian>| match e {
        Some(Endian::Little) => "le",
        Some(Endian::Big) => "be",
        _ => "",
    };
    match p {
        Prim::Int {
            size,
            signed,
            endian,
        } => format!(
            "{}{}{}",
            if signed { "i" } else { "u" },
            size as u32 * 8,
            if size > 1 { suffix(endian) } else { "" }
        ),
        Prim::Float { size, endian } => format!("f{}{}", size as u32 * 8, suffix(endian)),
        Prim::Bool => "bool".into(),
    }
}

fn len(l: &Len) -> String {
    match l {
        Len::Count(e) => expr(e),
        Len::Rest => "..".into(),
    }
}

fn literal(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0 => s.push_str("\\0"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('"');
    s
}

/// A type with its modifiers, and a note on what `.struct` cannot say yet.
fn spec(t: &TypeSpec, depth: usize) -> (String, Option<String>) {
    let (mut s, note) = ty(&t.ty, depth);
    for (kw, e) in [
        ("if", &t.if_),
        ("at", &t.at),
        ("in", &t.io),
        ("size", &t.size),
        ("valid", &t.valid),
        ("parent", &t.parent),
        ("each if", &t.each_if),
        ("each at", &t.each_at),
        ("each size", &t.each_size),
    ] {
        if let Some(e) = e {
            let _ = write!(s, " {kw} {}", expr(e));
        }
    }
    for (kw, p) in [("process", &t.process), ("each process", &t.each_process)] {
        if let Some((p, _)) = p {
            let _ = write!(s, " {kw} {}", process(p));
        }
    }
    if t.lazy.is_some() {
        s.push_str(" lazy");
    }
    (s, note)
}

fn ty(t: &TypeExpr, depth: usize) -> (String, Option<String>) {
    let mut note = None;
    let s = match t {
        TypeExpr::Prim(p) => prim(*p),
        TypeExpr::Leb128 { signed } => if *signed { "sleb128" } else { "uleb128" }.into(),
        TypeExpr::Bits { n, as_bool, little } => {
            let order = match little {
                Some(true) => "le",
                Some(false) => "be",
                None => "",
            };
            if *as_bool {
                format!("b{n}{order} as bool")
            } else {
                format!("b{n}{order}")
            }
        }
        TypeExpr::Bytes(l) => format!("bytes[{}]", len(l)),
        TypeExpr::Str { kind, enc, trim } => {
            let mut s = match kind {
                StrKind::Fixed(l) => format!("str[{}]", len(l)),
                StrKind::Z => "strz".into(),
                StrKind::ZFixed(l) => format!("strz[{}]", len(l)),
            };
            if let Some(e) = enc {
                let _ = write!(s, " {}", e.name());
            }
            if let Some(t) = trim {
                let _ = write!(s, " trim {}", literal(t));
            }
            s
        }
        TypeExpr::Const { bytes, text } => {
            if *text {
                literal(bytes)
            } else {
                let items: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
                format!("[{}]", items.join(", "))
            }
        }
        TypeExpr::Pad(l) => format!("pad[{}]", len(l)),
        TypeExpr::Align(e) => format!("align {}", expr(e)),
        TypeExpr::Named { name, args } => {
            if args.is_empty() {
                name.name.clone()
            } else {
                let a: Vec<String> = args.iter().map(expr).collect();
                format!("{}({})", name.name, a.join(", "))
            }
        }
        TypeExpr::Array(a) => {
            let mut plain = a.elem.clone();
            let valid = plain.valid.take();
            let (mut elem, n) = spec(&plain, depth);
            note = n;
            if let Some(v) = valid {
                note = Some(format!(
                    "Kaitai: each element is checked by `valid {}` (no .struct syntax yet)",
                    expr(&v)
                ));
            }
            if let TypeExpr::Bits {
                n, as_bool: true, ..
            } = a.elem.ty
            {
                elem = format!("b{n}");
                note = Some("Kaitai: each element is a boolean (no .struct syntax yet)".into());
            }
            let mut s = format!("{elem}[{}]", len(&a.len));
            if let Some(u) = &a.until {
                let _ = write!(s, " until {}", expr(u));
            }
            if let Some(w) = &a.while_ {
                let _ = write!(s, " while {}", expr(w));
            }
            s
        }
        TypeExpr::Match { on, arms } => {
            let pad = "    ".repeat(depth + 1);
            let mut s = format!("match {} {{\n", expr(on));
            for arm in arms {
                let (t, n) = spec(&arm.spec, depth + 1);
                if n.is_some() {
                    note = n;
                }
                let _ = writeln!(s, "{pad}{} => {t}", patterns(&arm.patterns));
            }
            let _ = write!(s, "{}}}", "    ".repeat(depth));
            s
        }
        TypeExpr::Computed(e) => format!("= {}", expr(e)),
        TypeExpr::Terminated(t, inner) => {
            let (s, _) = spec(inner, depth);
            let mut what = Vec::new();
            if let Some(b) = t.byte {
                what.push(if t.unit == 2 {
                    format!("up to the two bytes 0x{b:02x} 0x{b:02x}")
                } else {
                    format!("up to the byte 0x{b:02x}")
                });
                if !t.consume {
                    what.push("not consumed".into());
                }
                if t.include {
                    what.push("included".into());
                }
                if !t.eos_error {
                    what.push("or the end".into());
                }
            }
            if let Some(p) = t.pad {
                what.push(format!("trailing 0x{p:02x} stripped"));
            }
            note = Some(format!(
                "Kaitai: {} (no .struct syntax yet)",
                what.join(", ")
            ));
            s
        }
    };
    (s, note)
}

fn patterns(ps: &[Pattern]) -> String {
    let v: Vec<String> = ps
        .iter()
        .map(|p| match p {
            Pattern::Int(v, _) => v.to_string(),
            Pattern::Range(a, b, _) => format!("{a}..={b}"),
            Pattern::Bytes(b, _) => literal(b),
            Pattern::Member(Some(e), m) => format!("{}::{}", e.name, m.name),
            Pattern::Member(None, m) => m.name.clone(),
            Pattern::Wildcard(_) => "_".into(),
        })
        .collect();
    v.join(" | ")
}

/// An expression, parenthesized wherever an operand is not a plain term.
pub fn expr(e: &Expr) -> String {
    let term = |x: &Expr| {
        let s = expr(x);
        match x.kind {
            ExprKind::Binary(..)
            | ExprKind::Cond(..)
            | ExprKind::Unary(..)
            | ExprKind::Cast(..) => format!("({s})"),
            ExprKind::Int(v) if v < 0 => format!("({s})"),
            _ => s,
        }
    };
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(f) => {
            let s = format!("{f:?}");
            if s.contains(['.', 'e', 'i', 'N']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Str(b) => literal(b),
        ExprKind::This => "_".into(),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Builtin(b) => match b {
            Builtin::Offset => "@offset",
            Builtin::Remaining => "@remaining",
            Builtin::InputSize => "@input_size",
            Builtin::Index => "@index",
            Builtin::Io => "@io",
            Builtin::Size => "@size",
        }
        .into(),
        ExprKind::Member(x, m) => format!("{}.{}", term(x), m.name),
        ExprKind::Index(x, i) => format!("{}[{}]", term(x), expr(i)),
        ExprKind::Slice(x, a, b) => format!(
            "{}[{}..{}]",
            term(x),
            a.as_ref().map_or(String::new(), |a| expr(a)),
            b.as_ref().map_or(String::new(), |b| expr(b))
        ),
        ExprKind::EnumMember(en, m) => format!("{}::{}", en.name, m.name),
        ExprKind::Unary(op, x) => {
            let o = match op {
                UnOp::Neg => "-",
                UnOp::Not => "!",
                UnOp::BitNot => "~",
            };
            format!("{o}{}", term(x))
        }
        ExprKind::Binary(op, a, b) => format!("{} {} {}", term(a), op.symbol(), term(b)),
        ExprKind::Cond(c, a, b) => format!("{} ? {} : {}", term(c), term(a), term(b)),
        ExprKind::Call(f, args) => {
            let a: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", f.name, a.join(", "))
        }
        ExprKind::Peek(t, at) => format!("({} at {})", ty(t, 0).0, expr(at)),
        ExprKind::Cast(x, en) => format!("{} as {}", term(x), en.name),
        ExprKind::Array(items) => format!(
            "[{}]",
            items.iter().map(expr).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn process(p: &Process) -> String {
    match p {
        Process::Xor(e) => format!("xor({})", expr(e)),
        Process::Rol(e) => format!("rol({})", expr(e)),
        Process::Ror(e) => format!("ror({})", expr(e)),
        Process::Zlib => "zlib".into(),
        Process::Deflate => "deflate".into(),
    }
}
