//! The resolved view of a snapshot: lookups by id and the derived facts rules ask about
//! (who is in which group, which principals hold access, where a set is assigned).
//!
//! Built once per evaluation in time linear in the snapshot; nothing here is per rule.

use crate::iam::capabilities::Capabilities;
use crate::policy;
use crate::snapshot::{MemberAccount, PrincipalType, Snapshot};
use crate::vocabulary::UserKey;
use rustc_hash::FxHashMap as HashMap;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::OnceLock;

pub struct Model<'s> {
    pub snapshot: &'s Snapshot,
    pub account_index: HashMap<&'s str, usize>,
    pub permission_set_index: HashMap<&'s str, usize>,
    pub user_index: HashMap<&'s str, usize>,
    pub group_index: HashMap<&'s str, usize>,
    /// Members of each group (user positions), sorted.
    pub group_members: Vec<Vec<usize>>,
    /// Groups of each user (group positions), sorted.
    pub user_groups: Vec<Vec<usize>>,
    pub assignments_per_account: Vec<usize>,
    pub assignments_per_permission_set: Vec<usize>,
    pub assignments_per_group: Vec<usize>,
    pub direct_assignments_per_user: Vec<usize>,
    /// Users who hold access directly or through a group that has an assignment.
    pub user_has_access: Vec<bool>,
    /// 0, 1, 2, ...: each user's own position, so a direct assignment's holders are a slice.
    user_positions: Vec<usize>,
    /// Accounts each set is assigned in.
    pub permission_set_assigned_accounts: Vec<BTreeSet<&'s str>>,
    pub permission_set_facts: Vec<PermissionSetFacts>,
    /// Every route into an account: the snapshot's assignments (same positions), then its
    /// account access manager entitlements.
    pub routes: Vec<Route<'s>>,
    /// Positions of what each route refers to, resolved once (None: not in the snapshot). An
    /// entitlement's `permission_set` is its role's position in the policy facts.
    pub assignment_targets: Vec<AssignmentTarget>,
    /// The IAM roles entitlements reach, sorted by ARN; the `r`th is at position
    /// `permission_sets.len() + r` in the policy facts.
    pub roles: Vec<&'s str>,
    /// Permission sets as provisioned in accounts where that differs from the set alone
    /// (customer managed policies resolved there, guardrails above them); the `v`th is at
    /// position `permission_sets.len() + roles.len() + v` in the policy facts.
    pub variants: Vec<Variant<'s>>,
    /// The IAM roles chains reach, sorted by ARN; the `c`th is at position
    /// `permission_sets.len() + roles.len() + variants.len() + c` in the policy facts.
    pub chain_roles: Vec<&'s str>,
    /// The chains of the chained routes (`Route::chain`).
    pub chains: Vec<Chain>,
    /// An IdP provisions the Identity Store: some user or group carries an external id.
    pub identity_source_external: bool,
    /// Group names the stack given with `--desired` declares in the aws-sso component's
    /// `groups` (created by Terraform, not by the IdP); None without a stack.
    pub declared_groups: Option<BTreeSet<String>>,
    /// Sign-in evidence per user, built on first use.
    user_evidence: OnceLock<Vec<UserEvidence<'s>>>,
    /// The last use of each assignment by any holder, built on first use.
    assignment_last_used: OnceLock<Vec<Option<&'s str>>>,
    /// What each permission set's policies allow, built on first use.
    policy_facts: OnceLock<Arc<PolicyFacts>>,
    /// Positions of users by user name, for evidence in the legacy shape, built on first use.
    user_name_index: OnceLock<HashMap<&'s str, usize>>,
    /// Names of the applications each user is assigned to directly, built on first use.
    user_direct_applications: OnceLock<Vec<Vec<&'s str>>>,
}

/// The analysis and capabilities of every permission set, in snapshot order, then of the
/// roles entitlements reach, then of the variants.
pub struct PolicyFacts {
    pub analyses: Vec<crate::iam::evaluate::Analysis>,
    /// A set's capabilities are, where it has variants, what it can do in any account it is
    /// assigned in (the variants' merged with the set's own where no variant applies).
    pub capabilities: Vec<Capabilities>,
    /// For each set, the positions whose capabilities were merged into its own (empty: its
    /// own analysis is the whole truth).
    pub merged: Vec<Vec<usize>>,
    pub by_arn: HashMap<String, usize>,
}

