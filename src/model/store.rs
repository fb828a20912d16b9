//! The store: the committed configuration and, during a bootstrap, a staged copy that is
//! committed at a successful Bootstrap-Finish or dropped (rolled back) otherwise.

use super::VecMap;

use super::instance::Instance;
use super::security::SecurityAccount;
use super::server::ServerAccount;
use super::value::ResourceValue;
use super::{OBJ_SECURITY, OBJ_SERVER};

/// Instances of the objects the library owns (/0, /1, /2), by object ID then instance ID.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DataModel {
    objects: VecMap<u16, VecMap<u16, Instance>>,
}

impl DataModel {
    /// An empty data model.
    pub fn new() -> DataModel {
        DataModel::default()
    }

    /// Instances of `object`, in instance-ID order.
    pub fn instances(&self, object: u16) -> impl Iterator<Item = (u16, &Instance)> {
        self.objects.get(&object).into_iter().flat_map(|m| m.iter().map(|(k, v)| (*k, v)))
    }

    /// Instance IDs of `object`.
    pub fn instance_ids(&self, object: u16) -> impl Iterator<Item = u16> + '_ {
        self.instances(object).map(|(id, _)| id)
    }

    /// One instance.
    pub fn instance(&self, object: u16, instance: u16) -> Option<&Instance> {
        self.objects.get(&object)?.get(&instance)
    }

    /// One instance, mutable.
    pub fn instance_mut(&mut self, object: u16, instance: u16) -> Option<&mut Instance> {
        self.objects.get_mut(&object)?.get_mut(&instance)
    }

    /// Inserts or replaces an instance.
    pub fn insert(&mut self, object: u16, instance_id: u16, instance: Instance) {
        self.objects.get_or_insert_with(object, VecMap::new).insert(instance_id, instance);
    }

    /// Writes resources into an instance, creating it when missing; resources not in
    /// `resources` keep their values (Bootstrap-Write merges, LwM2M Core §5.2.7.4).
    pub fn write(
        &mut self,
        object: u16,
        instance_id: u16,
        resources: VecMap<u16, ResourceValue>,
        origin: super::Origin,
    ) {
        let instance = self
            .objects
            .get_or_insert_with(object, VecMap::new)
            .get_or_insert_with(instance_id, || Instance::new(origin));
        instance.origin = origin;
        instance.resources.extend(resources);
    }

    /// Removes an instance; returns it if it existed.
    pub fn remove(&mut self, object: u16, instance: u16) -> Option<Instance> {
        let map = self.objects.get_mut(&object)?;
        let removed = map.remove(&instance);
        if map.is_empty() {
            self.objects.remove(&object);
        }
        removed
    }

    /// The lowest instance ID not used in `object`, `None` when all are taken.
    pub fn free_instance_id(&self, object: u16) -> Option<u16> {
        let used: alloc::vec::Vec<u16> = self.instance_ids(object).collect();
        (0..u16::MAX).find(|id| !used.contains(id))
    }

    /// Object IDs that have at least one instance.
    pub fn object_ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.objects.keys().copied()
    }

    /// Every Security instance as an account view.
    pub fn security_accounts(&self) -> impl Iterator<Item = SecurityAccount<'_>> {
        self.instances(OBJ_SECURITY)
            .map(|(instance_id, instance)| SecurityAccount { instance_id, instance })
    }

    /// Every Server instance as an account view.
    pub fn server_accounts(&self) -> impl Iterator<Item = ServerAccount<'_>> {
        self.instances(OBJ_SERVER)
            .map(|(instance_id, instance)| ServerAccount { instance_id, instance })
    }

    /// The Bootstrap-Server account (the first one if, wrongly, several exist).
    pub fn bootstrap_account(&self) -> Option<SecurityAccount<'_>> {
        self.security_accounts().find(SecurityAccount::is_bootstrap)
    }

    /// The non-bootstrap Security instance with Short Server ID `ssid`.
    pub fn security_for_ssid(&self, ssid: u16) -> Option<SecurityAccount<'_>> {
        self.security_accounts().find(|a| !a.is_bootstrap() && a.ssid() == Some(ssid))
    }

    /// The Server instance with Short Server ID `ssid`.
    pub fn server_for_ssid(&self, ssid: u16) -> Option<ServerAccount<'_>> {
        self.server_accounts().find(|s| s.ssid() == Some(ssid))
    }

    /// LwM2M Server accounts: Server instances that have a paired Security instance.
    pub fn server_account_pairs(
        &self,
    ) -> impl Iterator<Item = (SecurityAccount<'_>, ServerAccount<'_>)> {
        self.server_accounts().filter_map(|srv| Some((self.security_for_ssid(srv.ssid()?)?, srv)))
    }
}

