//! The `.ksy` spec model, read from the YAML tree: every key checked (unknown keys are errors
//! with a suggestion), every value kept with its position and spec path
//! (`/types/chunk/seq/2/size`).

use super::yaml::{Node, NodeKind};
use crate::error::closest;

/// A spec error: where (byte range), the spec path and what is wrong.
#[derive(Debug, Clone)]
pub struct SpecError {
    pub start: usize,
    pub end: usize,
    pub path: String,
    pub message: String,
    pub help: Option<String>,
}

pub type SResult<T> = Result<T, SpecError>;

/// A scalar as written, with its position and spec path.
#[derive(Clone, Debug)]
pub struct Str {
    pub v: String,
    pub start: usize,
    pub end: usize,
    pub path: String,
    /// Written without quotes (YAML would have guessed its type).
    pub plain: bool,
}

impl Str {
    pub fn err(&self, message: impl Into<String>) -> SpecError {
        SpecError {
            start: self.start,
            end: self.end.max(self.start + 1),
            path: self.path.clone(),
            message: message.into(),
            help: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub id: Option<Str>,
    pub endian: Option<EndianK>,
    pub bit_endian_le: Option<bool>,
    pub encoding: Option<Str>,
    pub imports: Vec<Str>,
}

#[derive(Clone, Debug)]
pub enum EndianK {
    Le,
    Be,
    Switch { on: Str, cases: Vec<(Str, bool)> },
}

/// A type: the top level of a file or an entry of `types`.
#[derive(Clone, Debug, Default)]
pub struct TypeDef {
    pub path: String,
    pub start: usize,
    pub meta: Meta,
    pub params: Vec<Str>,
    /// The `enum` of each parameter (`type: u4, enum: animal`), parallel to `params`.
    pub param_enums: Vec<Option<Str>>,
    pub seq: Vec<Attr>,
    pub instances: Vec<Attr>,
    pub types: Vec<(Str, TypeDef)>,
    pub enums: Vec<(Str, Vec<(i128, Str)>)>,
}

#[derive(Clone, Debug)]
pub enum TypeRef {
    Name(Str),
    Switch { on: Str, cases: Vec<(Str, Str)> },
}

#[derive(Clone, Debug)]
pub enum Repeat {
    Eos,
    Expr(Str),
    Until(Str),
}

#[derive(Clone, Debug)]
pub enum Valid {
    Eq(Str),
    Range { min: Option<Str>, max: Option<Str> },
    AnyOf(Vec<Str>),
    InEnum,
    Expr(Str),
}

/// One `seq` entry or instance.
#[derive(Clone, Debug, Default)]
pub struct Attr {
    pub id: Option<Str>,
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub ty: Option<TypeRef>,
    pub size: Option<Str>,
    pub size_eos: bool,
    pub repeat: Option<Repeat>,
    pub if_: Option<Str>,
    pub contents: Option<(Vec<u8>, bool)>,
    pub enum_: Option<Str>,
    pub encoding: Option<Str>,
    pub terminator: Option<u8>,
    pub consume: bool,
    pub include: bool,
    pub eos_error: bool,
    pub pad_right: Option<u8>,
    pub process: Option<Str>,
    pub valid: Option<Valid>,
    pub value: Option<Str>,
    pub pos: Option<Str>,
    pub io: Option<Str>,
    /// `parent`: what `_parent` means inside the user type of this field.
    pub parent: Option<Str>,
}

fn err_at(n: &Node, path: &str, message: impl Into<String>) -> SpecError {
    SpecError {
        start: n.start,
        end: n.end.max(n.start + 1),
        path: path.to_string(),
        message: message.into(),
        help: None,
    }
}

fn scalar(n: &Node, path: &str) -> SResult<Str> {
    match &n.kind {
        NodeKind::Scalar { text, plain } => Ok(Str {
            v: text.clone(),
            start: n.start,
            end: n.end,
            path: path.to_string(),
            plain: *plain,
        }),
        _ => Err(err_at(
            n,
            path,
            format!("expected a scalar, found {}", n.what()),
        )),
    }
}

fn mapping<'a>(n: &'a Node, path: &str) -> SResult<&'a [(Node, Node)]> {
    match &n.kind {
        NodeKind::Map(m) => Ok(m),
        _ if n.is_null() => Ok(&[]),
        _ => Err(err_at(
            n,
            path,
            format!("expected a mapping, found {}", n.what()),
        )),
    }
}

