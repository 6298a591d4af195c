//! Name and PCI-ID matching against the rated-peak table.
//!
//! Names are compared as sets of whole tokens after normalization, never as substrings, so
//! "L4" cannot match "L40S", "A10" cannot match "A100", "B200" cannot match "GB200", "H20"
//! cannot match "H200" and "RTX 3090" cannot match "RTX 3090 Ti". Names are read as papers
//! write them: plurals and packaging ("NVIDIA A100 GPUs", "TPU v4 chips", "Cloud TPU v3",
//! "TPU v3 Pod"), memory sizes with a space or a short unit ("A100 80 GB", "A100-40G"), TPU
//! cores ("2048 TPU v3 cores" is a per-core row), and a server or a count around a GPU ("DGX
//! A100", "8x A100 (DGX)") means the GPU, with a note. A name that matches no alias is an error
//! with suggestions: an unknown chip never gets another chip's numbers.

use std::collections::BTreeSet;

use super::slice::{self, BadSlice, Slice};
use super::table::{chips, ChipRow};

/// Words that vendors, drivers and papers put around the model name and that never tell chips
/// apart.
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
    "huawei",
    "amazon",
    "aws",
    "corporation",
    "graphics",
    "gpu",
    "gpus",
    "chip",
    "chips",
    "cloud",
    "pod",
    "pods",
    "accelerator",
    "accelerators",
    "npu",
    "npus",
    "superchip",
    "superchips",
    // A bare "HBM" ("A100 (80 GB HBM)") names no generation; HBM3 and HBM2e, which tell boards
    // apart, stay.
    "hbm",
];

/// Words that name a server or a board around GPUs: the GPU is meant.
const SERVER_WORDS: &[&str] = &[
    "dgx", "hgx", "superpod", "node", "nodes", "server", "servers",
];

type TokenSet = BTreeSet<String>;

/// Lower-cases, splits on anything that is not a letter or digit, drops noise words, and writes
/// the same thing one way: memory sizes as "80gb", TPU cores as "core".
pub fn normalize(name: &str) -> Vec<String> {
    let raw: Vec<String> = fold_full_width(name)
        .to_lowercase()
        .replace(['®', '™'], " ")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty() && !NOISE_WORDS.contains(t))
        .map(str::to_string)
        .collect();
    let tpu = raw.iter().any(|t| t.starts_with("tpu"));
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let t = raw[i].as_str();
        let next = raw.get(i + 1).map(String::as_str);
        let is_core = |w: Option<&str>| matches!(w, Some("core" | "cores"));
        if t == "tensor" && is_core(next) {
            // "A100 Tensor Core GPU" is NVIDIA's product name; a TPU's TensorCore is a core.
            if tpu {
                out.push("core".into());
            }
            i += 2;
            continue;
        }
        if t.chars().all(|c| c.is_ascii_digit()) && matches!(next, Some("gb" | "g")) {
            out.push(format!("{t}gb"));
            i += 2;
            continue;
        }
        out.push(match t {
            "cores" | "tensorcore" | "tensorcores" => "core".to_string(),
            _ if is_short_memory(t) => format!("{t}b"),
            _ => t.to_string(),
        });
        i += 1;
    }
    out
}

/// "40g": a memory size with the short unit.
fn is_short_memory(t: &str) -> bool {
    t.strip_suffix('g')
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

/// Memory sizes such as "80gb" tell board variants apart but are optional in a query.
fn is_memory_token(t: &str) -> bool {
    t.strip_suffix("gb")
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

/// The tokens with a plural "s" after a model number taken off ("a100s" -> "a100").
fn singular(tokens: &[String]) -> Vec<String> {
    tokens
        .iter()
        .map(|t| match t.strip_suffix('s') {
            Some(stem) if stem.ends_with(|c: char| c.is_ascii_digit()) => stem.to_string(),
            _ => t.clone(),
        })
        .collect()
}

/// Whether the name as written has a lower-case "s" right after a digit and ending a word
/// ("1,024 A100s"): a plural. A capital S is a product's letter ("V100S", "RTX 4090S"), never a
/// plural.
fn has_plural_s(name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        c == 's'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_none_or(|n| !n.is_alphanumeric())
    })
}

