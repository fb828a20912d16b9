//! Deterministic simulation of the device's life : the whole engine against
//! simulated Bootstrap and DM servers over a lossy, duplicating, reordering virtual network
//! with a virtual clock, all from one seed (see `tests/sim/mod.rs` for what is checked).
//!
//! - `cargo test --test simulation`: `SUITE_SEEDS` seeds of each of the five scenarios.
//! - Replay one seed (every scenario): `LWBS_SIM_SEED=<n> cargo test --test simulation`
//!   (`LWBS_SIM_TRACE=1 ... -- --nocapture` prints every event).
//! - Soak: `LWBS_SIM_SEEDS=100000 cargo test --release --test simulation -- --ignored soak`
//!   (`LWBS_SIM_FIRST=<n>` starts elsewhere; all cores).

mod common;
mod sim;

use sim::{run_seed, Scenario, Stats};

/// Seeds per scenario in the ordinary test run.
const SUITE_SEEDS: u64 = 200;

fn seeds(default: u64) -> Vec<u64> {
    if let Some(seed) = std::env::var("LWBS_SIM_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    (0..default).collect()
}

fn run_scenario(scenario: Scenario) -> Stats {
    let mut total = Stats::default();
    for seed in seeds(SUITE_SEEDS) {
        total.add(&run_seed(seed, scenario));
    }
    println!("{}: {total:?}", scenario.name());
    total
}

#[test]
fn factory_server_unreachable_or_slow_falls_back_to_bootstrap() {
    let s = run_scenario(Scenario::FactoryFallback);
    assert!(s.bootstraps >= s.runs, "every run bootstraps: {s:?}");
}

#[test]
fn client_initiated_bootstrap_then_register() {
    let s = run_scenario(Scenario::ClientInitiated);
    assert!(s.bootstraps >= s.runs && s.registers >= s.runs, "{s:?}");
}

#[test]
fn bootstrap_register_and_days_of_updates() {
    let s = run_scenario(Scenario::LongLife);
    assert!(s.updates > 20 * s.runs, "{s:?}");
}

#[test]
fn dm_server_triggers_bootstrap_mid_life() {
    let s = run_scenario(Scenario::DmTrigger);
    assert!(s.triggers >= s.runs, "{s:?}");
}

#[test]
fn power_cuts_mid_life_restart_from_the_flash_slots() {
    let s = run_scenario(Scenario::Restart);
    assert!(s.restarts >= s.runs, "{s:?}");
}

#[test]
fn a_seed_replays_exactly() {
    for scenario in Scenario::ALL {
        assert_eq!(run_seed(7, scenario), run_seed(7, scenario), "{}", scenario.name());
    }
    assert_ne!(run_seed(7, Scenario::LongLife), run_seed(8, Scenario::LongLife));
}

/// Many more seeds, on every core: `LWBS_SIM_SEEDS=100000 cargo test --release --test
/// simulation -- --ignored soak`.
#[test]
#[ignore]
fn soak() {
    let count: u64 =
        std::env::var("LWBS_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let first: u64 = std::env::var("LWBS_SIM_FIRST").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            std::thread::spawn(move || {
                let mut total = Stats::default();
                let mut seed = first + t;
                while seed < first + count {
                    for scenario in Scenario::ALL {
                        total.add(&run_seed(seed, scenario));
                    }
                    seed += threads;
                }
                total
            })
        })
        .collect();
    let mut total = Stats::default();
    for h in handles {
        total.add(&h.join().expect("a seed failed (see SEED= above)"));
    }
    println!(
        "soak: seeds {first}..{} x {} scenarios = {} runs in {:.1} s: {total:?}",
        first + count,
        Scenario::ALL.len(),
        total.runs,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(total.runs, count * Scenario::ALL.len() as u64);
}
