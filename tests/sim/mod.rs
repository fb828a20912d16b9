//! Deterministic simulation: the whole engine (`Client`) against simulated
//! Bootstrap and DM servers over a virtual network that loses, duplicates, delays and
//! reorders datagrams, with a virtual clock, everything drawn from one seed.
//!
//! While it runs, every event and datagram of the client is checked against the rules:
//! - bootstraps never overlap (`BootstrapStarted` / `Finished` / `Failed` alternate) and at
//!   most one Bootstrap-Request exchange is active (a second one only after a 4.00, the `pct`
//!   fallback);
//! - every bootstrap has its reason: no server account, the registration procedure exhausted,
//!   a DM server's /1/x/9, a 1.0 push during the hold-off, or the back-off after a failure;
//! - the Bootstrap-Request never goes out before the Client Hold Off Time ends (exactly then,
//!   unless the Bootstrap-Server pushed first);
//! - the back-off after the n-th failed bootstrap lies in [d/2, d], d = min(cap, base × 2^(n−1));
//! - Register attempt n+1 goes out exactly Retry Timer × 2^(n−1) after attempt n failed, the
//!   next sequence exactly Sequence Delay after the last attempt, nothing after exhaustion
//!   but the fallback; Updates exactly at lifetime − MAX_TRANSMIT_WAIT (lifetime / 2 for
//!   short lifetimes) after the last success;
//! - each CoAP retransmission of the client's CON k comes after a gap in
//!   [ACK_TIMEOUT, ACK_TIMEOUT × 1.5] × 2^k (doubling exactly), at most MAX_RETRANSMIT times,
//!   byte for byte the same, never after its ACK or response arrived;
//! - the first request after a (re)start with a server account is a Register (ETS int-6);
//! - after a 2.04 to /1/x/9 the 2.04 goes out before the Bootstrap-Request (ETS int-5);
//! - a restart from the two flash slots restores exactly the configuration committed before
//!   the power cut; at each `BootstrapFinished` the configuration is exactly what that
//!   session's Bootstrap-Server wrote; a Finish is never refused (the servers are correct);
//! - at the end (after a calm period) the device is Registered with the server of the
//!   expected account, the DM server holds that registration at the client's address, and
//!   `bootstrap::validate` finds nothing in the committed configuration.
//!
//! A failed check panics with `SEED=<n>` and the last events; replay with
//! `LWBS_SIM_SEED=<n> cargo test --test simulation` (add `LWBS_SIM_TRACE=1` for the full trace).

pub mod net;
pub mod peer;
pub mod rng;
pub mod servers;

use std::collections::{HashMap, HashSet, VecDeque};

use lwm2m_bootstrap::bootstrap::{validate, ValidationPolicy};
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, Config, ConnId, Event, SecurityConfig, ServerAccountConfig,
    State, StateReason, Transmit,
};
use lwm2m_bootstrap::coap::{Code, Message, MessageType};
use lwm2m_bootstrap::rules::RetryParams;

use crate::common::{BS_URI, DM_URI};
use net::{Addr, Delivery, NetParams, Network, ServerId};
use rng::SimRng;
use servers::{BootstrapServer, DmMode, DmServer, RetryExpect};

pub const FACTORY_URI: &str = "coap://127.0.0.1:6001";
pub const DM2_URI: &str = "coap://127.0.0.1:5684";
const ENDPOINT: &str = "urn:dev:sim";

const MIN: u64 = 60_000;
const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;
/// The client's CoAP timers (RFC 7252 defaults).
const ACK_TIMEOUT: u64 = 2_000;
const MAX_RETRANSMIT: u32 = 4;
const MAX_TRANSMIT_WAIT: u64 = 93_000;
const EXCHANGE_LIFETIME: u64 = 247_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Factory server unreachable (ICMP or silence) or too slow: the registration procedure
    /// runs out, hold-off, bootstrap, register.
    FactoryFallback,
    /// No server account: hold-off (maybe a 1.0 push), client-initiated bootstrap, register.
    ClientInitiated,
    /// Bootstrap, register, days of Updates; the DM server sometimes forgets the client.
    LongLife,
    /// Valid factory server (no bootstrap), then DM servers execute /1/x/9 mid-life.
    DmTrigger,
    /// Power cuts mid-life (and mid-bootstrap): restart from the two flash slots.
    Restart,
}

impl Scenario {
    pub const ALL: [Scenario; 5] = [
        Scenario::FactoryFallback,
        Scenario::ClientInitiated,
        Scenario::LongLife,
        Scenario::DmTrigger,
        Scenario::Restart,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::FactoryFallback => "factory-fallback",
            Scenario::ClientInitiated => "client-initiated",
            Scenario::LongLife => "long-life",
            Scenario::DmTrigger => "dm-trigger",
            Scenario::Restart => "restart",
        }
    }
}

/// What one run did (summed over seeds by the callers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub runs: u64,
    pub bootstraps: u64,
    pub failed_bootstraps: u64,
    pub registers: u64,
    pub updates: u64,
    pub restarts: u64,
    pub triggers: u64,
    pub pushes: u64,
    pub retransmissions: u64,
    pub datagrams: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub virtual_ms: u64,
}

impl Stats {
    pub fn add(&mut self, o: &Stats) {
        self.runs += o.runs;
        self.bootstraps += o.bootstraps;
        self.failed_bootstraps += o.failed_bootstraps;
        self.registers += o.registers;
        self.updates += o.updates;
        self.restarts += o.restarts;
        self.triggers += o.triggers;
        self.pushes += o.pushes;
        self.retransmissions += o.retransmissions;
        self.datagrams += o.datagrams;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.virtual_ms += o.virtual_ms;
    }
}

