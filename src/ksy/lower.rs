//! Lowering of `.ksy` specs into the descriptor AST that the `.struct` checker checks.
//!
//! Every Kaitai type (a file's top level and each nested `types` entry, across imports)
//! becomes one struct with a unique name (its own id when that is unique, else the path
//! joined with `__`); enums likewise. Seq fields come first, then instances (value instances
//! as computed fields, parse instances as `at` fields), ordered so that each comes after the
//! instances it uses. Spans point into the YAML source, so the checker's errors show the
//! spec's line and column.

use std::collections::{HashMap, HashSet};

use super::expr::{self, BinOp, K, KExpr};
use super::spec::{Attr, EndianK, Repeat, SResult, SpecError, Str, TypeDef, TypeRef, Valid};
use crate::lang::ast::*;
use crate::plan::Terminator;
use crate::text::Encoding;

/// One loaded file: its source length (for spans) and its top-level type.
pub struct File<'a> {
    pub src_len: usize,
    pub def: &'a TypeDef,
}

struct TypeInfo<'a> {
    name: String,
    file: usize,
    def: &'a TypeDef,
    parent: Option<usize>,
    /// Kaitai names from the file's top level down (`[file_id, a, b]`).
    kpath: Vec<String>,
}

struct EnumInfo {
    name: String,
    owner: usize,
    local: String,
    /// The integer type of its first use: fields of that type are decoded as the enum.
    base: Option<Prim>,
}

pub struct Lowerer<'a> {
    files: &'a [File<'a>],
    types: Vec<TypeInfo<'a>>,
    enums: Vec<EnumInfo>,
    /// the type being lowered
    cur: usize,
}

fn span(src_len: usize, start: usize, end: usize) -> Span {
    Span {
        rem: src_len.saturating_sub(start) as u32,
        len: end.saturating_sub(start) as u32,
    }
}

/// Names the checker or the grammar gives a meaning of their own.
fn reserved(n: &str) -> bool {
    let prim = |s: &str| {
        let s = s.strip_suffix("le").or(s.strip_suffix("be")).unwrap_or(s);
        let mut c = s.chars();
        matches!(c.next(), Some('u' | 'i' | 'f' | 'b')) && c.as_str().parse::<u32>().is_ok()
    };
    prim(n)
        || matches!(
            n,
            "bool"
                | "bytes"
                | "str"
                | "strz"
                | "pad"
                | "align"
                | "uleb128"
                | "sleb128"
                | "parent"
                | "root"
                | "match"
                | "struct"
                | "enum"
                | "flags"
                | "endian"
                | "import"
                | "encoding"
        )
}

