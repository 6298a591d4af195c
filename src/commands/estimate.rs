//! `flopmeter estimate ops|hardware|time`: training compute in FLOP and pfs-days, with every
//! resolved input and its source, and an interval when an input is uncertain.

use serde_json::{json, Value};

use crate::cli::{EstimateArgs, EstimateCommand};
use crate::error::{AppError, AppResult};
use crate::estimate::dist::{propagate, Interval};
use crate::estimate::model::{
    chips_needed, hardware_flop, ops_flop, pfs_days, seconds_needed, Workload, SECONDS_PER_DAY,
};
use crate::estimate::request::{parse, Request};
use crate::output::print_json;

pub fn run(cmd: &EstimateCommand, json: bool) -> AppResult<()> {
    let (which, args): (&str, &EstimateArgs) = match cmd {
        EstimateCommand::Ops(a) => ("ops", a),
        EstimateCommand::Hardware(a) => ("hardware", a),
        EstimateCommand::Time(a) => ("time", a),
    };
    let req = parse(args, which).map_err(AppError::usage)?;
    let doc = match which {
        "ops" => ops(&req),
        "hardware" => hardware(&req),
        _ => time(&req),
    };
    if json {
        print_json(&doc)
    } else {
        print_human(&doc);
        Ok(())
    }
}

fn sci(x: f64) -> String {
    format!("{x:.4e}")
}

fn pfs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 0.01 {
        format!("{x:.4}")
    } else {
        format!("{x:.3e}")
    }
}

/// A JSON number as a person writes it: 2 rather than 2.0, 1.2e6 as 1200000.
fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => format!("{x}"),
        None => v.to_string(),
    }
}

fn interval_json(i: Interval) -> Value {
    json!({"p5": i.p5, "p50": i.p50, "p95": i.p95})
}

fn utilization_json(u: &crate::estimate::request::Utilization) -> Value {
    json!({
        "median": u.median(),
        "distribution": u.dist,
        "factor": u.factor,
        "source": u.source,
        "calibration": u.calibration,
    })
}

fn workload_json(w: &Workload, req: &Request) -> Value {
    let mut v = match *w {
        Workload::PerExample {
            forward_flop,
            examples,
            epochs,
        } => json!({
            "kind": "per_example",
            "forward_flop_per_example": forward_flop,
            "examples": examples,
            "epochs": epochs,
        }),
        Workload::Transformer {
            params,
            tokens,
            attention,
        } => json!({
            "kind": "transformer",
            "params": params,
            "tokens": tokens,
            "attention": attention.map(|a| json!({
                "layers": a.layers, "heads": a.heads, "head_dim": a.head_dim, "seq_len": a.seq_len,
                "flop_per_token": 12.0 * a.layers * a.heads * a.head_dim * a.seq_len,
            })),
        }),
    };
    v["backward_factor"] = json!(req.passes.backward_factor);
    v["recompute"] = json!(req.passes.recompute);
    v["passes_multiplier"] = json!(req.passes.multiplier());
    v["convention"] = json!(
        "1 MAC = 2 FLOP; precision ignored; forward x (1 + backward factor [+ 1 with recompute])"
    );
    v
}

/// Method 2 with its inputs; the FLOP median and, for uncertain utilization, the interval.
fn hardware_part(req: &Request) -> Value {
    let h = req.hardware().expect("checked");
    let secs = req.seconds.expect("checked");
    let u = req.utilization.as_ref().expect("checked");
    let chip = req.chip.as_ref().expect("checked");
    let (flop, interval) = if u.is_fixed() {
        (hardware_flop(&h, secs, u.median()), None)
    } else {
        let i = propagate(req.draws, req.seed, |r| {
            hardware_flop(&h, secs, u.sample(r))
        });
        (i.p50, Some(i))
    };
    let mut v = json!({
        "method": "hardware",
        "flops": flop,
        "pfs_days": pfs_days(flop),
        "chip": chip.name,
        "dtype": chip.dtype,
        "peak_tflops": chip.peak_tflops,
        "peak_source": chip.peak_source,
        "count": h.count,
        "days": secs / SECONDS_PER_DAY,
        "goodput": h.goodput,
        "utilization": utilization_json(u),
    });
    if let Some(i) = interval {
        v["interval"] = interval_json(i.map(pfs_days));
        v["interval_flops"] = interval_json(i);
    }
    v
}

