//! Chip names as papers, model cards and drivers write them, each resolved to its row of the
//! rated-peak table (issue 13). A name must never get another chip's numbers: the substring
//! traps (H20/H200, MI250/MI250X, L4/L40, A10/A100) are here too.

use flopmeter::peaks::{lookup, LookupError};

fn key(name: &str) -> String {
    lookup(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .row
        .key
        .clone()
}

#[test]
fn names_as_papers_write_them() {
    let cases = [
        // Memory sizes with a space or a short unit pick the right board.
        ("A100 80 GB", "A100 SXM4 80GB"),
        ("A100 80GB", "A100 SXM4 80GB"),
        ("A100-40G", "A100 SXM4 40GB"),
        ("A100 40 GB", "A100 SXM4 40GB"),
        ("A100 (40GB)", "A100 SXM4 40GB"),
        ("NVIDIA A100-SXM4-40GB", "A100 SXM4 40GB"),
        ("A100 SXM4 80 GB", "A100 SXM4 80GB"),
        ("V100 32GB", "Tesla V100 SXM2"),
        ("Tesla V100 DGXS 32 GB", "Tesla V100 SXM2"),
        // Plurals, product words and cloud packaging.
        ("NVIDIA A100 GPUs", "A100 SXM4 80GB"),
        ("NVIDIA A100 Tensor Core GPU", "A100 SXM4 80GB"),
        ("NVIDIA Tesla V100 GPUs", "Tesla V100 SXM2"),
        ("TPU v4 chips", "Google TPU v4 (chip)"),
        ("Cloud TPU v4", "Google TPU v4 (chip)"),
        ("TPU v3 Pod", "Google TPU v3 (chip)"),
        ("Cloud TPU v3", "Google TPU v3 (chip)"),
        ("TPU-v3", "Google TPU v3 (chip)"),
        ("TPUv4", "Google TPU v4 (chip)"),
        ("TPU v5e chips", "Google TPU v5e (chip)"),
        ("TPU v6e", "Google TPU v6e (chip)"),
        ("Trillium", "Google TPU v6e (chip)"),
        ("Cloud TPU v6e", "Google TPU v6e (chip)"),
        // TPU cores: Google's papers count cores, 2 per chip on v2-v4 and v5p.
        ("TPU v3 cores", "Google TPU v3 (core)"),
        ("TPU v3 core", "Google TPU v3 (core)"),
        ("2048 TPU v3 cores", "Google TPU v3 (core)"),
        ("2,048 TPU v3 cores", "Google TPU v3 (core)"),
        ("TPU v3 TensorCores", "Google TPU v3 (core)"),
        ("TPU v2 cores", "Google TPU v2 (core)"),
        ("TPU v4 cores", "Google TPU v4 (core)"),
        ("TPU v5p cores", "Google TPU v5p (core)"),
        // v5e and v6e have one core per chip.
        ("TPU v5e cores", "Google TPU v5e (chip)"),
        ("TPU v6e cores", "Google TPU v6e (chip)"),
        // A server or a count around a GPU means the GPU.
        ("DGX A100", "A100 SXM4 80GB"),
        ("8x A100 (DGX)", "A100 SXM4 80GB"),
        ("8 x A100", "A100 SXM4 80GB"),
        ("8 1080 Ti", "GeForce GTX 1080 Ti"),
        ("2 3090", "GeForce RTX 3090"),
        ("1,024 RTX 4090s", "GeForce RTX 4090"),
        ("2,048 A100s", "A100 SXM4 80GB"),
        ("64 H100s", "H100 SXM5 80GB"),
        ("V100s", "Tesla V100S PCIe"),
        ("64 V100s", "Tesla V100S PCIe"),
        ("8 L40s", "L40S"),
        ("T4s", "Tesla T4"),
        ("16 T4s", "Tesla T4"),
        ("HGX H100", "H100 SXM5 80GB"),
        ("DGX H100", "H100 SXM5 80GB"),
        ("DGX-2", "Tesla V100 SXM3"),
        // Export variants and the chips of recent runs.
        ("H800", "H800 SXM5 80GB"),
        ("NVIDIA H800 80GB HBM3", "H800 SXM5 80GB"),
        ("NVIDIA H800 PCIe", "H800 PCIe 80GB"),
        ("H800 GPUs", "H800 SXM5 80GB"),
        ("A800", "A800 SXM4 80GB"),
        ("NVIDIA A800-SXM4-80GB", "A800 SXM4 80GB"),
        ("A800 80GB PCIe", "A800 PCIe 80GB"),
        ("A800 PCIe 40GB", "A800 PCIe 40GB"),
        ("H20", "H20 96GB"),
        ("NVIDIA H20", "H20 96GB"),
        ("HGX H20", "H20 96GB"),
        ("MI250", "Instinct MI250 (board)"),
        ("AMD Instinct MI250", "Instinct MI250 (board)"),
        ("AMD Instinct MI250X", "Instinct MI250X (board)"),
        ("AMD Instinct MI210 64GB", "Instinct MI210"),
        ("Ascend 910", "Huawei Ascend 910"),
        ("Huawei Ascend 910 NPUs", "Huawei Ascend 910"),
        ("Ascend 910B", "Huawei Ascend 910B"),
        ("Ascend 910B3", "Huawei Ascend 910B3"),
        ("Trainium", "AWS Trainium (Trn1 chip)"),
        ("AWS Trainium chips", "AWS Trainium (Trn1 chip)"),
        ("Trainium2", "AWS Trainium2 (chip)"),
        ("Titan V", "NVIDIA Titan V"),
        ("NVIDIA TITAN V", "NVIDIA Titan V"),
        ("NVIDIA TITAN RTX", "NVIDIA Titan RTX"),
        ("Titan X", "GeForce GTX Titan X (Maxwell)"),
        ("A30", "A30"),
        ("NVIDIA A30", "A30"),
        ("RTX A5000", "RTX A5000"),
        ("NVIDIA RTX A5000", "RTX A5000"),
        // Marketing forms and names typed without spaces.
        ("NVIDIA GH200 Grace Hopper Superchip", "GH200 (Hopper GPU)"),
        ("GH200 Superchip", "GH200 (Hopper GPU)"),
        ("H100 SXM5 80GB HBM3", "H100 SXM5 80GB"),
        ("8x H100 nodes", "H100 SXM5 80GB"),
        ("rtx4090", "GeForce RTX 4090"),
        ("RTX4090", "GeForce RTX 4090"),
        ("NVIDIA GeForce RTX4090", "GeForce RTX 4090"),
        // Hobby runs' READMEs drop the series word: "4 x Nvidia 4090", "RTX 3090" as "3090".
        ("Nvidia 4090", "GeForce RTX 4090"),
        ("4 x Nvidia 4090", "GeForce RTX 4090"),
        ("GeForce 3090", "GeForce RTX 3090"),
        ("3090 Ti", "GeForce RTX 3090 Ti"),
        ("A100 (80 GB HBM)", "A100 SXM4 80GB"),
        ("A100 (40 GB HBM)", "A100 SXM4 40GB"),
        ("A100 PCIe 80GB HBM", "A100 PCIe 80GB"),
        ("A100 SXM4 80GB HBM", "A100 SXM4 80GB"),
        ("a100-80gb", "A100 SXM4 80GB"),
        ("MI300X", "Instinct MI300X"),
        // The chips of issue 22.
        ("B300", "B300 (HGX)"),
        ("HGX B300", "B300 (HGX)"),
        ("GB300", "GB300 (per GPU)"),
        ("GB300 NVL72", "GB300 (per GPU)"),
        ("TPU v7", "Google TPU v7 (chip)"),
        ("Ironwood", "Google TPU v7 (chip)"),
        ("TPU7x", "Google TPU v7 (chip)"),
        ("Ascend 910C", "Huawei Ascend 910C"),
        ("Atlas 800T A2", "Huawei Atlas 800T A2 (910B server)"),
        ("Ascend 800T A2", "Huawei Atlas 800T A2 (910B server)"),
        ("MI355X", "Instinct MI355X"),
        ("AMD Instinct MI350X", "Instinct MI350X"),
        ("MI250X GCD", "Instinct MI250X (GCD)"),
        ("MI250 GCD", "Instinct MI250 (GCD)"),
        ("Intel Gaudi 3", "Intel Gaudi3"),
        ("HL-325L", "Intel Gaudi3"),
        ("HL-338", "Intel Gaudi3 PCIe (HL-338)"),
        ("Gaudi 3 PCIe", "Intel Gaudi3 PCIe (HL-338)"),
        ("Trainium NeuronCore", "AWS Trainium NeuronCore-v2 (core)"),
        ("NeuronCore-v2", "AWS Trainium NeuronCore-v2 (core)"),
        ("NeuronCore-v3", "AWS Trainium2 NeuronCore-v3 (core)"),
        // TPU slice names give the chip (and the count).
        ("TPUv5e-256", "Google TPU v5e (chip)"),
        ("v5litepod-256", "Google TPU v5e (chip)"),
        ("v5p-1024", "Google TPU v5p (chip)"),
        ("TPUv3-32", "Google TPU v3 (chip)"),
        ("v4-128", "Google TPU v4 (chip)"),
        // The older names of AI and Compute still work.
        ("K80", "Tesla K80 (board)"),
        ("GTX 580", "GeForce GTX 580"),
        ("V100", "Tesla V100 SXM2"),
        ("H100", "H100 SXM5 80GB"),
    ];
    let mut wrong = Vec::new();
    for (name, want) in cases {
        match lookup(name) {
            Ok(m) if m.row.key == want => {}
            Ok(m) => wrong.push(format!("{name:?} -> {:?}, want {want:?}", m.row.key)),
            Err(e) => wrong.push(format!("{name:?} -> error {e}, want {want:?}")),
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn substring_traps_get_their_own_rows() {
    // Each name is a substring of another's, or one letter away: each gets exactly its row.
    for (name, row) in [
        ("H20", "H20 96GB"),
        ("H200", "H200 SXM 141GB"),
        ("MI250", "Instinct MI250 (board)"),
        ("MI250X", "Instinct MI250X (board)"),
        ("MI210", "Instinct MI210"),
        ("L4", "L4"),
        ("L40", "L40"),
        ("L40S", "L40S"),
        ("A10", "A10"),
        ("A100", "A100 SXM4 80GB"),
        ("B200", "B200 (HGX)"),
        ("GB200", "GB200 (per GPU)"),
        ("B300", "B300 (HGX)"),
        ("GB300", "GB300 (per GPU)"),
        ("Titan V", "NVIDIA Titan V"),
        ("Titan X", "GeForce GTX Titan X (Maxwell)"),
        ("A800", "A800 SXM4 80GB"),
        ("H800", "H800 SXM5 80GB"),
        ("H100", "H100 SXM5 80GB"),
        ("TPU v3 cores", "Google TPU v3 (core)"),
        ("TPU v3", "Google TPU v3 (chip)"),
        ("MI350X", "Instinct MI350X"),
        ("MI355X", "Instinct MI355X"),
    ] {
        assert_eq!(key(name), row, "{name}");
    }
}

#[test]
fn slice_names_carry_their_size() {
    for (name, chips) in [
        ("TPUv5e-256", 256),
        ("v5p-1024", 512),
        ("TPUv3-32", 16),
        ("v4-128", 64),
    ] {
        let m = lookup(name).unwrap();
        assert_eq!(m.slice.map(|s| s.chips), Some(chips), "{name}");
        assert!(
            m.note.unwrap().contains(&format!("{chips} chips")),
            "{name}"
        );
    }
    assert!(lookup("TPU v5p").unwrap().slice.is_none());
    assert!(matches!(lookup("v2-7"), Err(LookupError::BadSlice(_))));
}

#[test]
fn a_server_or_a_count_in_the_name_is_said() {
    let m = lookup("DGX A100").unwrap();
    let note = m.note.expect("a note for DGX");
    assert!(note.contains("DGX") && note.contains("8 GPUs"), "{note}");
    let m = lookup("8x A100 (DGX)").unwrap();
    assert!(m.note.unwrap().contains("'8x'"));
    assert!(lookup("A100").unwrap().note.is_none());
}

#[test]
fn suggestions_read_like_the_name() {
    let suggestions = |name: &str| match lookup(name) {
        Err(LookupError::Unknown { suggestions, .. }) => suggestions,
        other => panic!("{name}: {other:?}"),
    };
    // A TPU the table lacks suggests TPUs, never Gaudi3.
    let s = suggestions("Cloud TPU v9");
    assert!(
        !s.is_empty() && s.iter().all(|k| k.contains("TPU")),
        "{s:?}"
    );
    // A server around an unknown GPU suggests GPUs of that name, never the GTX 1080.
    let s = suggestions("DGX H1OO");
    assert!(s.iter().any(|k| k.starts_with("H100")), "{s:?}");
    assert!(!s.iter().any(|k| k.contains("1080")), "{s:?}");
    // A nearby name suggests chips that share a word with it, never an unrelated one.
    for (name, family) in [
        ("B400", "B"),
        ("MI400X", "Instinct MI"),
        ("TPU v9", "Google TPU"),
    ] {
        let s = suggestions(name);
        assert!(
            !s.is_empty() && s.iter().all(|k| k.starts_with(family)),
            "{name}: {s:?}"
        );
    }
    assert!(!suggestions("B400").iter().any(|k| k == "A30"));
    // A number shared across vendors is not a family: "RX 580" is AMD's, the GTX 580 NVIDIA's.
    let s = suggestions("RX 580");
    assert!(!s.is_empty() && s.iter().all(|k| k.contains("RX")), "{s:?}");
    assert!(!suggestions("Radeon RX 580")
        .iter()
        .any(|k| k.contains("GTX")));
    assert!(suggestions("Frobnicator 9000").is_empty());
    // A variant the table lacks is an error, never its sibling's numbers.
    for unknown in [
        "NVIDIA H20-3e",
        "NVIDIA H800 NVL",
        "A800 40GB Active",
        "TPU v8",
    ] {
        assert!(
            lookup(unknown).is_err(),
            "{unknown} matched {}",
            key(unknown)
        );
    }
}

#[test]
fn a_plural_that_is_also_a_product_says_which_was_taken() {
    // "V100s" is NVIDIA's V100S; the note says so and how to mean 64 V100.
    let m = lookup("64 V100s").unwrap();
    assert_eq!(m.row.key, "Tesla V100S PCIe");
    let note = m.note.unwrap_or_default();
    assert!(
        note.contains("count '64'") && note.contains("for Tesla V100 SXM2 (the plural)"),
        "{note}"
    );
    // A plural with no product of its own reads quietly, but for the count.
    let m = lookup("A100s").unwrap();
    assert_eq!((m.row.key.as_str(), m.note), ("A100 SXM4 80GB", None));
}

#[test]
fn a_memory_size_no_row_of_the_chip_has_is_noted() {
    // The H100 with 94 GB is the NVL, a board of its own.
    assert_eq!(lookup("H100 94GB").unwrap().row.key, "H100 NVL 94GB");
    // No A100 has 96 GB: the 80GB row's figures, said.
    let m = lookup("A100 96GB").unwrap();
    assert_eq!(m.row.key, "A100 SXM4 80GB");
    let note = m.note.unwrap_or_default();
    assert!(note.contains("96 GB is not this row's memory"), "{note}");
    // Sizes the row or its aliases have are not noted: the 32 GB V100, GH200's 480 GB.
    for name in [
        "V100 32GB",
        "NVIDIA GH200 480GB",
        "NVIDIA A100-SXM4-40GB",
        "A100 80GB",
    ] {
        assert!(lookup(name).unwrap().note.is_none(), "{name}");
    }
}