fn list<'a>(n: &'a Node, path: &str) -> SResult<&'a [Node]> {
    match &n.kind {
        NodeKind::Seq(s) => Ok(s),
        _ if n.is_null() => Ok(&[]),
        _ => Err(err_at(
            n,
            path,
            format!("expected a list, found {}", n.what()),
        )),
    }
}

fn boolean(n: &Node, path: &str) -> SResult<bool> {
    match n.str() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(err_at(n, path, "expected `true` or `false`")),
    }
}

/// Checks that every key of a mapping is known (`doc`, `doc-ref` and `-x` keys are always
/// allowed) and none is repeated.
fn keys(m: &[(Node, Node)], path: &str, known: &[&str]) -> SResult<()> {
    let mut seen: Vec<&str> = Vec::new();
    for (k, _) in m {
        let Some(key) = k.str() else {
            return Err(err_at(k, path, "a key must be a scalar"));
        };
        if seen.contains(&key) {
            return Err(err_at(k, path, format!("key `{key}` is given twice")));
        }
        seen.push(key);
        if key.starts_with('-') || key == "doc" || key == "doc-ref" || known.contains(&key) {
            continue;
        }
        let mut e = err_at(k, path, format!("unknown key `{key}`"));
        e.help = closest(key, known.iter().copied()).map(|c| format!("did you mean `{c}`?"));
        return Err(e);
    }
    Ok(())
}

/// Reads a Kaitai identifier (lowercase letters, digits and `_`, starting with a letter).
fn ident(s: &Str, what: &str) -> SResult<()> {
    let ok = s.v.starts_with(|c: char| c.is_ascii_lowercase())
        && s.v
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(s.err(format!(
            "invalid {what} `{}`: use lowercase letters, digits and `_`, starting with a letter",
            s.v
        )))
    }
}

const TYPE_KEYS: &[&str] = &[
    "meta",
    "seq",
    "types",
    "instances",
    "enums",
    "params",
    "to-string",
];
const META_KEYS: &[&str] = &[
    "id",
    "title",
    "application",
    "file-extension",
    "xref",
    "license",
    "ks-version",
    "ks-debug",
    "ks-opaque-types",
    "imports",
    "encoding",
    "endian",
    "bit-endian",
    "tags",
];
const ATTR_KEYS: &[&str] = &[
    "id",
    "type",
    "size",
    "size-eos",
    "repeat",
    "repeat-expr",
    "repeat-until",
    "if",
    "contents",
    "enum",
    "encoding",
    "terminator",
    "consume",
    "include",
    "eos-error",
    "pad-right",
    "process",
    "valid",
    "parent",
];
const INSTANCE_KEYS: &[&str] = &["value", "pos", "io"];

/// Reads the top level of a `.ksy` file.
pub fn read_file(root: &Node) -> SResult<TypeDef> {
    let t = read_type(root, "", true)?;
    if t.meta.id.is_none() {
        return Err(err_at(root, "/meta", "the spec has no `meta/id`"));
    }
    Ok(t)
}

