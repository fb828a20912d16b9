//! Power-loss safety of the persisted configuration (docs/persistence.md), through the Rust
//! API against a simulated flash: two slots of `SLOT_SIZE` bytes, written page by page.
//!
//! A device's life writes storage four times (the factory configuration committed, a
//! bootstrap, a second bootstrap that changes the lifetime, a third that moves the server and
//! changes the lifetime again: its image has the same length and layout as the one it
//! overwrites, so a torn write of it would decode as a mix without the CRC). For every write
//! and every cut
//! point in it (before the first page, after each page, after the last byte) the power goes:
//! the slot keeps what was programmed so far and, past it, its old content (or 0xFF when the
//! flash erases a sector before programming it). A fresh client then restores from the flash
//! and must hold exactly the complete old or the complete new configuration, and reach
//! Registered against the scripted servers. Corrupt, foreign and stale images are checked too.

mod common;

use common::*;
use lwm2m_bootstrap::client::{
    BootstrapAccountConfig, Client, ClientError, Config, Event, Rejection, RestoreReport,
    SecurityConfig, ServerAccountConfig, SlotStatus, State, StorageWrite,
};
use lwm2m_bootstrap::coap::Code;
use lwm2m_bootstrap::model::DataModel;
use lwm2m_bootstrap::persist::image::{crc32, decode_image, ImageError, FORMAT, HEADER_LEN};

/// The LwM2M Server's URI after the third bootstrap (as long as `DM_URI`).
const DM_URI_MOVED: &str = "coap://127.0.0.1:5684";
/// Flash programming granularity.
const PAGE: usize = 16;
/// Size of one slot (a flash sector).
const SLOT_SIZE: usize = 1024;

/// How the flash driver rewrites a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Programming {
    /// Pages are programmed over the old content (FRAM, EEPROM, a file written in place).
    InPlace,
    /// The sector is erased first (NOR flash): past the cut, 0xFF.
    EraseFirst,
}

/// Two slots and a power supply that may fail during one chosen write.
#[derive(Clone, Debug)]
struct Flash {
    slots: [Vec<u8>; 2],
    programming: Programming,
    /// Writes started so far.
    writes: usize,
    /// Power fails during write number `.0` after `.1` pages.
    cut: Option<(usize, usize)>,
}

/// The power went.
#[derive(Debug)]
struct PowerLost;

impl Flash {
    fn new(programming: Programming) -> Flash {
        Flash {
            slots: [vec![0xFF; SLOT_SIZE], vec![0xFF; SLOT_SIZE]],
            programming,
            writes: 0,
            cut: None,
        }
    }

    /// Programs `write` into its slot, page by page; `Err` when the power failed during it.
    fn program(&mut self, write: &StorageWrite) -> Result<(), PowerLost> {
        assert_eq!(u32::from(write.slot), write.generation % 2, "generation n goes to slot n % 2");
        assert!(write.image.len() <= SLOT_SIZE);
        let index = self.writes;
        self.writes += 1;
        let pages = write.image.len().div_ceil(PAGE);
        let cut = self.cut.filter(|(at, _)| *at == index).map(|(_, after)| after);
        let region = &mut self.slots[usize::from(write.slot)];
        if self.programming == Programming::EraseFirst {
            region.fill(0xFF);
        }
        let programmed = (cut.unwrap_or(pages) * PAGE).min(write.image.len());
        region[..programmed].copy_from_slice(&write.image[..programmed]);
        match cut {
            Some(_) => Err(PowerLost),
            None => Ok(()),
        }
    }

    fn contents(&self) -> [Option<&[u8]>; 2] {
        [Some(&self.slots[0]), Some(&self.slots[1])]
    }
}

/// The firmware: a client, its flash, and how much of the client's output it has handled.
struct Device {
    h: Harness,
    flash: Flash,
    handled: usize,
    /// Every storage write handled, with the configuration committed at that moment.
    written: Vec<(StorageWrite, DataModel)>,
}

