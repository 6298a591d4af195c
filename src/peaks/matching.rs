//! Name and PCI-ID matching against the rated-peak table.
//!
//! Names are compared as sets of whole tokens after normalization, never as substrings, so
//! "L4" cannot match "L40S", "A10" cannot match "A100", "B200" cannot match "GB200" and
//! "RTX 3090" cannot match "RTX 3090 Ti". A name that matches no alias is an error with
//! suggestions: an unknown chip never gets another chip's numbers.

use std::collections::BTreeSet;

use super::table::{chips, ChipRow};

/// Words that vendors and drivers put around the model name and that never tell chips apart.
const NOISE_WORDS: &[&str] = &[
    "nvidia",
    "tesla",
    "geforce",
    "quadro",
    "amd",
    "ati",
    "instinct",
    "radeon",
    "intel",
    "r",
    "tm",
    "google",
    "apple",
    "corporation",
    "graphics",
    "gpu",
    "chip",
];

type TokenSet = BTreeSet<String>;

/// Lower-cases, splits on anything that is not a letter or digit, and drops noise words.
pub fn normalize(name: &str) -> Vec<String> {
    name.to_lowercase()
        .replace(['®', '™'], " ")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty() && !NOISE_WORDS.contains(t))
        .map(str::to_string)
        .collect()
}

/// Memory sizes such as "80gb" or "144g" tell board variants apart but are optional in a query.
fn is_memory_token(t: &str) -> bool {
    let digits = t.trim_end_matches("gb").trim_end_matches('g');
    digits.len() < t.len() && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

fn token_set(tokens: &[String]) -> TokenSet {
    tokens.iter().cloned().collect()
}

/// How a row was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Name,
    PciId,
}

#[derive(Debug, Clone)]
pub struct Matched {
    pub row: &'static ChipRow,
    pub by: MatchedBy,
    /// How words beyond the chip's name were read ("DGX", "8x", "Pod").
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("empty device name: give a name such as \"NVIDIA H100 80GB HBM3\"")]
    Empty,
    #[error("unknown device '{name}': not in the rated-peak table{}", suggestion_text(.suggestions))]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
}

