//! Deciding conditions cheaply: classes of the values a condition reads, projections of bound
//! values, and chains of conjuncts. See the engine module for why.

use crate::snapshot::PrincipalType;
use crate::subjects;
use cel::objects::Key;
use cel::{Context, Value};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A field path below its root, prepared for lookups.
struct PreparedPath {
    keys: Vec<Key>,
}

fn resolve<'v>(root: &'v Value, path: &PreparedPath) -> Option<&'v Value> {
    let mut current = root;
    for key in &path.keys {
        match current {
            Value::Map(map) => current = map.map.get(key)?,
            _ => return None,
        }
    }
    Some(current)
}

/// The values one root contributes to a condition, as a hashable key. Equality is CEL
/// equality; a value that is not equal to itself (NaN) only costs a cache miss.
#[derive(Clone)]
struct ValueKey(Vec<Option<Value>>);

impl PartialEq for ValueKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for ValueKey {}

impl Hash for ValueKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for value in &self.0 {
            match value {
                None => state.write_u8(0),
                Some(v) => hash_value(v, state),
            }
        }
    }
}

fn hash_value<H: Hasher>(value: &Value, state: &mut H) {
    match value {
        Value::String(s) => {
            state.write_u8(1);
            s.hash(state);
        }
        Value::Int(i) => {
            state.write_u8(2);
            i.hash(state);
        }
        Value::UInt(u) => {
            state.write_u8(2);
            u.hash(state);
        }
        Value::Bool(b) => {
            state.write_u8(3);
            b.hash(state);
        }
        Value::Null => state.write_u8(4),
        Value::List(items) => {
            state.write_u8(5);
            state.write_usize(items.len());
            for item in items.iter() {
                hash_value(item, state);
            }
        }
        Value::Map(map) => {
            // Order-independent: sum of per-entry hashes.
            state.write_u8(6);
            let mut sum: u64 = 0;
            for (key, item) in map.map.iter() {
                let mut entry = rustc_hash::FxHasher::default();
                key.hash(&mut entry);
                hash_value(item, &mut entry);
                sum = sum.wrapping_add(entry.finish());
            }
            state.write_u64(sum);
        }
        // Floats, bytes, timestamps and the rest are rare in keys: hash the kind only.
        other => state.write_u8(7 + other.type_of() as u8),
    }
}

/// Groups and users are numbered separately: the identity of a principal carries its type.
pub(super) fn principal_identity(
    principal_type: PrincipalType,
    position: Option<u32>,
) -> Option<u32> {
    let position = position?;
    // Quotas cap users and groups at 100,000 each, far below 2^31.
    Some(match principal_type {
        PrincipalType::Group => position << 1,
        PrincipalType::User => (position << 1) | 1,
    })
}

/// Up to four roots per subject row (access has the most: user, account, set, via).
pub(super) const MAX_ROOTS: usize = 4;
const UNREAD: u32 = u32::MAX;

/// The root values of one row, built on demand: a condition reading only `principal.type`
/// never builds the account or the permission set.
/// The second argument, when given, names the fields wanted (positions in the root's fields):
/// a builder may leave the others out.
pub(super) type RootValues<'f> = &'f dyn Fn(usize, Option<&[usize]>) -> Value;

/// The fields of each root that `paths` read (positions in the root's fields), or None for a
/// root read whole.
pub(super) fn fields_read<'p>(
    paths: impl Iterator<Item = &'p [String]>,
    roots: &[(&str, &[subjects::Field])],
) -> Vec<Option<Vec<usize>>> {
    let mut only: Vec<Option<Vec<usize>>> = vec![Some(Vec::new()); roots.len()];
    for path in paths {
        let Some(root) = roots.iter().position(|(name, _)| *name == path[0]) else {
            continue;
        };
        match path.get(1) {
            None => only[root] = None,
            Some(field) => {
                if let (Some(list), Some(i)) = (
                    &mut only[root],
                    roots[root].1.iter().position(|f| f.name == field),
                ) {
                    list.push(i);
                }
            }
        }
    }
    for list in only.iter_mut().flatten() {
        list.sort_unstable();
        list.dedup();
    }
    only
}

/// One root's part of a condition: the paths it reads, and the classes of entities that read
/// alike (every group has `principal.type == "GROUP"`: one class for them all).
#[derive(Default)]
struct RootClasses {
    paths: Vec<PreparedPath>,
    /// The fields the paths read (None: the whole root).
    only: Option<Vec<usize>>,
    /// Class of each entity seen so far (by its identity in the snapshot).
    by_entity: FxHashMap<u32, u32>,
    by_values: FxHashMap<ValueKey, u32>,
    /// The values of each class, to bind when the condition is evaluated.
    representatives: Vec<ValueKey>,
}

impl RootClasses {
    fn class_of(&mut self, value: &Value) -> u32 {
        let key = ValueKey(
            self.paths
                .iter()
                .map(|p| resolve(value, p).cloned())
                .collect(),
        );
        if let Some(&class) = self.by_values.get(&key) {
            return class;
        }
        let class = self.representatives.len() as u32;
        self.representatives.push(key.clone());
        self.by_values.insert(key, class);
        class
    }
}

/// A condition (or some of its conjuncts) decided once per combination of root classes.
///
/// A row costs a few integer lookups; CEL runs only for a combination not seen before, on
/// values reduced to what it reads (CEL copies a bound value deeply, and a permission set
/// carries lists of a thousand account ids the condition may never look at).
pub(super) struct Decider<'a> {
    exprs: Vec<&'a cel::IdedExpr>,
    roots: Vec<RootClasses>,
    decisions: FxHashMap<[u32; MAX_ROOTS], Result<bool, String>>,
}

