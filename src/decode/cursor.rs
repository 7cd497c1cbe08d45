//! Reading primitives from a byte slice with bounds checks that cannot panic.

use crate::plan::{ByteOrder, EnumId, TypePlan};

use super::Value;

/// The value of a fixed-size scalar field, read from its bytes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    U(u64),
    I(i64),
    /// From 16- or 32-bit input (written as the shortest f32 text).
    F32(f32),
    F64(f64),
    Bool(bool),
    Enum(EnumId, i128),
}

impl Scalar {
    /// The value expressions see (floats widened, enums as their number).
    pub fn value(self) -> Value {
        match self {
            Scalar::U(v) => Value::Int(v as i128),
            Scalar::I(v) => Value::Int(v as i128),
            Scalar::F32(f) => Value::Float(f as f64),
            Scalar::F64(f) => Value::Float(f),
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Enum(_, v) => Value::Int(v),
        }
    }
}

/// The bytes a scalar type takes (integers, floats, enums, bool); 0 for other types.
#[inline(always)]
pub fn scalar_size(ty: &TypePlan) -> usize {
    match ty {
        TypePlan::Int { size, .. } | TypePlan::Float { size, .. } | TypePlan::Enum { size, .. } => {
            *size as usize
        }
        TypePlan::Bool => 1,
        _ => 0,
    }
}

/// Reads a scalar of type `ty` from exactly its bytes `b` ([`scalar_size`] of them);
/// `order` is the byte order of the enclosing struct, for types without their own. None for
/// types that are not scalars.
#[inline(always)]
pub fn read_scalar(ty: &TypePlan, b: &[u8], order: ByteOrder) -> Option<Scalar> {
    Some(match ty {
        TypePlan::Int {
            size,
            signed,
            order: o,
        } => {
            let raw = read_uint(b, o.unwrap_or(order));
            if *signed {
                Scalar::I(sign_extend(raw, *size as usize))
            } else {
                Scalar::U(raw)
            }
        }
        TypePlan::Float { size, order: o } => {
            let raw = read_uint(b, o.unwrap_or(order));
            match size {
                2 => Scalar::F32(f16_to_f32(raw as u16)),
                4 => Scalar::F32(f32::from_bits(raw as u32)),
                _ => Scalar::F64(f64::from_bits(raw)),
            }
        }
        TypePlan::Enum {
            id,
            size,
            signed,
            order: o,
        } => {
            let raw = read_uint(b, o.unwrap_or(order));
            let v = if *signed {
                sign_extend(raw, *size as usize) as i128
            } else {
                raw as i128
            };
            Scalar::Enum(*id, v)
        }
        TypePlan::Bool => Scalar::Bool(*b.first()? != 0),
        _ => return None,
    })
}

/// Reads an unsigned integer of `size` (1..=8) bytes.
#[inline(always)]
pub fn read_uint(b: &[u8], order: ByteOrder) -> u64 {
    match (b.len(), order) {
        (1, _) => b[0] as u64,
        (2, ByteOrder::Little) => u16::from_le_bytes([b[0], b[1]]) as u64,
        (2, ByteOrder::Big) => u16::from_be_bytes([b[0], b[1]]) as u64,
        (4, ByteOrder::Little) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64,
        (4, ByteOrder::Big) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64,
        (8, ByteOrder::Little) => {
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        }
        (8, ByteOrder::Big) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        (_, ByteOrder::Little) => b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64),
        (_, ByteOrder::Big) => b.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64),
    }
}

/// Sign-extends the low `size` bytes of `v`.
#[inline(always)]
pub fn sign_extend(v: u64, size: usize) -> i64 {
    let shift = 64 - 8 * size as u32;
    ((v << shift) as i64) >> shift
}

/// IEEE half precision to f32 (exact).
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let frac = (h & 0x3ff) as u32;
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, _) => {
            // subnormal: normalise
            let mut e: i32 = -14;
            let mut f = frac;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (((e + 127) as u32) << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, 0) => sign | 0x7f80_0000,
        (0x1f, _) => sign | 0x7f80_0000 | (frac << 13),
        _ => sign | ((exp + 127 - 15) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uints_both_orders() {
        assert_eq!(read_uint(&[1, 2, 3], ByteOrder::Little), 0x030201);
        assert_eq!(read_uint(&[1, 2, 3], ByteOrder::Big), 0x010203);
        assert_eq!(read_uint(&[0xff; 8], ByteOrder::Big), u64::MAX);
        assert_eq!(sign_extend(0xfffffe, 3), -2);
        assert_eq!(sign_extend(0x7f, 1), 127);
    }

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x7bff), 65504.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7e00).is_nan());
        assert_eq!(f16_to_f32(0xfc00), f32::NEG_INFINITY);
    }
}