impl Device {
    /// Powers up: restores from the flash; with nothing restored, provisions the factory
    /// configuration and commits it.
    fn boot(flash: Flash) -> (Device, RestoreReport) {
        let mut h = Harness::new(Config::new("urn:dev:power"));
        let report = h.client.restore(flash.contents()).expect("restore while idle");
        let mut device = Device { h, flash, handled: 0, written: Vec::new() };
        if report.used.is_none() {
            device
                .h
                .client
                .provision_bootstrap_account(&BootstrapAccountConfig {
                    security: SecurityConfig::nosec(BS_URI),
                    hold_off_s: 0,
                    account_timeout_s: 0,
                })
                .unwrap();
            device.h.client.persist_configuration();
        }
        device.h.pump();
        (device, report)
    }

    /// Handles the client's new output: every storage write goes to the flash.
    fn sync(&mut self) -> Result<(), PowerLost> {
        while let Some(event) = self.h.events.get(self.handled).cloned() {
            self.handled += 1;
            if let Event::StorageWrite(write) = event {
                self.written.push((write.clone(), self.h.client.configuration().clone()));
                self.flash.program(&write)?;
            }
        }
        Ok(())
    }
}

/// The Bootstrap-Server's first configuration: one LwM2M Server, lifetime 300.
fn first_bootstrap(d: &mut Device, bs: lwm2m_bootstrap::client::ConnId) -> Result<(), PowerLost> {
    assert_eq!(d.h.write(bs, "/0", dm_security(1, DM_URI, 1)).code, Code::CHANGED);
    assert_eq!(d.h.write(bs, "/1", dm_server(0, 1, 300)).code, Code::CHANGED);
    d.sync()?;
    assert_eq!(d.h.finish(bs).code, Code::CHANGED);
    d.sync()
}

/// Answers the pending Register and checks it goes to the configured server with the
/// configured lifetime.
fn register(d: &mut Device) -> Result<(), PowerLost> {
    let (conn, reg) = d.h.accept_register(&["rd", "7"]);
    let model = d.h.client.configuration();
    let uri = model.security_for_ssid(1).unwrap().uri().unwrap().to_string();
    assert_eq!(d.h.conns.get(&conn), Some(&uri));
    let lifetime = model.server_for_ssid(1).unwrap().lifetime_s();
    assert!(reg.uri_query().unwrap().contains(&format!("lt={lifetime}").as_str()));
    assert_eq!(d.h.client.state(), State::Registered);
    d.sync()
}

/// A later bootstrap: the server rewrites what it wants to change, then finishes.
fn rebootstrap(d: &mut Device, writes: &[(&str, Vec<u8>)]) -> Result<(), PowerLost> {
    d.h.client.trigger_bootstrap(d.h.now).unwrap();
    d.h.pump();
    d.sync()?;
    let bs = d.h.accept_bootstrap_request();
    for (path, tlv) in writes {
        assert_eq!(d.h.write(bs, path, tlv.clone()).code, Code::CHANGED);
    }
    d.sync()?;
    assert_eq!(d.h.finish(bs).code, Code::CHANGED);
    d.sync()?;
    let security_kept = writes.iter().all(|(path, _)| !path.starts_with("/0"));
    if security_kept {
        update(d)
    } else {
        register(d)
    }
}

/// A bootstrap that left the server's security alone keeps its registration (and session):
/// the new lifetime goes out in an Update.
fn update(d: &mut Device) -> Result<(), PowerLost> {
    let (conn, req) = d.h.next_sent();
    assert_eq!((req.code, req.uri_path().unwrap()), (Code::POST, vec!["rd", "7"]));
    let lifetime = d.h.client.configuration().server_for_ssid(1).unwrap().lifetime_s();
    assert_eq!(req.uri_query().unwrap(), [format!("lt={lifetime}").as_str()]);
    d.h.reply(conn, &req, Code::CHANGED);
    assert_eq!(d.h.client.state(), State::Registered);
    d.sync()
}