impl<'a> Decider<'a> {
    pub(super) fn new(
        exprs: Vec<&'a cel::IdedExpr>,
        paths: &[Vec<String>],
        roots: &[(&str, &[subjects::Field])],
    ) -> Self {
        let mut classes: Vec<RootClasses> =
            (0..roots.len()).map(|_| RootClasses::default()).collect();
        let only = fields_read(paths.iter().map(Vec::as_slice), roots);
        for (classes, only) in classes.iter_mut().zip(only) {
            classes.only = only;
        }
        for path in paths {
            if let Some(root) = roots.iter().position(|(name, _)| *name == path[0]) {
                let keys = path[1..]
                    .iter()
                    .map(|k| Key::String(Arc::new(k.clone())))
                    .collect();
                classes[root].paths.push(PreparedPath { keys });
            }
        }
        Decider {
            exprs,
            roots: classes,
            decisions: FxHashMap::default(),
        }
    }

    /// Decides a row. `entities` identifies each root's entity (None: not in the snapshot, so
    /// its class is computed from its value every time).
    pub(super) fn decide(
        &mut self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        entities: [Option<u32>; MAX_ROOTS],
        values: RootValues,
    ) -> Result<bool, String> {
        if self.exprs.is_empty() {
            return Ok(true);
        }
        let mut key = [UNREAD; MAX_ROOTS];
        for (root, classes) in self.roots.iter_mut().enumerate() {
            if classes.paths.is_empty() {
                continue;
            }
            key[root] = match entities[root] {
                Some(entity) => match classes.by_entity.get(&entity) {
                    Some(&class) => class,
                    None => {
                        let class = classes.class_of(&values(root, classes.only.as_deref()));
                        classes.by_entity.insert(entity, class);
                        class
                    }
                },
                None => classes.class_of(&values(root, classes.only.as_deref())),
            };
        }
        if let Some(known) = self.decisions.get(&key) {
            return known.clone();
        }
        let outcome = self.evaluate(base, names, &key);
        self.decisions.insert(key, outcome.clone());
        outcome
    }

    fn evaluate(
        &self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        key: &[u32; MAX_ROOTS],
    ) -> Result<bool, String> {
        let mut scope = base.new_inner_scope();
        for (root, classes) in self.roots.iter().enumerate() {
            if classes.paths.is_empty() {
                continue;
            }
            let resolved = &classes.representatives[key[root] as usize].0;
            if let Some(value) = project(&classes.paths, resolved) {
                scope.add_variable_from_value(names[root].0, value);
            }
        }
        for expr in &self.exprs {
            match scope.resolve(expr) {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Bool(false)) => return Ok(false),
                Ok(other) => return Err(format!("condition evaluated to {other:?}, not a bool")),
                Err(error) => return Err(error.to_string()),
            }
        }
        Ok(true)
    }
}

/// The conjuncts of a condition's top-level `&&`, each decided on its own classes and in
/// order, stopping at the first false. A conjunct on `principal.type` (two classes) thus spares
/// one on `principal.name` (thousands of classes) for every user principal. An error counts
/// only when no other conjunct is false, as CEL's commutative `&&` does.
pub(super) struct Chain<'a> {
    links: Vec<Decider<'a>>,
}

impl<'a> Chain<'a> {
    pub(super) fn new(
        conjuncts: &[&'a crate::cel_paths::Conjunct],
        roots: &[(&str, &[subjects::Field])],
    ) -> Self {
        Chain {
            links: conjuncts
                .iter()
                .map(|c| Decider::new(vec![&c.expr], &c.paths, roots))
                .collect(),
        }
    }

    pub(super) fn decide(
        &mut self,
        base: &Context,
        names: &[(&str, &[subjects::Field])],
        entities: [Option<u32>; MAX_ROOTS],
        values: RootValues,
    ) -> Result<bool, String> {
        let mut error = None;
        for link in &mut self.links {
            match link.decide(base, names, entities, values) {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(true),
        }
    }
}

/// One root's value reduced to the paths a condition reads, from their resolved values. A path
/// that is the whole root binds the whole value; a missing field stays missing so that reading
/// it fails as it would on the full value.
fn project(paths: &[PreparedPath], resolved: &[Option<Value>]) -> Option<Value> {
    enum Node {
        Leaf(Value),
        Branch(HashMap<Key, Node>),
    }
    fn insert(node: &mut HashMap<Key, Node>, keys: &[Key], value: Value) {
        let (first, rest) = keys.split_first().expect("a field path has a key");
        if rest.is_empty() {
            node.insert(first.clone(), Node::Leaf(value));
            return;
        }
        let child = node
            .entry(first.clone())
            .or_insert_with(|| Node::Branch(HashMap::new()));
        if let Node::Branch(map) = child {
            insert(map, rest, value);
        }
    }
    fn into_value(node: Node) -> Value {
        match node {
            Node::Leaf(value) => value,
            Node::Branch(map) => Value::Map(cel::objects::Map {
                map: Arc::new(map.into_iter().map(|(k, v)| (k, into_value(v))).collect()),
            }),
        }
    }
    let mut tree: Option<HashMap<Key, Node>> = None;
    for (path, value) in paths.iter().zip(resolved) {
        let Some(value) = value else { continue };
        if path.keys.is_empty() {
            return Some(value.clone());
        }
        insert(
            tree.get_or_insert_with(HashMap::new),
            &path.keys,
            value.clone(),
        );
    }
    Some(into_value(Node::Branch(tree.unwrap_or_default())))
}