impl<'a> Lowerer<'a> {
    pub fn new(files: &'a [File<'a>]) -> SResult<Lowerer<'a>> {
        let mut l = Lowerer {
            files,
            types: Vec::new(),
            enums: Vec::new(),
            cur: 0,
        };
        for (f, file) in files.iter().enumerate() {
            let id = file
                .def
                .meta
                .id
                .as_ref()
                .map_or(String::new(), |s| s.v.clone());
            l.collect(f, file.def, None, vec![id]);
        }
        // unique names
        let mut counts: HashMap<String, usize> = HashMap::new();
        for t in &l.types {
            *counts
                .entry(t.kpath.last().cloned().unwrap_or_default())
                .or_default() += 1;
        }
        for e in &l.enums {
            *counts.entry(e.local.clone()).or_default() += 1;
        }
        let mut used = HashSet::new();
        for i in 0..l.types.len() {
            let local = l.types[i].kpath.last().cloned().unwrap_or_default();
            let mut name = if counts[&local] == 1 && !reserved(&local) {
                local
            } else {
                l.types[i].kpath.join("__")
            };
            while !used.insert(name.clone()) {
                name.push('_');
            }
            l.types[i].name = name;
        }
        for i in 0..l.enums.len() {
            let local = l.enums[i].local.clone();
            let mut name = if counts[&local] == 1 && !reserved(&local) {
                local
            } else {
                format!("{}__{}", l.types[l.enums[i].owner].kpath.join("__"), local)
            };
            while !used.insert(name.clone()) {
                name.push('_');
            }
            l.enums[i].name = name;
        }
        Ok(l)
    }

    fn collect(
        &mut self,
        file: usize,
        def: &'a TypeDef,
        parent: Option<usize>,
        kpath: Vec<String>,
    ) {
        let me = self.types.len();
        self.types.push(TypeInfo {
            name: String::new(),
            file,
            def,
            parent,
            kpath: kpath.clone(),
        });
        for (name, _) in &def.enums {
            self.enums.push(EnumInfo {
                name: String::new(),
                owner: me,
                local: name.v.clone(),
                base: None,
            });
        }
        for (name, sub) in &def.types {
            let mut p = kpath.clone();
            p.push(name.v.clone());
            self.collect(file, sub, Some(me), p);
        }
    }

    fn src_len(&self) -> usize {
        self.files[self.types[self.cur].file].src_len
    }

    fn sp(&self, s: &Str) -> Span {
        span(self.src_len(), s.start, s.end)
    }

    fn ident(&self, s: &Str) -> Ident {
        Ident {
            name: s.v.clone(),
            span: self.sp(s),
        }
    }

    /// Finds a type by a Kaitai reference (`a`, `a::b`) from type `from`.
    fn find_type(&self, from: usize, path: &[&str]) -> Option<usize> {
        let child = |t: usize, n: &str| {
            self.types
                .iter()
                .position(|x| x.parent == Some(t) && x.kpath.last().map(String::as_str) == Some(n))
        };
        let walk = |mut t: usize, rest: &[&str]| {
            for n in rest {
                t = child(t, n)?;
            }
            Some(t)
        };
        let mut scope = Some(from);
        while let Some(s) = scope {
            if let Some(t) = child(s, path[0])
                && let Some(r) = walk(t, &path[1..])
            {
                return Some(r);
            }
            if self.types[s].parent.is_none()
                && self.types[s].kpath[0] == path[0]
                && let Some(r) = walk(s, &path[1..])
            {
                return Some(r);
            }
            scope = self.types[s].parent;
        }
        // top-level types of other files
        self.types
            .iter()
            .enumerate()
            .filter(|(_, t)| t.parent.is_none() && t.kpath[0] == path[0])
            .find_map(|(i, _)| walk(i, &path[1..]))
    }

    fn find_enum(&self, from: usize, path: &[&str]) -> Option<usize> {
        let (last, types) = path.split_last()?;
        let owner = if types.is_empty() {
            // lexical scope upward
            let mut scope = Some(from);
            while let Some(s) = scope {
                if let Some(e) = self
                    .enums
                    .iter()
                    .position(|e| e.owner == s && e.local == *last)
                {
                    return Some(e);
                }
                scope = self.types[s].parent;
            }
            return None;
        } else {
            self.find_type(from, types)?
        };
        self.enums
            .iter()
            .position(|e| e.owner == owner && e.local == *last)
    }

    fn unsupported(s: &Str, what: &str) -> SpecError {
        s.err(format!("not supported yet: {what}"))
    }

    /// The lexical `meta` value of the current type or its ancestors.
    fn lexical<T>(&self, f: impl Fn(&TypeDef) -> Option<T>) -> Option<T> {
        let mut scope = Some(self.cur);
        while let Some(s) = scope {
            if let Some(v) = f(self.types[s].def) {
                return Some(v);
            }
            scope = self.types[s].parent;
        }
        None
    }

    /// Lowers every type of file `file` to items.
    pub fn lower_file(&mut self, file: usize) -> SResult<Vec<Item>> {
        let mut items = Vec::new();
        let ids: Vec<usize> = (0..self.types.len())
            .filter(|&t| self.types[t].file == file)
            .collect();
        // enum bases: the integer type of each enum's first use
        for &t in &ids {
            self.cur = t;
            let def = self.types[t].def;
            for a in def.seq.iter().chain(&def.instances) {
                if let (Some(en), Some(TypeRef::Name(ty))) = (&a.enum_, &a.ty) {
                    let parts: Vec<&str> = en.v.split("::").collect();
                    if let (Some(e), Some(TypeExpr::Prim(p @ Prim::Int { .. }))) =
                        (self.find_enum(t, &parts), self.prim(ty))
                        && self.enums[e].base.is_none()
                    {
                        self.enums[e].base = Some(p);
                    }
                }
            }
        }
        if let Some(e) = &self.files[file].def.meta.endian {
            match e {
                EndianK::Le | EndianK::Be => {
                    self.cur = ids[0];
                    let s = self.files[file]
                        .def
                        .meta
                        .id
                        .as_ref()
                        .map_or(Span::default(), |s| self.sp(s));
                    items.push(Item::Endian(
                        if matches!(e, EndianK::Le) {
                            Endian::Little
                        } else {
                            Endian::Big
                        },
                        s,
                    ));
                }
                EndianK::Switch { .. } => {}
            }
        }
        for &t in &ids {
            self.cur = t;
            items.push(Item::Struct(self.lower_type(t)?));
        }
        for e in 0..self.enums.len() {
            if self.types[self.enums[e].owner].file != file {
                continue;
            }
            self.cur = self.enums[e].owner;
            let info = &self.enums[e];
            let def = self.types[info.owner].def;
            let Some((name, members)) = def.enums.iter().find(|(n, _)| n.v == info.local) else {
                continue;
            };
            items.push(Item::Enum(EnumDecl {
                name: Ident {
                    name: info.name.clone(),
                    span: self.sp(name),
                },
                is_flags: false,
                base: info.base.unwrap_or(Prim::Int {
                    size: 8,
                    signed: true,
                    endian: None,
                }),
                base_span: self.sp(name),
                members: members.iter().map(|(v, n)| (self.ident(n), *v)).collect(),
            }));
        }
        Ok(items)
    }

    fn lower_type(&mut self, t: usize) -> SResult<StructDecl> {
        let info = &self.types[t];
        let def = info.def;
        let name_span = span(self.src_len(), def.start, def.start + 1);
        let endian = match &def.meta.endian {
            Some(EndianK::Le) => Some(EndianSpec::Fixed(Endian::Little)),
            Some(EndianK::Be) => Some(EndianSpec::Fixed(Endian::Big)),
            Some(EndianK::Switch { on, cases }) => {
                let on_e = self.expr_str(on)?;
                let mut arms = Vec::new();
                for (k, le) in cases {
                    let pat = self.pattern(k)?;
                    arms.push((vec![pat], if *le { Endian::Little } else { Endian::Big }));
                }
                Some(EndianSpec::Match(on_e, arms))
            }
            // a nested type has its file's byte order (Kaitai's is lexical, not the caller's)
            None => match self.lexical(|d| d.meta.endian.clone()) {
                Some(EndianK::Le) if info.parent.is_some() => {
                    Some(EndianSpec::Fixed(Endian::Little))
                }
                Some(EndianK::Be) if info.parent.is_some() => Some(EndianSpec::Fixed(Endian::Big)),
                _ => None,
            },
        };
        let bits_little = self.lexical(|d| d.meta.bit_endian_le);
        let mut fields = Vec::new();
        for (i, a) in def.seq.iter().enumerate() {
            self.lower_attr(a, i, false, &mut fields)?;
        }
        // instances: each after those it uses
        let names: Vec<&str> = def
            .instances
            .iter()
            .filter_map(|a| a.id.as_ref().map(|s| s.v.as_str()))
            .collect();
        let mut deps: Vec<HashSet<String>> = Vec::new();
        for a in &def.instances {
            let mut used = HashSet::new();
            for s in [&a.value, &a.pos, &a.io, &a.size, &a.if_]
                .into_iter()
                .flatten()
            {
                if let Ok(e) = expr::parse(&s.v) {
                    names_in(&e, &mut used);
                }
            }
            if let Some(Repeat::Expr(s) | Repeat::Until(s)) = &a.repeat
                && let Ok(e) = expr::parse(&s.v)
            {
                names_in(&e, &mut used);
            }
            used.retain(|n| names.contains(&n.as_str()));
            deps.push(used);
        }
        let mut placed: Vec<bool> = vec![false; def.instances.len()];
        let mut done: HashSet<String> = HashSet::new();
        loop {
            let mut progress = false;
            for i in 0..def.instances.len() {
                if placed[i]
                    || !deps[i].iter().all(|d| {
                        done.contains(d)
                            || Some(d.as_str())
                                == def.instances[i].id.as_ref().map(|s| s.v.as_str())
                    })
                {
                    continue;
                }
                placed[i] = true;
                progress = true;
                let a = &def.instances[i];
                let before = fields.len();
                if let Err(e) = self.lower_attr(a, i, true, &mut fields) {
                    fields.truncate(before);
                    fields.push(self.failing_instance(a, e)?);
                }
                if let Some(id) = &a.id {
                    done.insert(id.v.clone());
                }
            }
            if !progress {
                break;
            }
        }
        if let Some(i) = placed.iter().position(|p| !p) {
            let a = &def.instances[i];
            let id = a.id.as_ref().map_or("?", |s| s.v.as_str());
            return Err(SpecError {
                start: a.start,
                end: a.start + 1,
                path: a.path.clone(),
                message: format!("instance `{id}` depends on itself through other instances"),
                help: None,
            });
        }
        Ok(StructDecl {
            name: Ident {
                name: self.types[t].name.clone(),
                span: name_span,
            },
            params: def.params.iter().map(|p| self.ident(p)).collect(),
            emit_params: true,
            endian,
            bits_little,
            valid: None,
            fields,
        })
    }

    /// A primitive type name (`u4`, `s2be`, `f8`, `b3`), if it is one.
    fn prim(&self, s: &Str) -> Option<TypeExpr> {
        let v = s.v.as_str();
        let (base, endian) = if let Some(b) = v.strip_suffix("le") {
            (b, Some(Endian::Little))
        } else if let Some(b) = v.strip_suffix("be") {
            (b, Some(Endian::Big))
        } else {
            (v, None)
        };
        let mut c = base.chars();
        let kind = c.next()?;
        let n: u8 = c.as_str().parse().ok()?;
        match kind {
            'u' | 's' if matches!(n, 1 | 2 | 4 | 8) => Some(TypeExpr::Prim(Prim::Int {
                size: n,
                signed: kind == 's',
                endian: if n == 1 { None } else { endian },
            })),
            'f' if matches!(n, 4 | 8) => Some(TypeExpr::Prim(Prim::Float { size: n, endian })),
            'b' if (1..=64).contains(&n) => Some(TypeExpr::Bits {
                n,
                as_bool: n == 1,
                little: endian.map(|e| e == Endian::Little),
            }),
            _ => None,
        }
    }

    /// An instance in an encoding unstruct does not know: Kaitai rejects the encoding only
    /// when the instance is read, so it becomes a lazy field that fails when decoded (and
    /// is left out when nothing names it). Any other error `e` is the spec's error.
    fn failing_instance(&self, a: &Attr, e: SpecError) -> SResult<Field> {
        let (Some(id), Some(enc)) = (&a.id, e.message.strip_prefix(UNKNOWN_ENCODING)) else {
            return Err(e);
        };
        let span = self.sp(id);
        let msg = format!("unknown encoding `{}", enc);
        let call = Expr {
            kind: ExprKind::Call(
                Ident {
                    name: "fail".into(),
                    span,
                },
                vec![Expr {
                    kind: ExprKind::Str(msg.into_bytes()),
                    span,
                }],
            ),
            span,
        };
        let mut ts = TypeSpec::bare(TypeExpr::Computed(call), span);
        ts.lazy = Some(span);
        Ok(Field {
            name: FieldName::Named(self.ident(id)),
            spec: ts,
            span,
        })
    }

    fn encoding(&self, a: &Attr) -> SResult<Option<Encoding>> {
        let enc = a
            .encoding
            .clone()
            .or_else(|| self.lexical(|d| d.meta.encoding.clone()));
        let Some(enc) = enc else { return Ok(None) };
        match encoding_by_name(&enc.v) {
            Some(e) => Ok(Some(e)),
            None => Err(Self::unsupported(&enc, &format!("encoding `{}`", enc.v))),
        }
    }

    /// A type name with optional arguments (`foo(1, x)`), a primitive, `str`/`strz`.
    fn type_by_name(&self, s: &Str, a: &Attr, size: &Option<Expr>) -> SResult<TypeExpr> {
        if let Some(p) = self.prim(s) {
            return Ok(p);
        }
        match s.v.as_str() {
            "str" | "strz" => {
                let enc = self.encoding(a)?;
                let z = s.v == "strz" || a.terminator == Some(0);
                if let Some(t) = a.terminator
                    && t != 0
                {
                    return Err(Self::unsupported(s, "a string terminator other than 0"));
                }
                let len = match size {
                    Some(e) => Some(Len::Count(e.clone())),
                    None if a.size_eos => Some(Len::Rest),
                    None => None,
                };
                let kind = match (z, len) {
                    (true, Some(l)) => StrKind::ZFixed(l),
                    (true, None) => StrKind::Z,
                    (false, Some(l)) => StrKind::Fixed(l),
                    (false, None) => {
                        return Err(s.err("a `str` needs `size`, `size-eos` or `terminator`"));
                    }
                };
                return Ok(TypeExpr::Str {
                    kind,
                    enc,
                    trim: a.pad_right.map(|b| vec![b]),
                });
            }
            "bytes" => {
                return Err(s.err("`bytes` is not a type: leave `type` out and give `size`"));
            }
            _ => {}
        }
        // a block scalar (`type: |`) ends in a newline
        let text = s.v.trim_end();
        let (name, args) = match text.find('(') {
            Some(p) => {
                let Some(inner) = text[p + 1..].strip_suffix(')') else {
                    return Err(s.err("expected `)` at the end of the arguments"));
                };
                let parsed = expr::parse(&format!("[{inner}]")).map_err(|e| {
                    let mut x = s.err(e.message);
                    x.start = s.start + p + e.offset;
                    x
                })?;
                let K::Array(items) = parsed.kind else {
                    return Err(s.err("bad arguments"));
                };
                let base = s.start + p;
                let mut out = Vec::new();
                for it in &items {
                    out.push(self.expr(it, base, s)?);
                }
                (&text[..p], out)
            }
            None => (text, Vec::new()),
        };
        let parts: Vec<&str> = name.trim().split("::").collect();
        let mut args = args;
        match self.find_type(self.cur, &parts) {
            Some(t) => Ok(TypeExpr::Named {
                args: {
                    // a parameter with an `enum` receives the argument as that enum's value
                    let def = self.types[t].def;
                    for (arg, en) in args.iter_mut().zip(&def.param_enums) {
                        let Some(en) = en else { continue };
                        let parts: Vec<&str> = en.v.split("::").collect();
                        let Some(e) = self.find_enum(t, &parts) else {
                            return Err(en.err(format!("unknown enum `{}`", en.v)));
                        };
                        let span = arg.span;
                        let inner = std::mem::replace(
                            arg,
                            Expr {
                                kind: ExprKind::Bool(false),
                                span,
                            },
                        );
                        *arg = Expr {
                            kind: ExprKind::Cast(
                                Box::new(inner),
                                Ident {
                                    name: self.enums[e].name.clone(),
                                    span: self.sp(s),
                                },
                            ),
                            span,
                        };
                    }
                    args
                },
                name: Ident {
                    name: self.types[t].name.clone(),
                    span: self.sp(s),
                },
            }),
            None => {
                let mut cands: Vec<&str> = self
                    .types
                    .iter()
                    .filter_map(|t| t.kpath.last().map(String::as_str))
                    .collect();
                cands.extend([
                    "u1", "u2", "u4", "u8", "s1", "s2", "s4", "s8", "f4", "f8", "str", "strz",
                ]);
                let mut e = s.err(format!("unknown type `{name}`"));
                e.help = crate::error::closest(name, cands).map(|c| format!("did you mean `{c}`?"));
                Err(e)
            }
        }
    }

    fn lower_attr(
        &mut self,
        a: &Attr,
        index: usize,
        instance: bool,
        out: &mut Vec<Field>,
    ) -> SResult<()> {
        let src_len = self.src_len();
        let aspan = span(src_len, a.start, a.start + 1);
        let name = match &a.id {
            Some(id) => FieldName::Named(self.ident(id)),
            None => FieldName::Named(Ident {
                name: format!("_unnamed{index}"),
                span: aspan,
            }),
        };
        let process = a.process.as_ref().map(|p| self.process(p)).transpose()?;
        if let Some(v) = &a.value {
            let e = self.expr_str(v)?;
            let mut ts = TypeSpec::bare(TypeExpr::Computed(e), self.sp(v));
            if let Some(c) = &a.if_ {
                ts.if_ = Some(self.expr_str(c)?);
            }
            let ts = match &a.enum_ {
                Some(en) => {
                    let TypeExpr::Computed(e) = ts.ty else {
                        unreachable!()
                    };
                    let eid = self.enum_ref(en)?;
                    let sp = e.span;
                    TypeSpec {
                        ty: TypeExpr::Computed(Expr {
                            kind: ExprKind::Cast(Box::new(e), eid),
                            span: sp,
                        }),
                        ..ts
                    }
                }
                None => ts,
            };
            let mut ts = ts;
            if let Some(v) = &a.valid {
                ts.valid = Some(self.valid(v, a.enum_.as_ref())?);
            }
            if instance {
                // Kaitai's instances are lazy: decoded when first named
                ts.lazy = Some(aspan);
            }
            out.push(Field {
                name,
                spec: ts,
                span: aspan,
            });
            return Ok(());
        }
        let size = a.size.as_ref().map(|s| self.expr_str(s)).transpose()?;
        let size_for_type = if a.ty.is_none()
            || matches!(&a.ty, Some(TypeRef::Name(n)) if n.v == "str" || n.v == "strz")
        {
            size.clone()
        } else {
            None
        };
        // a terminator other than a plain `strz`: the value is decoded inside the bytes up to it
        let is_strz = matches!(&a.ty, Some(TypeRef::Name(n)) if n.v == "strz");
        let strlike = is_strz || matches!(&a.ty, Some(TypeRef::Name(n)) if n.v == "str");
        let term_byte = a.terminator.or(is_strz.then_some(0));
        let plain_z = strlike && term_byte == Some(0) && a.consume && !a.include && a.eos_error;
        // `pad-right` (with a size) is stripped when there is no terminator
        let pad = a.pad_right.filter(|_| size.is_some() || a.size_eos);
        let term = match term_byte {
            _ if a.contents.is_some() => None,
            Some(_) if plain_z && pad.is_none() => None,
            None if pad.is_none() => None,
            _ => Some(Terminator {
                byte: term_byte,
                pad,
                unit: if strlike
                    && matches!(
                        self.encoding(a)?,
                        Some(Encoding::Utf16le | Encoding::Utf16be)
                    ) {
                    2
                } else {
                    1
                },
                consume: a.consume,
                include: a.include,
                eos_error: a.eos_error && size.is_none() && !a.size_eos,
            }),
        };
        let ty_span = span(src_len, a.start, a.start + 1);
        let mut elem_ty = match term {
            Some(t) => {
                let mut inner = a.clone();
                inner.terminator = None;
                inner.pad_right = None;
                inner.size = None;
                inner.size_eos = true;
                if let Some(TypeRef::Name(n)) = &a.ty
                    && n.v == "strz"
                {
                    inner.ty = Some(TypeRef::Name(Str {
                        v: "str".into(),
                        ..n.clone()
                    }));
                }
                let ity = self.elem_type(&inner, &None, true)?;
                // Kaitai finds the terminator and strips the padding in the raw bytes, then
                // processes what is left
                let mut its = TypeSpec::bare(ity, ty_span);
                its.process = process.clone().map(|p| (p, ty_span));
                TypeExpr::Terminated(t, Box::new(its))
            }
            // the processed bytes of the region are the value's input
            None if process.is_some() && (size.is_some() || a.size_eos) => {
                let mut inner = a.clone();
                inner.size = None;
                inner.size_eos = true;
                self.elem_type(&inner, &None, true)?
            }
            None => self.elem_type(a, &size_for_type, size.is_some())?,
        };
        // enums over integers
        let mut cast_enum: Option<Ident> = None;
        if let Some(en) = &a.enum_ {
            let eid = self.enum_ix(en)?;
            match &elem_ty {
                TypeExpr::Prim(p @ Prim::Int { .. }) if self.enums[eid].base == Some(*p) => {
                    elem_ty = TypeExpr::Named {
                        name: Ident {
                            name: self.enums[eid].name.clone(),
                            span: self.sp(en),
                        },
                        args: Vec::new(),
                    };
                }
                TypeExpr::Prim(Prim::Int { .. }) | TypeExpr::Bits { .. } => {
                    if a.repeat.is_some() {
                        return Err(Self::unsupported(
                            en,
                            "a repeated enum field whose integer type differs from the enum's other uses",
                        ));
                    }
                    cast_enum = Some(Ident {
                        name: self.enums[eid].name.clone(),
                        span: self.sp(en),
                    });
                    if let TypeExpr::Bits { as_bool, .. } = &mut elem_ty {
                        *as_bool = false;
                    }
                }
                _ => return Err(en.err("`enum` needs an integer type")),
            }
        }
        let user_sized =
            size.is_some() && (size_for_type.is_none() || term.is_some() || process.is_some());
        // with a terminator or padding, the process is inside the terminated region
        let process = if term.is_some() { None } else { process };
        let mut spec = match &a.repeat {
            None => {
                let mut ts = TypeSpec::bare(elem_ty, ty_span);
                if user_sized {
                    ts.size = size.clone();
                    ts.process = process.clone().map(|p| (p, ty_span));
                } else if a.size_eos
                    && (process.is_some()
                        || !matches!(ts.ty, TypeExpr::Bytes(_) | TypeExpr::Str { .. }))
                {
                    ts.process = process.clone().map(|p| (p, ty_span));
                    ts.size = Some(Expr {
                        kind: ExprKind::Builtin(Builtin::Remaining),
                        span: ty_span,
                    });
                }
                ts
            }
            Some(r) => {
                let mut elem = TypeSpec::bare(elem_ty, ty_span);
                // Kaitai checks `valid` on every element
                if let Some(v) = &a.valid {
                    elem.valid = Some(self.valid(v, a.enum_.as_ref())?);
                }
                let (len, until) = match r {
                    Repeat::Eos => (Len::Rest, None),
                    Repeat::Expr(e) => (Len::Count(self.expr_str(e)?), None),
                    Repeat::Until(e) => (Len::Rest, Some(self.expr_str(e)?)),
                };
                let mut ts = TypeSpec::bare(
                    TypeExpr::Array(Box::new(ArrayType {
                        elem,
                        len,
                        until,
                        while_: None,
                    })),
                    ty_span,
                );
                if user_sized {
                    ts.each_size = size.clone();
                    ts.each_process = process.clone().map(|p| (p, ty_span));
                }
                ts
            }
        };
        if let Some(c) = &a.if_ {
            spec.if_ = Some(self.expr_str(c)?);
        }
        // `parent: E` on a user type (on each element of a repeated one); on a `switch-on`
        // or a terminated value, and `parent: false` (no parent at all), it is not honoured
        if let Some(p) = a.parent.as_ref().filter(|p| p.v.trim() != "false") {
            let e = self.expr_str(p)?;
            let ty = match &spec.ty {
                TypeExpr::Array(arr) => &arr.elem.ty,
                t => t,
            };
            if matches!(ty, TypeExpr::Named { .. }) {
                spec.parent = Some(e);
            }
        }
        if instance {
            // `pos` counts in the current stream (Kaitai's `_io`), or in the one `io` names
            let io = match &a.io {
                Some(s) => Some(self.expr_str(s)?),
                None => a.pos.as_ref().map(|p| Expr {
                    kind: ExprKind::Builtin(Builtin::Io),
                    span: self.sp(p),
                }),
            };
            if let Some(io) = io {
                spec.at = Some(match &a.pos {
                    Some(p) => self.expr_str(p)?,
                    // no `pos`: where that stream stands
                    None => Expr {
                        span: io.span,
                        kind: ExprKind::Member(
                            Box::new(io.clone()),
                            Ident {
                                name: "pos".into(),
                                span: io.span,
                            },
                        ),
                    },
                });
                spec.io = Some(io);
            }
        } else if let Some(p) = &a.pos {
            return Err(p.err("`pos` is only allowed in instances"));
        } else if let Some(io) = &a.io {
            return Err(io.err("`io` is only allowed in instances"));
        }
        if let Some(v) = &a.valid
            && a.repeat.is_none()
        {
            spec.valid = Some(self.valid(v, a.enum_.as_ref())?);
        }
        if instance && (a.pos.is_some() || a.io.is_some()) {
            spec.lazy = Some(aspan);
        }
        match cast_enum {
            None => out.push(Field {
                name,
                spec,
                span: aspan,
            }),
            Some(en) => {
                let FieldName::Named(id) = name.clone() else {
                    unreachable!()
                };
                let raw = format!("_raw_{}", id.name);
                out.push(Field {
                    name: FieldName::Hidden(Ident {
                        name: raw.clone(),
                        span: id.span,
                    }),
                    spec,
                    span: aspan,
                });
                let e = Expr {
                    kind: ExprKind::Name(Ident {
                        name: raw,
                        span: id.span,
                    }),
                    span: id.span,
                };
                out.push(Field {
                    name,
                    spec: TypeSpec::bare(
                        TypeExpr::Computed(Expr {
                            kind: ExprKind::Cast(Box::new(e), en),
                            span: id.span,
                        }),
                        id.span,
                    ),
                    span: aspan,
                });
            }
        }
        Ok(())
    }

    /// The type of one element of a field (before `repeat`, `enum` and the modifiers).
    fn elem_type(&self, a: &Attr, size_for_type: &Option<Expr>, sized: bool) -> SResult<TypeExpr> {
        Ok(match (&a.contents, &a.ty) {
            (Some((bytes, _text)), _) => TypeExpr::Const {
                bytes: bytes.clone(),
                text: false,
            },
            (None, None) => match &size_for_type {
                Some(e) => TypeExpr::Bytes(Len::Count(e.clone())),
                None if a.size_eos => TypeExpr::Bytes(Len::Rest),
                None if a.terminator.is_some() => {
                    let s = Str {
                        v: String::new(),
                        start: a.start,
                        end: a.start + 1,
                        path: a.path.clone(),
                        plain: true,
                    };
                    return Err(Self::unsupported(&s, "byte arrays ended by a `terminator`"));
                }
                None => {
                    return Err(SpecError {
                        start: a.start,
                        end: a.start + 1,
                        path: a.path.clone(),
                        message: "a field without `type` needs `size`, `size-eos` or `contents`"
                            .into(),
                        help: None,
                    });
                }
            },
            (None, Some(TypeRef::Name(n))) => self.type_by_name(n, a, size_for_type)?,
            (None, Some(TypeRef::Switch { on, cases })) => {
                let on_e = self.expr_str(on)?;
                let mut arms = Vec::new();
                let mut has_default = false;
                for (k, v) in cases {
                    let pat = self.pattern(k)?;
                    has_default |= matches!(pat, Pattern::Wildcard(_));
                    let ty = self.type_by_name(v, a, &None)?;
                    arms.push(MatchArm {
                        patterns: vec![pat],
                        spec: TypeSpec::bare(ty, self.sp(v)),
                    });
                }
                if !has_default {
                    // no case matches: the raw bytes of a sized field, else nothing (null)
                    let ty = if sized || a.size_eos {
                        TypeExpr::Bytes(Len::Rest)
                    } else {
                        TypeExpr::Pad(Len::Count(Expr {
                            kind: ExprKind::Int(0),
                            span: self.sp(on),
                        }))
                    };
                    arms.push(MatchArm {
                        patterns: vec![Pattern::Wildcard(self.sp(on))],
                        spec: TypeSpec::bare(ty, self.sp(on)),
                    });
                }
                TypeExpr::Match { on: on_e, arms }
            }
        })
    }

    fn valid(&self, v: &Valid, en: Option<&Str>) -> SResult<Expr> {
        let this = |s: &Str| Expr {
            kind: ExprKind::This,
            span: self.sp(s),
        };
        let bin = |op, a: Expr, b: Expr| {
            let sp = b.span;
            Expr {
                kind: ExprKind::Binary(op, Box::new(a), Box::new(b)),
                span: sp,
            }
        };
        Ok(match v {
            Valid::Eq(e) => bin(BinOp::Eq, this(e), self.expr_str(e)?),
            Valid::Range { min, max } => {
                let lo = min
                    .as_ref()
                    .map(|m| Ok::<_, SpecError>(bin(BinOp::Ge, this(m), self.expr_str(m)?)))
                    .transpose()?;
                let hi = max
                    .as_ref()
                    .map(|m| Ok::<_, SpecError>(bin(BinOp::Le, this(m), self.expr_str(m)?)))
                    .transpose()?;
                match (lo, hi) {
                    (Some(a), Some(b)) => bin(BinOp::And, a, b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => Expr {
                        kind: ExprKind::Bool(true),
                        span: Span::default(),
                    },
                }
            }
            Valid::AnyOf(list) => {
                let mut acc: Option<Expr> = None;
                for s in list {
                    let c = bin(BinOp::Eq, this(s), self.expr_str(s)?);
                    acc = Some(match acc {
                        None => c,
                        Some(a) => bin(BinOp::Or, a, c),
                    });
                }
                acc.unwrap_or(Expr {
                    kind: ExprKind::Bool(false),
                    span: Span::default(),
                })
            }
            Valid::InEnum => {
                let Some(en) = en else {
                    return Err(SpecError {
                        start: 0,
                        end: 1,
                        path: String::new(),
                        message: "`valid: in-enum` needs `enum`".into(),
                        help: None,
                    });
                };
                let eid = self.enum_ix(en)?;
                let info = &self.enums[eid];
                let members = self.types[info.owner]
                    .def
                    .enums
                    .iter()
                    .find(|(n, _)| n.v == info.local)
                    .map_or(&[][..], |(_, m)| m.as_slice());
                let mut acc: Option<Expr> = None;
                for (_, m) in members {
                    let member = Expr {
                        kind: ExprKind::EnumMember(
                            Ident {
                                name: info.name.clone(),
                                span: self.sp(en),
                            },
                            self.ident(m),
                        ),
                        span: self.sp(en),
                    };
                    let c = bin(BinOp::Eq, this(en), member);
                    acc = Some(match acc {
                        None => c,
                        Some(a) => bin(BinOp::Or, a, c),
                    });
                }
                acc.unwrap_or(Expr {
                    kind: ExprKind::Bool(false),
                    span: self.sp(en),
                })
            }
            Valid::Expr(e) => self.expr_str(e)?,
        })
    }

    fn enum_ix(&self, en: &Str) -> SResult<usize> {
        let parts: Vec<&str> = en.v.split("::").collect();
        self.find_enum(self.cur, &parts).ok_or_else(|| {
            let mut e = en.err(format!("unknown enum `{}`", en.v));
            e.help = crate::error::closest(&en.v, self.enums.iter().map(|e| e.local.as_str()))
                .map(|c| format!("did you mean `{c}`?"));
            e
        })
    }

    fn enum_ref(&self, en: &Str) -> SResult<Ident> {
        let i = self.enum_ix(en)?;
        Ok(Ident {
            name: self.enums[i].name.clone(),
            span: self.sp(en),
        })
    }

    /// A `switch-on` case key as a pattern.
    fn pattern(&self, k: &Str) -> SResult<Pattern> {
        let sp = self.sp(k);
        if k.v == "_" {
            return Ok(Pattern::Wildcard(sp));
        }
        let e = expr::parse(&k.v).map_err(|e| k.err(e.message))?;
        match &e.kind {
            K::Int(v) => Ok(Pattern::Int(*v, sp)),
            K::Bool(b) => Ok(Pattern::Int(i128::from(*b), sp)),
            K::Str(s) => Ok(Pattern::Bytes(s.as_bytes().to_vec(), sp)),
            K::Array(items) => {
                let mut out = Vec::new();
                for it in items {
                    match it.kind {
                        K::Int(v) if (0..=255).contains(&v) => out.push(v as u8),
                        _ => return Err(k.err("a byte array case needs byte values")),
                    }
                }
                Ok(Pattern::Bytes(out, sp))
            }
            K::Path(parts) => {
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                let Some((member, en)) = refs.split_last() else {
                    return Err(k.err("bad case"));
                };
                let Some(eid) = self.find_enum(self.cur, en) else {
                    return Err(k.err(format!("unknown enum `{}`", en.join("::"))));
                };
                Ok(Pattern::Member(
                    Some(Ident {
                        name: self.enums[eid].name.clone(),
                        span: sp,
                    }),
                    Ident {
                        name: member.to_string(),
                        span: sp,
                    },
                ))
            }
            _ => Err(Self::unsupported(
                k,
                "a case key that is not a literal or an enum member",
            )),
        }
    }

    fn expr_str(&self, s: &Str) -> SResult<Expr> {
        let e = expr::parse(&s.v).map_err(|e| {
            let mut x = s.err(e.message);
            x.start = (s.start + e.offset).min(s.end.max(s.start));
            x.end = x.start + 1;
            x
        })?;
        self.expr(&e, s.start, s)
    }

    /// `process: zlib`, `xor(key)`, `rol(n)`, `ror(n)`.
    fn process(&self, p: &Str) -> SResult<Process> {
        let text = p.v.trim_end();
        let (name, arg) = match text.find('(') {
            Some(i) => match text[i + 1..].strip_suffix(')') {
                Some(inner) => (p.v[..i].trim(), Some((i + 1, inner))),
                None => return Err(p.err("expected `)` at the end of the arguments")),
            },
            None => (p.v.trim(), None),
        };
        let arg = |what: &str| -> SResult<Expr> {
            let Some((off, text)) = arg else {
                return Err(p.err(format!("`{what}` needs an argument")));
            };
            let e = expr::parse(text).map_err(|e| {
                let mut x = p.err(e.message);
                x.start = p.start + off + e.offset;
                x.end = x.start + 1;
                x
            })?;
            self.expr(&e, p.start + off, p)
        };
        Ok(match name {
            "zlib" => Process::Zlib,
            "xor" => Process::Xor(arg("xor")?),
            "rol" => Process::Rol(arg("rol")?),
            "ror" => Process::Ror(arg("ror")?),
            other => {
                return Err(Self::unsupported(
                    p,
                    &format!("the custom process `{other}`"),
                ));
            }
        })
    }

    /// Whether some loaded type has a field or instance named `name`.
    fn declared(&self, name: &str) -> bool {
        self.types.iter().any(|t| {
            t.def
                .seq
                .iter()
                .chain(&t.def.instances)
                .any(|a| a.id.as_ref().is_some_and(|i| i.v == name))
        })
    }

    /// Whether the current type has a field or instance named `name`.
    fn declared_here(&self, name: &str) -> bool {
        let def = self.types[self.cur].def;
        def.seq
            .iter()
            .chain(&def.instances)
            .any(|a| a.id.as_ref().is_some_and(|i| i.v == name))
    }

    /// Whether `x` names a field or instance of the current type that has an `enum`.
    fn is_enum_field(&self, x: &KExpr) -> bool {
        let K::Name(n) = &x.kind else { return false };
        let def = self.types[self.cur].def;
        def.seq
            .iter()
            .chain(&def.instances)
            .any(|a| a.enum_.is_some() && a.id.as_ref().is_some_and(|i| &i.v == n))
    }

    /// Lowers a Kaitai expression; `base` is the byte offset of its text in the source.
    fn expr(&self, e: &KExpr, base: usize, s: &Str) -> SResult<Expr> {
        let src_len = self.src_len();
        let sp = span(src_len, base + e.start, base + e.end);
        let mk = |kind| Expr { kind, span: sp };
        let bx = |x: &KExpr| self.expr(x, base, s).map(Box::new);
        let unsup = |what: &str| {
            let mut x = Self::unsupported(s, what);
            x.start = base + e.start;
            x.end = base + e.end.max(e.start + 1);
            x
        };
        let id = |n: &str| Ident {
            name: n.to_string(),
            span: sp,
        };
        Ok(match &e.kind {
            K::Int(v) => mk(ExprKind::Int(*v)),
            K::Bool(b) => mk(ExprKind::Bool(*b)),
            K::Str(t) => mk(ExprKind::Str(t.as_bytes().to_vec())),
            K::Float(f) => mk(ExprKind::Float(*f)),
            // integer literals 0..=255 only make bytes, as in Kaitai
            K::Array(items) => mk(ExprKind::Array(
                items
                    .iter()
                    .map(|x| self.expr(x, base, s))
                    .collect::<SResult<_>>()?,
            )),
            K::Name(n) => match n.as_str() {
                "_" => mk(ExprKind::This),
                "_root" => mk(ExprKind::Name(id("root"))),
                "_parent" => mk(ExprKind::Name(id("parent"))),
                "_index" => mk(ExprKind::Builtin(Builtin::Index)),
                "_io" => mk(ExprKind::Builtin(Builtin::Io)),
                "_sizeof" => mk(ExprKind::Builtin(Builtin::Size)),
                // a field of that name: the plan's `root`/`parent` are `_root` and `_parent`
                // (a parameter of that name is still read as them)
                "root" | "parent" if self.declared_here(n) => {
                    return Err(unsup(&format!(
                        "naming the field `{n}` in an expression (the field is read and \
                         written; `_{n}` names the outer struct)"
                    )));
                }
                _ => mk(ExprKind::Name(id(n))),
            },
            K::Path(parts) => {
                let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
                let Some((member, en)) = refs.split_last() else {
                    return Err(unsup("this path"));
                };
                match self.find_enum(self.cur, en) {
                    Some(eid) => mk(ExprKind::EnumMember(id(&self.enums[eid].name), id(member))),
                    None => {
                        let mut x = s.err(format!("unknown enum `{}`", en.join("::")));
                        x.start = base + e.start;
                        x.end = base + e.end;
                        return Err(x);
                    }
                }
            }
            K::Attr(x, name) => match (&x.kind, name.as_str()) {
                (_, "_io") => mk(ExprKind::Call(id("io"), vec![self.expr(x, base, s)?])),
                (_, "_parent") => mk(ExprKind::Member(bx(x)?, id("parent"))),
                (_, "_root") => mk(ExprKind::Name(id("root"))),
                (_, "_sizeof") => mk(ExprKind::Call(id("sizeof"), vec![self.expr(x, base, s)?])),
                // a field of that name somewhere: which one is meant is known when decoding
                // (a struct's field wins, as in Kaitai; of an array, text or bytes, the method)
                (_, "length" | "size" | "first" | "last") if self.declared(name) => {
                    mk(ExprKind::Member(bx(x)?, id(name)))
                }
                (_, "length" | "size") => {
                    mk(ExprKind::Call(id("len"), vec![self.expr(x, base, s)?]))
                }
                (_, "first") => mk(ExprKind::Index(bx(x)?, Box::new(mk(ExprKind::Int(0))))),
                (_, "last") => mk(ExprKind::Index(bx(x)?, Box::new(mk(ExprKind::Int(-1))))),
                (_, "min" | "max") => mk(ExprKind::Call(id(name), vec![self.expr(x, base, s)?])),
                (_, "to_s") => mk(ExprKind::Call(id("str"), vec![self.expr(x, base, s)?])),
                // an enum's integer value (text is parsed by `int`)
                (_, "to_i") if self.is_enum_field(x) => mk(ExprKind::Binary(
                    BinOp::Add,
                    bx(x)?,
                    Box::new(mk(ExprKind::Int(0))),
                )),
                (_, "to_i") => mk(ExprKind::Call(id("int"), vec![self.expr(x, base, s)?])),
                (_, "reverse") => mk(ExprKind::Call(id("reverse"), vec![self.expr(x, base, s)?])),
                (_, m @ "to_f") => {
                    return Err(unsup(&format!("`.{m}`")));
                }
                _ => mk(ExprKind::Member(bx(x)?, id(name))),
            },
            K::Method(x, m, args) => match (m.as_str(), args.as_slice()) {
                ("to_s", [enc]) => {
                    let K::Str(name) = &enc.kind else {
                        return Err(unsup("an encoding that is not a literal"));
                    };
                    let Some(e) = encoding_by_name(name) else {
                        return Err(unsup(&format!("encoding `{name}`")));
                    };
                    mk(ExprKind::Call(
                        id("str"),
                        vec![
                            self.expr(x, base, s)?,
                            mk(ExprKind::Str(e.name().as_bytes().to_vec())),
                        ],
                    ))
                }
                ("to_i", [radix]) => mk(ExprKind::Call(
                    id("int"),
                    vec![self.expr(x, base, s)?, self.expr(radix, base, s)?],
                )),
                ("substring", [from, to]) => {
                    mk(ExprKind::Slice(bx(x)?, Some(bx(from)?), Some(bx(to)?)))
                }
                _ => return Err(unsup(&format!("the method `.{m}()`"))),
            },
            K::Index(a, i) => mk(ExprKind::Index(bx(a)?, bx(i)?)),
            // a cast changes the static type only: the value is the same
            K::As(x, t) if t == "bytes" && matches!(x.kind, K::Array(_)) => {
                mk(ExprKind::Cast(bx(x)?, id("bytes")))
            }
            K::As(x, _) => self.expr(x, base, s)?,
            K::SizeOf(t) => {
                let name = match self.prim(&Str {
                    v: t.clone(),
                    start: base + e.start,
                    end: base + e.end,
                    path: s.path.clone(),
                    plain: true,
                }) {
                    Some(TypeExpr::Prim(p)) => return Ok(mk(ExprKind::Int(p.size() as i128))),
                    Some(_) => return Err(unsup("`sizeof` of a bit type")),
                    None => {
                        let parts: Vec<&str> = t.trim().split("::").collect();
                        match self.find_type(self.cur, &parts) {
                            Some(ti) => self.types[ti].name.clone(),
                            None => {
                                let mut x = s.err(format!("unknown type `{t}`"));
                                x.start = base + e.start;
                                x.end = base + e.end;
                                return Err(x);
                            }
                        }
                    }
                };
                mk(ExprKind::Call(
                    id("sizeof"),
                    vec![mk(ExprKind::Name(id(&name)))],
                ))
            }
            K::Unary(op, x) => mk(ExprKind::Unary(*op, bx(x)?)),
            K::Binary(..) => {
                // a left-associative chain (`a + b + c + …`) by a loop, not by recursion
                let mut spine = Vec::new();
                let mut cur = e;
                while let K::Binary(op, a, b) = &cur.kind {
                    spine.push((cur, *op, &**b));
                    cur = a;
                }
                let mut acc = self.expr(cur, base, s)?;
                for (node, op, b) in spine.into_iter().rev() {
                    let rhs = self.expr(b, base, s)?;
                    acc = Expr {
                        kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)),
                        span: span(src_len, base + node.start, base + node.end),
                    };
                }
                acc
            }
            K::Cond(c, a, b) => mk(ExprKind::Cond(bx(c)?, bx(a)?, bx(b)?)),
        })
    }
}

