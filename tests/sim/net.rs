//! The virtual network: datagrams between addresses, each lost, duplicated, delayed (and so
//! reordered) according to [`NetParams`], plus ICMP-like "unreachable" reports for datagrams
//! sent to a host that does not exist.

use std::collections::BTreeMap;

use super::rng::SimRng;

/// Who sends or receives a datagram. A client connection's address includes the boot
/// number: after a restart the device's sockets are new, and what was in flight to the old
/// ones is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    Client { boot: u32, conn: u32 },
    Server(ServerId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServerId {
    Bootstrap,
    /// A DM server: 0 at `DM_URI`, 1 at `DM2_URI`.
    Dm(u8),
    /// The factory server of the fallback scenario: unreachable or too slow.
    Factory,
}

/// How bad the network is, in permille and milliseconds.
#[derive(Clone, Copy, Debug)]
pub struct NetParams {
    pub loss_pm: u64,
    pub dup_pm: u64,
    pub delay_min_ms: u64,
    pub delay_max_ms: u64,
    /// Chance of a late datagram (delayed up to `late_max_ms`).
    pub late_pm: u64,
    pub late_max_ms: u64,
}

impl NetParams {
    /// A quiet network: no loss, no duplicates, short delays (used at the end of a run).
    pub fn calm() -> NetParams {
        NetParams {
            loss_pm: 0,
            dup_pm: 0,
            delay_min_ms: 1,
            delay_max_ms: 20,
            late_pm: 0,
            late_max_ms: 0,
        }
    }

    pub fn random(rng: &mut SimRng) -> NetParams {
        let delay_min_ms = rng.range(1, 50);
        NetParams {
            loss_pm: rng.pick(&[0, 20, 100, 200, 300]),
            dup_pm: rng.pick(&[0, 30, 150]),
            delay_min_ms,
            delay_max_ms: delay_min_ms + rng.pick(&[10, 200, 1_500, 4_000]),
            late_pm: rng.pick(&[0, 10, 30]),
            late_max_ms: 10_000,
        }
    }
}

pub enum Delivery {
    Datagram {
        from: Addr,
        to: Addr,
        data: Vec<u8>,
    },
    /// The network reports that `to`'s last datagram could not be delivered.
    Unreachable {
        to: Addr,
    },
}

#[derive(Clone, Copy, Debug, Default)]
pub struct NetStats {
    pub sent: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub delivered: u64,
}

pub struct Network {
    pub params: NetParams,
    rng: SimRng,
    queue: BTreeMap<(u64, u64), Delivery>,
    seq: u64,
    pub stats: NetStats,
}

impl Network {
    pub fn new(params: NetParams, rng: SimRng) -> Network {
        Network { params, rng, queue: BTreeMap::new(), seq: 0, stats: NetStats::default() }
    }

    fn delay(&mut self) -> u64 {
        let p = self.params;
        if p.late_pm > 0 && self.rng.chance(p.late_pm) {
            self.rng.range(p.delay_max_ms, p.delay_max_ms.max(p.late_max_ms))
        } else {
            self.rng.range(p.delay_min_ms, p.delay_max_ms)
        }
    }

    fn enqueue(&mut self, at: u64, delivery: Delivery) {
        self.seq += 1;
        self.queue.insert((at, self.seq), delivery);
    }

    pub fn send(&mut self, now: u64, from: Addr, to: Addr, data: Vec<u8>) {
        self.stats.sent += 1;
        if self.rng.chance(self.params.loss_pm) {
            self.stats.lost += 1;
            return;
        }
        if self.rng.chance(self.params.dup_pm) {
            self.stats.duplicated += 1;
            let at = now + self.delay();
            self.enqueue(at, Delivery::Datagram { from, to, data: data.clone() });
        }
        let at = now + self.delay();
        self.enqueue(at, Delivery::Datagram { from, to, data });
    }

    /// An ICMP-like report back to `to` (lost like any datagram).
    pub fn unreachable(&mut self, now: u64, to: Addr) {
        if self.rng.chance(self.params.loss_pm) {
            return;
        }
        let at = now + self.delay();
        self.enqueue(at, Delivery::Unreachable { to });
    }

    pub fn next_time(&self) -> Option<u64> {
        self.queue.keys().next().map(|(t, _)| *t)
    }

    pub fn pop_due(&mut self, now: u64) -> Option<Delivery> {
        let key = *self.queue.keys().next()?;
        if key.0 > now {
            return None;
        }
        self.stats.delivered += 1;
        self.queue.remove(&key)
    }
}
