//! Arbitrary text as a descriptor: compiling must give a plan or a `DescriptorError`,
//! never panic, and rendering the error must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match unstruct::lang::compile_str("fuzz.struct", &text) {
        Ok(plan) => {
            let _ = unstruct::layout::render(&plan, None);
        }
        Err(e) => {
            // the caret rendering walks the source by byte offsets
            let _ = e.to_string();
        }
    }
});