/// Names an expression reads directly (not after a `.`).
fn names_in(e: &KExpr, out: &mut HashSet<String>) {
    match &e.kind {
        K::Name(n) => {
            out.insert(n.clone());
        }
        // a fixed size needs no decode (and a size that depends on the data is read from a
        // lazy field, which may come later)
        K::Attr(_, a) if a == "_sizeof" => {}
        K::Attr(x, _) | K::As(x, _) | K::Unary(_, x) => names_in(x, out),
        K::Method(x, _, args) => {
            names_in(x, out);
            args.iter().for_each(|a| names_in(a, out));
        }
        K::Index(a, b) | K::Binary(_, a, b) => {
            names_in(a, out);
            names_in(b, out);
        }
        K::Cond(a, b, c) => {
            names_in(a, out);
            names_in(b, out);
            names_in(c, out);
        }
        K::Array(items) => items.iter().for_each(|a| names_in(a, out)),
        _ => {}
    }
}

/// The start of the error for an encoding unstruct does not know (`unsupported`'s prefix;
/// its name and a backquote follow).
const UNKNOWN_ENCODING: &str = "not supported yet: encoding `";

/// An encoding by its Kaitai name (case and `-`/`_` ignored, as the Kaitai compiler does), or
/// by a WHATWG label (`windows-1252`, `cp1251`, `EUC-KR`).
fn encoding_by_name(name: &str) -> Option<Encoding> {
    let norm = name.to_ascii_lowercase().replace(['-', '_'], "");
    Some(match norm.as_str() {
        "utf8" => Encoding::Utf8,
        "ascii" | "usascii" => Encoding::Ascii,
        "iso88591" | "latin1" => Encoding::Latin1,
        "cp437" | "ibm437" => Encoding::Cp437,
        "utf16le" => Encoding::Utf16le,
        "utf16be" => Encoding::Utf16be,
        "sjis" | "shiftjis" | "cp932" => Encoding::ShiftJis,
        // the runtime resolves any other name: every label of the WHATWG Encoding Standard
        _ => return Encoding::from_name(&norm).or_else(|| Encoding::from_label(name)),
    })
}