/// A count written into the name: "8x", "x8".
fn is_count_token(t: &str) -> bool {
    let digits = t.strip_suffix('x').or_else(|| t.strip_prefix('x'));
    digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

fn token_set(tokens: &[String]) -> TokenSet {
    tokens.iter().cloned().collect()
}

/// The tokens cut where a letter meets a digit ("rtx4090" -> "rtx", "4090"; "3090ti" -> "3090",
/// "ti"), so a name written without its spaces reads as the name with them.
fn split_set(tokens: &[String]) -> TokenSet {
    let mut out = TokenSet::new();
    for t in tokens {
        let mut start = 0;
        let chars: Vec<(usize, char)> = t.char_indices().collect();
        for w in chars.windows(2) {
            let ((_, a), (i, b)) = (w[0], w[1]);
            if a.is_ascii_alphabetic() != b.is_ascii_alphabetic() {
                out.insert(t[start..i].to_string());
                start = i;
            }
        }
        out.insert(t[start..].to_string());
    }
    out
}

/// The name without server words and counts and a note saying how they were read; None when
/// the name has neither.
fn without_packaging(tokens: &[String]) -> Option<Packaging> {
    let mut kept = Vec::new();
    let mut servers = Vec::new();
    let mut counts = Vec::new();
    let number = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    // "2048 TPU v3 cores", "2,048 A100s": a number before the name is a count, and groups of
    // three digits after it continue it; "8 1080 Ti" is 8 of the 1080 Ti.
    let mut i = 0;
    let starts_count =
        |i: usize| i + 1 < tokens.len() && number(&tokens[i]) && tokens[i + 1] != "x";
    if starts_count(0) {
        i = 1;
        while starts_count(i) && tokens[i].len() == 3 {
            i += 1;
        }
    }
    if i > 0 {
        counts.push(tokens[..i].join(","));
    }
    while i < tokens.len() {
        let t = tokens[i].as_str();
        if number(t) && tokens.get(i + 1).map(String::as_str) == Some("x") {
            counts.push(format!("{t}x"));
            i += 2;
            continue;
        }
        if SERVER_WORDS.contains(&t) {
            servers.push(t.to_uppercase());
        } else if is_count_token(t) {
            counts.push(t.to_string());
        } else {
            kept.push(tokens[i].clone());
        }
        i += 1;
    }
    if servers.is_empty() && counts.is_empty() {
        return None;
    }
    let mut notes = Vec::new();
    if !servers.is_empty() {
        notes.push(format!(
            "'{}' names a server: the GPU's figures are used; a DGX holds 8 GPUs (DGX-2: 16) and \
             an HGX board 4 or 8, and counts are of GPUs",
            servers.join(" ")
        ));
    }
    if !counts.is_empty() {
        notes.push(format!(
            "the count '{}' in the name is not used: give the number of chips as the count",
            counts.join(" ")
        ));
    }
    Some(Packaging {
        kept,
        note: notes.join("; "),
    })
}

/// A name without its packaging (`without_packaging`).
struct Packaging {
    kept: Vec<String>,
    note: String,
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
    /// How words beyond the chip's name were read ("DGX", "8x", a TPU slice).
    pub note: Option<String>,
    /// The slice, when the name was a TPU slice name: its size in chips.
    pub slice: Option<Slice>,
}

/// Full-width ASCII (U+FF01..U+FF5E, as CJK input methods type "Ａ１００") as plain ASCII.
fn fold_full_width(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("empty device name: give a name such as \"NVIDIA H100 80GB HBM3\"")]
    Empty,
    #[error("'{0}' has no letters or digits a chip name could match: give a name such as \"NVIDIA H100 80GB HBM3\"")]
    NoWords(String),
    #[error("unknown device '{name}': not in the rated-peak table{}", suggestion_text(.suggestions))]
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
    #[error(transparent)]
    BadSlice(#[from] BadSlice),
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

/// The row with an alias that reads as `wanted` once both go through `form`.
fn row_with_alias(wanted: &[String], form: fn(&[String]) -> TokenSet) -> Option<&'static ChipRow> {
    let wanted = form(wanted);
    if wanted.is_empty() {
        return None;
    }
    chips()
        .iter()
        .find(|row| row.aliases.iter().any(|a| form(&normalize(a)) == wanted))
}

/// The row of a TPU slice name, with the slice.
fn slice_row(name: &str, tokens: &[String]) -> Option<Result<Matched, LookupError>> {
    Some(
        slice::parse(name, tokens)?
            .map_err(LookupError::from)
            .map(|s| {
                let row = chips()
                    .iter()
                    .find(|r| r.key == s.chip_key)
                    .expect("every slice version has a chip row");
                Matched {
                    row,
                    by: MatchedBy::Name,
                    note: Some(s.describe()),
                    slice: Some(s),
                }
            }),
    )
}

/// Where a name read as a product ("V100s": the V100S) would in the plural be another chip (the
/// V100), the note says which was taken and how to ask for the other.
fn plural_note(row: &ChipRow, singular: &[String], note: Option<String>) -> Option<String> {
    let Some(other) = row_with_alias(singular, token_set).filter(|o| o.key != row.key) else {
        return note;
    };
    let said = format!(
        "read as the {}, a product of its own; for {} (the plural), write the name without the 's'",
        row.key, other.key
    );
    Some(joined(note, said))
}

/// A note with `said` after what it already held.
fn joined(note: Option<String>, said: String) -> String {
    match note {
        Some(n) => format!("{n}; {said}"),
        None => said,
    }
}

/// Where the name's memory size was dropped to find the row and is not the row's ("A100
/// 96GB": no A100 row has 96 GB), the note says so, so that a size meant to pick another board
/// does not pass unseen.
fn memory_note(
    row: &ChipRow,
    tokens: &[String],
    matched: &[String],
    note: Option<String>,
) -> Option<String> {
    let Some(mem) = row.mem_gb else { return note };
    // A size one of the row's aliases names is the row's too ("v100 sxm2 32gb").
    let aliased = |t: &String| row.aliases.iter().any(|a| normalize(a).contains(t));
    let dropped: Vec<f64> = tokens
        .iter()
        .filter(|t| is_memory_token(t) && !matched.contains(t) && !aliased(t))
        .filter_map(|t| t.trim_end_matches("gb").parse().ok())
        .collect();
    if dropped.is_empty() || dropped.iter().any(|gb| (gb - mem).abs() < 0.5) {
        return note;
    }
    let sizes: Vec<String> = dropped.iter().map(|gb| format!("{gb} GB")).collect();
    let said = format!(
        "the name's {} is not this row's memory: read as the {} ({mem} GB), whose figures are used",
        sizes.join(" / "),
        row.key
    );
    Some(joined(note, said))
}

/// Finds the table row for a device name as a driver or a paper writes it.
pub fn lookup(name: &str) -> Result<Matched, LookupError> {
    let tokens = normalize(name);
    if tokens.is_empty() {
        return Err(if name.trim().is_empty() {
            LookupError::Empty
        } else {
            LookupError::NoWords(name.to_string())
        });
    }
    if let Some(found) = slice_row(name, &tokens) {
        return found;
    }
    let packaging = without_packaging(&tokens);
    let plain = packaging.as_ref().map_or(&tokens, |p| &p.kept);
    let note = packaging.as_ref().map(|p| p.note.clone());
    let without_memory = |t: &[String]| -> Vec<String> {
        t.iter().filter(|t| !is_memory_token(t)).cloned().collect()
    };
    // First as written, with memory sizes (they pick the 40GB or 80GB board), then without
    // them; then without server words and counts; then a plural ("A100s") in the singular,
    // after the name as written has had its chance to be a product ("V100s", "L40s"); and each
    // of those cut where letters meet digits ("rtx4090").
    let plural = has_plural_s(name);
    let mut tries = vec![
        (tokens.clone(), None),
        (without_memory(&tokens), None),
        (plain.clone(), note.clone()),
        (without_memory(plain), note.clone()),
    ];
    // Where the name as written matched, a plural reading that is another chip is noted.
    let as_written = tries.len();
    let singular_plain = singular(plain);
    if plural {
        tries.push((without_memory(&singular_plain), note.clone()));
        tries.insert(as_written, (singular_plain.clone(), note));
    }
    let forms: [fn(&[String]) -> TokenSet; 2] = [token_set, split_set];
    for form in forms {
        for (i, (wanted, note)) in tries.iter().enumerate() {
            if let Some(row) = row_with_alias(wanted, form) {
                let note = if plural && i < as_written {
                    plural_note(row, &without_memory(&singular_plain), note.clone())
                } else {
                    note.clone()
                };
                let note = memory_note(row, &tokens, wanted, note);
                return Ok(Matched {
                    row,
                    by: MatchedBy::Name,
                    note,
                    slice: None,
                });
            }
        }
    }
    Err(LookupError::Unknown {
        name: name.to_string(),
        suggestions: suggest(plain, 3),
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
            slice: None,
        })
}

/// The `n` table keys whose aliases read most like the query: only aliases that share a word
/// with it once letters and digits are cut apart ("h", "100" for "H1OO" and "H100"; "tpu" for
/// "TPU v9"), so "B300" never suggests the A30, and a word of letters where the query has one
/// (a family: "rx", "gtx", "mi"), so "RX 580" never suggests the GTX 580; then by shared words
/// and by spelling (Jaro-Winkler).
pub fn suggest(tokens: &[String], n: usize) -> Vec<String> {
    let query = tokens.join(" ");
    let wanted = split_set(tokens);
    let is_letters = |w: &&String| w.chars().all(|c| c.is_ascii_alphabetic());
    let query_has_letters = wanted.iter().any(|w| is_letters(&w));
    let mut scored: Vec<(f64, &str)> = chips()
        .iter()
        .filter_map(|row| {
            let best = row
                .aliases
                .iter()
                .map(|a| {
                    let alias = normalize(a);
                    let spelling = strsim::jaro_winkler(&alias.join(" "), &query);
                    let words = split_set(&alias);
                    let shared: Vec<&String> = words.intersection(&wanted).collect();
                    let family = !query_has_letters || shared.iter().any(is_letters);
                    (!shared.is_empty() && family && spelling > 0.6)
                        .then_some(spelling + shared.len() as f64)
                })
                .fold(None, |a: Option<f64>, b| match (a, b) {
                    (Some(x), Some(y)) => Some(x.max(y)),
                    (x, y) => x.or(y),
                })?;
            Some((best, row.key.as_str()))
        })
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
        // Each pair shares a substring; each side gets its own row.
        for (name, row) in [
            ("NVIDIA L4", "L4"),
            ("NVIDIA L40", "L40"),
            ("NVIDIA L40S", "L40S"),
            ("NVIDIA A10", "A10"),
            ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
            ("NVIDIA B200", "B200 (HGX)"),
            ("NVIDIA GB200", "GB200 (per GPU)"),
            ("RTX 3090", "GeForce RTX 3090"),
            ("RTX 3090 Ti", "GeForce RTX 3090 Ti"),
            ("l40s", "L40S"),
            ("gb200", "GB200 (per GPU)"),
        ] {
            assert_eq!(key(name), row, "{name}");
        }
        // A variant the table lacks gets an error, never its sibling's numbers.
        for unknown in [
            "NVIDIA A10G",
            "NVIDIA GeForce RTX 3090 Super",
            "NVIDIA L4S",
            "RTX 3090S",
            "GeForce RTX 4080S",
            "8 H100S",
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
        // Letters and digits run together, as people type them.
        assert_eq!(key("rtx4090"), "GeForce RTX 4090");
        assert_eq!(key("GeForce RTX3090Ti"), "GeForce RTX 3090 Ti");
        assert_eq!(key("mi 300x"), "Instinct MI300X");
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
        // Neither as written nor with letters and digits cut apart.
        for form in [token_set as fn(&[String]) -> TokenSet, split_set] {
            let mut seen = std::collections::BTreeMap::new();
            for row in chips() {
                for a in &row.aliases {
                    if let Some(other) = seen.insert(form(&normalize(a)), &row.key) {
                        assert_eq!(other, &row.key, "alias '{a}' is in two rows");
                    }
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
        assert!(matches!(lookup("🚀"), Err(LookupError::NoWords(_))));
        // Full-width letters and digits, as CJK input methods type them.
        assert_eq!(
            lookup("ＮＶＩＤＩＡ　Ａ１００").unwrap().row.key,
            "A100 SXM4 80GB"
        );
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
