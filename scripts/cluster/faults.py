#!/usr/bin/env python3
"""Faults under load (issue 17): a two-node cluster (scripts/cluster/up.sh) behind HAProxy on a
PostgreSQL cluster of this run's own and moto; mixed traffic for SECONDS — teachers reading their
progress, teachers submitting declarations with a scan, a district reviewer approving batches —
while one fault happens:
  node      kill -9 the node holding a verification job's lease at KILL_AT, restart it at
            RESTART_AT;
  postgres  restart PostgreSQL (fast shutdown) at KILL_AT.
Then checks: every acknowledged submission is in the database and its scan reads back from S3
through the API; every acknowledged approval stands; failed requests are only those in flight
at the fault (counted and reported); the verification job finished, on another node when its own was
killed; no reminder went out twice; `xueshi audit verify` passes.

Usage: scripts/cluster/faults.py XUESHI_BINARY [node|postgres] [SECONDS=60] [KILL_AT=20]
       [RESTART_AT=40] [TEACHERS=100000]
Standard library only (psql, pg_createcluster, haproxy, moto); traffic to 127.0.0.1 only.
"""
import hashlib, http.client, json, os, random, shutil, signal, socket, subprocess, sys, tempfile, threading, time

X = os.path.realpath(sys.argv[1])
FAULT = sys.argv[2] if len(sys.argv) > 2 else "node"
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 60
KILL_AT = float(sys.argv[4]) if len(sys.argv) > 4 else 20
RESTART_AT = float(sys.argv[5]) if len(sys.argv) > 5 else 40
TEACHERS = int(sys.argv[6]) if len(sys.argv) > 6 else 100_000
HERE = os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="xueshi-faults-")
CLUSTER = os.path.join(WORK, "cluster")
LEASE = 6  # seconds: the job is taken over well inside the run
# A failed request must have been in flight at the fault: answered (or cut off) no sooner than
# this long before it, and sent no later than this long after it (HAProxy takes a dead node
# out after two failed checks 500 ms apart; PostgreSQL restarts in a few seconds).
WINDOW = (-0.5, 4.0)


def free_port_block(n):
    while True:
        base = random.randint(20000, 40000)
        try:
            socks = []
            for p in list(range(base, base + n)) + [base + 50]:
                s = socket.socket()
                s.bind(("127.0.0.1", p))
                socks.append(s)
            for s in socks:
                s.close()
            return base
        except OSError:
            for s in socks:
                s.close()