fn add_ratio(doc: &mut Value, ops_flop: f64, hw: &Value) {
    doc["ratio_hardware_over_ops"] = json!(hw["flops"].as_f64().unwrap_or(f64::NAN) / ops_flop);
    if let Some(i) = hw.get("interval_flops") {
        let get = |k: &str| i[k].as_f64().unwrap_or(f64::NAN) / ops_flop;
        doc["ratio_interval"] = json!({"p5": get("p5"), "p50": get("p50"), "p95": get("p95")});
    }
}

fn ops(req: &Request) -> Value {
    let w = req.workload.as_ref().expect("checked");
    let flop = ops_flop(w, &req.passes);
    let mut doc = json!({
        "command": "ops",
        "method": "operations",
        "flops": flop,
        "pfs_days": pfs_days(flop),
        "inputs": workload_json(w, req),
    });
    if req.has_hardware_time() {
        let hw = hardware_part(req);
        add_ratio(&mut doc, flop, &hw);
        doc["hardware"] = hw;
    }
    doc
}

fn hardware(req: &Request) -> Value {
    let mut doc = hardware_part(req);
    doc["command"] = json!("hardware");
    if let Some(w) = &req.workload {
        let flop = ops_flop(w, &req.passes);
        let hw = doc.clone();
        add_ratio(&mut doc, flop, &hw);
        doc["ops"] = json!({
            "method": "operations",
            "flops": flop,
            "pfs_days": pfs_days(flop),
            "inputs": workload_json(w, req),
        });
    }
    doc
}

fn time(req: &Request) -> Value {
    let flop = match (req.target_flop, &req.workload) {
        (Some(f), _) => f,
        (None, Some(w)) => ops_flop(w, &req.passes),
        (None, None) => unreachable!("checked"),
    };
    let h = req.hardware().expect("checked");
    let u = req.utilization.as_ref().expect("checked");
    let chip = req.chip.as_ref().expect("checked");
    let mut doc = json!({
        "command": "time",
        "flops": flop,
        "pfs_days": pfs_days(flop),
        "chip": chip.name,
        "dtype": chip.dtype,
        "peak_tflops": chip.peak_tflops,
        "peak_source": chip.peak_source,
        "goodput": h.goodput,
        "utilization": utilization_json(u),
    });
    if let Some(w) = &req.workload {
        doc["inputs"] = workload_json(w, req);
    }
    let value = |f: &dyn Fn(f64) -> f64| -> (f64, Option<Interval>) {
        if u.is_fixed() {
            (f(u.median()), None)
        } else {
            let i = propagate(req.draws, req.seed, |r| f(u.sample(r)));
            (i.p50, Some(i))
        }
    };
    match (req.count, req.seconds) {
        (Some(count), None) => {
            let (days, i) = value(&|u| seconds_needed(flop, &h, u) / SECONDS_PER_DAY);
            doc["count"] = json!(count);
            doc["days"] = json!(days);
            doc["solved_for"] = json!("days");
            if let Some(i) = i {
                doc["interval"] = interval_json(i);
            }
        }
        (None, Some(secs)) => {
            let (chips, i) = value(&|u| chips_needed(flop, &h, secs, u));
            doc["days"] = json!(secs / SECONDS_PER_DAY);
            doc["count"] = json!(chips.ceil());
            doc["count_exact"] = json!(chips);
            doc["solved_for"] = json!("count");
            if let Some(i) = i {
                doc["interval"] = interval_json(i);
            }
        }
        _ => unreachable!("checked"),
    }
    doc
}

fn print_utilization(v: &Value) {
    let u = &v["utilization"];
    println!(
        "  utilization: {:.3} median; {}",
        u["median"].as_f64().unwrap_or(f64::NAN),
        u["source"].as_str().unwrap_or("")
    );
    if let Some(c) = u.get("calibration").filter(|c| !c.is_null()) {
        println!(
            "  calibration: {} measured {:.1}% of rated on {} ({}): a ceiling on training MFU",
            c["file"].as_str().unwrap_or(""),
            c["matmul_utilization"].as_f64().unwrap_or(f64::NAN) * 100.0,
            c["device"].as_str().unwrap_or(""),
            c["best_result"].as_str().unwrap_or(""),
        );
    }
}

fn print_hardware_inputs(v: &Value) {
    println!(
        "  chips: {} x {} at {} TFLOP/s dense {} ({})",
        num(&v["count"]),
        v["chip"].as_str().unwrap_or(""),
        num(&v["peak_tflops"]),
        v["dtype"].as_str().unwrap_or(""),
        v["peak_source"].as_str().unwrap_or("")
    );
    println!(
        "  time: {} days, goodput {}",
        num(&v["days"]),
        num(&v["goodput"])
    );
    print_utilization(v);
}

