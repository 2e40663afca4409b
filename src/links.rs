//! What a link this server hands out (a file's `presignedUrl`) signs: the
//! kind of link, the sandbox, the life of the state it was made in, the
//! workspace, the object's id and the expiry, each field length-prefixed so
//! no two different links can sign the same bytes. No HTTP here.
//!
//! Ids repeat: the id stream is seeded, so a reset, a sandbox made again or
//! a restart with the same `--page-secret` hands out the same ids to other
//! objects. A link names the state's life (a random number drawn whenever
//! the state is made or replaced) and the workspace, so an old link never
//! reaches what now has its id (hostile-inputs F6). The fields were once
//! joined with `:`, and a file id holding `sbx:` signed a link into that
//! sandbox (F11).

/// A link's `expires` and `signature` from its query string; `None` when
/// either is missing (the caller says which link it was).
pub fn read_query(raw: Option<&str>) -> Option<(i64, String)> {
    let mut expires = None;
    let mut signature = None;
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "expires" => expires = value.parse::<i64>().ok(),
            "signature" => signature = Some(value.into_owned()),
            _ => {}
        }
    }
    Some((expires?, signature?))
}

/// Whether a link made to last until `expires` (Unix seconds) has run out.
pub fn expired(expires: i64) -> bool {
    crate::domain::Timestamp::now().unix_nanos() / 1_000_000_000 > expires
}

/// What a link signs.
pub struct LinkScope<'a> {
    pub kind: &'static str,
    /// `None` for the default sandbox.
    pub sandbox: Option<&'a str>,
    /// The state's life (`AppState::life`).
    pub life: u64,
    pub workspace_id: &'a str,
    pub id: &'a str,
    /// Unix seconds.
    pub expires: i64,
}

impl LinkScope<'_> {
    /// The bytes the signature covers.
    pub fn payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        field(b"extend-mock link v2");
        field(self.kind.as_bytes());
        match self.sandbox {
            None => field(b"\0default"),
            Some(name) => field(name.as_bytes()),
        }
        field(&self.life.to_be_bytes());
        field(self.workspace_id.as_bytes());
        field(self.id.as_bytes());
        field(&self.expires.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope<'a>(sandbox: Option<&'a str>, id: &'a str) -> LinkScope<'a> {
        LinkScope {
            kind: "download",
            sandbox,
            life: 7,
            workspace_id: "ws_a",
            id,
            expires: 1_700_000_000,
        }
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        // Once `download:{id}:{exp}` and `download:{sbx}:{id}:{exp}`.
        assert_ne!(
            scope(None, "sbxb:file_target").payload(),
            scope(Some("sbxb"), "file_target").payload()
        );
        assert_ne!(
            scope(Some("a"), "bc").payload(),
            scope(Some("ab"), "c").payload()
        );
        let mut other_life = scope(None, "file_x");
        other_life.life = 8;
        assert_ne!(scope(None, "file_x").payload(), other_life.payload());
        let mut other_workspace = scope(None, "file_x");
        other_workspace.workspace_id = "ws_b";
        assert_ne!(scope(None, "file_x").payload(), other_workspace.payload());
    }
}
