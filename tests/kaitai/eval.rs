//! Evaluates Kaitai expressions (the `actual` and `expected` of a `.kst` assert) over a
//! decoded value tree, independently of the decoder's own expression evaluator.

use super::tree::V;
use unstruct::ksy::expr::{BinOp, K, KExpr, UnOp};

pub type E<T> = Result<T, String>;

fn num(v: &V) -> Option<f64> {
    match v {
        V::Int(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        _ => None,
    }
}

fn bytes_of(v: &V) -> Option<Vec<u8>> {
    match v {
        V::Bytes(b) => Some(b.clone()),
        V::Arr(items) => items
            .iter()
            .map(|x| match x {
                V::Int(i) => u8::try_from(*i).ok(),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Kaitai's equality: numbers by value, byte arrays with integer lists, enums by name.
pub fn equal(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Int(x), V::Int(y)) => x == y,
        (V::Float(_) | V::Int(_), V::Float(_) | V::Int(_)) => {
            let (x, y) = (num(a).unwrap_or(0.0), num(b).unwrap_or(1.0));
            x == y || (x - y).abs() <= 1e-6 * x.abs().max(y.abs())
        }
        (V::Bytes(_), _) | (_, V::Bytes(_)) => match (bytes_of(a), bytes_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (V::Arr(x), V::Arr(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q)),
        (V::Bool(x), V::Int(y)) | (V::Int(y), V::Bool(x)) => i128::from(*x) == *y,
        _ => a == b,
    }
}

fn field<'v>(obj: &'v V, name: &str) -> E<&'v V> {
    match obj {
        // a field that `if` left out is Kaitai's null
        V::Obj(fields) => Ok(fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or(&V::Null, |(_, v)| v)),
        _ => Err(format!("`{name}` read from a value that is not a struct")),
    }
}

fn int(v: &V) -> E<i128> {
    match v {
        V::Int(i) => Ok(*i),
        V::Bool(b) => Ok(i128::from(*b)),
        _ => Err(format!("expected an integer, got {v:?}")),
    }
}

fn decode_text(b: &[u8], enc: &str) -> E<String> {
    let e = enc.to_ascii_lowercase().replace(['-', '_'], "");
    Ok(match e.as_str() {
        "utf16le" | "utf16be" => {
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| {
                    let pair = [c[0], *c.get(1).unwrap_or(&0)];
                    if e == "utf16le" {
                        u16::from_le_bytes(pair)
                    } else {
                        u16::from_be_bytes(pair)
                    }
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        "iso88591" | "latin1" => b.iter().map(|&c| c as char).collect(),
        _ => String::from_utf8_lossy(b).into_owned(),
    })
}

pub fn eval(e: &KExpr, root: &V) -> E<V> {
    eval_in(e, root, root)
}

fn eval_in(e: &KExpr, root: &V, this: &V) -> E<V> {
    let ev = |x: &KExpr| eval_in(x, root, this);
    Ok(match &e.kind {
        K::Int(i) => V::Int(*i),
        K::Float(f) => V::Float(*f),
        K::Str(s) => V::Str(s.clone()),
        K::Bool(b) => V::Bool(*b),
        K::Array(items) => V::Arr(items.iter().map(ev).collect::<E<_>>()?),
        K::Name(n) => match n.as_str() {
            "_root" => root.clone(),
            "null" => V::Null,
            _ => field(this, n)?.clone(),
        },
        // an enum member compares by its name
        K::Path(parts) => V::Str(parts.last().cloned().unwrap_or_default()),
        K::Attr(x, name) => {
            let v = ev(x)?;
            match (name.as_str(), &v) {
                ("size" | "length", V::Arr(a)) => V::Int(a.len() as i128),
                ("size" | "length", V::Bytes(b)) => V::Int(b.len() as i128),
                ("length", V::Str(s)) => V::Int(s.chars().count() as i128),
                ("first", V::Arr(a)) => a.first().cloned().ok_or("`.first` of an empty array")?,
                ("last", V::Arr(a)) => a.last().cloned().ok_or("`.last` of an empty array")?,
                ("first", V::Bytes(a)) => V::Int((*a.first().ok_or("empty")?).into()),
                ("last", V::Bytes(a)) => V::Int((*a.last().ok_or("empty")?).into()),
                ("min" | "max", V::Arr(_) | V::Bytes(_)) => {
                    let items: Vec<V> = match &v {
                        V::Bytes(b) => b.iter().map(|&x| V::Int(x.into())).collect(),
                        V::Arr(a) => a.clone(),
                        _ => Vec::new(),
                    };
                    let mut best: Option<V> = None;
                    for it in items {
                        let better = match &best {
                            None => true,
                            Some(b) => {
                                let o = compare(&it, b)?;
                                if name == "min" { o.is_lt() } else { o.is_gt() }
                            }
                        };
                        if better {
                            best = Some(it);
                        }
                    }
                    best.ok_or("`.min`/`.max` of an empty array")?
                }
                ("to_s", V::Int(i)) => V::Str(i.to_string()),
                ("to_s", V::Str(_)) => v.clone(),
                ("to_i", V::Int(_)) => v.clone(),
                ("to_i", V::Float(f)) => V::Int(f.trunc() as i128),
                ("to_i", V::Bool(b)) => V::Int((*b).into()),
                ("to_i", V::Str(s)) => V::Int(s.parse().map_err(|_| format!("`{s}`.to_i"))?),
                ("reverse", V::Str(s)) => V::Str(s.chars().rev().collect()),
                ("reverse", V::Bytes(b)) => V::Bytes(b.iter().rev().copied().collect()),
                _ => field(&v, name)?.clone(),
            }
        }
        K::Method(x, m, args) => {
            let v = ev(x)?;
            let args: Vec<V> = args.iter().map(ev).collect::<E<_>>()?;
            match (m.as_str(), &v, args.as_slice()) {
                ("to_s", V::Bytes(b), [V::Str(enc)]) => V::Str(decode_text(b, enc)?),
                ("to_s", V::Str(s), [_]) => V::Str(s.clone()),
                ("to_i", V::Str(s), [base]) => {
                    V::Int(i128::from_str_radix(s, int(base)? as u32).map_err(|e| e.to_string())?)
                }
                ("substring", V::Str(s), [a, b]) => {
                    let (a, b) = (int(a)? as usize, int(b)? as usize);
                    V::Str(s.chars().skip(a).take(b.saturating_sub(a)).collect())
                }
                _ => return Err(format!("method `.{m}` not evaluated by the runner")),
            }
        }
        K::Index(a, i) => {
            let a = ev(a)?;
            let i = int(&ev(i)?)?;
            match &a {
                V::Arr(items) => items
                    .get(usize::try_from(i).map_err(|_| "negative index")?)
                    .cloned()
                    .ok_or("index out of range")?,
                V::Bytes(b) => V::Int(
                    (*b.get(usize::try_from(i).map_err(|_| "negative index")?)
                        .ok_or("index out of range")?)
                    .into(),
                ),
                _ => return Err("indexing a value that is not an array".into()),
            }
        }
        K::As(x, _) => ev(x)?,
        K::SizeOf(_) => return Err("`sizeof` not evaluated by the runner".into()),
        K::Unary(op, x) => {
            let v = ev(x)?;
            match (op, &v) {
                (UnOp::Neg, V::Int(i)) => V::Int(-i),
                (UnOp::Neg, V::Float(f)) => V::Float(-f),
                (UnOp::Not, V::Bool(b)) => V::Bool(!b),
                (UnOp::BitNot, V::Int(i)) => V::Int(!i),
                _ => return Err(format!("cannot apply {op:?} to {v:?}")),
            }
        }
        K::Binary(op, a, b) => {
            let (x, y) = (ev(a)?, ev(b)?);
            binary(*op, &x, &y)?
        }
        K::Cond(c, a, b) => match ev(c)? {
            V::Bool(true) => ev(a)?,
            V::Bool(false) => ev(b)?,
            v => return Err(format!("condition is not a boolean: {v:?}")),
        },
    })
}

fn compare(a: &V, b: &V) -> E<std::cmp::Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Ok(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        _ => match (num(a), num(b), bytes_of(a), bytes_of(b)) {
            (Some(x), Some(y), _, _) => x.partial_cmp(&y).ok_or_else(|| "NaN".to_string()),
            (_, _, Some(x), Some(y)) => Ok(x.cmp(&y)),
            _ => Err(format!("cannot compare {a:?} and {b:?}")),
        },
    }
}

fn binary(op: BinOp, x: &V, y: &V) -> E<V> {
    use BinOp::*;
    Ok(match op {
        Eq => V::Bool(equal(x, y)),
        Ne => V::Bool(!equal(x, y)),
        Lt => V::Bool(compare(x, y)?.is_lt()),
        Le => V::Bool(compare(x, y)?.is_le()),
        Gt => V::Bool(compare(x, y)?.is_gt()),
        Ge => V::Bool(compare(x, y)?.is_ge()),
        // `??` is the descriptor language's; Kaitai's expression parser never produces it
        Coalesce => return Err("`??` is not a Kaitai operator".into()),
        And | Or => match (x, y) {
            (V::Bool(a), V::Bool(b)) => V::Bool(if op == And { *a && *b } else { *a || *b }),
            _ => return Err("`and`/`or` of non-booleans".into()),
        },
        Add => match (x, y) {
            (V::Str(a), V::Str(b)) => V::Str(format!("{a}{b}")),
            (V::Int(a), V::Int(b)) => V::Int(a + b),
            _ => V::Float(num(x).ok_or("bad +")? + num(y).ok_or("bad +")?),
        },
        Sub | Mul | Div | Rem => match (x, y) {
            (V::Int(a), V::Int(b)) => V::Int(match op {
                Sub => a - b,
                Mul => a * b,
                Div if *b != 0 => floor_div(*a, *b),
                Rem if *b != 0 => a - b * floor_div(*a, *b),
                _ => return Err("division by zero".into()),
            }),
            _ => {
                let (a, b) = (num(x).ok_or("bad operand")?, num(y).ok_or("bad operand")?);
                V::Float(match op {
                    Sub => a - b,
                    Mul => a * b,
                    Div => a / b,
                    _ => a.rem_euclid(b),
                })
            }
        },
        Shl | Shr | BitAnd | BitOr | BitXor => {
            let (a, b) = (int(x)?, int(y)?);
            V::Int(match op {
                Shl => a << (b & 127),
                Shr => a >> (b & 127),
                BitAnd => a & b,
                BitOr => a | b,
                _ => a ^ b,
            })
        }
    })
}

/// Kaitai floors integer division (as Python does).
fn floor_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b != 0 && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}
