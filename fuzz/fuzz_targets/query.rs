//! The list query parsers: any query string is answered Ok or a 400 that
//! names the parameter, never a panic or a 5xx.
#![no_main]

use extend_mock::domain::PagingRules;
use extend_mock::http::query::{
    parse_endpoint_query, parse_file_query, parse_list_query, parse_processor_query,
};
use extend_mock::page_token::PageSigner;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let signer = PageSigner::from_secret("fuzz");
    for strict_tokens in [false, true] {
        let rules = PagingRules {
            default_page_size: 10,
            strict_tokens,
        };
        let statuses = [
            parse_list_query(Some(raw), "ws_a", &signer, rules).err(),
            parse_processor_query(Some(raw), "ws_a", &signer, rules).err(),
            parse_file_query(Some(raw), "ws_a", &signer, rules).err(),
            parse_endpoint_query(Some(raw), "ws_a", &signer, rules).err(),
        ]
        .map(|e| e.map(|e| e.status().as_u16()));
        for status in statuses.into_iter().flatten() {
            assert_eq!(status, 400, "a query is refused with 400: {raw:?}");
        }
    }
});
