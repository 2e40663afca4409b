//! The page-token decoder. Random tokens stop at the signature, so the
//! target also signs the fuzzer's bytes as a payload with the server's key:
//! the decoder behind the signature sees every input, as it would if the key
//! leaked. Either way: a cursor or an error, never a panic.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use extend_mock::page_token::PageSigner;
use hmac::{Hmac, KeyInit, Mac};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const SECRET: &str = "fuzz";

fuzz_target!(|data: &[u8]| {
    let signer = PageSigner::from_secret(SECRET);
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(signer.verify(text).is_err(), "a forged token was accepted");
    }
    let body = STANDARD.encode(data);
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let token = format!("{body}:{}", STANDARD.encode(mac.finalize().into_bytes()));
    if let Ok(cursor) = signer.verify(&token) {
        // Whatever decodes must encode back to the same bytes.
        assert_eq!(signer.sign(&cursor), token, "decode then encode changed the token");
    }
});
