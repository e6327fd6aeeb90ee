#!/usr/bin/env python3
"""Crash trials (issue 14): kill -9 during an attendance registration, a batch review and a
verification run, then restart and check the database: integrity, consistency, the audit
chain, and that no acknowledged write was lost.

Usage: scripts/ci/crash_trials.py XUESHI_BINARY [TRIALS=20] [sqlite|postgres]
On SQLite the server is killed (its database is in a temporary directory). On PostgreSQL a
cluster of its own is created (Debian's pg_createcluster) and crashed with the server: an
immediate stop loses whatever of the log was not yet written out, as a power cut would lose
what was not flushed, so an acknowledged commit that had not waited for its flush is lost.
Standard library only (psql for PostgreSQL); traffic to 127.0.0.1 only.
"""
import json, os, random, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time
import urllib.error, urllib.request

X = sys.argv[1]
TRIALS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
BACKEND = sys.argv[3] if len(sys.argv) > 3 else "sqlite"
WORK = tempfile.mkdtemp(prefix="xueshi-crash-")
DATA = os.path.join(WORK, "data")
ENV = {**os.environ, "XUESHI_USER_RATE": "0", "RUST_LOG": "warn"}
for name in ("DATABASE_URL", "XUESHI_DATABASE_URL"):
    ENV.pop(name, None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()
BASE = f"http://127.0.0.1:{PORT}/api/v1"


class Sqlite:
    def rows(self, sql, *params):
        db = sqlite3.connect(os.path.join(DATA, "xueshi.db"))
        try:
            return db.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            db.close()

    def problems(self):
        found = []
        if self.rows("PRAGMA integrity_check")[0][0] != "ok":
            found.append("integrity_check")
        if self.rows("PRAGMA foreign_key_check"):
            found.append("foreign keys")
        return found

    def crash(self):
        pass  # killing the server is the crash

    def recover(self):
        pass

    def drop(self):
        pass


class Postgres:
    """A cluster of this run's own, so crashing it disturbs nobody."""

    def __init__(self):
        self.version = max(os.listdir("/usr/lib/postgresql"), key=int)
        self.name, self.port = f"xueshi_crash_{os.getpid()}", free_port()
        self.cluster("pg_createcluster", "-p", str(self.port), "--",
                     "--auth-host=trust", "--auth-local=trust")
        self.cluster("pg_ctlcluster", "start")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/xueshi"
        self.psql("postgres", "CREATE DATABASE xueshi")
        ENV["XUESHI_DATABASE_URL"] = self.url

    def cluster(self, tool, *args):
        subprocess.run([tool, self.version, self.name, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def psql(self, database, sql):
        done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                               "-d", database, "-AtX", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                               "-c", sql], capture_output=True, text=True, check=True)
        return [tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("\t"))
                for line in done.stdout.splitlines()]

    def rows(self, sql, *params):
        # Only this script's own values are inlined: counts, ids and years.
        return self.psql("xueshi", sql % tuple(f"'{p}'" for p in params))

    def problems(self):
        return []  # PostgreSQL checks its own pages and keys; the rest is checked for both

    def crash(self):
        # SIGQUIT is an immediate shutdown: no checkpoint, the log buffers are dropped.
        pid_file = f"/var/lib/postgresql/{self.version}/{self.name}/postmaster.pid"
        self.postmaster = int(open(pid_file).readline())
        os.kill(self.postmaster, signal.SIGQUIT)

    def recover(self):
        for _ in range(300):
            try:
                os.kill(self.postmaster, 0)
                time.sleep(0.05)
            except ProcessLookupError:
                break
        self.cluster("pg_ctlcluster", "start")

    def drop(self):
        self.cluster("pg_dropcluster", "--stop")


