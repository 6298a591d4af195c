//! The JSON Schemas of the results document and of the cluster file, generated from the Rust
//! types.

use super::cluster::ClusterFile;
use super::types::Results;

/// The schema as committed in `results/schema.json`.
pub fn results_schema_json() -> String {
    let schema = schemars::schema_for!(Results);
    serde_json::to_string_pretty(&schema).expect("a schema always serializes") + "\n"
}

/// The cluster file's schema as committed in `results/cluster-schema.json`.
pub fn cluster_schema_json() -> String {
    let schema = schemars::schema_for!(ClusterFile);
    serde_json::to_string_pretty(&schema).expect("a schema always serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As below, for the cluster file (`UPDATE_SCHEMA=1 cargo test schema` updates both).
    #[test]
    fn committed_cluster_schema_matches_the_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/cluster-schema.json");
        let generated = cluster_schema_json();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "results/cluster-schema.json is out of date with src/results/cluster/mod.rs; \
             run `UPDATE_SCHEMA=1 cargo test schema` and commit it"
        );
    }

    /// Fails when the types and the committed schema drift apart. To update the file after a
    /// deliberate change: `UPDATE_SCHEMA=1 cargo test schema`.
    #[test]
    fn committed_schema_matches_the_types() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/results/schema.json");
        let generated = results_schema_json();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "results/schema.json is out of date with src/results/types.rs; \
             run `UPDATE_SCHEMA=1 cargo test schema` and commit it"
        );
    }
}
