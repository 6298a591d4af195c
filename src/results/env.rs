//! The environment recorded with every results file: tool, host, time.

use sysinfo::System;

use super::types::{Host, Tool};

pub fn tool() -> Tool {
    let commit = env!("FLOPMETER_GIT_COMMIT");
    Tool {
        name: "flopmeter".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_commit: (!commit.is_empty()).then(|| commit.to_string()),
    }
}

pub fn host(cpu_model: &str, physical_cores: Option<u32>, memory_bytes: u64) -> Host {
    Host {
        hostname: System::host_name().unwrap_or_else(|_| "unknown".into()),
        os: System::long_os_version().unwrap_or_else(|_| std::env::consts::OS.to_string()),
        kernel: System::kernel_version().ok(),
        cpu: cpu_model.to_string(),
        physical_cores,
        logical_cores: std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1),
        memory_bytes,
        rank: None,
        launcher: None,
        libraries: Vec::new(),
    }
}

/// RFC 3339 in UTC, to the second.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