def xueshi(*args, check=True):
    done = subprocess.run([X, "--data-dir", DATA, *args], env=ENV, capture_output=True, text=True)
    if check and done.returncode != 0:
        sys.exit(f"xueshi {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done


def call(method, path, token, body=None, timeout=30):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method, headers={
        "authorization": f"Bearer {token}", "content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}


def start_server():
    proc = subprocess.Popen([X, "--data-dir", DATA, "serve", "--bind", f"127.0.0.1:{PORT}"],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    sys.exit("the server did not start")


class Witness(threading.Thread):
    """A teacher creating declarations until the crash: every id answered 201 is acknowledged."""

    def __init__(self, token, year):
        super().__init__(daemon=True)
        self.token, self.year, self.acked, self.n = token, year, [], 0

    def run(self):
        while True:
            self.n += 1
            try:
                status, body = call("POST", "/declarations", self.token, {
                    "category": "professional", "activity_type": "training_course",
                    "title": f"崩溃试验{os.getpid()}-{self.n}", "organizer": "试验主办单位",
                    "start_date": f"{self.year}-05-10", "end_date": f"{self.year}-05-11",
                    "hours": 8, "foreign_certificate": False, "certificate_states_hours": True})
            except OSError:
                return  # the server is gone
            if status == 201:
                self.acked.append(body["id"])


def teacher_ids(token, district_id, limit):
    ids, cursor = [], None
    while len(ids) < limit:
        path = f"/teachers?limit=200&district_id={district_id}" + (f"&cursor={cursor}" if cursor else "")
        status, page = call("GET", path, token)
        assert status == 200, status
        ids += [t["id"] for t in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return ids[:limit]


def one(db, sql, *params):
    return db.rows(sql, *params)[0][0]


def approved_count(db):
    return one(db, "SELECT COUNT(*) FROM declarations WHERE status = 'approved'")


def check(db, trial, kind, witness, training, verified_rows, year, approved_before):
    problems, done = db.problems(), ""
    counted = dict(((s, y, st), n) for s, y, st, n in db.rows(
        "SELECT school_id, year, status, n FROM declaration_counts WHERE n <> 0"))
    actual = dict(((s, y, st), n) for s, y, st, n in db.rows(
        "SELECT school_id, year, status, COUNT(*) FROM declarations GROUP BY 1, 2, 3"))
    if counted != actual:
        problems.append("declaration_counts differ from the declarations")
    unreviewed = one(db,
        "SELECT COUNT(*) FROM declarations d WHERE d.status = 'approved' AND NOT EXISTS "
        "(SELECT 1 FROM reviews r WHERE r.declaration_id = d.id AND r.level = 'second' "
        "AND r.decision = 'approve')")
    if unreviewed:
        problems.append(f"{unreviewed} approved without their review")
    found = {i for (i,) in db.rows("SELECT id FROM declarations WHERE title LIKE %s",
                                   f"崩溃试验{os.getpid()}-%")}
    lost = [i for i in witness.acked if i not in found]
    if lost:
        problems.append(f"{len(lost)} acknowledged declarations lost")
    if training:
        registered = one(db, "SELECT COUNT(*) FROM records WHERE training_id = %s", training[0])
        if registered not in (0, training[1]):
            problems.append(f"attendance half-registered: {registered} of {training[1]}")
        done = f", registered {registered} of {training[1]}"
    if kind == "verification":
        runs = one(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'verification.run'")
        done = f", {runs} whole runs so far"
    if kind == "batch review":
        done = f", approved {approved_count(db) - approved_before} of the batch before the kill"
    rows = one(db, "SELECT COUNT(*) FROM verification_results WHERE year = %s", year)
    if rows != verified_rows:
        problems.append(f"verification results {rows}, a whole run has {verified_rows}")
    audit = xueshi("audit", "verify", check=False)
    if audit.returncode != 0:
        problems.append("audit verify: " + (audit.stdout + audit.stderr).strip()[-300:])
    print(f"trial {trial:2} {kind:12} acknowledged {len(witness.acked):4}{done}: "
          + ("ok" if not problems else "; ".join(problems)), flush=True)
    return problems


def main():
    db = Postgres() if BACKEND == "postgres" else Sqlite()
    try:
        failures = trials(db)
    finally:
        db.drop()
    print(f"{TRIALS} trials on {BACKEND}, {failures} with a problem")
    shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1 if failures else 0)


def trials(db):
    logins_path = os.path.join(WORK, "logins.json")
    xueshi("bench", "seed-declarations", "--pending", "15000", "--submitters", "5",
           "--out", logins_path, "--scan-out", os.path.join(WORK, "scan.jpg"))
    logins = json.load(open(logins_path))
    year, district, dtoken = logins["year"], logins["district_id"], logins["district_token"]
    xueshi("verify", "--year", str(year))
    verified_rows = one(db, "SELECT COUNT(*) FROM verification_results WHERE year = %s", year)
    failures, rng = 0, random.Random(14)
    for trial in range(1, TRIALS + 1):
        kind = ("batch review", "attendance", "verification")[trial % 3]
        approved_before = approved_count(db)
        server = start_server()
        witness = Witness(logins["teacher_tokens"][trial % len(logins["teacher_tokens"])], year)
        training, work = None, None
        if kind == "batch review":
            status, page = call("GET", f"/declarations?status=school_approved&district_id={district}"
                                f"&limit=500", dtoken)
            ids = [d["id"] for d in page.get("items", [])]
            work = threading.Thread(target=lambda: call_quietly(
                "POST", "/reviews/batch", dtoken, {"ids": ids, "decision": "approve"}), daemon=True)
        elif kind == "attendance":
            status, created = call("POST", "/trainings", dtoken, {
                "title": f"崩溃试验培训{trial}", "organizer_id": district, "level": "district",
                "category": "professional", "activity_type": "training_course",
                "start_date": f"{year}-03-01", "end_date": f"{year}-03-02", "hours": 6})
            assert status == 201, (status, created)
            entries = [{"teacher_id": t} for t in teacher_ids(dtoken, district, 600)]
            training = (created["id"], len(entries))
            work = threading.Thread(target=lambda: call_quietly(
                "POST", f"/trainings/{training[0]}/attendance", dtoken, {"entries": entries}),
                daemon=True)
        else:
            work = subprocess.Popen([X, "--data-dir", DATA, "verify", "--year", str(year)],
                                    env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        witness.start()
        if isinstance(work, threading.Thread):
            work.start()
        # The registration of 600 is one transaction of a few hundred ms: killed before, in or
        # after it.
        # A verification of these 3,000 teachers takes about 60 ms after a 20 ms start.
        delay = {"attendance": (0.02, 0.4), "verification": (0.02, 0.15)}.get(kind, (0.05, 0.6))
        time.sleep(rng.uniform(*delay))
        db.crash()
        server.send_signal(signal.SIGKILL)
        if isinstance(work, subprocess.Popen):
            work.send_signal(signal.SIGKILL)
            work.wait()
        server.wait()
        db.recover()
        witness.join(timeout=30)
        failures += bool(check(db, trial, kind, witness, training, verified_rows, year,
                               approved_before))
    return failures


def call_quietly(*args):
    try:
        call(*args, timeout=120)
    except OSError:
        pass  # killed under it: that is the trial


if __name__ == "__main__":
    main()
