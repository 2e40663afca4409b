//! The fixture loader: any text is a store or a `FixtureError`, never a panic.
#![no_main]

use extend_mock::Seed;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(seed) = Seed::from_text(text) {
        let _ = seed.build(&mut |_| {});
    }
});
