//! flopmeter: measures what a machine's matrix units deliver (achieved TFLOP/s against the rated
//! dense peak) and turns measured utilization into training-compute estimates in pfs-days.

pub mod bench;
pub mod charts;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod device;
pub mod dtype;
pub mod error;
pub mod estimate;
pub mod gemm;
pub mod measure;
pub mod output;
pub mod panic_guard;
pub mod peaks;
pub mod report;
pub mod results;
pub mod signals;
pub mod telemetry;
pub mod trend;

use clap::Parser;

/// Parses the command line, runs it, and returns the process exit status.
pub fn main_with_args() -> i32 {
    device::wgpu::quiet_wayland_probe();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (status 0) and usage errors to stderr (2).
            let _ = e.print();
            return e.exit_code();
        }
    };
    match commands::run(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
