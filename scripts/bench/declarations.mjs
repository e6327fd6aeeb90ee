// Load test of declarations and review against a running server (autocannon):
//   1. the first page of a district's review queue (one reviewer, back to back);
//   2. batch approvals of 500 (one reviewer, back to back);
//   3. teachers submitting declarations, each with its own ~300 KB scan: create, upload,
//      submit, over many connections.
// Usage: node declarations.mjs BASE_URL LOGINS_JSON SCAN_JPEG [connections] [seconds]
// LOGINS_JSON comes from `xueshi bench seed-declarations`. PHASES=queue,batch,submit (the
// default) picks phases. See docs/benchmarks.md.
import fs from 'node:fs';
import autocannon from 'autocannon';

const [base, loginsPath, scanPath, connArg, secondsArg] = process.argv.slice(2);
if (!base || !loginsPath || !scanPath) {
  console.error('usage: node declarations.mjs BASE_URL LOGINS_JSON SCAN_JPEG [connections] [seconds]');
  process.exit(2);
}
const logins = JSON.parse(fs.readFileSync(loginsPath, 'utf8'));
const scan = fs.readFileSync(scanPath);
const connections = Number(connArg ?? 32);
const seconds = Number(secondsArg ?? 30);
const phases = new Set((process.env.PHASES ?? 'queue,batch,submit').split(','));
const bearer = (token) => ({ authorization: `Bearer ${token}` });

function run(opts) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false });
  });
}

function latency(result) {
  const l = result.latency;
  return `mean ${l.average.toFixed(1)} ms, p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms`;
}

function failIfErrors(name, result, extra = 0) {
  const bad = result.non2xx + result.errors + result.timeouts + extra;
  if (bad > 0) {
    console.error(
      `${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${extra} refused items`,
    );
    process.exitCode = 1;
  }
}

const queuePath = `/api/v1/declarations?status=school_approved&district_id=${logins.district_id}`;

// 1. The first page of the queue, as the district reviewer opens it.
async function queuePhase() {
  const first = await fetch(`${base}${queuePath}`, { headers: bearer(logins.district_token) });
  const firstBody = await first.json();
  if (!first.ok) throw new Error(`queue: ${first.status} ${JSON.stringify(firstBody)}`);
  const queue = await run({
    url: base,
    connections: 1,
    duration: 10,
    requests: [{ method: 'GET', path: queuePath, headers: bearer(logins.district_token) }],
  });
  failIfErrors('queue', queue);
  console.log(
    `queue first page (${firstBody.items.length} items, counts ${JSON.stringify(firstBody.counts)}): ${queue.requests.total} requests; ${latency(queue)}`,
  );
}

// 2. Batch approvals of 500, ids taken from the queue as the reviewer's page shows them.
async function batchPhase() {
  const batches = [];
  let cursor = null;
  while (batches.length < 10) {
    const page = await fetch(`${base}${queuePath}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: bearer(logins.district_token),
    }).then((r) => r.json());
    if (page.items.length < 500) break;
    batches.push(page.items.map((d) => d.id));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  let refused = 0;
  let nextBatch = 0;
  const batch = await run({
    url: base,
    connections: 1,
    amount: batches.length,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/reviews/batch',
        headers: { ...bearer(logins.district_token), 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({ ids: batches[nextBatch++], decision: 'approve' }),
        }),
        onResponse: (status, body) => {
          if (status === 200) refused += JSON.parse(body).results.filter((r) => !r.ok).length;
        },
      },
    ],
  });
  failIfErrors('batch', batch, refused);
  console.log(`batch approval of 500: ${batch.requests.total} batches; ${latency(batch)}`);
}

// 3. Submissions. Every upload is a distinct file (a JPEG comment segment numbers it), as
// every teacher photographs their own certificate.
const boundary = '----xueshi-bench-boundary';
let serial = 0;
function uniqueScan() {
  const text = Buffer.from(`xueshi bench scan ${process.pid}-${serial++}`);
  const com = Buffer.alloc(4);
  com.writeUInt16BE(0xfffe, 0);
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([scan.subarray(0, 2), com, text, scan.subarray(2)]);
}
function multipart(file) {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncertificate\r\n`),
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}
async function submitPhase() {
  let nextTeacher = 0;
  let submitted = 0;
  const refusals = new Map();
  const note = (step, status, body) => {
    const key = `${step} ${status} ${body.slice(0, 160)}`;
    refusals.set(key, (refusals.get(key) ?? 0) + 1);
  };
  const submit = await run({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/declarations',
        setupRequest: (req, ctx) => {
          ctx.token = logins.teacher_tokens[nextTeacher++ % logins.teacher_tokens.length];
          const n = serial;
          return {
            ...req,
            headers: { ...bearer(ctx.token), 'content-type': 'application/json' },
            body: JSON.stringify({
              category: 'professional',
              activity_type: 'training_course',
              title: `压测提交的培训${process.pid}-${n}`,
              organizer: '压测主办单位',
              start_date: `${logins.year}-05-10`,
              end_date: `${logins.year}-05-11`,
              hours: 8,
              foreign_certificate: false,
              certificate_states_hours: true,
            }),
          };
        },
        onResponse: (status, body, ctx) => {
          if (status === 201) ctx.id = JSON.parse(body).id;
          else note('create', status, body);
        },
      },
      {
        method: 'POST',
        setupRequest: (req, ctx) =>
          ctx.id && {
            ...req,
            path: `/api/v1/declarations/${ctx.id}/evidence`,
            headers: { ...bearer(ctx.token), 'content-type': `multipart/form-data; boundary=${boundary}` },
            body: multipart(uniqueScan()),
          },
        onResponse: (status, body, ctx) => {
          if (status !== 201) {
            note('upload', status, body);
            ctx.id = null;
          }
        },
      },
      {
        method: 'POST',
        setupRequest: (req, ctx) =>
          ctx.id && {
            ...req,
            path: `/api/v1/declarations/${ctx.id}/submit`,
            headers: bearer(ctx.token),
          },
        onResponse: (status, body) => {
          if (status === 200) submitted++;
          else note('submit', status, body);
        },
      },
    ],
  });
  failIfErrors('submit', submit);
  for (const [key, n] of refusals) console.error(`  ${n}× ${key}`);
  console.log(
    `submissions with a ${Math.round(scan.length / 1024)} KB scan over ${connections} connections: ${submitted} in ${submit.duration.toFixed(1)} s = ${(submitted / submit.duration).toFixed(0)}/s (${submit.requests.total} requests; ${latency(submit)})`,
  );
}

if (phases.has('queue')) await queuePhase();
if (phases.has('batch')) await batchPhase();
if (phases.has('submit')) await submitPhase();
