//! Webhook endpoints, by id, and per workspace in `(createdAt, id)` order
//! for keyset pages. A handful per workspace: plain maps do.

use rustc_hash::FxHashMap;

use super::keyset::{Keys, ids_after, take_page};
use crate::domain::{EndpointStatus, Position, SortDir, WebhookEndpoint};

#[derive(Default)]
pub struct Endpoints {
    endpoints: FxHashMap<String, WebhookEndpoint>,
    by_created: FxHashMap<String, Keys>,
}

impl Endpoints {
    pub fn contains(&self, id: &str) -> bool {
        self.endpoints.contains_key(id)
    }

    pub fn get(&self, workspace_id: &str, id: &str) -> Option<&WebhookEndpoint> {
        self.endpoints
            .get(id)
            .filter(|e| e.workspace_id == workspace_id)
    }

    pub fn get_mut(&mut self, workspace_id: &str, id: &str) -> Option<&mut WebhookEndpoint> {
        self.endpoints
            .get_mut(id)
            .filter(|e| e.workspace_id == workspace_id)
    }

    pub fn by_id(&self, id: &str) -> Option<&WebhookEndpoint> {
        self.endpoints.get(id)
    }

    /// The caller checked the id is new.
    pub fn insert(&mut self, endpoint: WebhookEndpoint) {
        self.by_created
            .entry(endpoint.workspace_id.clone())
            .or_default()
            .insert((endpoint.created_at.unix_nanos(), endpoint.id.clone()));
        self.endpoints.insert(endpoint.id.clone(), endpoint);
    }

    pub fn remove(&mut self, workspace_id: &str, id: &str) -> Option<WebhookEndpoint> {
        self.get(workspace_id, id)?;
        let endpoint = self.endpoints.remove(id)?;
        if let Some(set) = self.by_created.get_mut(workspace_id) {
            set.remove(&(endpoint.created_at.unix_nanos(), endpoint.id.clone()));
        }
        Some(endpoint)
    }

    /// The endpoints of a workspace, oldest first.
    pub fn in_workspace(&self, workspace_id: &str) -> impl Iterator<Item = &WebhookEndpoint> {
        self.by_created
            .get(workspace_id)
            .into_iter()
            .flat_map(|set| set.iter())
            .filter_map(|(_, id)| self.endpoints.get(id))
    }

    /// Every endpoint, oldest first (for export).
    pub fn all(&self) -> Vec<&WebhookEndpoint> {
        let mut all: Vec<&WebhookEndpoint> = self.endpoints.values().collect();
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        all
    }

    pub fn page(
        &self,
        workspace_id: &str,
        status: Option<EndpointStatus>,
        dir: SortDir,
        after: Option<&Position>,
        limit: usize,
    ) -> (Vec<&WebhookEndpoint>, bool) {
        let Some(set) = self.by_created.get(workspace_id) else {
            return (Vec::new(), false);
        };
        let matching = ids_after(set, dir, after)
            .filter_map(|id| self.endpoints.get(id))
            .filter(|e| status.is_none_or(|s| e.status == s));
        take_page(matching, limit)
    }
}