fn read_type(n: &Node, path: &str, top: bool) -> SResult<TypeDef> {
    let m = mapping(n, if path.is_empty() { "/" } else { path })?;
    keys(m, if path.is_empty() { "/" } else { path }, TYPE_KEYS)?;
    let mut t = TypeDef {
        path: path.to_string(),
        start: n.start,
        ..TypeDef::default()
    };
    if let Some(meta) = n.get("meta") {
        t.meta = read_meta(meta, &format!("{path}/meta"), top)?;
    }
    if let Some(params) = n.get("params") {
        for (i, p) in list(params, &format!("{path}/params"))?.iter().enumerate() {
            let pp = format!("{path}/params/{i}");
            let pm = mapping(p, &pp)?;
            keys(pm, &pp, &["id", "type", "enum"])?;
            let Some(id) = p.get("id") else {
                return Err(err_at(p, &pp, "a parameter needs an `id`"));
            };
            let id = scalar(id, &format!("{pp}/id"))?;
            ident(&id, "parameter name")?;
            t.params.push(id);
            t.param_enums.push(
                p.get("enum")
                    .map(|e| scalar(e, &format!("{pp}/enum")))
                    .transpose()?,
            );
        }
    }
    if let Some(seq) = n.get("seq") {
        for (i, a) in list(seq, &format!("{path}/seq"))?.iter().enumerate() {
            t.seq.push(read_attr(a, &format!("{path}/seq/{i}"), None)?);
        }
    }
    if let Some(inst) = n.get("instances") {
        let ip = format!("{path}/instances");
        for (k, v) in mapping(inst, &ip)? {
            let name = scalar(k, &ip)?;
            ident(&name, "instance name")?;
            let a = read_attr(v, &format!("{ip}/{}", name.v), Some(name))?;
            t.instances.push(a);
        }
    }
    if let Some(types) = n.get("types") {
        let tp = format!("{path}/types");
        for (k, v) in mapping(types, &tp)? {
            let name = scalar(k, &tp)?;
            ident(&name, "type name")?;
            let sub = read_type(v, &format!("{tp}/{}", name.v), false)?;
            t.types.push((name, sub));
        }
    }
    if let Some(enums) = n.get("enums") {
        let ep = format!("{path}/enums");
        for (k, v) in mapping(enums, &ep)? {
            let name = scalar(k, &ep)?;
            ident(&name, "enum name")?;
            let mp = format!("{ep}/{}", name.v);
            let mut members: Vec<(i128, Str)> = Vec::new();
            for (mk, mv) in mapping(v, &mp)? {
                let key = scalar(mk, &mp)?;
                let Some(val) = super::expr::parse_int(&key.v) else {
                    return Err(key.err(format!("enum key `{}` is not an integer", key.v)));
                };
                if members.iter().any(|(x, _)| *x == val) {
                    return Err(key.err(format!("enum value {val} is given twice")));
                }
                let vp = format!("{mp}/{}", key.v);
                let id = match &mv.kind {
                    NodeKind::Map(mm) => {
                        keys(mm, &vp, &["id", "doc", "doc-ref", "-orig-id"])?;
                        match mv.get("id") {
                            Some(i) => scalar(i, &format!("{vp}/id"))?,
                            None => return Err(err_at(mv, &vp, "an enum member needs an `id`")),
                        }
                    }
                    _ => scalar(mv, &vp)?,
                };
                ident(&id, "enum member name")?;
                if members.iter().any(|(_, n)| n.v == id.v) {
                    return Err(id.err(format!("enum member `{}` is given twice", id.v)));
                }
                members.push((val, id));
            }
            t.enums.push((name, members));
        }
    }
    Ok(t)
}

fn read_meta(n: &Node, path: &str, top: bool) -> SResult<Meta> {
    let m = mapping(n, path)?;
    keys(m, path, META_KEYS)?;
    let mut meta = Meta::default();
    if let Some(id) = n.get("id") {
        let id = scalar(id, &format!("{path}/id"))?;
        ident(&id, "meta/id")?;
        if !top {
            // allowed by Kaitai in nested types too; kept for documentation only
        }
        meta.id = Some(id);
    }
    if let Some(e) = n.get("endian") {
        let ep = format!("{path}/endian");
        meta.endian = Some(match &e.kind {
            NodeKind::Map(em) => {
                keys(em, &ep, &["switch-on", "cases"])?;
                let Some(on) = e.get("switch-on") else {
                    return Err(err_at(e, &ep, "`endian` as a mapping needs `switch-on`"));
                };
                let on = scalar(on, &format!("{ep}/switch-on"))?;
                let mut cases = Vec::new();
                if let Some(c) = e.get("cases") {
                    for (k, v) in mapping(c, &format!("{ep}/cases"))? {
                        let key = scalar(k, &format!("{ep}/cases"))?;
                        let val = scalar(v, &format!("{ep}/cases/{}", key.v))?;
                        let le = match val.v.as_str() {
                            "le" => true,
                            "be" => false,
                            _ => return Err(val.err("expected `le` or `be`")),
                        };
                        cases.push((key, le));
                    }
                }
                EndianK::Switch { on, cases }
            }
            _ => {
                let s = scalar(e, &ep)?;
                match s.v.as_str() {
                    "le" => EndianK::Le,
                    "be" => EndianK::Be,
                    _ => {
                        return Err(
                            s.err(format!("unknown endian `{}`: expected `le` or `be`", s.v))
                        );
                    }
                }
            }
        });
    }
    if let Some(b) = n.get("bit-endian") {
        let s = scalar(b, &format!("{path}/bit-endian"))?;
        meta.bit_endian_le = Some(match s.v.as_str() {
            "le" => true,
            "be" => false,
            _ => return Err(s.err("expected `le` or `be`")),
        });
    }
    if let Some(e) = n.get("encoding") {
        meta.encoding = Some(scalar(e, &format!("{path}/encoding"))?);
    }
    if let Some(i) = n.get("imports") {
        for (k, imp) in list(i, &format!("{path}/imports"))?.iter().enumerate() {
            meta.imports
                .push(scalar(imp, &format!("{path}/imports/{k}"))?);
        }
    }
    Ok(meta)
}