/// The device's whole life from a blank flash: four storage writes.
fn life(d: &mut Device) -> Result<(), PowerLost> {
    d.sync()?; // 1. the factory configuration, committed at first boot
    d.h.start();
    d.sync()?;
    let bs = d.h.accept_bootstrap_request();
    first_bootstrap(d, bs)?; // 2. the first bootstrap's configuration
    register(d)?;
    // 3. the second bootstrap's configuration (lifetime 600)
    rebootstrap(d, &[("/1/0", dm_server(0, 1, 600))])?;
    // 4. the third one's (another URI, lifetime 900), over the first bootstrap's image
    rebootstrap(d, &[("/0/1", dm_security(1, DM_URI_MOVED, 1)), ("/1/0", dm_server(0, 1, 900))])
}

/// After a restart: whatever the configuration, reach Registered (bootstrapping first when
/// only the factory account is there).
fn come_back(d: &mut Device) {
    d.h.start();
    d.sync().unwrap();
    if d.h.client.state() == State::Bootstrapping {
        let bs = d.h.accept_bootstrap_request();
        first_bootstrap(d, bs).unwrap();
    }
    register(d).unwrap();
    assert_eq!(d.h.client.configuration().server_account_pairs().count(), 1);
}

/// Runs the life once without a cut: the images written and the configuration the client had
/// committed when each was handed out.
fn reference(programming: Programming) -> Vec<(StorageWrite, DataModel)> {
    let (mut d, _) = Device::boot(Flash::new(programming));
    life(&mut d).unwrap();
    for (write, model) in &d.written {
        assert_eq!(decode_image(&write.image), Ok((model.clone(), write.generation)));
    }
    d.written
}

#[test]
fn a_power_cut_at_every_page_of_every_write_leaves_the_old_or_the_new_configuration() {
    let mut tried = 0usize;
    let mut expected_total = 0usize;
    let mut early_complete = 0usize;
    for programming in [Programming::InPlace, Programming::EraseFirst] {
        let writes = reference(programming);
        assert_eq!(writes.len(), 4, "factory, then three bootstraps");
        assert_eq!(
            writes.iter().map(|(w, _)| (w.slot, w.generation)).collect::<Vec<_>>(),
            [(1, 1), (0, 2), (1, 3), (0, 4)]
        );
        assert_eq!(writes[3].0.image.len(), writes[1].0.image.len(), "same layout");
        let lifetimes: Vec<Option<u64>> =
            writes.iter().map(|(_, m)| m.server_for_ssid(1).map(|s| s.lifetime_s())).collect();
        assert_eq!(lifetimes, [None, Some(300), Some(600), Some(900)]);
        for (index, (write, new)) in writes.iter().enumerate() {
            let pages = write.image.len().div_ceil(PAGE);
            expected_total += pages + 1;
            for cut in 0..=pages {
                tried += 1;
                let mut flash = Flash::new(programming);
                flash.cut = Some((index, cut));
                let (mut d, _) = Device::boot(flash);
                assert!(life(&mut d).is_err(), "the power goes during write {index}");
                let mut flash = d.flash.clone();
                flash.cut = None;
                flash.writes = 0;

                // Complete when every byte of the image is in the slot: after the last page,
                // or earlier when the old content past the cut happens to equal the new one.
                let slot = &flash.slots[usize::from(write.slot)];
                let complete = slot[..write.image.len()] == write.image[..];
                assert!(complete || cut < pages);
                early_complete += usize::from(complete && cut < pages);
                let (mut d, report) = Device::boot(flash);
                let what = format!("{programming:?} write {index} cut after {cut}/{pages} pages");
                let old = index.checked_sub(1).map(|i| &writes[i]);
                let (expected, used) = match (complete, old) {
                    (true, _) => (new.clone(), Some((write.slot, write.generation))),
                    (false, Some((w, m))) => (m.clone(), Some((w.slot, w.generation))),
                    // Nothing was stored before: the firmware provisions the factory account
                    // again (and commits it anew).
                    (false, None) => (writes[0].1.clone(), None),
                };
                assert_eq!(d.h.client.configuration(), &expected, "{what}");
                assert_eq!(report.used.map(|s| (s, report.generation)), used, "{what}");
                let torn = report.slots[usize::from(write.slot)];
                if cut > 0 && !complete {
                    // A torn image: detected (by the CRC at the latest), reported, not used.
                    assert!(
                        matches!(torn, SlotStatus::Ignored(Rejection::Corrupt(_))),
                        "{what}: the torn slot is reported: {torn:?}"
                    );
                    assert!(d.h.has_event(|e| matches!(
                        e,
                        Event::StorageIgnored { slot, .. } if *slot == write.slot
                    )));
                } else {
                    assert!(!matches!(torn, SlotStatus::Ignored(_)), "{what}: {torn:?}");
                }

                come_back(&mut d);
                // Whatever it wrote since, the flash restores what it now runs with, and the
                // generation went on from the restored one.
                if let Some((w, _)) = d.written.last() {
                    let restored_generation = report.used.map_or(0, |_| report.generation);
                    assert!(w.generation > restored_generation, "{what}");
                }
                let mut again = Client::new(Config::new("urn:dev:power"));
                again.restore(d.flash.contents()).unwrap();
                assert_eq!(again.configuration(), d.h.client.configuration(), "{what}");
            }
        }
    }
    println!(
        "power-loss: {tried} cut points tried over 4 writes x 2 flash kinds \
         ({early_complete} left a complete image before the last page)"
    );
    assert_eq!(tried, expected_total);
    assert!(tried >= 4 * 2 * 3, "several pages per image");
}