/// The LwM2M Server account the client must hold (factory or last bootstrap).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ServerExpect {
    uri: String,
    lifetime_s: u64,
    /// Resolved registration procedure: the instance's resources or the client's defaults.
    retry: RetryExpect,
    /// Whether /1/x/17..20 are in the instance.
    retry_written: bool,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Trigger,
    Restart,
    DmForget,
    Calm,
}

/// One CON of the client, for the retransmission checks.
struct ConTrack {
    first: u64,
    last: u64,
    gap: u64,
    sends: u32,
    bytes: Vec<u8>,
    token: Vec<u8>,
    /// Its ACK, RST or response reached the client.
    done: bool,
}

/// The checker's view of the client, reset at each boot where it says so.
#[derive(Default)]
struct Checker {
    expected: Option<ServerExpect>,
    in_bootstrap: bool,
    /// Bootstrap-Request tokens of the running bootstrap.
    bs_tokens: Vec<Vec<u8>>,
    /// The last Bootstrap-Request was answered 4.00 (the one `pct` retry may follow).
    bs_answered_400: bool,
    /// Consecutive failed Register attempts since the procedure (re)started.
    fails: u32,
    /// After a failed attempt: `Some(t)` the next Register is due exactly at t, `None` the
    /// procedure is exhausted.
    next_register: Option<Option<u64>>,
    exhausted: bool,
    update_due: Option<u64>,
    /// Registered with the expected server (an Update may be in flight).
    registered: bool,
    /// An Update is owed as soon as the one in flight ends (lifetime changed meanwhile).
    update_deferred: bool,
    hold_off: Option<(u64, u64)>,
    bootstrap_failed_at: Option<u64>,
    backoff: Option<(u64, u64)>,
    backoff_failures: u32,
    cons: HashMap<(u32, u16), ConTrack>,
    first_request_seen: bool,
    last_success: u64,
}

/// The datagram being delivered to the client (for the checks of what it causes).
struct Delivering {
    from: Addr,
    conn: u32,
    msg: Message,
}

pub struct World {
    seed: u64,
    scenario: Scenario,
    now: u64,
    rng: SimRng,
    net: Network,
    client: Client,
    boot: u32,
    base_config: Config,
    bs_account: BootstrapAccountConfig,
    factory_server: Option<ServerAccountConfig>,
    flash: [Option<Vec<u8>>; 2],
    conn_uri: HashMap<u32, String>,
    open: HashSet<u32>,
    bs: BootstrapServer,
    dms: Vec<DmServer>,
    factory: DmServer,
    factory_unreachable: bool,
    icmp_pm: u64,
    push_pm: u64,
    script: Vec<(u64, Action)>,
    restart_on_bootstrap: Option<u64>,
    calm_since: Option<u64>,
    chk: Checker,
    delivering: Option<Delivering>,
    log: VecDeque<String>,
    trace: bool,
    stats: Stats,
}

fn retry_of(p: &RetryParams) -> RetryExpect {
    RetryExpect {
        count: p.retry_count.max(1),
        timer_s: p.retry_timer_s,
        seq_delay_s: p.sequence_delay_s,
        seq_count: p.sequence_retry_count.max(1),
    }
}

/// Next Update after a success, as the engine schedules it: MAX_TRANSMIT_WAIT before the lifetime
/// ends, or half the lifetime (at least 1 s) when the lifetime is short.
fn update_delay(lifetime_s: u64) -> u64 {
    let lt = lifetime_s * 1000;
    if lt > 2 * MAX_TRANSMIT_WAIT {
        lt - MAX_TRANSMIT_WAIT
    } else {
        (lt / 2).max(1000)
    }
}

fn is_bootstrap_request(m: &Message) -> bool {
    m.code == Code::POST
        && m.uri_path().unwrap_or_default().last() == Some(&"bs")
        && m.uri_query().unwrap_or_default().iter().any(|q| q.starts_with("ep="))
}