/// Reads `contents`: a string, or a list of bytes and strings.
fn read_contents(n: &Node, path: &str) -> SResult<(Vec<u8>, bool)> {
    match &n.kind {
        NodeKind::Scalar { text, plain } => {
            if *plain && let Some(v) = super::expr::parse_int(text) {
                return match u8::try_from(v) {
                    Ok(b) => Ok((vec![b], false)),
                    Err(_) => Err(err_at(n, path, format!("{v} is not a byte"))),
                };
            }
            Ok((text.as_bytes().to_vec(), true))
        }
        NodeKind::Seq(items) => {
            let mut out = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let ip = format!("{path}/{i}");
                let s = scalar(it, &ip)?;
                if s.plain
                    && let Some(v) = super::expr::parse_int(&s.v)
                {
                    match u8::try_from(v) {
                        Ok(b) => out.push(b),
                        Err(_) => return Err(s.err(format!("{v} is not a byte"))),
                    }
                } else {
                    out.extend_from_slice(s.v.as_bytes());
                }
            }
            Ok((out, false))
        }
        NodeKind::Map(_) => Err(err_at(n, path, "expected a string or a list of bytes")),
    }
}

fn byte(n: &Node, path: &str) -> SResult<u8> {
    let s = scalar(n, path)?;
    match super::expr::parse_int(&s.v).and_then(|v| u8::try_from(v).ok()) {
        Some(b) => Ok(b),
        None => Err(s.err(format!("`{}` is not a byte value (0..255)", s.v))),
    }
}