/// The suggestions, without any flag: each command adds the flag it has.
fn suggestion_text(s: &[String]) -> String {
    if s.is_empty() {
        String::from(" (run `flopmeter peaks` for the list)")
    } else {
        format!(
            "; nearest known: {}",
            s.iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// Finds the table row for a device name as a driver or a paper writes it.
pub fn lookup(name: &str) -> Result<Matched, LookupError> {
    let tokens = normalize(name);
    if tokens.is_empty() {
        return Err(LookupError::Empty);
    }
    let exact = token_set(&tokens);
    let without_memory: TokenSet = tokens
        .iter()
        .filter(|t| !is_memory_token(t))
        .cloned()
        .collect();
    // First with memory sizes (they pick the 40GB or 80GB board), then without them.
    for wanted in [&exact, &without_memory] {
        if wanted.is_empty() {
            continue;
        }
        if let Some(row) = chips().iter().find(|row| {
            row.aliases
                .iter()
                .any(|a| token_set(&normalize(a)) == *wanted)
        }) {
            return Ok(Matched {
                row,
                by: MatchedBy::Name,
                note: None,
            });
        }
    }
    Err(LookupError::Unknown {
        name: name.to_string(),
        suggestions: suggest(&tokens, 3),
    })
}

/// Finds a row by PCI vendor and device id, as wgpu reports them.
pub fn lookup_pci(vendor: u32, device: u32) -> Option<Matched> {
    let wanted = format!("{vendor:04x}:{device:04x}");
    chips()
        .iter()
        .find(|row| {
            row.pci_ids
                .iter()
                .any(|id| id.eq_ignore_ascii_case(&wanted))
        })
        .map(|row| Matched {
            row,
            by: MatchedBy::PciId,
            note: None,
        })
}

/// The `n` table keys whose aliases read most like the query.
pub fn suggest(tokens: &[String], n: usize) -> Vec<String> {
    let query = tokens.join(" ");
    let mut scored: Vec<(f64, &str)> = chips()
        .iter()
        .map(|row| {
            let best = row
                .aliases
                .iter()
                .map(|a| strsim::jaro_winkler(&normalize(a).join(" "), &query))
                .fold(0.0, f64::max);
            (best, row.key.as_str())
        })
        .filter(|(score, _)| *score > 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(n)
        .map(|(_, k)| k.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtype::Dtype;

    fn key(name: &str) -> String {
        lookup(name)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .row
            .key
            .clone()
    }

    #[test]
    fn names_as_drivers_report_them() {
        let cases = [
            ("NVIDIA H100 80GB HBM3", "H100 SXM5 80GB"),
            ("NVIDIA H100 PCIe", "H100 PCIe 80GB"),
            ("NVIDIA H100 NVL", "H100 NVL 94GB"),
            ("NVIDIA H200", "H200 SXM 141GB"),
            ("NVIDIA H200 NVL", "H200 NVL 141GB"),
            ("NVIDIA B200", "B200 (HGX)"),
            ("NVIDIA GB200", "GB200 (per GPU)"),
            ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
            ("NVIDIA A100-SXM4-40GB", "A100 SXM4 40GB"),
            ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB"),
            ("NVIDIA A100-PCIE-40GB", "A100 PCIe 40GB"),
            ("Tesla V100-SXM2-16GB", "Tesla V100 SXM2"),
            ("Tesla V100-PCIE-32GB", "Tesla V100 PCIe"),
            ("Tesla V100S-PCIE-32GB", "Tesla V100S PCIe"),
            ("Tesla T4", "Tesla T4"),
            ("Tesla K80", "Tesla K80 (board)"),
            ("Tesla P100-PCIE-16GB", "Tesla P100 PCIe 16GB"),
            ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090"),
            ("NVIDIA GeForce RTX 3090", "GeForce RTX 3090"),
            ("NVIDIA GeForce RTX 3090 Ti", "GeForce RTX 3090 Ti"),
            ("NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada Generation"),
            ("NVIDIA RTX A6000", "RTX A6000"),
            ("NVIDIA L4", "L4"),
            ("NVIDIA L40", "L40"),
            ("NVIDIA L40S", "L40S"),
            ("NVIDIA A10", "A10"),
            ("NVIDIA A40", "A40"),
            ("NVIDIA GH200 480GB", "GH200 (Hopper GPU)"),
            ("AMD Instinct MI300X", "Instinct MI300X"),
            ("AMD Instinct MI250X", "Instinct MI250X (board)"),
            ("NVIDIA GeForce GTX 580", "GeForce GTX 580"),
            (
                "NVIDIA GeForce GTX TITAN X",
                "GeForce GTX Titan X (Maxwell)",
            ),
            ("GeForce GTX 1080 Ti", "GeForce GTX 1080 Ti"),
            ("GeForce GTX 1080", "GeForce GTX 1080"),
            ("Intel(R) Arc(TM) A770 Graphics", "Intel Arc A770"),
            ("Apple M2", "Apple M2 (10-core GPU)"),
            ("TPU v4", "Google TPU v4 (chip)"),
        ];
        for (name, want) in cases {
            assert_eq!(key(name), want, "{name}");
        }
    }

    #[test]
    fn names_as_papers_write_them() {
        for (name, want) in [
            ("K80", "Tesla K80 (board)"),
            ("GTX 580", "GeForce GTX 580"),
            ("GTX Titan Black", "GeForce GTX Titan Black"),
            ("Titan X", "GeForce GTX Titan X (Maxwell)"),
            ("K20X", "Tesla K20X"),
            ("K20", "Tesla K20"),
            ("K40", "Tesla K40"),
            ("P100", "Tesla P100 SXM2"),
            ("V100", "Tesla V100 SXM2"),
            ("A100", "A100 SXM4 80GB"),
            ("H100", "H100 SXM5 80GB"),
            ("H200", "H200 SXM 141GB"),
            ("TPU v2", "Google TPU v2 (chip)"),
            ("TPU v3", "Google TPU v3 (chip)"),
            ("TPU v5e", "Google TPU v5e (chip)"),
            ("TPU v5p", "Google TPU v5p (chip)"),
        ] {
            assert_eq!(key(name), want, "{name}");
        }
    }

    #[test]
    fn substring_collisions_never_match_the_other_chip() {
        // Each pair shares a substring; each side must get its own row.
        assert_ne!(key("NVIDIA L4"), key("NVIDIA L40"));
        assert_ne!(key("NVIDIA L40"), key("NVIDIA L40S"));
        assert_ne!(key("NVIDIA A10"), key("NVIDIA A100-SXM4-80GB"));
        assert_ne!(key("NVIDIA B200"), key("NVIDIA GB200"));
        assert_ne!(key("RTX 3090"), key("RTX 3090 Ti"));
        // A variant the table lacks gets an error, never its sibling's numbers.
        for unknown in [
            "NVIDIA A10G",
            "NVIDIA GeForce RTX 3090 Super",
            "NVIDIA L4S",
            "NVIDIA XB200",
            "TITAN X (Pascal)",
            "NVIDIA H100 SXM6",
        ] {
            assert!(
                lookup(unknown).is_err(),
                "{unknown} matched {}",
                key(unknown)
            );
        }
    }

    #[test]
    fn case_vendor_prefixes_and_separators_do_not_matter() {
        assert_eq!(key("nvidia h100 80gb hbm3"), key("NVIDIA H100 80GB HBM3"));
        assert_eq!(key("h100-sxm5"), "H100 SXM5 80GB");
        assert_eq!(key("Tesla_V100_SXM2_32GB"), "Tesla V100 SXM2");
        assert_eq!(key("AMD MI300X"), "Instinct MI300X");
        assert_eq!(
            key("GeForce RTX 4090"),
            key("rtx4090".replace("rtx", "rtx ").as_str())
        );
    }

    #[test]
    fn form_factors_are_told_apart() {
        let bf16 = |n: &str| lookup(n).unwrap().row.board_peak(Dtype::Bf16).unwrap();
        assert_eq!(bf16("NVIDIA H100 80GB HBM3"), 989.4);
        assert_eq!(bf16("NVIDIA H100 PCIe"), 756.0);
        assert_eq!(bf16("NVIDIA H100 NVL"), 835.5);
    }

    #[test]
    fn half_rate_fp32_accumulate_cards_get_the_lower_figure() {
        let row = |n: &str| lookup(n).unwrap().row;
        let r4090 = row("NVIDIA GeForce RTX 4090");
        assert_eq!(r4090.board_peak(Dtype::Bf16), Some(165.2));
        assert_eq!(r4090.f16_f16acc, Some(330.3));
        assert_eq!(row("NVIDIA L40").board_peak(Dtype::Bf16), Some(181.05));
        assert_eq!(row("NVIDIA L40S").board_peak(Dtype::Bf16), Some(362.05));
    }

    #[test]
    fn no_two_rows_share_an_alias() {
        let mut seen = std::collections::BTreeMap::new();
        for row in chips() {
            for a in &row.aliases {
                let set = token_set(&normalize(a));
                if let Some(other) = seen.insert(set, &row.key) {
                    assert_eq!(other, &row.key, "alias '{a}' is in two rows");
                }
            }
        }
    }

    #[test]
    fn unknown_names_suggest_the_nearest() {
        match lookup("NVIDIA H1OO") {
            Err(LookupError::Unknown { suggestions, .. }) => {
                assert!(
                    suggestions.iter().any(|s| s.starts_with("H100")),
                    "{suggestions:?}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(lookup("  "), Err(LookupError::Empty)));
        assert!(lookup("Frobnicator 9000").is_err());
    }

    #[test]
    fn pci_ids_find_rows() {
        assert_eq!(
            lookup_pci(0x10de, 0x2330).unwrap().row.key,
            "H100 SXM5 80GB"
        );
        assert!(lookup_pci(0x10de, 0x0001).is_none());
    }
}
