//! The 1.1 registration procedure (Core 1.1.1 §6.2.1.1): per server, up to
//! *Communication Retry Count* attempts per sequence with an exponential delay
//! (*Communication Retry Timer* × 2^(n−1)), up to *Communication Sequence Retry Count*
//! sequences separated by the *Communication Sequence Delay Timer*; servers with a
//! *Registration Priority Order* register one after another, a failure blocking the rest when
//! *Registration Failure Block* is set; *Initial Registration Delay* before the first attempt;
//! *Bootstrap on Registration Failure* decides whether a total failure leads to a bootstrap.
//!
//! Pure bookkeeping: the client asks [`RegistrationPlan`] which server to try when, and tells
//! it what happened.

use crate::model::VecMap;
use alloc::vec::Vec;

use crate::model::{DataModel, ServerAccount};

/// Server (/1) resource IDs of the registration procedure.
pub mod retry_res {
    /// Registration Priority Order.
    pub const PRIORITY_ORDER: u16 = 13;
    /// Initial Registration Delay Timer (s).
    pub const INITIAL_DELAY: u16 = 14;
    /// Registration Failure Block.
    pub const FAILURE_BLOCK: u16 = 15;
    /// Bootstrap on Registration Failure.
    pub const BOOTSTRAP_ON_FAILURE: u16 = 16;
    /// Communication Retry Count.
    pub const RETRY_COUNT: u16 = 17;
    /// Communication Retry Timer (s).
    pub const RETRY_TIMER: u16 = 18;
    /// Communication Sequence Delay Timer (s).
    pub const SEQUENCE_DELAY: u16 = 19;
    /// Communication Sequence Retry Count.
    pub const SEQUENCE_RETRY_COUNT: u16 = 20;
}

/// Defaults of Core 1.1.1 Table 6.2.1.1-1, used when a resource is absent.
pub mod defaults {
    /// Communication Retry Count.
    pub const RETRY_COUNT: u32 = 5;
    /// Communication Retry Timer, seconds.
    pub const RETRY_TIMER_S: u64 = 60;
    /// Communication Sequence Retry Count.
    pub const SEQUENCE_RETRY_COUNT: u32 = 1;
    /// Communication Sequence Delay Timer, seconds.
    pub const SEQUENCE_DELAY_S: u64 = 86_400;
    /// Bootstrap on Registration Failure.
    pub const BOOTSTRAP_ON_FAILURE: bool = true;
    /// Registration Failure Block.
    pub const FAILURE_BLOCK: bool = false;
    /// Initial Registration Delay, seconds.
    pub const INITIAL_DELAY_S: u64 = 0;
}

/// A Sequence Delay Timer at or above this value means "no further sequence" (the
/// resource's MAX_VALUE, an Unsigned of 32 bits).
pub const SEQUENCE_DELAY_NEVER_S: u64 = u32::MAX as u64;

/// One server's registration-procedure parameters, read from its /1 instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryParams {
    /// Attempts per sequence (at least 1).
    pub retry_count: u32,
    /// Base of the exponential delay between attempts, seconds.
    pub retry_timer_s: u64,
    /// Delay between sequences, seconds; [`SEQUENCE_DELAY_NEVER_S`] = no further sequence.
    pub sequence_delay_s: u64,
    /// Sequences before registration is considered failed (at least 1).
    pub sequence_retry_count: u32,
    /// Registration Priority Order; `None` = registers independently of the others.
    pub priority: Option<u64>,
    /// Delay before the first attempt, seconds.
    pub initial_delay_s: u64,
    /// A failure blocks the servers after this one in the priority order.
    pub failure_block: bool,
    /// A failure of this server asks for a bootstrap.
    pub bootstrap_on_failure: bool,
}

impl Default for RetryParams {
    fn default() -> RetryParams {
        RetryParams {
            retry_count: defaults::RETRY_COUNT,
            retry_timer_s: defaults::RETRY_TIMER_S,
            sequence_delay_s: defaults::SEQUENCE_DELAY_S,
            sequence_retry_count: defaults::SEQUENCE_RETRY_COUNT,
            priority: None,
            initial_delay_s: defaults::INITIAL_DELAY_S,
            failure_block: defaults::FAILURE_BLOCK,
            bootstrap_on_failure: defaults::BOOTSTRAP_ON_FAILURE,
        }
    }
}

