//! Energy of an estimate's chip-hours: the chips alone, and the facility's, which adds the hosts
//! of their nodes and multiplies by the data centre's power usage effectiveness (PUE), each
//! default stated with its source.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::peaks::ChipRow;

/// PUE when none is given.
pub const DEFAULT_PUE: f64 = 1.2;
/// Where the default PUE comes from.
pub const DEFAULT_PUE_SOURCE: &str = "default 1.2: the PUE of Jean Zay in BLOOM's carbon \
     estimate (Luccioni et al. 2022) and of OLMo 2 7B's (OLMo 2 Table 19); Google's and Meta's \
     fleets report about 1.1 (Patterson et al. 2021 Table 4: 1.09-1.12; LLaMA's 1.1), the \
     industry average is about 1.56 (Uptime Institute 2024 survey)";
/// Chips per node when a host power is given for a chip with no known node.
pub const ASSUMED_CHIPS_PER_NODE: f64 = 8.0;

#[derive(Debug, Deserialize)]
struct NodeRow {
    chip_key: String,
    node: String,
    chips_per_node: f64,
    node_watts: f64,
    source: String,
}

static NODES: LazyLock<Vec<NodeRow>> = LazyLock::new(|| {
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(include_str!("../../data/nodes.csv").as_bytes())
        .deserialize()
        .map(|r| r.expect("bundled data/nodes.csv parses"))
        .collect()
});

/// The power of one node's hosts (everything but its chips) and how many chips share it.
#[derive(Debug, Clone)]
pub struct HostPower {
    pub watts_per_node: f64,
    pub chips_per_node: f64,
    pub source: String,
}

/// The default host of a chip: its usual server's maximum power less its chips' board power.
pub fn default_host(row: &ChipRow) -> Option<HostPower> {
    let node = NODES.iter().find(|n| n.chip_key == row.key)?;
    let chips_watts = node.chips_per_node * row.tdp_w?;
    Some(HostPower {
        watts_per_node: node.node_watts - chips_watts,
        chips_per_node: node.chips_per_node,
        source: format!(
            "{}: {} W max less {} x {} W of GPUs ({})",
            node.node,
            node.node_watts,
            node.chips_per_node,
            chips_watts / node.chips_per_node,
            node.source
        ),
    })
}

/// Chips-only and facility kWh of `chip_hours` at `chip_watts` per chip.
pub fn facility_kwh(chip_hours: f64, chip_watts: f64, host: Option<&HostPower>, pue: f64) -> f64 {
    let hosts = host.map_or(0.0, |h| chip_hours / h.chips_per_node * h.watts_per_node);
    (chip_hours * chip_watts + hosts) / 1000.0 * pue
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peaks::chips;

    #[test]
    fn every_node_names_a_chip_with_a_board_power() {
        for n in NODES.iter() {
            let row = chips().iter().find(|r| r.key == n.chip_key).unwrap();
            let host = default_host(row).unwrap();
            assert!(host.watts_per_node > 0.0, "{}", n.node);
        }
        let h100 = chips().iter().find(|r| r.key == "H100 SXM5 80GB").unwrap();
        assert_eq!(default_host(h100).unwrap().watts_per_node, 4600.0);
    }

    #[test]
    fn facility_energy_adds_hosts_and_pue() {
        let host = HostPower {
            watts_per_node: 4600.0,
            chips_per_node: 8.0,
            source: String::new(),
        };
        // 800 GPU-hours of 700 W GPUs in 100 node-hours of 4.6 kW hosts, at PUE 1.2.
        let kwh = facility_kwh(800.0, 700.0, Some(&host), 1.2);
        assert!((kwh - (560.0 + 460.0) * 1.2).abs() < 1e-9);
        assert_eq!(facility_kwh(10.0, 100.0, None, 1.0), 1.0);
    }
}