impl World {
    pub fn new(seed: u64, scenario: Scenario) -> World {
        let salt = Scenario::ALL.iter().position(|s| *s == scenario).unwrap() as u64;
        let mut rng = SimRng::new(seed.wrapping_mul(8).wrapping_add(salt));
        let net = Network::new(NetParams::random(&mut rng), rng.fork());
        let mut base_config = Config::new(ENDPOINT);
        if rng.chance(500) {
            let r = RetryExpect::random(&mut rng);
            base_config.retry_defaults.retry_count = r.count;
            base_config.retry_defaults.retry_timer_s = r.timer_s;
            base_config.retry_defaults.sequence_delay_s = r.seq_delay_s;
            base_config.retry_defaults.sequence_retry_count = r.seq_count;
        }
        base_config.bootstrap_backoff_base_ms = rng.pick(&[1_000, 10_000]);
        base_config.bootstrap_backoff_cap_ms = rng.pick(&[60_000, 3_600_000]);
        let hold_off_s = match scenario {
            Scenario::ClientInitiated | Scenario::FactoryFallback => rng.pick(&[0, 2, 10, 30, 60]),
            _ => rng.pick(&[0, 0, 5]),
        };
        let bs_account = BootstrapAccountConfig {
            security: SecurityConfig::nosec(BS_URI),
            hold_off_s,
            account_timeout_s: 0,
        };
        let factory_uri = match scenario {
            Scenario::FactoryFallback => Some(FACTORY_URI),
            Scenario::DmTrigger => Some(DM_URI),
            Scenario::LongLife | Scenario::Restart => rng.chance(500).then_some(DM_URI),
            Scenario::ClientInitiated => None,
        };
        let factory_server = factory_uri.map(|uri| ServerAccountConfig {
            ssid: 1,
            security: SecurityConfig::nosec(uri),
            lifetime_s: rng.pick(&[60, 300, 3_600]),
            binding: "U".into(),
        });
        let mut bs = BootstrapServer::new(rng.fork());
        if scenario == Scenario::DmTrigger {
            bs.uris = vec![DM2_URI, DM_URI];
        }
        bs.reject_next = rng.pick(&[0, 0, 0, 1, 2, 4]);
        bs.reject_code = rng.pick(&[Code::SERVICE_UNAVAILABLE, Code::FORBIDDEN, Code::BAD_REQUEST]);
        let dms = vec![
            DmServer::new(rng.fork(), DmMode::Normal),
            DmServer::new(rng.fork(), DmMode::Normal),
        ];
        let factory = DmServer::new(rng.fork(), DmMode::Slow);
        let factory_unreachable = rng.chance(600);
        let icmp_pm = rng.pick(&[0, 300, 1000]);
        let push_pm = if scenario == Scenario::ClientInitiated { 400 } else { 150 };
        let trace = std::env::var_os("LWBS_SIM_TRACE").is_some();
        let mut world = World {
            seed,
            scenario,
            now: 1_000,
            rng,
            net,
            client: Client::new(Config::new(ENDPOINT)),
            boot: 0,
            base_config,
            bs_account,
            factory_server,
            flash: [None, None],
            conn_uri: HashMap::new(),
            open: HashSet::new(),
            bs,
            dms,
            factory,
            factory_unreachable,
            icmp_pm,
            push_pm,
            script: Vec::new(),
            restart_on_bootstrap: None,
            calm_since: None,
            chk: Checker::default(),
            delivering: None,
            log: VecDeque::new(),
            trace,
            stats: Stats { runs: 1, ..Stats::default() },
        };
        world.plan_life();
        world
    }

    /// The scenario's script: actions at random times, then a calm network.
    fn plan_life(&mut self) {
        let start = self.now;
        let life = match self.scenario {
            Scenario::FactoryFallback => 3 * HOUR,
            Scenario::ClientInitiated => HOUR,
            Scenario::LongLife => self.rng.range(12 * HOUR, 30 * HOUR),
            Scenario::DmTrigger => 6 * HOUR,
            Scenario::Restart => 8 * HOUR,
        };
        let end = start + life;
        let at = |rng: &mut SimRng, from: u64| start + rng.range(from, life - 10 * MIN);
        match self.scenario {
            Scenario::DmTrigger => {
                for _ in 0..self.rng.range(1, 3) {
                    let t = at(&mut self.rng, 5 * MIN);
                    self.script.push((t, Action::Trigger));
                }
            }
            Scenario::Restart => {
                for _ in 0..self.rng.range(1, 3) {
                    let t = at(&mut self.rng, 0);
                    self.script.push((t, Action::Restart));
                }
                if self.rng.chance(500) {
                    self.restart_on_bootstrap = Some(self.rng.range(0, 5_000));
                }
                if self.rng.chance(300) {
                    let t = at(&mut self.rng, 30 * MIN);
                    self.script.push((t, Action::Trigger));
                }
            }
            Scenario::LongLife => {
                for _ in 0..self.rng.range(0, 2) {
                    let t = at(&mut self.rng, HOUR);
                    self.script.push((t, Action::DmForget));
                }
            }
            _ => {}
        }
        self.script.push((end, Action::Calm));
        self.script.sort_by_key(|(t, _)| *t);
    }

    // ----- failure reports -----------------------------------------------------------------