fn print_interval(v: &Value, unit: &str) {
    if let Some(i) = v.get("interval") {
        println!(
            "  90% interval: {} .. {} {unit} (median {})",
            pfs(i["p5"].as_f64().unwrap_or(f64::NAN)),
            pfs(i["p95"].as_f64().unwrap_or(f64::NAN)),
            pfs(i["p50"].as_f64().unwrap_or(f64::NAN)),
        );
    }
}

fn print_ops_inputs(v: &Value) {
    let i = &v["inputs"];
    match i["kind"].as_str() {
        Some("per_example") => println!(
            "  forward FLOP per example {} x {} examples x {} epochs",
            sci(i["forward_flop_per_example"].as_f64().unwrap_or(0.0)),
            num(&i["examples"]),
            num(&i["epochs"])
        ),
        _ => println!(
            "  {} parameters x {} tokens (6ND{})",
            sci(i["params"].as_f64().unwrap_or(0.0)),
            sci(i["tokens"].as_f64().unwrap_or(0.0)),
            if i["attention"].is_null() {
                ""
            } else {
                " + 12 L H Q T per token"
            }
        ),
    }
    println!(
        "  passes: x{} (forward + {} x backward{}); 1 MAC = 2 FLOP",
        num(&i["passes_multiplier"]),
        num(&i["backward_factor"]),
        if i["recompute"] == true {
            " + recompute"
        } else {
            ""
        }
    );
}

fn print_human(v: &Value) {
    let flops = v["flops"].as_f64().unwrap_or(f64::NAN);
    let pd = v["pfs_days"].as_f64().unwrap_or(f64::NAN);
    match v["command"].as_str() {
        Some("ops") => {
            println!(
                "Training compute (operations): {} FLOP = {} pfs-days",
                sci(flops),
                pfs(pd)
            );
            print_ops_inputs(v);
            if let Some(hw) = v.get("hardware") {
                println!(
                    "Training compute (hardware time): {} FLOP = {} pfs-days",
                    sci(hw["flops"].as_f64().unwrap_or(f64::NAN)),
                    pfs(hw["pfs_days"].as_f64().unwrap_or(f64::NAN))
                );
                print_hardware_inputs(hw);
                print_interval(hw, "pfs-days");
                println!(
                    "Ratio hardware / operations: {:.2}",
                    v["ratio_hardware_over_ops"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
        Some("hardware") => {
            println!(
                "Training compute (hardware time): {} FLOP = {} pfs-days",
                sci(flops),
                pfs(pd)
            );
            print_hardware_inputs(v);
            print_interval(v, "pfs-days");
            if let Some(o) = v.get("ops") {
                println!(
                    "Training compute (operations): {} FLOP = {} pfs-days",
                    sci(o["flops"].as_f64().unwrap_or(f64::NAN)),
                    pfs(o["pfs_days"].as_f64().unwrap_or(f64::NAN))
                );
                print_ops_inputs(o);
                println!(
                    "Ratio hardware / operations: {:.2}",
                    v["ratio_hardware_over_ops"].as_f64().unwrap_or(f64::NAN)
                );
            }
        }
        _ => {
            println!(
                "Compute to train: {} FLOP = {} pfs-days",
                sci(flops),
                pfs(pd)
            );
            if v["solved_for"] == "days" {
                println!(
                    "Wall-clock time: {} days on {} x {}",
                    pfs(v["days"].as_f64().unwrap_or(f64::NAN)),
                    num(&v["count"]),
                    v["chip"].as_str().unwrap_or("")
                );
                print_interval(v, "days");
            } else {
                println!(
                    "Chips needed: {} x {} for {} days (exactly {:.2})",
                    num(&v["count"]),
                    v["chip"].as_str().unwrap_or(""),
                    num(&v["days"]),
                    v["count_exact"].as_f64().unwrap_or(f64::NAN)
                );
                print_interval(v, "chips");
            }
            println!(
                "  chip: {} at {} TFLOP/s dense {} ({})",
                v["chip"].as_str().unwrap_or(""),
                num(&v["peak_tflops"]),
                v["dtype"].as_str().unwrap_or(""),
                v["peak_source"].as_str().unwrap_or("")
            );
            println!("  goodput {}", num(&v["goodput"]));
            print_utilization(v);
        }
    }
}