class Postgres:
    def __init__(self):
        self.version = max(os.listdir("/usr/lib/postgresql"), key=int)
        self.name, self.port = f"xueshi_faults_{os.getpid()}", free_port_block(1)
        self.tool("pg_createcluster", "-p", str(self.port), "--", "--auth-host=trust", "--auth-local=trust")
        self.tool("pg_ctlcluster", "start")
        self.admin = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def tool(self, tool, *args):
        subprocess.run([tool, self.version, self.name, *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rows(self, sql):
        # On standard input: a list of thousands of ids is too long for an argument.
        done = subprocess.run(["psql", f"postgres://postgres@127.0.0.1:{self.port}/xueshi_cluster",
                               "-AtX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                              input=sql, capture_output=True, text=True, check=True)
        return [line.split("\t") for line in done.stdout.splitlines()]

    def drop(self):
        self.tool("pg_dropcluster", "--stop")


class Client:
    """One keep-alive connection to HAProxy; errors are noted with their time."""

    def __init__(self, port, log):
        self.port, self.log, self.conn = port, log, None

    def call(self, method, path, token, body=None, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        headers = {"authorization": f"Bearer {token}"}
        if body is not None:
            headers["content-type"] = content_type
        at = time.monotonic()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, "/api/v1" + path, body=body, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
            if resp.status >= 500:
                self.log.append((at, time.monotonic(), f"{method} {path.split('?')[0]} {resp.status}"))
            return resp.status, data
        except (OSError, http.client.HTTPException) as e:
            self.conn = None
            self.log.append((at, time.monotonic(), f"{method} {path.split('?')[0]} {type(e).__name__}"))
            return None, b""


def unique(scan, serial):
    """The scan with a comment segment of its own (the same file twice is a duplicate)."""
    text = f"xueshi faults scan {os.getpid()}-{serial}".encode()
    return scan[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + scan[2:]


def multipart(scan):
    boundary = "xueshi-faults-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncertificate\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + scan + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main():
    pg = Postgres()
    port = free_port_block(4)
    env = {**os.environ, "CLUSTER_DIR": CLUSTER, "CLUSTER_PORT": str(port), "XUESHI_BIN": X,
           "PG_ADMIN_URL": pg.admin, "RUST_LOG": "warn",
           "CLUSTER_TOML_EXTRA": f'verification_job_threshold = 0\njob_lease_secs = {LEASE}\n'
                                 f'admin_mfa = "off"\nuser_rate = 0\naddress_rate = 0'}
    try:
        subprocess.run([os.path.join(HERE, "up.sh"), "2"], env=env, check=True)
        problems = run(pg, port, env)
    finally:
        subprocess.run([os.path.join(HERE, "down.sh")], env=env)
        pg.drop()
    print("faults: " + ("ok" if not problems else "; ".join(problems)))
    if not problems:
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print(f"logs kept in {CLUSTER}")
    sys.exit(1 if problems else 0)


def xueshi(*args, stdin=None):
    return subprocess.run([X, "--config", os.path.join(CLUSTER, "xueshi.toml"), *args],
                          input=stdin, capture_output=True, text=True,
                          env={**os.environ, "RUST_LOG": "warn"})


def login(port, username, password):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/auth/login", json.dumps({"username": username, "password": password}),
              {"content-type": "application/json"})
    resp = c.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 200, (resp.status, body)
    return body["token"]


def run(pg, port, env):
    logins_path, scan_path = os.path.join(WORK, "logins.json"), os.path.join(WORK, "scan.jpg")
    # The reviewer's queue: enough for the whole run.
    done = xueshi("bench", "seed-declarations", "--pending", str(int(SECONDS * 150)),
                  "--submitters", "200", "--out", logins_path, "--scan-out", scan_path)
    assert done.returncode == 0, done.stderr
    logins = json.load(open(logins_path))
    year = logins["year"]
    # A cohort large enough that the verification runs for a while (the job to take over).
    done = xueshi("bench", "seed", "--teachers", str(TEACHERS), "--records-per-teacher", "2",
                  "--year", str(year))
    assert done.returncode == 0, done.stderr
    done = xueshi("create-admin", "--username", "faults_city", "--password-stdin",
                  stdin="Faults-City-2021!\n")
    assert done.returncode == 0, done.stderr
    city = login(port, "faults_city", "Faults-City-2021!")
    scan = open(scan_path, "rb").read()
    pairs = list(zip(logins["teacher_tokens"], logins["teacher_ids"]))
    errors, submitted, approved, counts = [], [], [], {"progress": 0, "submit": 0, "batch": 0}
    refused = {}
    start = time.monotonic()
    stop = threading.Event()

    def reader():
        c = Client(port, errors)
        while not stop.is_set():
            token, teacher = random.choice(pairs)
            if c.call("GET", f"/teachers/{teacher}/progress?year={year}", token)[0] == 200:
                counts["progress"] += 1

    def submitter(k):
        c, n = Client(port, errors), 0
        while not stop.is_set():
            token, _ = pairs[(k * 7 + n) % len(pairs)]
            n += 1
            status, data = c.call("POST", "/declarations", token, {
                "category": "professional", "activity_type": "training_course",
                "title": f"故障试验{k}-{n}", "organizer": "试验主办单位",
                "start_date": f"{year}-05-10", "end_date": f"{year}-05-11", "hours": 8,
                "foreign_certificate": False, "certificate_states_hours": True})
            if status != 201:
                refused[f"create {status} {data[:80]!r}"] = refused.get(f"create {status} {data[:80]!r}", 0) + 1
                continue
            did = json.loads(data)["id"]
            body, content_type = multipart(unique(scan, f"{k}-{n}"))
            status, data = c.call("POST", f"/declarations/{did}/evidence", token, body, content_type)
            if status != 201:
                refused[f"upload {status} {data[:80]!r}"] = refused.get(f"upload {status} {data[:80]!r}", 0) + 1
                continue
            status, data = c.call("POST", f"/declarations/{did}/submit", token, {})
            if status == 200:
                submitted.append((did, token))
                counts["submit"] += 1
            else:
                refused[f"submit {status} {data[:80]!r}"] = refused.get(f"submit {status} {data[:80]!r}", 0) + 1

    def reviewer():
        c = Client(port, errors)
        dtoken, district = logins["district_token"], logins["district_id"]
        while not stop.is_set():
            status, data = c.call("GET", f"/declarations?status=school_approved&district_id={district}&limit=50", dtoken)
            if status != 200:
                time.sleep(0.2)
                continue
            ids = [d["id"] for d in json.loads(data)["items"]]
            if not ids:
                time.sleep(0.5)
                continue
            status, data = c.call("POST", "/reviews/batch", dtoken, {"ids": ids, "decision": "approve"})
            if status == 200:
                approved.extend(r["id"] for r in json.loads(data)["results"] if r["ok"])
                counts["batch"] += 1

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
    threads += [threading.Thread(target=submitter, args=(k,), daemon=True) for k in range(3)]
    threads.append(threading.Thread(target=reviewer, daemon=True))
    for t in threads:
        t.start()
    fault_at, job, holder, notes = None, None, None, []
    pids = dict(line.split() for line in open(os.path.join(CLUSTER, "pids")))
    if FAULT == "node":
        time.sleep(max(0, KILL_AT - 0.5))
        c = Client(port, [])
        status, data = c.call("POST", f"/verifications/{year}/run", city, {"force": True})
        assert status == 202, (status, data)
        job = json.loads(data)["id"]
        owner = None
        for _ in range(200):
            rows = pg.rows(f"SELECT lease_owner FROM jobs WHERE id = '{job}' AND status = 'running'")
            if rows and rows[0][0]:
                owner = rows[0][0]
                break
            time.sleep(0.02)
        node_of = {pid: name for name, pid in pids.items() if name.startswith("node")}
        holder = node_of.get(owner.split(":")[0]) if owner else None
        if holder is None:
            notes.append("the job finished before it could be interrupted")
            holder = "node1"
        fault_at = time.monotonic() - start
        os.kill(int(pids[holder]), signal.SIGKILL)
        print(f"{fault_at:5.1f} s: killed {holder} (job lease {owner})", flush=True)
        time.sleep(max(0, RESTART_AT - (time.monotonic() - start)))
        i = holder.removeprefix("node")
        restarted = subprocess.Popen([os.path.join(CLUSTER, "start-node.sh"), i], env=env)
        with open(os.path.join(CLUSTER, "pids"), "a") as f:
            f.write(f"{holder} {restarted.pid}\n")
        print(f"{time.monotonic() - start:5.1f} s: restarted {holder}", flush=True)
    else:
        time.sleep(KILL_AT)
        fault_at = time.monotonic() - start
        pg.tool("pg_ctlcluster", "restart", "-m", "fast")
        print(f"{fault_at:5.1f} s: PostgreSQL restarted ({time.monotonic() - start - fault_at:.1f} s)", flush=True)
    time.sleep(max(0, SECONDS - (time.monotonic() - start)))
    stop.set()
    for t in threads:
        t.join(timeout=90)
    print(f"traffic: {counts['progress']} progress reads, {counts['submit']} submissions, "
          f"{counts['batch']} batches ({len(approved)} approvals)", flush=True)
    for what, n in sorted(refused.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  refused {n}×: {what}", flush=True)
    return check(pg, port, submitted, approved, errors, start, fault_at, job, notes)


def check(pg, port, submitted, approved, errors, start, fault_at, job, notes):
    problems = list(notes)
    c = Client(port, [])
    lost = unreadable = 0
    for did, token in submitted:
        status, data = c.call("GET", f"/declarations/{did}", token)
        if status != 200 or json.loads(data)["status"] == "draft":
            lost += 1
            continue
        evidence = json.loads(data)["evidence"][0]
        status, got = c.call("GET", f"/declarations/{did}/evidence/{evidence['id']}", token)
        if status != 200 or hashlib.sha256(got).hexdigest() != evidence["sha256"]:
            unreadable += 1
    if lost:
        problems.append(f"{lost} of {len(submitted)} acknowledged submissions lost")
    if unreadable:
        problems.append(f"{unreadable} acknowledged scans not readable from S3")
    if approved:
        ids = ",".join(f"'{i}'" for i in approved)
        stood = int(pg.rows(f"SELECT COUNT(*) FROM declarations WHERE status = 'approved' AND id IN ({ids})")[0][0])
        if stood != len(approved):
            problems.append(f"{len(approved) - stood} of {len(approved)} acknowledged approvals lost")
    outside = [(round(sent - start, 2), round(ended - start, 2), what)
               for sent, ended, what in errors
               if sent - start > fault_at + WINDOW[1] or ended - start < fault_at + WINDOW[0]]
    print(f"failed requests: {len(errors)} ({len(errors) - len(outside)} around the fault at "
          f"{fault_at:.1f} s)", flush=True)
    if outside:
        problems.append(f"{len(outside)} failed requests away from the fault, first {outside[:3]}")
    if job:
        deadline = time.monotonic() + LEASE * 3 + 30
        while time.monotonic() < deadline:
            status, attempts, owner = pg.rows(f"SELECT status, attempts, COALESCE(lease_owner, '') FROM jobs WHERE id = '{job}'")[0]
            if status in ("done", "failed"):
                break
            time.sleep(0.5)
        print(f"verification job: {status} after {attempts} attempts", flush=True)
        if status != "done":
            problems.append(f"the verification job ended {status}")
        elif not notes and int(attempts) < 2:
            problems.append("the job was not taken over after its node was killed")
    twice = pg.rows("SELECT user_id, title, COUNT(*) FROM notifications WHERE kind LIKE 'reminder.%' "
                    "GROUP BY user_id, title HAVING COUNT(*) > 1")
    if twice:
        problems.append(f"{len(twice)} reminders sent more than once")
    audit = xueshi("audit", "verify")
    if audit.returncode != 0:
        problems.append("audit verify: " + (audit.stdout + audit.stderr).strip()[-300:])
    return problems


if __name__ == "__main__":
    main()
