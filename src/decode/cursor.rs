//! Reading primitives from a byte slice with bounds checks that cannot panic.

use crate::plan::ByteOrder;

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