/// The committed configuration plus the staged copy of an open bootstrap transaction.
#[derive(Clone, Debug, Default)]
pub struct Store {
    committed: DataModel,
    staged: Option<DataModel>,
}

impl Store {
    /// A store holding `committed`, no transaction open.
    pub fn new(committed: DataModel) -> Store {
        Store { committed, staged: None }
    }

    /// The committed configuration (what the client registers with).
    pub fn committed(&self) -> &DataModel {
        &self.committed
    }

    /// The committed configuration, mutable: factory provisioning outside a bootstrap.
    pub fn committed_mut(&mut self) -> &mut DataModel {
        &mut self.committed
    }

    /// The view a Bootstrap-Server sees: the staged copy if a transaction is open.
    pub fn current(&self) -> &DataModel {
        self.staged.as_ref().unwrap_or(&self.committed)
    }

    /// True while a bootstrap transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.staged.is_some()
    }

    /// The staged copy, opening the transaction (a copy of the committed state) if needed.
    pub fn staged_mut(&mut self) -> &mut DataModel {
        let committed = &self.committed;
        self.staged.get_or_insert_with(|| committed.clone())
    }

    /// Makes the staged copy the committed configuration; returns false if none was open.
    pub fn commit(&mut self) -> bool {
        match self.staged.take() {
            Some(staged) => {
                self.committed = staged;
                true
            }
            None => false,
        }
    }

    /// Drops the staged copy; the committed configuration is untouched.
    pub fn rollback(&mut self) {
        self.staged = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{security_res, server_res, Origin, Value};

    fn account(ssid: i64) -> Instance {
        Instance::new(Origin::Factory)
            .with(security_res::URI, Value::String("coap://127.0.0.1:5683".into()))
            .with(security_res::BOOTSTRAP_SERVER, Value::Boolean(false))
            .with(security_res::MODE, Value::Integer(3))
            .with(security_res::SSID, Value::Integer(ssid))
    }

    #[test]
    fn rollback_keeps_committed_state() {
        let mut store = Store::default();
        store.committed_mut().insert(0, 0, account(1));
        store.staged_mut().remove(0, 0);
        assert!(store.current().instance(0, 0).is_none());
        assert!(store.committed().instance(0, 0).is_some());
        store.rollback();
        assert!(store.current().instance(0, 0).is_some());
        assert!(!store.commit());
    }

    #[test]
    fn commit_replaces_committed_state() {
        let mut store = Store::default();
        store.staged_mut().insert(0, 3, account(7));
        store.staged_mut().insert(
            1,
            0,
            Instance::default().with(server_res::SSID, Value::Integer(7)),
        );
        assert!(store.commit());
        let pairs: alloc::vec::Vec<_> = store.committed().server_account_pairs().collect();
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].0.instance_id, 3);
    }

    #[test]
    fn write_merges_resources() {
        let mut model = DataModel::new();
        model.insert(0, 0, account(1));
        let mut res = VecMap::new();
        res.insert(security_res::SSID, ResourceValue::Single(Value::Integer(9)));
        model.write(0, 0, res, Origin::BootstrapServer);
        let inst = model.instance(0, 0).unwrap();
        assert_eq!(inst.int(security_res::SSID), Some(9));
        assert_eq!(inst.string(security_res::URI), Some("coap://127.0.0.1:5683"));
        assert_eq!(inst.origin, Origin::BootstrapServer);
    }
}