// ----- images that must not be trusted -------------------------------------------------------

/// The flash after the whole life: slot 0 has generation 4 (lifetime 900), slot 1 generation 3
/// (lifetime 600).
fn lived_flash() -> Flash {
    let (mut d, _) = Device::boot(Flash::new(Programming::InPlace));
    life(&mut d).unwrap();
    d.flash
}

fn restore(slots: [Option<&[u8]>; 2]) -> (Client, RestoreReport, Vec<Event>) {
    let mut client = Client::new(Config::new("urn:dev:power"));
    let report = client.restore(slots).unwrap();
    let events = std::iter::from_fn(|| client.poll_event()).collect();
    (client, report, events)
}

fn lifetime(client: &Client) -> Option<u64> {
    client.configuration().server_for_ssid(1).map(|s| s.lifetime_s())
}

#[test]
fn every_single_bit_flip_is_refused_and_the_other_slot_used() {
    let flash = lived_flash();
    let (client, report, events) = restore(flash.contents());
    assert_eq!((lifetime(&client), report.used, report.generation), (Some(900), Some(0), 4));
    assert_eq!(
        report.slots,
        [SlotStatus::Valid { generation: 4 }, SlotStatus::Valid { generation: 3 }]
    );
    assert!(events.is_empty());
    let newest = &flash.slots[0];
    let len = HEADER_LEN + payload_len(newest);
    let mut flips = 0;
    for byte in 0..len {
        for bit in 0..8 {
            let mut bad = newest.clone();
            bad[byte] ^= 1 << bit;
            let (client, report, events) = restore([Some(&bad), Some(&flash.slots[1])]);
            flips += 1;
            assert_eq!(lifetime(&client), Some(600), "byte {byte} bit {bit}: slot 1 used");
            assert_eq!((report.used, report.generation), (Some(1), 3));
            let SlotStatus::Ignored(reason) = report.slots[0] else {
                panic!("byte {byte} bit {bit}: {:?}", report.slots[0]);
            };
            assert_eq!(events, [Event::StorageIgnored { slot: 0, reason }]);
        }
    }
    println!("bit flips refused: {flips}");
    assert_eq!(flips, len * 8);
}

