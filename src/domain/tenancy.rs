//! Who may ask: organizations, their workspaces, and the API keys that
//! reach them, as fixture documents declare them.

use super::{ApiVersion, KeyScope};

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workspace {
    pub id: String,
    pub name: String,
}

/// An API key as a fixture declares it. `name` is how logs and the journal refer to
/// the key, so the token itself never needs to be printed after start-up.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiKey {
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub scope: KeyScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// The version used when a request sends no `x-extend-api-version`; keys made
    /// before 2025-04-21 have `2024-12-23` here, newer keys none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_api_version: Option<ApiVersion>,
}

impl ApiKey {
    /// A name safe to log and journal: the fixture's, or for an unnamed key a
    /// digest of the token. Never the token or a piece of it: short test
    /// tokens would be printed whole. Worked out once, when the key is added.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.token.as_bytes());
                let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                format!("key-{hex}")
            }
        }
    }
}