/// One permission set as provisioned in some accounts: the accounts share its customer
/// managed policies' content and the guardrails above them.
#[derive(Debug, Clone)]
pub struct Variant<'s> {
    /// The set's position.
    pub set: usize,
    /// The accounts, sorted; the first stands for all in the analysis.
    pub accounts: Vec<&'s str>,
}

/// What the events show about one Identity Store user (times RFC 3339).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEvidence<'s> {
    pub last_sign_in: Option<&'s str>,
    pub last_sign_in_without_mfa: Option<&'s str>,
    pub last_external_idp_sign_in: Option<&'s str>,
    pub failed_sign_ins: i64,
}

/// One route into an account: an account assignment, or an account access manager entitlement
/// that lets a user or group assume an IAM role there.
#[derive(Debug, Clone, Copy)]
pub struct Route<'s> {
    pub account_id: &'s str,
    /// The permission set's ARN, or the IAM role's of an entitlement.
    pub grant_arn: &'s str,
    pub principal_type: PrincipalType,
    pub principal_id: &'s str,
    pub entitlement: Option<&'s crate::snapshot::Entitlement>,
    /// For a chained route, its position in [`Model::chains`].
    pub chain: Option<u32>,
}

/// The positions an assignment refers to, so rules never look names up per assignment.
#[derive(Debug, Clone, Copy)]
pub struct AssignmentTarget {
    pub account: Option<u32>,
    pub permission_set: Option<u32>,
    /// Group position for GROUP principals, user position for USER principals.
    pub principal: Option<u32>,
    /// The position in the policy facts of what the route grants in its account: the set's,
    /// its variant's for that account, or the entitlement's role's.
    pub facts: Option<u32>,
}

/// What the policies of one permission set grant.
pub struct PermissionSetFacts {
    pub session_duration_seconds: i64,
    /// Inline statements that grant administrator-equivalent access.
    pub inline_admin_grants: Vec<policy::AdminGrant>,
}

impl PermissionSetFacts {
    pub fn of(set: &crate::snapshot::PermissionSet) -> PermissionSetFacts {
        let inline_admin_grants = set
            .inline_policy
            .as_ref()
            .map(policy::admin_grants)
            .unwrap_or_default();
        PermissionSetFacts {
            session_duration_seconds: set
                .session_duration
                .as_deref()
                .and_then(policy::iso_duration_seconds)
                .unwrap_or(DEFAULT_SESSION_SECONDS),
            inline_admin_grants,
        }
    }
}

/// IdC's session duration when a set does not set one.
pub const DEFAULT_SESSION_SECONDS: i64 = 3_600;

