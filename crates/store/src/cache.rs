//! In-memory copies of what nearly every request reads: sessions, policies, and per teacher
//! where they belong and a year's effective lines and pending hours. On the deadline day a
//! teacher's progress is otherwise six statements; with these it is none.
//!
//! Entries are forgotten by the change feed ([`crate::changes`]): triggers name each changed
//! row as a key `<kind>:<id>` — `s` session (token hash), `u` user, `t` teacher, `o` org,
//! `l` a teacher's ledger (records, declarations, verification results), `p` the policies,
//! `*` everything — and every server forgets the entries depending on them, its own changes
//! before its commit returns, the others' within the feed's delay.
//!
//! A read that began before a change must not put back what it read after the change was
//! forgotten: a read takes a [`Fence`] first and its result is kept only if none of the
//! keys it depends on was forgotten since. While the feed is not running (the CLI, or a lost
//! connection to PostgreSQL) nothing is kept and every read goes to the database.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use xueshi_domain::authz::OrgPlace;
use xueshi_domain::{Hours, Policy, RecordLine};

use crate::repo::sessions::SessionUser;

/// At most this many entries of each kind; past it an arbitrary tenth is dropped. Sized for
/// a node's share of a city's deadline day (about 1 KB a session, less for the others).
const MAX_ENTRIES: usize = 100_000;
/// Forgotten keys remembered for the reads still in flight; a read older than these (many
/// thousands of changes ago) keeps nothing.
const RECENT_KEYS: usize = 20_000;

/// What a teacher's year adds up to before any rule is applied: the effective lines and the
/// hours still pending review.
#[derive(Clone, Debug)]
pub struct YearLedger {
    pub lines: Vec<RecordLine>,
    pub pending: Hours,
}

/// A cached session: the user as loaded, and when this server last saw it used.
#[derive(Debug)]
pub struct CachedSession {
    pub session: SessionUser,
    last_seen: AtomicI64,
}

impl CachedSession {
    pub(crate) fn new(session: SessionUser) -> CachedSession {
        let last_seen = AtomicI64::new(session.last_seen_at);
        CachedSession { session, last_seen }
    }

    /// The later of the stored activity and this server's own use since.
    pub fn last_seen(&self) -> i64 {
        self.last_seen.load(Ordering::Relaxed)
    }

    pub fn saw(&self, at: i64) {
        self.last_seen.fetch_max(at, Ordering::Relaxed);
    }
}

/// Taken before a read whose result may be kept (see the module's note).
#[derive(Clone, Copy, Debug)]
pub struct Fence(u64);

#[derive(Default)]
pub struct Cache {
    live: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Advances with every key forgotten.
    epoch: u64,
    /// Keys forgotten, with the epoch each was forgotten at, newest last.
    recent: VecDeque<(u64, String)>,
    /// Reads fenced before this epoch keep nothing (their keys may have left `recent`).
    horizon: u64,
    sessions: HashMap<String, Arc<CachedSession>>,
    places: HashMap<String, OrgPlace>,
    ledgers: HashMap<String, HashMap<i32, Arc<YearLedger>>>,
    policies: HashMap<i32, Option<Arc<Policy>>>,
}

impl Cache {
    /// Whether entries are kept: only while the change feed runs.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Starts keeping entries (the feed is running) or stops and forgets all (it is not).
    pub(crate) fn set_live(&self, live: bool) {
        let mut inner = self.lock();
        self.live.store(live, Ordering::Release);
        inner.forget_all();
    }

    pub fn fence(&self) -> Fence {
        Fence(self.lock().epoch)
    }

    pub fn session(&self, token_hash: &str) -> Option<Arc<CachedSession>> {
        self.lock().sessions.get(token_hash).cloned()
    }

    /// Keeps a session read after `fence`; the entry either way, for the request at hand.
    pub fn keep_session(
        &self,
        fence: Fence,
        token_hash: &str,
        session: SessionUser,
    ) -> Arc<CachedSession> {
        let mut keys = vec![format!("s:{token_hash}"), format!("u:{}", session.user.id)];
        keys.push(format!("o:{}", session.user.org_id));
        if let Some(t) = &session.user.teacher_id {
            keys.push(format!("t:{t}"));
        }
        let entry = Arc::new(CachedSession::new(session));
        self.keep(fence, &keys, |inner| {
            bounded(&mut inner.sessions).insert(token_hash.to_owned(), entry.clone());
        });
        entry
    }

    /// The school a teacher belongs to, as scope checks take it.
    pub fn place(&self, teacher_id: &str) -> Option<OrgPlace> {
        self.lock().places.get(teacher_id).cloned()
    }

