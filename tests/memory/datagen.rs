//! Deterministic benchmark data with the layouts of `/work/shared/bench/gen_data.py`, made in
//! Rust so that tests and benchmarks need neither numpy nor committed data files. The values
//! differ from gen_data.py's (another random generator); the layouts and the kinds of content
//! are the same:
//!
//! - fixed: struct `'<IhHd12sI'` (32 bytes): id u32, temp i16, flags u16, value f64 (normal,
//!   σ = 1000, a quarter rounded to 2 decimals), name (1..=11 alphanumeric ASCII characters,
//!   NUL-padded to 12 bytes), count u32.
//! - var: u16le N, N bytes of UTF-8 text (0..=24 words: quotes, backslashes, control
//!   characters, non-ASCII), a NUL-terminated ASCII tag, u32be CRC-32 of the text.
//!
//! Used by tests/alloc.rs, tests/memory.rs and benches/throughput.rs (`#[path]` includes), so
//! not every item is used by every includer.
#![allow(dead_code)]

/// SplitMix64: small, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

pub const SEED: u64 = 20240601;

// ------------------------------------------------------------------------------- fixed

pub const FIXED_FORMAT: &str = "<IhHd12sI";
pub const FIXED_NAMES: [&str; 6] = ["id", "temp", "flags", "value", "name", "count"];
pub const FIXED_SIZE: usize = 32;

/// One fixed record's values.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedRec {
    pub id: u32,
    pub temp: i16,
    pub flags: u16,
    pub value: f64,
    pub name: String,
    pub count: u32,
}

impl FixedRec {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.temp.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.value.to_le_bytes());
        let mut name = [0u8; 12];
        name[..self.name.len()].copy_from_slice(self.name.as_bytes());
        out.extend_from_slice(&name);
        out.extend_from_slice(&self.count.to_le_bytes());
    }
}

/// Fixed records, one after the other.
pub struct FixedGen {
    rng: Rng,
    i: u32,
}

impl Default for FixedGen {
    fn default() -> Self {
        FixedGen {
            rng: Rng::new(SEED),
            i: 0,
        }
    }
}

impl FixedGen {
    pub fn next_rec(&mut self) -> FixedRec {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let r = &mut self.rng;
        let id = self.i.wrapping_mul(7).wrapping_add(1);
        self.i += 1;
        let temp = r.next_u64() as i16;
        let flags = r.next_u64() as u16;
        let mut value = r.normal() * 1000.0;
        if r.below(4) == 0 {
            value = (value * 100.0).round() / 100.0;
        }
        let len = 1 + r.below(11) as usize;
        let name = (0..len)
            .map(|_| ALPHABET[r.below(ALPHABET.len() as u64) as usize] as char)
            .collect();
        let count = r.next_u64() as u32;
        FixedRec {
            id,
            temp,
            flags,
            value,
            name,
            count,
        }
    }

    /// Appends the next record's 32 bytes.
    pub fn push(&mut self, out: &mut Vec<u8>) {
        self.next_rec().encode(out);
    }
}

/// The first `n` fixed records.
pub fn fixed(n: usize) -> Vec<u8> {
    let mut g = FixedGen::default();
    let mut v = Vec::with_capacity(n * FIXED_SIZE);
    for _ in 0..n {
        g.push(&mut v);
    }
    v
}

// --------------------------------------------------------------------------------- var

const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "sensor",
    "reading",
    "nominal",
    "overflow",
    "pressure",
    "voltage",
    "current",
    "latency",
    "throughput",
    "record",
    "packet",
    "frame",
    "header",
    "payload",
    "café",
    "naïve",
    "Ünïcödé",
    "日本語",
    "Ελληνικά",
    "русский",
    "😀",
    "🚀",
    "✓",
    "€100",
    "say \"hi\"",
    "back\\slash",
    "tab\there",
    "new\nline",
    "bell\x07",
    "ctl\x1f",
];

const TAGS: &[&str] = &[
    "info",
    "warn",
    "error",
    "debug",
    "trace",
    "ok",
    "sensor-a",
    "sensor-b",
    "x",
    "tag_with_longer_name_123",
];

/// One var record's values.
#[derive(Clone, Debug, PartialEq)]
pub struct VarRec {
    pub text: String,
    pub tag: &'static str,
    pub checksum: u32,
}

impl VarRec {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.text.len() as u16).to_le_bytes());
        out.extend_from_slice(self.text.as_bytes());
        out.extend_from_slice(self.tag.as_bytes());
        out.push(0);
        out.extend_from_slice(&self.checksum.to_be_bytes());
    }
}

/// Var records, one after the other.
pub struct VarGen {
    rng: Rng,
    crc: [u32; 256],
}

impl Default for VarGen {
    fn default() -> Self {
        let mut crc = [0u32; 256];
        for (i, e) in crc.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *e = c;
        }
        VarGen {
            rng: Rng::new(SEED ^ 0x5eed),
            crc,
        }
    }
}

impl VarGen {
    /// zlib's CRC-32.
    pub fn crc32(&self, bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c = self.crc[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
        !c
    }

    pub fn next_rec(&mut self) -> VarRec {
        let n = self.rng.below(25);
        let mut text = String::new();
        for k in 0..n {
            if k > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[self.rng.below(WORDS.len() as u64) as usize]);
        }
        let tag = TAGS[self.rng.below(TAGS.len() as u64) as usize];
        let checksum = self.crc32(text.as_bytes());
        VarRec {
            text,
            tag,
            checksum,
        }
    }

    /// Appends the next record's bytes.
    pub fn push(&mut self, out: &mut Vec<u8>) {
        self.next_rec().encode(out);
    }
}

/// The first `n` var records.
pub fn var(n: usize) -> Vec<u8> {
    let mut g = VarGen::default();
    let mut v = Vec::with_capacity(n * 100);
    for _ in 0..n {
        g.push(&mut v);
    }
    v
}