fn read_attr(n: &Node, path: &str, inst: Option<Str>) -> SResult<Attr> {
    let m = mapping(n, path)?;
    let known: Vec<&str> = if inst.is_some() {
        ATTR_KEYS
            .iter()
            .chain(INSTANCE_KEYS)
            .copied()
            .filter(|k| *k != "id")
            .collect()
    } else {
        ATTR_KEYS.to_vec()
    };
    keys(m, path, &known)?;
    let get = |k: &str| -> SResult<Option<Str>> {
        n.get(k)
            .map(|v| scalar(v, &format!("{path}/{k}")))
            .transpose()
    };
    let mut a = Attr {
        path: path.to_string(),
        start: n.start,
        end: n.end,
        id: inst,
        consume: true,
        eos_error: true,
        ..Attr::default()
    };
    if let Some(id) = get("id")? {
        ident(&id, "field id")?;
        a.id = Some(id);
    }
    if let Some(t) = n.get("type") {
        let tp = format!("{path}/type");
        a.ty = Some(match &t.kind {
            NodeKind::Map(tm) => {
                keys(tm, &tp, &["switch-on", "cases"])?;
                let Some(on) = t.get("switch-on") else {
                    return Err(err_at(t, &tp, "a switch type needs `switch-on`"));
                };
                let on = scalar(on, &format!("{tp}/switch-on"))?;
                let mut cases = Vec::new();
                if let Some(c) = t.get("cases") {
                    for (k, v) in mapping(c, &format!("{tp}/cases"))? {
                        let key = scalar(k, &format!("{tp}/cases"))?;
                        let val = scalar(v, &format!("{tp}/cases/{}", key.v))?;
                        cases.push((key, val));
                    }
                }
                TypeRef::Switch { on, cases }
            }
            _ => TypeRef::Name(scalar(t, &tp)?),
        });
    }
    a.size = get("size")?;
    if let Some(v) = n.get("size-eos") {
        a.size_eos = boolean(v, &format!("{path}/size-eos"))?;
    }
    if let Some(r) = get("repeat")? {
        a.repeat = Some(match r.v.as_str() {
            "eos" => Repeat::Eos,
            "expr" => match get("repeat-expr")? {
                Some(e) => Repeat::Expr(e),
                None => return Err(r.err("`repeat: expr` needs `repeat-expr`")),
            },
            "until" => match get("repeat-until")? {
                Some(e) => Repeat::Until(e),
                None => return Err(r.err("`repeat: until` needs `repeat-until`")),
            },
            other => {
                let mut e = r.err(format!("unknown repeat `{other}`"));
                e.help = closest(other, ["eos", "expr", "until"])
                    .map(|c| format!("did you mean `{c}`?"));
                return Err(e);
            }
        });
    } else {
        for k in ["repeat-expr", "repeat-until"] {
            if let Some(v) = n.get(k) {
                return Err(err_at(
                    v,
                    &format!("{path}/{k}"),
                    format!("`{k}` without `repeat`"),
                ));
            }
        }
    }
    a.if_ = get("if")?;
    if let Some(c) = n.get("contents") {
        a.contents = Some(read_contents(c, &format!("{path}/contents"))?);
    }
    a.enum_ = get("enum")?;
    a.encoding = get("encoding")?;
    if let Some(t) = n.get("terminator") {
        a.terminator = Some(byte(t, &format!("{path}/terminator"))?);
    }
    if let Some(p) = n.get("pad-right") {
        a.pad_right = Some(byte(p, &format!("{path}/pad-right"))?);
    }
    for (k, slot) in [
        ("consume", &mut a.consume),
        ("include", &mut a.include),
        ("eos-error", &mut a.eos_error),
    ] {
        if let Some(v) = n.get(k) {
            *slot = boolean(v, &format!("{path}/{k}"))?;
        }
    }
    a.process = get("process")?;
    a.parent = get("parent")?;
    if let Some(v) = n.get("valid") {
        let vp = format!("{path}/valid");
        a.valid = Some(match &v.kind {
            NodeKind::Map(vm) => {
                keys(vm, &vp, &["eq", "min", "max", "any-of", "in-enum", "expr"])?;
                if let Some(e) = v.get("eq") {
                    Valid::Eq(scalar(e, &format!("{vp}/eq"))?)
                } else if let Some(l) = v.get("any-of") {
                    let mut out = Vec::new();
                    for (i, x) in list(l, &format!("{vp}/any-of"))?.iter().enumerate() {
                        out.push(scalar(x, &format!("{vp}/any-of/{i}"))?);
                    }
                    Valid::AnyOf(out)
                } else if v.get("in-enum").is_some() {
                    Valid::InEnum
                } else if let Some(e) = v.get("expr") {
                    Valid::Expr(scalar(e, &format!("{vp}/expr"))?)
                } else {
                    Valid::Range {
                        min: v
                            .get("min")
                            .map(|x| scalar(x, &format!("{vp}/min")))
                            .transpose()?,
                        max: v
                            .get("max")
                            .map(|x| scalar(x, &format!("{vp}/max")))
                            .transpose()?,
                    }
                }
            }
            _ => Valid::Eq(scalar(v, &vp)?),
        });
    }
    a.value = get("value")?;
    a.pos = get("pos")?;
    a.io = get("io")?;
    if a.size.is_some() && a.size_eos {
        return Err(err_at(
            n,
            path,
            "`size` and `size-eos: true` are given together",
        ));
    }
    Ok(a)
}
