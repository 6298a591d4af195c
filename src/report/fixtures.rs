//! Results for unit tests: the development VM's committed bench (14 runs on lavapipe and the
//! CPU, every sample kept), as a real file holds them.

use crate::results::Results;

pub(crate) fn dev_vm() -> Results {
    serde_json::from_str(include_str!("../../results/dev-vm-cpu-lavapipe.json"))
        .expect("the committed results file parses")
}