impl RetryParams {
    /// The parameters of `server`: each resource present overrides `base` (the table
    /// defaults unless the firmware configured others). Counts of 0 are taken as 1.
    pub fn from_server(server: &ServerAccount<'_>, base: &RetryParams) -> RetryParams {
        use retry_res::*;
        let i = server.instance;
        let count = |v: Option<u64>, d: u32| {
            v.map(|v| u32::try_from(v).unwrap_or(u32::MAX)).unwrap_or(d).max(1)
        };
        RetryParams {
            retry_count: count(i.uint(RETRY_COUNT), base.retry_count),
            retry_timer_s: i.uint(RETRY_TIMER).unwrap_or(base.retry_timer_s),
            sequence_delay_s: i.uint(SEQUENCE_DELAY).unwrap_or(base.sequence_delay_s),
            sequence_retry_count: count(i.uint(SEQUENCE_RETRY_COUNT), base.sequence_retry_count),
            priority: i.uint(PRIORITY_ORDER).or(base.priority),
            initial_delay_s: i.uint(INITIAL_DELAY).unwrap_or(base.initial_delay_s),
            failure_block: i.boolean(FAILURE_BLOCK).unwrap_or(base.failure_block),
            bootstrap_on_failure: i
                .boolean(BOOTSTRAP_ON_FAILURE)
                .unwrap_or(base.bootstrap_on_failure),
        }
    }
}

/// Where one server's procedure stands: attempt `attempt` of sequence `sequence` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryProcedure {
    /// Attempt number within the current sequence.
    pub attempt: u32,
    /// Sequence number.
    pub sequence: u32,
}

impl Default for RetryProcedure {
    fn default() -> RetryProcedure {
        RetryProcedure { attempt: 1, sequence: 1 }
    }
}

impl RetryProcedure {
    /// The attempt that is running failed at `now`: when to try again, or `None` when the
    /// procedure is exhausted (every attempt of every sequence failed).
    pub fn on_failure(&mut self, params: &RetryParams, now: u64) -> Option<u64> {
        if self.attempt < params.retry_count {
            let factor = 1u64.checked_shl(self.attempt - 1).unwrap_or(u64::MAX);
            let delay_s = params.retry_timer_s.saturating_mul(factor);
            self.attempt += 1;
            return Some(now.saturating_add(delay_s.saturating_mul(1000)));
        }
        if self.sequence < params.sequence_retry_count
            && params.sequence_delay_s < SEQUENCE_DELAY_NEVER_S
        {
            self.sequence += 1;
            self.attempt = 1;
            return Some(now.saturating_add(params.sequence_delay_s.saturating_mul(1000)));
        }
        None
    }
}

/// What one server is doing in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerStatus {
    /// The next Register attempt is due at this time.
    Waiting(u64),
    /// A Register is in flight.
    Attempting,
    /// Registered.
    Registered,
    /// Ordered server waiting for the servers before it in the priority order.
    Queued,
    /// Disabled by its server (/1/x/4) until this time: not a failure.
    Disabled(u64),
    /// The procedure is exhausted or the server rejected the registration.
    Failed,
    /// Not tried: an ordered server before it failed with Registration Failure Block.
    Blocked,
}

/// One server in the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerProgress {
    /// Its parameters.
    pub params: RetryParams,
    /// Its procedure.
    pub procedure: RetryProcedure,
    /// Its status.
    pub status: ServerStatus,
}

/// How a failed attempt was reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptFailure {
    /// No answer, RST, a 5.xx, or a transport error: the procedure retries.
    Transient,
    /// An explicit rejection (4.xx): the procedure ends at once.
    Rejected,
}

/// What a total failure means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some server is registered, trying, waiting or disabled.
    Alive,
    /// Every server failed (or there is none) and a bootstrap is asked for.
    Bootstrap,
    /// Every server failed, none of them asks for a bootstrap (/1/x/16 false everywhere).
    GiveUp,
}

/// The registration procedure of every configured server.
#[derive(Clone, Debug, Default)]
pub struct RegistrationPlan {
    servers: VecMap<u16, ServerProgress>,
}

impl RegistrationPlan {
    /// A plan for `servers` (Short Server ID and parameters), starting at `now`: servers
    /// without a priority are due after their Initial Registration Delay; ordered servers
    /// register one after another in increasing priority (the first is due, the rest queued).
    pub fn new(servers: &[(u16, RetryParams)], now: u64) -> RegistrationPlan {
        let mut plan = RegistrationPlan::default();
        for &(ssid, params) in servers {
            let status = if params.priority.is_some() {
                ServerStatus::Queued
            } else {
                ServerStatus::Waiting(now.saturating_add(params.initial_delay_s * 1000))
            };
            plan.servers
                .insert(ssid, ServerProgress { params, procedure: Default::default(), status });
        }
        plan.release_next_ordered(now);
        plan
    }

    /// The servers of the configuration: every Server instance paired with a Security one.
    pub fn servers_of(model: &DataModel, base: &RetryParams) -> Vec<(u16, RetryParams)> {
        model
            .server_account_pairs()
            .filter_map(|(_, s)| Some((s.ssid()?, RetryParams::from_server(&s, base))))
            .collect()
    }

