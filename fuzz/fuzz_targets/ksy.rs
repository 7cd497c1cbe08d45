//! Arbitrary text as a Kaitai Struct spec, then arbitrary input for it: the bytes before the
//! first 0xff are the spec, the rest the input. Loading, lowering and checking must give a
//! plan or a `DescriptorError` (never a panic), rendering the error must not panic, and a
//! plan must decode the input to a value or a `DataError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unstruct::decode::{Options, decode_document};
use unstruct::emit::NullSink;

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
    let text = String::from_utf8_lossy(&data[..cut]);
    let input = data.get(cut + 1..).unwrap_or(&[]);
    match unstruct::ksy::compile_str("fuzz.ksy", &text, &[]) {
        Ok(plan) => {
            let _ = unstruct::layout::render(&plan, None);
            let opts = Options {
                max_values: Some(100_000),
                ..Options::default()
            };
            let _ = decode_document(&plan, unstruct::Input::whole(input), opts, &mut NullSink);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