#[test]
fn foreign_images_are_reported_and_ignored() {
    let flash = lived_flash();
    let newest = &flash.slots[0];
    // A future format version, otherwise well formed (its CRC is right).
    let mut future = newest.clone();
    future[4] = FORMAT + 1;
    let crc = crc32(&[&future[..16], &future[HEADER_LEN..HEADER_LEN + payload_len(&future)]]);
    future[16..20].copy_from_slice(&crc.to_be_bytes());
    // Another library's data.
    let mut other = newest.clone();
    other[..4].copy_from_slice(b"WAKA");

    let (client, report, events) = restore([Some(&future), Some(&flash.slots[1])]);
    assert_eq!(lifetime(&client), Some(600));
    let reason = Rejection::Foreign(ImageError::UnsupportedFormat(FORMAT + 1));
    assert_eq!(report.slots[0], SlotStatus::Ignored(reason));
    assert_eq!(events, [Event::StorageIgnored { slot: 0, reason }]);
    assert_eq!(reason.to_string(), "foreign image (unsupported image format 2)");

    let (client, report, events) = restore([Some(&other), None]);
    assert_eq!(*client.configuration(), DataModel::new());
    let reason = Rejection::Foreign(ImageError::BadMagic);
    assert_eq!(report.slots, [SlotStatus::Ignored(reason), SlotStatus::Empty]);
    assert_eq!(events, [Event::StorageIgnored { slot: 0, reason }]);
}

fn payload_len(image: &[u8]) -> usize {
    u32::from_be_bytes(image[12..16].try_into().unwrap()) as usize
}

#[test]
fn both_slots_corrupt_means_an_empty_configuration_reported_and_a_fresh_start() {
    let flash = lived_flash();
    let mut a = flash.slots[0].clone();
    let mut b = flash.slots[1].clone();
    a[HEADER_LEN + 3] ^= 0x10;
    b[7] ^= 0x01; // a reserved header byte
    let (mut client, report, events) = restore([Some(&a), Some(&b)]);
    assert_eq!(*client.configuration(), DataModel::new(), "nothing is trusted");
    assert_eq!((report.used, report.generation), (None, 0));
    let reason = Rejection::Corrupt(ImageError::BadChecksum);
    assert_eq!(report.slots, [SlotStatus::Ignored(reason); 2]);
    assert_eq!(
        events,
        [Event::StorageIgnored { slot: 0, reason }, Event::StorageIgnored { slot: 1, reason }]
    );
    // The firmware provisions its factory account again; the counter starts over in slot 1.
    client
        .provision_bootstrap_account(&BootstrapAccountConfig {
            security: SecurityConfig::nosec(BS_URI),
            hold_off_s: 0,
            account_timeout_s: 0,
        })
        .unwrap();
    client.persist_configuration();
    let Some(Event::StorageWrite(w)) = client.poll_event() else { panic!("a storage write") };
    assert_eq!((w.slot, w.generation), (1, 1));
}

#[test]
fn a_stale_slot_with_a_higher_generation_but_a_bad_crc_loses() {
    let flash = lived_flash();
    // Slot 1 claims generation 5 (newer than slot 0's 4) but its CRC does not match.
    let mut stale = flash.slots[1].clone();
    stale[8..12].copy_from_slice(&5u32.to_be_bytes());
    let (mut client, report, events) = restore([Some(&flash.slots[0]), Some(&stale)]);
    assert_eq!(lifetime(&client), Some(900));
    assert_eq!((report.used, report.generation), (Some(0), 4));
    let reason = Rejection::Corrupt(ImageError::BadChecksum);
    assert_eq!(events, [Event::StorageIgnored { slot: 1, reason }]);
    // The next write goes over the stale slot, as generation 5.
    client.persist_configuration();
    let Some(Event::StorageWrite(w)) = client.poll_event() else { panic!("a storage write") };
    assert_eq!((w.slot, w.generation, client.storage_generation()), (1, 5, 5));
    // Restore is for a stopped client only.
    client
        .provision_server_account(&ServerAccountConfig {
            ssid: 9,
            security: SecurityConfig::nosec(DM_URI),
            lifetime_s: 60,
            binding: "U".into(),
        })
        .unwrap();
    client.start(0).unwrap();
    assert_eq!(client.restore([None, None]), Err(ClientError::AlreadyStarted));
}