    /// One server's progress.
    pub fn get(&self, ssid: u16) -> Option<&ServerProgress> {
        self.servers.get(&ssid)
    }

    /// Every server, by Short Server ID.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &ServerProgress)> {
        self.servers.iter().map(|(s, p)| (*s, p))
    }

    /// Servers whose attempt (or whose end of disabling) is due at `now`.
    pub fn due(&self, now: u64) -> Vec<u16> {
        self.servers
            .iter()
            .filter(|(_, p)| match p.status {
                ServerStatus::Waiting(t) | ServerStatus::Disabled(t) => t <= now,
                _ => false,
            })
            .map(|(s, _)| *s)
            .collect()
    }

    /// The earliest time something is due.
    pub fn next_deadline(&self) -> Option<u64> {
        self.servers
            .values()
            .filter_map(|p| match p.status {
                ServerStatus::Waiting(t) | ServerStatus::Disabled(t) => Some(t),
                _ => None,
            })
            .min()
    }

    /// A Register for `ssid` went out.
    pub fn on_attempt(&mut self, ssid: u16) {
        if let Some(p) = self.servers.get_mut(&ssid) {
            p.status = ServerStatus::Attempting;
        }
    }

    /// `ssid` registered: its procedure restarts from scratch next time; the next ordered
    /// server may go.
    pub fn on_registered(&mut self, ssid: u16, now: u64) {
        if let Some(p) = self.servers.get_mut(&ssid) {
            p.status = ServerStatus::Registered;
            p.procedure = RetryProcedure::default();
        }
        self.release_next_ordered(now);
    }

    /// `ssid` lost its registration (an Update was refused): a fresh procedure, due now.
    pub fn on_lost(&mut self, ssid: u16, now: u64) {
        if let Some(p) = self.servers.get_mut(&ssid) {
            p.status = ServerStatus::Waiting(now);
            p.procedure = RetryProcedure::default();
        }
    }

    /// The attempt of `ssid` failed at `now`; returns its new status.
    pub fn on_failure(&mut self, ssid: u16, failure: AttemptFailure, now: u64) -> ServerStatus {
        let Some(p) = self.servers.get_mut(&ssid) else { return ServerStatus::Failed };
        let next = match failure {
            AttemptFailure::Transient => p.procedure.on_failure(&p.params, now),
            AttemptFailure::Rejected => None,
        };
        p.status = match next {
            Some(t) => ServerStatus::Waiting(t),
            None => ServerStatus::Failed,
        };
        let status = p.status;
        if status == ServerStatus::Failed && p.params.priority.is_some() {
            if p.params.failure_block {
                for q in self.servers.values_mut() {
                    if q.status == ServerStatus::Queued {
                        q.status = ServerStatus::Blocked;
                    }
                }
            } else {
                self.release_next_ordered(now);
            }
        }
        status
    }

    /// New parameters for `ssid` (its server wrote its /1 instance); the running procedure
    /// keeps its position.
    pub fn set_params(&mut self, ssid: u16, params: RetryParams) {
        if let Some(p) = self.servers.get_mut(&ssid) {
            p.params = params;
        }
    }

    /// `ssid` was disabled by its server until `until` (not a failure).
    pub fn on_disabled(&mut self, ssid: u16, until: u64) {
        if let Some(p) = self.servers.get_mut(&ssid) {
            p.status = ServerStatus::Disabled(until);
            p.procedure = RetryProcedure::default();
        }
    }

    /// Whether the plan is still alive, and if not whether a bootstrap is asked for: every
    /// server failed or was blocked, and at least one that failed has Bootstrap on
    /// Registration Failure (default true). No server at all asks for a bootstrap.
    pub fn verdict(&self) -> Verdict {
        let alive = self
            .servers
            .values()
            .any(|p| !matches!(p.status, ServerStatus::Failed | ServerStatus::Blocked));
        if alive {
            return Verdict::Alive;
        }
        let failed: Vec<&ServerProgress> =
            self.servers.values().filter(|p| p.status == ServerStatus::Failed).collect();
        if failed.is_empty() || failed.iter().any(|p| p.params.bootstrap_on_failure) {
            Verdict::Bootstrap
        } else {
            Verdict::GiveUp
        }
    }

    /// When no ordered server is attempting, waiting or registered-and-released, the queued
    /// one with the lowest priority becomes due after its initial delay.
    fn release_next_ordered(&mut self, now: u64) {
        let busy = self.servers.values().any(|p| {
            p.params.priority.is_some()
                && matches!(p.status, ServerStatus::Waiting(_) | ServerStatus::Attempting)
        });
        if busy {
            return;
        }
        let next = self
            .servers
            .iter()
            .filter(|(_, p)| p.status == ServerStatus::Queued)
            .min_by_key(|(ssid, p)| (p.params.priority, **ssid))
            .map(|(ssid, _)| *ssid);
        if let Some(p) = next.and_then(|s| self.servers.get_mut(&s)) {
            p.status = ServerStatus::Waiting(now.saturating_add(p.params.initial_delay_s * 1000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(count: u32, timer: u64, seqs: u32, delay: u64) -> RetryParams {
        RetryParams {
            retry_count: count,
            retry_timer_s: timer,
            sequence_retry_count: seqs,
            sequence_delay_s: delay,
            ..RetryParams::default()
        }
    }

    #[test]
    fn attempts_back_off_exponentially_then_sequences_repeat() {
        let p = params(3, 10, 2, 100);
        let mut r = RetryProcedure::default();
        assert_eq!(r.on_failure(&p, 0), Some(10_000));
        assert_eq!(r.on_failure(&p, 10_000), Some(30_000));
        assert_eq!(r.on_failure(&p, 30_000), Some(130_000), "sequence delay");
        assert_eq!(r, RetryProcedure { attempt: 1, sequence: 2 });
        assert_eq!(r.on_failure(&p, 130_000), Some(140_000));
        assert_eq!(r.on_failure(&p, 140_000), Some(160_000));
        assert_eq!(r.on_failure(&p, 160_000), None);
    }

    #[test]
    fn defaults_and_never_sequence_delay() {
        let d = RetryParams::default();
        let mut r = RetryProcedure::default();
        let waits: Vec<u64> = (0..4).map(|_| r.on_failure(&d, 0).unwrap()).collect();
        assert_eq!(waits, [60_000, 120_000, 240_000, 480_000]);
        assert_eq!(r.on_failure(&d, 0), None, "Sequence Retry Count 1");
        let p = params(1, 1, 5, SEQUENCE_DELAY_NEVER_S);
        assert_eq!(RetryProcedure::default().on_failure(&p, 0), None);
    }

    #[test]
    fn priority_order_and_failure_block() {
        let ordered = |prio, block| RetryParams {
            priority: Some(prio),
            failure_block: block,
            retry_count: 1,
            ..RetryParams::default()
        };
        let mut plan = RegistrationPlan::new(
            &[(1, ordered(2, false)), (2, ordered(1, true)), (3, ordered(3, false))],
            0,
        );
        assert_eq!(plan.due(0), [2]);
        plan.on_attempt(2);
        plan.on_registered(2, 5);
        assert_eq!(plan.due(5), [1]);
        plan.on_attempt(1);
        assert_eq!(plan.on_failure(1, AttemptFailure::Transient, 9), ServerStatus::Failed);
        assert_eq!(plan.due(9), [3], "no failure block: the next one goes");
        let mut blocked =
            RegistrationPlan::new(&[(1, ordered(1, true)), (2, ordered(2, false))], 0);
        blocked.on_attempt(1);
        blocked.on_failure(1, AttemptFailure::Rejected, 1);
        assert_eq!(blocked.get(2).unwrap().status, ServerStatus::Blocked);
        assert_eq!(blocked.verdict(), Verdict::Bootstrap);
    }

    #[test]
    fn verdicts() {
        assert_eq!(RegistrationPlan::new(&[], 0).verdict(), Verdict::Bootstrap);
        let no_bs = RetryParams { bootstrap_on_failure: false, ..RetryParams::default() };
        let mut plan = RegistrationPlan::new(&[(1, no_bs), (2, RetryParams::default())], 0);
        plan.on_failure(1, AttemptFailure::Rejected, 0);
        assert_eq!(plan.verdict(), Verdict::Alive);
        plan.on_disabled(2, 100);
        assert_eq!(plan.verdict(), Verdict::Alive, "a disabled server is not a failure");
        plan.on_failure(2, AttemptFailure::Rejected, 0);
        assert_eq!(plan.verdict(), Verdict::Bootstrap);
        let mut only_no_bs = RegistrationPlan::new(&[(1, no_bs)], 0);
        only_no_bs.on_failure(1, AttemptFailure::Rejected, 0);
        assert_eq!(only_no_bs.verdict(), Verdict::GiveUp);
    }

    #[test]
    fn initial_delay_applies_to_the_first_attempt() {
        let p = RetryParams { initial_delay_s: 7, ..RetryParams::default() };
        let plan = RegistrationPlan::new(&[(4, p)], 1_000);
        assert_eq!(plan.next_deadline(), Some(8_000));
        assert!(plan.due(7_999).is_empty());
        assert_eq!(plan.due(8_000), [4]);
    }
}
