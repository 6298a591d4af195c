//! NCCL all-reduce bus bandwidth across the GPUs of a node, reported beside the GEMM numbers
//! (one process drives every GPU, as nccl-tests' all_reduce_perf -g N does).

use std::sync::Arc;

use cudarc::driver::{sys as drv, CudaContext, CudaStream};
use cudarc::nccl::safe::{group_end, group_start, Comm, ReduceOp};

use crate::device::cuda_libs::CudaLib;
use crate::measure::stats::summarize;
use crate::results::Collective;

/// Times `iters` f32 sum all-reduces of `bytes` across the CUDA devices `ordinals`.
pub fn all_reduce(ordinals: &[usize], bytes: usize, iters: usize) -> Result<Collective, String> {
    if ordinals.len() < 2 {
        return Err("an all-reduce needs at least 2 GPUs".into());
    }
    if !CudaLib::Nccl.present() {
        return Err("libnccl.so not found (install NCCL, e.g. PyPI's nvidia-nccl-cu13, and put it on LD_LIBRARY_PATH)".into());
    }
    crate::panic_guard::guard("NCCL", || {
        let streams: Vec<Arc<CudaStream>> = ordinals
            .iter()
            .map(|&o| CudaContext::new(o).and_then(|c| c.new_stream()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("opening the GPUs: {e}"))?;
        let comms =
            Comm::from_devices(streams.clone()).map_err(|e| format!("ncclCommInitAll: {e:?}"))?;
        let n = bytes / 4;
        let mut send = Vec::new();
        let mut recv = Vec::new();
        for s in &streams {
            send.push(s.alloc_zeros::<f32>(n).map_err(|e| e.to_string())?);
            recv.push(s.alloc_zeros::<f32>(n).map_err(|e| e.to_string())?);
        }
        let once = |recv: &mut Vec<cudarc::driver::CudaSlice<f32>>| -> Result<(), String> {
            group_start().map_err(|e| format!("{e:?}"))?;
            for (i, c) in comms.iter().enumerate() {
                c.all_reduce(&send[i], &mut recv[i], &ReduceOp::Sum)
                    .map_err(|e| format!("ncclAllReduce: {e:?}"))?;
            }
            group_end().map_err(|e| format!("{e:?}"))?;
            Ok(())
        };
        for _ in 0..5 {
            once(&mut recv)?;
        }
        for s in &streams {
            s.synchronize().map_err(|e| e.to_string())?;
        }
        let mut samples = Vec::with_capacity(iters);
        for _ in 0..iters {
            let starts = streams
                .iter()
                .map(|s| s.record_event(Some(drv::CUevent_flags::CU_EVENT_DEFAULT)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            once(&mut recv)?;
            let ends = streams
                .iter()
                .map(|s| s.record_event(Some(drv::CUevent_flags::CU_EVENT_DEFAULT)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            // The collective takes as long as its slowest GPU.
            let mut t = 0.0f64;
            for (a, b) in starts.iter().zip(&ends) {
                b.synchronize().map_err(|e| e.to_string())?;
                t = t.max(f64::from(a.elapsed_ms(b).map_err(|e| e.to_string())?) / 1e3);
            }
            samples.push(t);
        }
        let median = summarize(&samples).median;
        let algbw = bytes as f64 / median / 1e9;
        Ok(Collective {
            op: "all_reduce".into(),
            dtype: "f32 sum".into(),
            devices: ordinals.iter().map(|o| format!("cuda:{o}")).collect(),
            bytes: bytes as u64,
            time_s: median,
            algbw_gbs: algbw,
            busbw_gbs: Collective::bus_bandwidth(algbw, ordinals.len()),
            samples,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_bandwidth_is_nccl_tests_formula() {
        assert_eq!(Collective::bus_bandwidth(100.0, 2), 100.0);
        assert_eq!(Collective::bus_bandwidth(100.0, 8), 175.0);
    }

    #[test]
    fn without_nccl_or_gpus_it_says_why() {
        assert!(all_reduce(&[0], 1 << 20, 1).unwrap_err().contains("2 GPUs"));
        if !CudaLib::Nccl.present() {
            assert!(all_reduce(&[0, 1], 1 << 20, 1)
                .unwrap_err()
                .contains("libnccl"));
        }
    }
}