    fn note(&mut self, line: String) {
        if self.trace {
            println!("{line}");
        }
        if self.log.len() == 60 {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    #[track_caller]
    fn fail(&self, what: impl std::fmt::Display) -> ! {
        let log: Vec<&str> = self.log.iter().map(String::as_str).collect();
        panic!(
            "SEED={} scenario={} t={} boot={} state={:?}/{:?}: {what}\n\
             replay: LWBS_SIM_SEED={} LWBS_SIM_TRACE=1 cargo test --test simulation -- --nocapture\n\
             --- last events ---\n{}",
            self.seed,
            self.scenario.name(),
            self.now,
            self.boot,
            self.client.state(),
            self.client.state_reason(),
            self.seed,
            log.join("\n")
        );
    }

    #[track_caller]
    fn check(&self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.fail(what());
        }
    }

    // ----- the device ----------------------------------------------------------------------------

    fn client_config(&mut self) -> Config {
        let mut config = self.base_config.clone();
        config.seed = self.rng.next_u64();
        config
    }

    fn resolve(&self, lifetime_s: u64, uri: &str, retry: Option<RetryExpect>) -> ServerExpect {
        ServerExpect {
            uri: uri.into(),
            lifetime_s,
            retry: retry.unwrap_or_else(|| retry_of(&self.base_config.retry_defaults)),
            retry_written: retry.is_some(),
        }
    }

    /// First power-up: factory provisioning, committed to the flash, start.
    fn first_boot(&mut self) {
        self.boot = 1;
        let config = self.client_config();
        self.client = Client::new(config);
        self.client.provision_bootstrap_account(&self.bs_account).unwrap();
        if let Some(server) = self.factory_server.clone() {
            self.client.provision_server_account(&server).unwrap();
            self.chk.expected = Some(self.resolve(server.lifetime_s, &server.security.uri, None));
        }
        self.client.persist_configuration();
        self.note(format!("t={} boot 1", self.now));
        self.pump();
        self.start();
    }

    fn start(&mut self) {
        self.client.start(self.now).unwrap();
        self.pump();
    }

    /// Power cut and restart from the flash.
    fn restart(&mut self) {
        let before = self.client.configuration().clone();
        self.boot += 1;
        self.stats.restarts += 1;
        self.note(format!("t={} power cut, boot {}", self.now, self.boot));
        self.conn_uri.clear();
        self.open.clear();
        let keep_expected = self.chk.expected.take();
        let last_success = self.chk.last_success;
        self.chk = Checker { expected: keep_expected, last_success, ..Checker::default() };
        let config = self.client_config();
        self.client = Client::new(config);
        let report =
            self.client.restore([self.flash[0].as_deref(), self.flash[1].as_deref()]).unwrap();
        self.check(report.used.is_some(), || "nothing restored from the flash".into());
        self.check(self.client.configuration() == &before, || {
            "the restored configuration is not the one committed before the cut".into()
        });
        self.pump();
        self.start();
    }

    // ----- the client's output -----------------------------------------------------------------

    fn pump(&mut self) {
        let mut sent = Vec::new();
        loop {
            let mut progressed = false;
            while let Some(event) = self.client.poll_event() {
                progressed = true;
                self.on_event(event);
            }
            while let Some(t) = self.client.poll_transmit() {
                progressed = true;
                self.on_transmit(t, &mut sent);
            }
            if !progressed {
                break;
            }
        }
        self.after_step(&sent);
    }

    fn on_event(&mut self, event: Event) {
        if !matches!(event, Event::StorageWrite(_)) {
            self.note(format!("t={} event {event:?}", self.now));
        }
        let now = self.now;
        match event {
            Event::Connect { conn, uri } => {
                self.conn_uri.insert(conn.0, uri);
                self.open.insert(conn.0);
            }
            Event::Disconnect { conn } => {
                self.open.remove(&conn.0);
            }
            Event::StorageWrite(w) => {
                self.check(u32::from(w.slot) == w.generation % 2, || "slot parity".into());
                self.flash[usize::from(w.slot)] = Some(w.image.clone());
                self.client.storage_write_done(now);
            }
            Event::ConfigurationChanged => {}
            Event::BootstrapStarted => self.on_bootstrap_started(),
            Event::BootstrapFinished { accounts } => {
                self.check(self.chk.in_bootstrap, || {
                    "BootstrapFinished outside a bootstrap".into()
                });
                self.check(accounts == 1, || format!("{accounts} accounts"));
                self.chk.in_bootstrap = false;
                self.stats.bootstraps += 1;
                // The configuration is exactly what this session's Bootstrap-Server wrote.
                let from = self.delivering.as_ref().map(|d| (d.from, d.conn));
                let Some((Addr::Server(ServerId::Bootstrap), conn)) = from else {
                    self.fail("BootstrapFinished without a datagram from the Bootstrap-Server")
                };
                let addr = Addr::Client { boot: self.boot, conn };
                let Some(cfg) = self.bs.configs.get(&addr).cloned() else {
                    self.fail("BootstrapFinished on a connection the BS never bootstrapped")
                };
                let expected = self.resolve(cfg.lifetime_s, cfg.uri, cfg.retry);
                self.check_configuration(&expected);
                // Session rules: a registration whose server kept its security material (here:
                // its URI; NoSec) is kept; an Update goes out at once when the lifetime changed,
                // else the next Update keeps its schedule. Otherwise a new Register follows.
                let previous = self.chk.expected.clone();
                let kept =
                    self.chk.registered && previous.as_ref().is_some_and(|p| p.uri == expected.uri);
                let lifetime_changed =
                    previous.as_ref().is_some_and(|p| p.lifetime_s != expected.lifetime_s);
                self.chk.expected = Some(expected);
                self.chk.backoff_failures = 0;
                self.chk.backoff = None;
                self.chk.fails = 0;
                self.chk.next_register = None;
                self.chk.exhausted = false;
                if !kept {
                    self.chk.update_due = None;
                    self.chk.registered = false;
                } else if lifetime_changed && self.chk.update_due.is_none() {
                    self.chk.update_deferred = true;
                } else if lifetime_changed {
                    self.chk.update_due = Some(now);
                }
            }
            Event::BootstrapFailed { reason } => {
                self.check(self.chk.in_bootstrap, || {
                    format!("BootstrapFailed({reason:?}) outside a bootstrap")
                });
                self.chk.in_bootstrap = false;
                self.chk.bootstrap_failed_at = Some(now);
                self.stats.failed_bootstraps += 1;
            }
            Event::BootstrapFinishRefused { findings } => {
                self.fail(format!("a correct Bootstrap-Finish was refused ({findings} findings)"))
            }
            Event::Registered { ssid, .. } => {
                self.check(ssid == 1, || format!("registered with ssid {ssid}"));
                let Some(exp) = &self.chk.expected else {
                    self.fail("registered without a server account")
                };
                self.chk.update_due = Some(now + update_delay(exp.lifetime_s));
                // A Register carries the new lifetime: an Update deferred for it is void.
                self.chk.update_deferred = false;
                self.chk.registered = true;
                self.chk.fails = 0;
                self.chk.next_register = None;
                self.chk.exhausted = false;
                self.chk.last_success = now;
                self.stats.registers += 1;
            }
            Event::Updated { .. } => {
                let lifetime = self.chk.expected.as_ref().map_or(0, |e| e.lifetime_s);
                self.chk.update_due = if std::mem::take(&mut self.chk.update_deferred) {
                    Some(now)
                } else {
                    Some(now + update_delay(lifetime))
                };
                self.chk.last_success = now;
                self.stats.updates += 1;
            }
            Event::RegistrationFailed { ssid, reason } => {
                self.check(ssid == 1, || format!("registration failed for ssid {ssid}"));
                let Some(exp) = self.chk.expected.clone() else {
                    self.fail("registration failed without a server account")
                };
                let explicit = matches!(reason,
                    lwm2m_bootstrap::registration::RegistrationFailure::Rejected(c) if c.class() == 4);
                self.check(!explicit, || format!("the DM server never rejects: {reason:?}"));
                self.chk.fails += 1;
                let r = exp.retry;
                let n = (self.chk.fails - 1) % r.count + 1;
                let sequence = (self.chk.fails - 1) / r.count + 1;
                let next = if n < r.count {
                    Some(now + r.timer_s * 1000 * (1u64 << (n - 1)))
                } else if sequence < r.seq_count {
                    Some(now + r.seq_delay_s * 1000)
                } else {
                    None
                };
                self.chk.exhausted = next.is_none();
                self.chk.next_register = Some(next);
                self.chk.update_due = None;
                self.chk.registered = false;
            }
            Event::StorageIgnored { slot, reason } => {
                self.fail(format!("slot {slot} ignored: {reason:?}"))
            }
            other => self.fail(format!("unexpected event {other:?}")),
        }
    }

    fn on_bootstrap_started(&mut self) {
        let now = self.now;
        self.check(!self.chk.in_bootstrap, || "a bootstrap started while another ran".into());
        self.chk.in_bootstrap = true;
        self.chk.bs_tokens.clear();
        self.chk.bs_answered_400 = false;
        let reason = self.client.state_reason();
        let trigger = self.delivering.as_ref().is_some_and(|d| {
            matches!(d.from, Addr::Server(ServerId::Dm(_)))
                && d.msg.code == Code::POST
                && d.msg.uri_path().unwrap_or_default().last() == Some(&"9")
        });
        let push =
            self.delivering.as_ref().is_some_and(|d| d.from == Addr::Server(ServerId::Bootstrap));
        match reason {
            StateReason::NoServerAccount => {
                self.check(self.chk.expected.is_none(), || "NoServerAccount with an account".into())
            }
            StateReason::RegistrationFailed => self.check(self.chk.exhausted, || {
                "bootstrap for a registration failure before the procedure ran out".into()
            }),
            StateReason::ServerTrigger => {
                self.check(trigger, || "ServerTrigger without a /1/x/9".into())
            }
            StateReason::ServerPush => self.check(push && self.chk.hold_off.is_some(), || {
                "a pushed bootstrap outside the hold-off".into()
            }),
            StateReason::BootstrapRetry => {
                let Some((lo, hi)) = self.chk.backoff else {
                    self.fail("BootstrapRetry without a failed bootstrap")
                };
                self.check(lo <= now && now <= hi, || {
                    format!("back-off retry at {now}, outside [{lo}, {hi}]")
                });
            }
            other => self.fail(format!("bootstrap started for {other:?}")),
        }
        if reason != StateReason::BootstrapRetry {
            self.check(self.chk.backoff.is_none(), || {
                format!("a {reason:?} bootstrap during the back-off")
            });
        }
        self.chk.backoff = None;
        if let Some((_, end)) = self.chk.hold_off.take() {
            if reason == StateReason::ServerPush {
                self.check(now <= end, || "push accepted after the hold-off".into());
            } else {
                self.check(now == end, || {
                    format!("bootstrap at {now}, the hold-off ends at {end}")
                });
            }
        }
        if let Some(delay) = self.restart_on_bootstrap.take() {
            self.script.push((now + delay, Action::Restart));
            self.script.sort_by_key(|(t, _)| *t);
        }
    }

    fn on_transmit(&mut self, t: Transmit, sent: &mut Vec<(u32, Message)>) {
        let now = self.now;
        let conn = t.conn.0;
        let Ok(msg) = Message::decode(&t.data) else {
            self.fail("the client sent a malformed datagram")
        };
        let Some(uri) = self.conn_uri.get(&conn).cloned() else {
            self.fail("a datagram on a connection never announced")
        };
        if msg.message_type == MessageType::Confirmable {
            self.track_con(conn, &msg, &t.data, &uri);
        }
        self.stats.datagrams += 1;
        sent.push((conn, msg));
        let from = Addr::Client { boot: self.boot, conn };
        let to = match uri.as_str() {
            BS_URI => ServerId::Bootstrap,
            DM_URI => ServerId::Dm(0),
            DM2_URI => ServerId::Dm(1),
            FACTORY_URI => ServerId::Factory,
            other => self.fail(format!("datagram to unknown {other}")),
        };
        if to == ServerId::Factory && self.factory_unreachable {
            if self.rng.chance(self.icmp_pm) {
                self.net.unreachable(now, from);
            }
            return;
        }
        self.net.send(now, from, Addr::Server(to), t.data);
    }

    /// Retransmission timing of the client's CON messages, and the request-level rules.
    fn track_con(&mut self, conn: u32, msg: &Message, bytes: &[u8], uri: &str) {
        let now = self.now;
        let key = (conn, msg.message_id);
        if let Some(c) = self.chk.cons.get_mut(&key).filter(|c| now - c.first <= EXCHANGE_LIFETIME)
        {
            let k = c.sends - 1;
            let gap = now - c.last;
            let (lo, hi) = (ACK_TIMEOUT << k, (ACK_TIMEOUT * 3 / 2) << k);
            let (done, same, prev) = (c.done, c.bytes == bytes, c.gap);
            c.sends += 1;
            c.last = now;
            c.gap = gap;
            let sends = c.sends;
            self.stats.retransmissions += 1;
            self.check(!done, || format!("MID {} retransmitted after its answer", key.1));
            self.check(same, || "a retransmission differs from the original".into());
            self.check(sends <= 1 + MAX_RETRANSMIT, || format!("{sends} transmissions"));
            self.check(lo <= gap && gap <= hi, || {
                format!("retransmission {} after {gap} ms, outside [{lo}, {hi}]", k + 1)
            });
            self.check(k == 0 || gap == 2 * prev, || {
                format!("gap {gap} after {prev}: no doubling")
            });
            return;
        }
        self.chk.cons.insert(
            key,
            ConTrack {
                first: now,
                last: now,
                gap: 0,
                sends: 1,
                bytes: bytes.to_vec(),
                token: msg.token.to_vec(),
                done: false,
            },
        );
        if self.chk.cons.len() > 256 {
            self.chk.cons.retain(|_, c| now - c.first <= EXCHANGE_LIFETIME);
        }
        let path = msg.uri_path().unwrap_or_default();
        let first_request = !self.chk.first_request_seen;
        self.chk.first_request_seen = true;
        if is_bootstrap_request(msg) {
            self.note(format!("t={now} Bootstrap-Request on {conn}"));
            self.check(self.chk.in_bootstrap, || "Bootstrap-Request outside a bootstrap".into());
            self.check(uri == BS_URI, || "Bootstrap-Request not to the BS".into());
            let n = self.chk.bs_tokens.len();
            self.check(n == 0 || (n == 1 && self.chk.bs_answered_400), || {
                "a second Bootstrap-Request exchange in one bootstrap".into()
            });
            self.chk.bs_tokens.push(msg.token.to_vec());
            self.chk.bs_answered_400 = false;
            self.check(
                !(first_request && self.chk.expected.is_some()) || self.chk.exhausted,
                || {
                    "the first request after start is a Bootstrap-Request despite a server account"
                        .into()
                },
            );
        } else if msg.code == Code::POST && path == ["rd"] {
            self.note(format!("t={now} Register on {conn}"));
            let Some(exp) = &self.chk.expected else { self.fail("Register without an account") };
            self.check(uri == exp.uri, || format!("Register to {uri}, expected {}", exp.uri));
            let lt = format!("lt={}", exp.lifetime_s);
            let has_lt = msg.uri_query().unwrap_or_default().contains(&lt.as_str());
            self.check(has_lt, || format!("Register without {lt}"));
            match self.chk.next_register.take() {
                None => {}
                Some(Some(due)) => self.check(now == due, || {
                    format!(
                        "Register retry at {now}, due at {due} (attempt {})",
                        self.chk.fails + 1
                    )
                }),
                Some(None) => self.fail("Register after the procedure ran out"),
            }
        } else if msg.code == Code::POST && path.first() == Some(&"rd") {
            self.note(format!("t={now} Update on {conn} {path:?}"));
            let due = self.chk.update_due.take();
            self.check(due == Some(now), || format!("Update at {now}, due at {due:?}"));
        } else {
            self.fail(format!("unexpected client request {} {path:?}", msg.code));
        }
    }

    fn after_step(&mut self, sent: &[(u32, Message)]) {
        let now = self.now;
        // ETS int-5: the 2.04 to /1/x/9 goes out before the Bootstrap-Request.
        if let Some(d) = &self.delivering {
            let exec = d.msg.code == Code::POST
                && d.msg.uri_path().unwrap_or_default().last() == Some(&"9");
            if exec {
                let ack = sent.iter().position(|(c, m)| {
                    *c == d.conn
                        && m.message_type == MessageType::Acknowledgement
                        && m.message_id == d.msg.message_id
                });
                let request = sent.iter().position(|(_, m)| is_bootstrap_request(m));
                if let Some(r) = request {
                    self.check(ack.is_some_and(|a| a < r), || {
                        "the Bootstrap-Request went out before the 2.04 to /1/x/9".into()
                    });
                    self.check(sent[ack.unwrap()].1.code == Code::CHANGED, || "not 2.04".into());
                }
            }
        }
        let state = self.client.state();
        if state == State::HoldOff && self.chk.hold_off.is_none() {
            let reason = self.client.state_reason();
            self.check(self.chk.expected.is_none() || self.chk.exhausted, || {
                format!("hold-off ({reason:?}) while a server account can still register")
            });
            let hold_off_ms = self.bs_account.hold_off_s * 1000;
            self.chk.hold_off = Some((now, now + hold_off_ms));
            let listen = self
                .open
                .iter()
                .copied()
                .filter(|c| self.conn_uri.get(c).map(String::as_str) == Some(BS_URI))
                .max();
            self.check(listen.is_some(), || "no connection listens during the hold-off".into());
            if self.rng.chance(self.push_pm) {
                let at = now + self.rng.range(0, hold_off_ms * 11 / 10);
                let addr = Addr::Client { boot: self.boot, conn: listen.unwrap() };
                self.bs.push_at = Some((at, addr));
                self.stats.pushes += 1;
            }
        }
        if let Some(failed_at) = self.chk.bootstrap_failed_at.take() {
            if state == State::Failed && self.client.state_reason() == StateReason::BootstrapFailed
            {
                self.chk.backoff_failures += 1;
                let n = self.chk.backoff_failures;
                let (base, cap) = (
                    self.base_config.bootstrap_backoff_base_ms,
                    self.base_config.bootstrap_backoff_cap_ms,
                );
                let d = (base << (n - 1).min(40)).min(cap);
                self.chk.backoff = Some((failed_at + d - d / 2, failed_at + d));
            }
        }
        if let Some(Some(due)) = self.chk.next_register {
            self.check(due >= now, || format!("the Register retry due at {due} was not sent"));
        }
        if let Some(due) = self.chk.update_due {
            self.check(due >= now, || format!("the Update due at {due} was not sent"));
        }
        if let Some((_, hi)) = self.chk.backoff {
            self.check(hi >= now, || format!("no bootstrap by the end of the back-off ({hi})"));
        }
    }

    fn check_configuration(&self, exp: &ServerExpect) {
        let model = self.client.configuration();
        let findings = validate(model, &ValidationPolicy::default());
        self.check(findings.is_empty(), || format!("inconsistent configuration: {findings:?}"));
        let bs = model.bootstrap_account();
        self.check(bs.and_then(|a| a.uri()) == Some(BS_URI), || "BS account lost".into());
        let uri = model.security_for_ssid(1).and_then(|s| s.uri());
        self.check(uri == Some(exp.uri.as_str()), || {
            format!("server URI {uri:?}, expected {}", exp.uri)
        });
        let Some(server) = model.server_for_ssid(1) else { self.fail("no Server instance") };
        self.check(server.lifetime_s() == exp.lifetime_s, || {
            format!("lifetime {}, expected {}", server.lifetime_s(), exp.lifetime_s)
        });
        let r = exp.retry;
        let written: Vec<Option<u64>> = (17..=20).map(|id| server.instance.uint(id)).collect();
        let want: Vec<Option<u64>> = if exp.retry_written {
            [r.count.into(), r.timer_s, r.seq_delay_s, r.seq_count.into()].map(Some).to_vec()
        } else {
            vec![None; 4]
        };
        let same = written == want;
        self.check(same, || format!("/1/x/17..20 {written:?}, expected {want:?}"));
    }

    // ----- delivering ----------------------------------------------------------------------------

    fn deliver(&mut self, delivery: Delivery) {
        let now = self.now;
        match delivery {
            Delivery::Datagram { from, to: Addr::Client { boot, conn }, data } => {
                if boot != self.boot || !self.open.contains(&conn) {
                    return; // a closed port
                }
                let Ok(msg) = Message::decode(&data) else { return };
                self.mark_answered(conn, &msg);
                self.delivering = Some(Delivering { from, conn, msg });
                let result = self.client.handle_datagram(now, ConnId(conn), &data);
                self.check(result.is_ok(), || format!("handle_datagram: {result:?}"));
                self.pump();
                self.delivering = None;
            }
            Delivery::Datagram { from, to: Addr::Server(id), data } => {
                match id {
                    ServerId::Bootstrap => self.bs.handle(now, from, &data),
                    ServerId::Dm(i) => self.dms[usize::from(i)].handle(now, from, &data),
                    ServerId::Factory => self.factory.handle(now, from, &data),
                }
                self.flush_servers();
            }
            Delivery::Unreachable { to: Addr::Client { boot, conn } } => {
                if boot != self.boot || !self.open.contains(&conn) {
                    return;
                }
                self.note(format!("t={now} ICMP unreachable on {conn}"));
                let result = self.client.handle_transport_error(now, ConnId(conn));
                self.check(result.is_ok(), || format!("handle_transport_error: {result:?}"));
                self.pump();
            }
            Delivery::Unreachable { .. } => {}
        }
    }

    /// What reaches the client ends its CON exchanges (for the "no retransmission after the
    /// answer" check) and tells the checker about 4.00 to a Bootstrap-Request.
    fn mark_answered(&mut self, conn: u32, msg: &Message) {
        match msg.message_type {
            MessageType::Acknowledgement | MessageType::Reset => {
                if let Some(c) = self.chk.cons.get_mut(&(conn, msg.message_id)) {
                    c.done = true;
                }
            }
            _ => {}
        }
        if msg.code.class() >= 2 {
            for ((c, _), track) in self.chk.cons.iter_mut() {
                if *c == conn && track.token == msg.token.as_slice() {
                    track.done = true;
                }
            }
            if msg.code == Code::BAD_REQUEST
                && self.chk.bs_tokens.last().is_some_and(|t| t == msg.token.as_slice())
            {
                self.chk.bs_answered_400 = true;
            }
        }
    }

    fn flush_servers(&mut self) {
        let now = self.now;
        let mut out = Vec::new();
        out.extend(self.bs.peer.tx.drain(..).map(|(to, d)| (ServerId::Bootstrap, to, d)));
        for (i, dm) in self.dms.iter_mut().enumerate() {
            out.extend(dm.peer.tx.drain(..).map(|(to, d)| (ServerId::Dm(i as u8), to, d)));
        }
        out.extend(self.factory.peer.tx.drain(..).map(|(to, d)| (ServerId::Factory, to, d)));
        for (from, to, data) in out {
            self.net.send(now, Addr::Server(from), to, data);
        }
    }

    fn act(&mut self, action: Action) {
        let now = self.now;
        self.note(format!("t={now} action {action:?}"));
        match action {
            Action::Trigger => {
                for dm in self.dms.iter_mut() {
                    if dm.trigger_bootstrap(now, ENDPOINT) {
                        self.stats.triggers += 1;
                        break;
                    }
                }
                self.flush_servers();
            }
            Action::Restart => self.restart(),
            Action::DmForget => self.dms.iter_mut().for_each(DmServer::forget),
            Action::Calm => {
                self.net.params = NetParams::calm();
                self.calm_since = Some(now);
            }
        }
    }

    // ----- the loop ------------------------------------------------------------------------------

    fn next_time(&self) -> Option<u64> {
        let servers = [self.bs.next_timeout(), self.factory.next_timeout()]
            .into_iter()
            .chain(self.dms.iter().map(DmServer::next_timeout));
        [self.client.poll_timeout(), self.net.next_time(), self.script.first().map(|s| s.0)]
            .into_iter()
            .chain(servers)
            .flatten()
            .min()
    }

    /// Runs until `done` holds (true) or `end` passes (false).
    fn run_until(&mut self, end: u64, done: impl Fn(&World) -> bool) -> bool {
        let mut spins = 0u32;
        loop {
            if done(self) {
                return true;
            }
            let Some(t) = self.next_time() else { return false };
            if t > end {
                self.now = end;
                return false;
            }
            if t <= self.now {
                spins += 1;
                if spins > 10_000 {
                    self.fail(format!("livelock: a deadline at {t} is never cleared"));
                }
            } else {
                spins = 0;
                self.now = t;
            }
            let now = self.now;
            while let Some(d) = self.net.pop_due(now) {
                self.deliver(d);
            }
            if self.bs.next_timeout().is_some_and(|t| t <= now) {
                self.bs.handle_timeout(now);
            }
            for dm in self.dms.iter_mut() {
                if dm.next_timeout().is_some_and(|t| t <= now) {
                    dm.handle_timeout(now);
                }
            }
            if self.factory.next_timeout().is_some_and(|t| t <= now) {
                self.factory.handle_timeout(now);
            }
            self.flush_servers();
            if self.client.poll_timeout().is_some_and(|t| t <= now) {
                self.client.handle_timeout(now);
                self.pump();
            }
            while self.script.first().is_some_and(|(t, _)| *t <= now) {
                let (_, action) = self.script.remove(0);
                self.act(action);
            }
        }
    }

    /// Registered with the expected server, which holds the registration at the client's
    /// current address, renewed since the network calmed down.
    fn settled(&self) -> bool {
        let Some(calm) = self.calm_since else { return false };
        let Some(exp) = &self.chk.expected else { return false };
        if self.client.state() != State::Registered
            || self.chk.in_bootstrap
            || self.chk.last_success < calm
        {
            return false;
        }
        let dm = match exp.uri.as_str() {
            DM_URI => &self.dms[0],
            DM2_URI => &self.dms[1],
            _ => return false,
        };
        let Some(reg) = dm.registration(ENDPOINT) else { return false };
        let Some(local) = self.client.registration(1) else { return false };
        let Addr::Client { boot, conn } = reg.addr else { return false };
        local.is_registered()
            && local.location_path() == format!("/rd/{}", reg.id)
            && boot == self.boot
            && self.open.contains(&conn)
            && self.conn_uri.get(&conn) == Some(&exp.uri)
    }

    /// Runs the whole scenario and the final checks.
    pub fn run(mut self) -> Stats {
        self.first_boot();
        let calm_at = self.script.last().map(|s| s.0).unwrap();
        if !self.run_until(calm_at + 3 * DAY, World::settled) {
            self.fail(format!(
                "not registered with the expected server 3 days after the network calmed down \
                 (expected {:?})",
                self.chk.expected
            ));
        }
        let Some(exp) = self.chk.expected.clone() else { unreachable!() };
        self.check_configuration(&exp);
        let dm = if exp.uri == DM_URI { &self.dms[0] } else { &self.dms[1] };
        let reg = dm.registration(ENDPOINT).unwrap();
        self.check(reg.lifetime_s == exp.lifetime_s, || "registered lifetime".into());
        let mut anomalies = self.bs.anomalies.clone();
        for dm in &self.dms {
            anomalies.extend(dm.anomalies.iter().cloned());
        }
        self.check(anomalies.is_empty(), || format!("server anomalies: {anomalies:?}"));
        match self.scenario {
            Scenario::FactoryFallback => {
                self.check(self.stats.bootstraps >= 1, || "no fallback bootstrap".into())
            }
            Scenario::DmTrigger if self.stats.triggers > 0 => {
                let codes: Vec<Code> =
                    self.dms.iter().flat_map(|d| d.trigger_codes.iter().copied()).collect();
                self.check(
                    codes.iter().all(|c| *c == Code::CHANGED || *c == Code::SERVICE_UNAVAILABLE),
                    || format!("/1/x/9 answers {codes:?}"),
                );
            }
            _ => {}
        }
        self.stats.pushes = u64::from(self.bs.pushes);
        self.stats.lost = self.net.stats.lost;
        self.stats.duplicated = self.net.stats.duplicated;
        self.stats.virtual_ms = self.now - 1_000;
        self.stats
    }
}

/// Runs `scenario` with `seed`; panics with `SEED=<seed>` when a check fails.
pub fn run_seed(seed: u64, scenario: Scenario) -> Stats {
    World::new(seed, scenario).run()
}