    pub fn keep_place(&self, fence: Fence, teacher_id: &str, school: OrgPlace) {
        let keys = [format!("t:{teacher_id}"), format!("o:{}", school.id)];
        self.keep(fence, &keys, |inner| {
            bounded(&mut inner.places).insert(teacher_id.to_owned(), school);
        });
    }

    pub fn ledger(&self, teacher_id: &str, year: i32) -> Option<Arc<YearLedger>> {
        self.lock().ledgers.get(teacher_id)?.get(&year).cloned()
    }

    /// Keeps a year read after `fence`; the entry either way.
    pub fn keep_ledger(
        &self,
        fence: Fence,
        teacher_id: &str,
        year: i32,
        ledger: YearLedger,
    ) -> Arc<YearLedger> {
        let keys = [format!("l:{teacher_id}")];
        let entry = Arc::new(ledger);
        self.keep(fence, &keys, |inner| {
            bounded(&mut inner.ledgers)
                .entry(teacher_id.to_owned())
                .or_default()
                .insert(year, entry.clone());
        });
        entry
    }

    /// `Some(None)`: known to have no policy.
    pub fn policy(&self, year: i32) -> Option<Option<Arc<Policy>>> {
        self.lock().policies.get(&year).cloned()
    }

    /// Keeps a policy (or its absence) read after `fence`; the entry either way.
    pub fn keep_policy(
        &self,
        fence: Fence,
        year: i32,
        policy: Option<Policy>,
    ) -> Option<Arc<Policy>> {
        let entry = policy.map(Arc::new);
        self.keep(fence, &["p".to_owned()], |inner| {
            inner.policies.insert(year, entry.clone());
        });
        entry
    }

    /// Forgets every entry depending on one of `keys` (as the feed delivers them).
    pub(crate) fn forget<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut inner = self.lock();
        let (mut users, mut teachers, mut orgs) = (Vec::new(), Vec::new(), Vec::new());
        for key in keys {
            if key.is_empty() {
                continue;
            }
            inner.epoch += 1;
            let epoch = inner.epoch;
            inner.recent.push_back((epoch, key.to_owned()));
            let (kind, id) = key.split_once(':').unwrap_or((key, ""));
            match kind {
                "s" => drop(inner.sessions.remove(id)),
                "u" => users.push(id.to_owned()),
                "t" => {
                    inner.places.remove(id);
                    teachers.push(id.to_owned());
                }
                "o" => orgs.push(id.to_owned()),
                "l" => drop(inner.ledgers.remove(id)),
                "p" => inner.policies.clear(),
                _ => inner.forget_all(),
            }
        }
        if !(users.is_empty() && teachers.is_empty() && orgs.is_empty()) {
            inner.sessions.retain(|_, s| {
                let u = &s.session.user;
                !(users.contains(&u.id)
                    || orgs.contains(&u.org_id)
                    || u.teacher_id.as_ref().is_some_and(|t| teachers.contains(t)))
            });
        }
        if !orgs.is_empty() {
            inner.places.retain(|_, school| !orgs.contains(&school.id));
        }
        while inner.recent.len() > RECENT_KEYS {
            if let Some((epoch, _)) = inner.recent.pop_front() {
                inner.horizon = epoch;
            }
        }
    }

    pub(crate) fn forget_all(&self) {
        self.lock().forget_all();
    }

    /// Runs `put` unless one of `keys` (or everything) was forgotten since `fence`.
    fn keep(&self, fence: Fence, keys: &[String], put: impl FnOnce(&mut Inner)) {
        if !self.is_live() {
            return;
        }
        let mut inner = self.lock();
        if fence.0 < inner.horizon {
            return;
        }
        let stale = inner
            .recent
            .iter()
            .rev()
            .take_while(|(epoch, _)| *epoch > fence.0)
            .any(|(_, k)| k == "*" || keys.contains(k));
        if !stale {
            put(&mut inner);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn forget_all(&mut self) {
        self.epoch += 1;
        let epoch = self.epoch;
        self.recent.push_back((epoch, "*".to_owned()));
        self.sessions.clear();
        self.places.clear();
        self.ledgers.clear();
        self.policies.clear();
    }
}

/// The map, with room for one more entry.
fn bounded<V>(map: &mut HashMap<String, V>) -> &mut HashMap<String, V> {
    if map.len() >= MAX_ENTRIES {
        let drop: Vec<String> = map.keys().take(MAX_ENTRIES / 10).cloned().collect();
        for key in drop {
            map.remove(&key);
        }
    }
    map
}

#[cfg(test)]
mod tests;