impl<'s> Model<'s> {
    pub fn new(snapshot: &'s Snapshot) -> Model<'s> {
        Model::with_declared(snapshot, &[])
    }

    /// The model of `snapshot`, with the roles of `declared` (accounts a stack declares and
    /// the snapshot did not read) in the role chains.
    pub fn with_declared(snapshot: &'s Snapshot, declared: &'s [MemberAccount]) -> Model<'s> {
        let org = &snapshot.organization;
        let account_index = index(org.accounts.iter().map(|a| a.id.as_str()));
        let permission_set_index = index(snapshot.permission_sets.iter().map(|p| p.arn.as_str()));
        let user_index = index(snapshot.users.iter().map(|u| u.id.as_str()));
        let group_index = index(snapshot.groups.iter().map(|g| g.id.as_str()));

        let mut group_members = vec![Vec::new(); snapshot.groups.len()];
        let mut user_groups = vec![Vec::new(); snapshot.users.len()];
        for membership in &snapshot.memberships {
            if let (Some(&g), Some(&u)) = (
                group_index.get(membership.group_id.as_str()),
                user_index.get(membership.user_id.as_str()),
            ) {
                group_members[g].push(u);
                user_groups[u].push(g);
            }
        }
        for list in group_members.iter_mut().chain(user_groups.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }

        let mut assignments_per_account = vec![0; org.accounts.len()];
        let mut assignments_per_permission_set = vec![0; snapshot.permission_sets.len()];
        let mut assignments_per_group = vec![0; snapshot.groups.len()];
        let mut direct_assignments_per_user = vec![0; snapshot.users.len()];
        let mut permission_set_assigned_accounts =
            vec![BTreeSet::new(); snapshot.permission_sets.len()];
        let mut assignment_targets = Vec::with_capacity(snapshot.assignments.len());
        let mut set_accounts_seen: rustc_hash::FxHashSet<(u32, u32)> = Default::default();
        for assignment in &snapshot.assignments {
            let account = account_index.get(assignment.account_id.as_str()).copied();
            if let Some(a) = account {
                assignments_per_account[a] += 1;
            }
            let permission_set = permission_set_index
                .get(assignment.permission_set_arn.as_str())
                .copied();
            if let Some(p) = permission_set {
                assignments_per_permission_set[p] += 1;
                // A set is assigned many times in one account: the ordered set of its accounts
                // takes each account once.
                let first = match account {
                    Some(a) => set_accounts_seen.insert((p as u32, a as u32)),
                    None => true,
                };
                if first {
                    permission_set_assigned_accounts[p].insert(assignment.account_id.as_str());
                }
            }
            let principal = match assignment.principal_type {
                PrincipalType::Group => {
                    let g = group_index.get(assignment.principal_id.as_str()).copied();
                    if let Some(g) = g {
                        assignments_per_group[g] += 1;
                    }
                    g
                }
                PrincipalType::User => {
                    let u = user_index.get(assignment.principal_id.as_str()).copied();
                    if let Some(u) = u {
                        direct_assignments_per_user[u] += 1;
                    }
                    u
                }
            };
            assignment_targets.push(AssignmentTarget {
                account: account.map(|a| a as u32),
                permission_set: permission_set.map(|p| p as u32),
                principal: principal.map(|p| p as u32),
                facts: permission_set.map(|p| p as u32),
            });
        }
        let mut routes: Vec<Route<'s>> = snapshot
            .assignments
            .iter()
            .map(|a| Route {
                account_id: &a.account_id,
                grant_arn: &a.permission_set_arn,
                principal_type: a.principal_type,
                principal_id: &a.principal_id,
                entitlement: None,
                chain: None,
            })
            .collect();
        let entitlements = snapshot
            .account_access
            .iter()
            .flat_map(|access| &access.entitlements);
        let roles: Vec<&'s str> = entitlements
            .clone()
            .map(|e| e.role_arn.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let role_index = index(roles.iter().copied());
        let mut user_has_access: Vec<bool> =
            direct_assignments_per_user.iter().map(|&n| n > 0).collect();
        let mut group_has_access: Vec<bool> =
            assignments_per_group.iter().map(|&n| n > 0).collect();
        for entitlement in entitlements {
            let principal = match entitlement.principal_type {
                PrincipalType::Group => group_index.get(entitlement.principal_id.as_str()),
                PrincipalType::User => user_index.get(entitlement.principal_id.as_str()),
            }
            .copied();
            match (entitlement.principal_type, principal) {
                (PrincipalType::Group, Some(g)) => group_has_access[g] = true,
                (PrincipalType::User, Some(u)) => user_has_access[u] = true,
                _ => {}
            }
            routes.push(Route {
                account_id: &entitlement.account_id,
                grant_arn: &entitlement.role_arn,
                principal_type: entitlement.principal_type,
                principal_id: &entitlement.principal_id,
                entitlement: Some(entitlement),
                chain: None,
            });
            let role =
                (snapshot.permission_sets.len() + role_index[entitlement.role_arn.as_str()]) as u32;
            assignment_targets.push(AssignmentTarget {
                account: account_index
                    .get(entitlement.account_id.as_str())
                    .map(|&a| a as u32),
                permission_set: Some(role),
                principal: principal.map(|p| p as u32),
                facts: Some(role),
            });
        }
        for (g, members) in group_members.iter().enumerate() {
            if group_has_access[g] {
                for &u in members {
                    user_has_access[u] = true;
                }
            }
        }

        // Variants: one per set and distinct (customer managed content, guardrails) among the
        // accounts it is assigned in.
        let variants = {
            let first_variant = snapshot.permission_sets.len() + roles.len();
            let mut keys: std::collections::BTreeMap<VariantKey, usize> = Default::default();
            let mut variants: Vec<Variant<'s>> = Vec::new();
            let mut ceilings: HashMap<&'s str, Option<crate::iam::guardrails::Ceiling>> =
                HashMap::default();
            // The variant of each set in each account, decided once: a set is assigned many
            // times in one account.
            let mut decided: HashMap<(u32, &'s str), Option<usize>> = HashMap::default();
            for (position, assignment) in snapshot.assignments.iter().enumerate() {
                let Some(set) = assignment_targets[position].permission_set else {
                    continue;
                };
                let account = assignment.account_id.as_str();
                if let Some(known) = decided.get(&(set, account)) {
                    if let Some(v) = *known {
                        assignment_targets[position].facts = Some((first_variant + v) as u32);
                    }
                    continue;
                }
                let ceiling = ceilings
                    .entry(account)
                    .or_insert_with(|| {
                        crate::iam::guardrails::ceiling(
                            snapshot,
                            account,
                            crate::snapshot::Guardrails::SCP,
                        )
                    })
                    .clone();
                let Some(key) = variant_key(snapshot, set as usize, account, ceiling) else {
                    decided.insert((set, account), None);
                    continue;
                };
                let v = *keys.entry(key).or_insert_with(|| {
                    variants.push(Variant {
                        set: set as usize,
                        accounts: Vec::new(),
                    });
                    variants.len() - 1
                });
                decided.insert((set, account), Some(v));
                variants[v].accounts.push(account);
                assignment_targets[position].facts = Some((first_variant + v) as u32);
            }
            for variant in &mut variants {
                variant.accounts.sort_unstable();
                variant.accounts.dedup();
            }
            variants
        };

        let permission_set_facts = snapshot
            .permission_sets
            .iter()
            .map(PermissionSetFacts::of)
            .collect();

        let mut model = Model {
            snapshot,
            account_index,
            permission_set_index,
            user_index,
            group_index,
            group_members,
            user_groups,
            assignments_per_account,
            assignments_per_permission_set,
            assignments_per_group,
            direct_assignments_per_user,
            user_has_access,
            user_positions: (0..snapshot.users.len()).collect(),
            permission_set_assigned_accounts,
            permission_set_facts,
            routes,
            assignment_targets,
            roles,
            variants,
            chain_roles: Vec::new(),
            chains: Vec::new(),
            identity_source_external: snapshot
                .users
                .iter()
                .filter_map(|u| u.external_ids.as_ref())
                .chain(
                    snapshot
                        .groups
                        .iter()
                        .filter_map(|g| g.external_ids.as_ref()),
                )
                .any(|ids| !ids.is_empty()),
            declared_groups: None,
            user_evidence: OnceLock::new(),
            assignment_last_used: OnceLock::new(),
            policy_facts: OnceLock::new(),
            user_name_index: OnceLock::new(),
            user_direct_applications: OnceLock::new(),
        };
        if let Some(graph) = crate::chains::Graph::new(snapshot, declared) {
            model.add_chains(graph);
        }
        model
    }

    /// The position in the policy facts of the first role chains reach.
    pub fn first_chain_role(&self) -> usize {
        self.snapshot.permission_sets.len() + self.roles.len() + self.variants.len()
    }

    /// The ARN of the role a session of a route starts as: an entitlement's role, or the
    /// set's `AWSReservedSSO_*` role in the account (as read, else as Identity Center names
    /// it, with the suffix unknown).
    fn session_arn(&self, position: usize, reserved: &HashMap<(&str, &str), &'s str>) -> String {
        let route = &self.routes[position];
        if route.entitlement.is_some() {
            return route.grant_arn.to_string();
        }
        let name = match self.assignment_targets[position].permission_set {
            Some(p) => self.snapshot.permission_sets[p as usize].name.as_str(),
            None => return String::new(),
        };
        match reserved.get(&(route.account_id, name)) {
            Some(arn) => arn.to_string(),
            None => format!(
                "arn:aws:iam::{}:role{}AWSReservedSSO_{name}_{{suffix}}",
                route.account_id,
                crate::iam::RESERVED_PATH
            ),
        }
    }

    /// Follows role chains from every route, and adds a chained route for each role reached.
    fn add_chains(&mut self, mut graph: crate::chains::Graph<'s>) {
        let snapshot = self.snapshot;
        let facts = self.policy_facts().clone();
        let mut reserved: HashMap<(&str, &str), &'s str> = HashMap::default();
        for member in snapshot.member_accounts.iter().flatten() {
            for role in &member.roles {
                if let Some(set) = crate::iam::reserved_set_name(role) {
                    reserved.insert((member.account_id.as_str(), set), role.role.arn.as_str());
                }
            }
        }
        // Routes that start the same session (same role, same policies) reach the same roles:
        // each session is followed once, and its routes point at what it reached.
        let mut sessions: HashMap<(String, u32), usize> = HashMap::default();
        let mut reached: Vec<Vec<crate::chains::Reach>> = Vec::new();
        let mut starts = Vec::new();
        for position in 0..self.routes.len() {
            let Some(f) = self.assignment_targets[position].facts else {
                continue;
            };
            let caller = self.session_arn(position, &reserved);
            if caller.is_empty() {
                continue;
            }
            let session = match sessions.entry((caller, f)) {
                std::collections::hash_map::Entry::Occupied(known) => *known.get(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    reached.push(graph.reach(&slot.key().0, &facts.analyses[f as usize]));
                    *slot.insert(reached.len() - 1)
                }
            };
            starts.push((position, session));
        }
        let callers: Vec<String> = {
            let mut callers = vec![String::new(); reached.len()];
            for ((caller, _), session) in sessions {
                callers[session] = caller;
            }
            callers
        };
        let mut targets: Vec<usize> = reached
            .iter()
            .flatten()
            .map(|r| r.role)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if targets.is_empty() {
            return;
        }
        targets.sort_by_key(|&r| graph.roles[r].arn);
        let first = self.first_chain_role();
        let slot: HashMap<usize, usize> =
            targets.iter().enumerate().map(|(c, &r)| (r, c)).collect();
        self.chain_roles = targets.iter().map(|&r| graph.roles[r].arn).collect();
        for (position, session) in starts {
            let start = self.routes[position];
            let principal = self.assignment_targets[position].principal;
            let caller = &callers[session];
            for reach in &reached[session] {
                let role = &graph.roles[reach.role];
                let c = self.chains.len() as u32;
                self.chains.push(Chain {
                    start: position,
                    start_arn: caller.clone(),
                    conditional: reach.conditional(),
                    path: crate::chains::path_text(caller, &reach.hops, |id| {
                        self.account_index
                            .get(id)
                            .map(|&i| snapshot.organization.accounts[i].name.clone())
                            .unwrap_or_else(|| id.to_string())
                    }),
                    hops: reach.hops.clone(),
                });
                self.routes.push(Route {
                    account_id: role.account,
                    grant_arn: role.arn,
                    principal_type: start.principal_type,
                    principal_id: start.principal_id,
                    entitlement: None,
                    chain: Some(c),
                });
                let at = (first + slot[&reach.role]) as u32;
                self.assignment_targets.push(AssignmentTarget {
                    account: self.account_index.get(role.account).map(|&a| a as u32),
                    permission_set: Some(at),
                    principal,
                    facts: Some(at),
                });
            }
        }
        // The reached roles' analyses and capabilities join the policy facts.
        drop(facts);
        let mut facts = self.policy_facts.take().expect("computed above");
        let owned = Arc::get_mut(&mut facts).expect("not shared yet");
        let baseline = read_only_baseline(snapshot);
        // Roles with the same policies under the same guardrails (a team role in every
        // account) can do the same: their capabilities are worked out once.
        let mut same: HashMap<String, usize> = HashMap::default();
        let mut ceilings: HashMap<&str, Option<crate::iam::guardrails::Ceiling>> =
            HashMap::default();
        for &r in &targets {
            let analysis = graph.take_analysis(r);
            let role = &graph.roles[r];
            let ceiling = ceilings.entry(role.account).or_insert_with(|| {
                crate::iam::guardrails::ceiling(
                    snapshot,
                    role.account,
                    crate::snapshot::Guardrails::SCP,
                )
            });
            let key = capability_key(
                role.role,
                ceiling,
                role.account == snapshot.metadata.management_account_id,
            );
            // What could not be read is said with the role's name: worked out on its own.
            let whole = analysis.unknown_policies.is_empty() && analysis.malformed.is_empty();
            let capabilities = match same.get(&key).filter(|_| whole) {
                Some(&at) => owned.capabilities[at].clone(),
                None => {
                    if whole {
                        same.insert(key, owned.capabilities.len());
                    }
                    crate::iam::capabilities::of_with(&analysis, &baseline)
                }
            };
            owned.capabilities.push(capabilities);
            owned.analyses.push(analysis);
            owned
                .by_arn
                .entry(graph.roles[r].arn.to_string())
                .or_insert(owned.analyses.len() - 1);
        }
        let _ = self.policy_facts.set(facts);
    }

    /// The names of the applications the `position`th user is assigned to directly.
    pub fn direct_applications(&self, position: usize) -> &[&'s str] {
        &self.user_direct_applications.get_or_init(|| {
            let mut per_user = vec![Vec::new(); self.snapshot.users.len()];
            for application in self.snapshot.applications.iter().flatten() {
                for assignment in &application.assignments {
                    if assignment.principal_type == PrincipalType::User
                        && let Some(&u) = self.user_index.get(assignment.principal_id.as_str())
                    {
                        per_user[u].push(application.name.as_str());
                    }
                }
            }
            per_user
        })[position]
    }

    /// What every permission set's policies allow (analysed once, managed policies expanded
    /// once across sets).
    pub fn policy_facts(&self) -> &Arc<PolicyFacts> {
        self.policy_facts.get_or_init(|| {
            let mut cache = crate::iam::StatementCache::default();
            cache.prefill(self.snapshot);
            let mut analyses: Vec<_> = self
                .snapshot
                .permission_sets
                .iter()
                .map(|set| crate::iam::analyse_with(self.snapshot, set, &mut cache))
                .collect();
            analyses.extend(
                self.roles
                    .iter()
                    .map(|arn| crate::iam::analyse_role(self.snapshot, arn, &mut cache)),
            );
            analyses.extend(self.variants.iter().map(|variant| {
                crate::iam::analyse_in(
                    self.snapshot,
                    &self.snapshot.permission_sets[variant.set],
                    Some(variant.accounts[0]),
                    &mut cache,
                )
            }));
            let baseline = read_only_baseline(self.snapshot);
            let mut capabilities: Vec<Capabilities> = analyses
                .iter()
                .map(|a| crate::iam::capabilities::of_with(a, &baseline))
                .collect();
            // A set with variants can do, as a set, what it can do in any account it is
            // assigned in: its variants, and its own analysis where no variant applies.
            let sets = self.snapshot.permission_sets.len();
            let mut merged = vec![Vec::new(); sets];
            for (position, target) in self.assignment_targets.iter().enumerate() {
                if let (Some(set), Some(facts)) = (target.permission_set, target.facts)
                    && (set as usize) < sets
                    && self.routes[position].entitlement.is_none()
                {
                    merged[set as usize].push(facts as usize);
                }
            }
            for (set, sources) in merged.iter_mut().enumerate() {
                sources.sort_unstable();
                sources.dedup();
                if sources.iter().all(|&s| s == set) {
                    sources.clear();
                    continue;
                }
                let parts: Vec<&Capabilities> = sources.iter().map(|&s| &capabilities[s]).collect();
                capabilities[set] = crate::iam::capabilities::merge(&parts);
            }
            let by_arn = self
                .snapshot
                .permission_sets
                .iter()
                .map(|p| p.arn.as_str())
                .chain(self.roles.iter().copied())
                .enumerate()
                .map(|(i, arn)| (arn.to_string(), i))
                .collect();
            Arc::new(PolicyFacts {
                analyses,
                capabilities,
                merged,
                by_arn,
            })
        })
    }

    /// A gap for each permission set whose policies could not all be analysed: rules that read
    /// capabilities are incomplete, never clean, on them.
    /// The roles entitlements reach count only when `sees_roles` (for the rules that see routes
    /// into accounts, not those about permission sets).
    pub fn capability_gaps(&self, sees_roles: bool) -> Vec<crate::snapshot::Gap> {
        let facts = self.policy_facts();
        let mut gaps = Vec::new();
        let sets = self.snapshot.permission_sets.len();
        let first_variant = sets + self.roles.len();
        for (position, set) in self.snapshot.permission_sets.iter().enumerate() {
            let sources = match facts.merged[position].as_slice() {
                [] => vec![position],
                sources => sources.to_vec(),
            };
            for source in sources {
                // A variant's unknowns name the accounts they are about.
                let accounts = (source >= first_variant)
                    .then(|| self.variants[source - first_variant].accounts.join(", "));
                for unknown in &facts.capabilities[source].unknown {
                    gaps.push(crate::snapshot::Gap {
                        area: crate::vocabulary::DataArea::Capabilities,
                        operation: "policy:analyse".into(),
                        resource: format!("{} ({})", set.name, set.arn),
                        error: match &accounts {
                            Some(accounts) => format!("in account {accounts}: {unknown}"),
                            None => unknown.clone(),
                        },
                    });
                }
            }
        }
        let first_chain_role = self.first_chain_role();
        let roles = self
            .roles
            .iter()
            .enumerate()
            .map(|(r, role)| (sets + r, role))
            .chain(
                self.chain_roles
                    .iter()
                    .enumerate()
                    .map(|(c, role)| (first_chain_role + c, role)),
            );
        for (position, role) in roles.filter(|_| sees_roles) {
            for unknown in &facts.capabilities[position].unknown {
                gaps.push(crate::snapshot::Gap {
                    area: crate::vocabulary::DataArea::Capabilities,
                    operation: "policy:analyse".into(),
                    resource: format!("IAM role {role}"),
                    error: unknown.clone(),
                });
            }
        }
        gaps
    }

    /// The Identity Store user that evidence names, by id or (legacy events) by user name.
    pub fn user_by_key(&self, key: &UserKey) -> Option<usize> {
        match key {
            UserKey::Id(id) => self.user_index.get(id.as_str()).copied(),
            UserKey::Name(name) => self
                .user_name_index
                .get_or_init(|| index(self.snapshot.users.iter().map(|u| u.user_name.as_str())))
                .get(name.as_str())
                .copied(),
        }
    }

    /// The user an event names by id or name.
    fn resolve(&self, user_id: Option<&str>, user_name: Option<&str>) -> Option<usize> {
        self.user_by_key(&UserKey::of(user_id, user_name)?)
    }

    /// Sign-in evidence of every user, in snapshot order.
    pub fn user_evidence(&self) -> &[UserEvidence<'s>] {
        self.user_evidence.get_or_init(|| {
            let events = &self.snapshot.events;
            let mut evidence = vec![UserEvidence::default(); self.snapshot.users.len()];
            for summary in &events.users {
                let Some(u) =
                    self.resolve(summary.user_id.as_deref(), summary.user_name.as_deref())
                else {
                    continue;
                };
                let e = &mut evidence[u];
                e.last_sign_in = e.last_sign_in.max(summary.last_sign_in.as_deref());
                e.last_sign_in_without_mfa = e
                    .last_sign_in_without_mfa
                    .max(summary.last_sign_in_without_mfa.as_deref());
                e.last_external_idp_sign_in = e
                    .last_external_idp_sign_in
                    .max(summary.last_external_idp_sign_in.as_deref());
            }
            for failure in &events.failures {
                if let Some(u) =
                    self.resolve(failure.user_id.as_deref(), failure.user_name.as_deref())
                {
                    evidence[u].failed_sign_ins += 1;
                }
            }
            evidence
        })
    }

    /// The users who hold an assignment: the group's members, or the user of a direct one.
    pub fn assignment_holders(&self, position: usize) -> &[usize] {
        let target = self.assignment_targets[position];
        match (self.routes[position].principal_type, target.principal) {
            (PrincipalType::Group, Some(g)) => &self.group_members[g as usize],
            (PrincipalType::User, Some(u)) => {
                std::slice::from_ref(&self.user_positions[u as usize])
            }
            (_, None) => &[],
        }
    }

    /// When each assignment was last used by any of its holders (None: no use seen).
    pub fn assignment_last_used(&self) -> &[Option<&'s str>] {
        self.assignment_last_used.get_or_init(|| {
            let snapshot = self.snapshot;
            // Entitlement routes stay None: their role's use is not in the evidence read.
            let mut last = vec![None; self.routes.len()];
            if snapshot.events.role_uses.is_empty() {
                return last;
            }
            // The users who used each (account, set name), each with their latest use, sorted
            // by user: an assignment looks at the uses of its pair, not at each of its holders
            // (a group of forty members is forty lookups, a pair has a use or two).
            let mut uses: HashMap<(&'s str, &'s str), Vec<(usize, &'s str)>> = HashMap::default();
            for role_use in &snapshot.events.role_uses {
                if let Some(u) = self.user_by_key(&role_use.user) {
                    uses.entry((
                        role_use.account_id.as_str(),
                        role_use.permission_set_name.as_str(),
                    ))
                    .or_default()
                    .push((u, role_use.last_used.as_str()));
                }
            }
            for list in uses.values_mut() {
                // Latest first within a user, then one entry per user.
                list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(a.1)));
                list.dedup_by_key(|entry| entry.0);
            }
            for (position, assignment) in snapshot.assignments.iter().enumerate() {
                let Some(set) = self.assignment_targets[position].permission_set else {
                    continue;
                };
                let set_name = snapshot.permission_sets[set as usize].name.as_str();
                let Some(used) = uses.get(&(assignment.account_id.as_str(), set_name)) else {
                    continue;
                };
                let holders = self.assignment_holders(position);
                last[position] = if used.len() <= holders.len() {
                    used.iter()
                        .filter(|(u, _)| holders.binary_search(u).is_ok())
                        .map(|&(_, time)| time)
                        .max()
                } else {
                    holders
                        .iter()
                        .filter_map(|u| {
                            used.binary_search_by_key(u, |entry| entry.0)
                                .ok()
                                .map(|i| used[i].1)
                        })
                        .max()
                };
            }
            last
        })
    }

    pub fn is_management_account(&self, account_id: &str) -> bool {
        !account_id.is_empty()
            && (account_id == self.snapshot.organization.management_account_id
                || account_id == self.snapshot.metadata.management_account_id)
    }
}

/// A chain of role assumptions a route continues with: from the session the route starts
/// (`start`, a position in `routes`) through each hop to the role it reaches.
#[derive(Debug, Clone)]
pub struct Chain {
    pub start: usize,
    /// The session's role: the set's `AWSReservedSSO_*` role in the account, or an
    /// entitlement's role.
    pub start_arn: String,
    pub hops: Vec<crate::chains::Hop>,
    /// Some hop depends on a condition the snapshot cannot decide.
    pub conditional: bool,
    /// `role/A → role/B → role/C`.
    pub path: String,
}

/// What makes a set's analysis in one account differ from another's: the customer managed
/// documents found there (or why not), whether it is the management account, the guardrails.
type VariantKey = (
    usize,
    bool,
    Vec<String>,
    Option<crate::iam::guardrails::Ceiling>,
);

/// The key of a set's variant in an account; None when the set alone is the whole truth
/// there (no customer managed policy or boundary, no guardrails).
fn variant_key(
    snapshot: &Snapshot,
    set: usize,
    account: &str,
    ceiling: Option<crate::iam::guardrails::Ceiling>,
) -> Option<VariantKey> {
    let permission_set = &snapshot.permission_sets[set];
    let references: Vec<&crate::snapshot::CustomerManagedPolicy> = permission_set
        .customer_managed_policies
        .iter()
        .chain(
            permission_set
                .permissions_boundary
                .as_ref()
                .and_then(|b| b.customer_managed_policy.as_ref()),
        )
        .collect();
    if references.is_empty() && ceiling.is_none() {
        return None;
    }
    let documents = references
        .iter()
        .map(|reference| {
            let arn = crate::iam::customer_managed_arn("aws", account, reference);
            match crate::iam::customer_managed_in(snapshot, account, &arn) {
                Ok((label, document)) => format!("{label}\0{document}"),
                Err(why) => why,
            }
        })
        .collect();
    let management = account == snapshot.metadata.management_account_id;
    Some((set, management, documents, ceiling))
}

/// What a role's capabilities follow from: its policies (inline ones with the role's name,
/// which their labels carry), its boundary, the guardrails over its account.
fn capability_key(
    role: &crate::snapshot::Role,
    ceiling: &Option<crate::iam::guardrails::Ceiling>,
    management: bool,
) -> String {
    let ceiling: Vec<(&str, &[usize])> = ceiling
        .iter()
        .flatten()
        .map(|l| (l.target.as_str(), l.policies.as_slice()))
        .collect();
    let inline: Vec<(&str, String)> = role
        .inline_policies
        .iter()
        .map(|p| (p.name.as_str(), p.document.to_string()))
        .collect();
    format!(
        "{:?}\0{:?}\0{:?}\0{}\0{management}\0{ceiling:?}",
        role.managed_policies,
        role.permissions_boundary,
        inline,
        if inline.is_empty() {
            ""
        } else {
            role.name.as_str()
        },
    )
}

/// Read-only is judged against the ReadOnlyAccess the snapshot carries, if any.
fn read_only_baseline(
    snapshot: &Snapshot,
) -> std::borrow::Cow<'static, crate::iam::capabilities::ReadOnlyBaseline> {
    match snapshot
        .policy_documents
        .iter()
        .find(|d| d.arn == crate::iam::capabilities::READ_ONLY_ACCESS)
    {
        Some(document) => std::borrow::Cow::Owned(crate::iam::capabilities::ReadOnlyBaseline::of(
            Some(&document.document),
        )),
        None => std::borrow::Cow::Borrowed(crate::iam::capabilities::ReadOnlyBaseline::vendored()),
    }
}

fn index<'s>(keys: impl Iterator<Item = &'s str>) -> HashMap<&'s str, usize> {
    keys.enumerate().map(|(i, k)| (k, i)).collect()
}
