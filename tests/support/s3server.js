#!/usr/bin/env node
// A minimal S3-compatible server for tests that, unlike s3rver, really checks AWS Signature V4:
// every request must carry a valid Authorization header (canonical request recomputed from what
// arrived), and x-amz-content-sha256 must match the body. Path-style PUT/GET/HEAD/DELETE objects
// multipart uploads (initiate, upload part, complete, abort) with S3's ETag rules, and
// ListObjectsV2 (prefix, max-keys, continuation tokens, XML escaping as S3 does it).
//   node s3server.js --port 0 --access-key AK --secret SK --bucket backups [--corrupt-suffix .bad]
// Prints "listening <port>" once ready. Objects live in memory. No dependencies beyond Node.
// Test controls (unsigned, not S3): GET /_stats; POST /_tamper?bucket=B&key=K flips one byte of a
// stored object (storage that rots after a verified upload).
'use strict';
const http = require('http');
const crypto = require('crypto');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const keys = { [args['access-key'] || 'AK']: args.secret || 'SK' };
const buckets = new Map((args.bucket || 'backups').split(',').map(b => [b, new Map()]));
const uploads = new Map();
const corruptSuffix = args['corrupt-suffix'] || '';
const stats = { requests: 0, rejected: 0 };

const sha256 = b => crypto.createHash('sha256').update(b).digest('hex');
const md5 = b => crypto.createHash('md5').update(b).digest();
const hmac = (k, d) => crypto.createHmac('sha256', k).update(d).digest();
// RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone).
const enc = s => encodeURIComponent(s).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function xmlError(res, status, code, message) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

function verify(req, url, body) {
  const auth = req.headers.authorization || '';
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return ['AccessDenied', 'missing or malformed SigV4 Authorization header'];
  const [, akid, date, region, signedHeaders, signature] = m;
  if (!(akid in keys)) return ['InvalidAccessKeyId', 'unknown access key'];
  const amzDate = req.headers['x-amz-date'] || '';
  if (!amzDate.startsWith(date)) return ['AccessDenied', 'credential date does not match x-amz-date'];
  const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (!(Math.abs(Date.now() - t) < 15 * 60 * 1000)) return ['RequestTimeTooSkewed', 'x-amz-date too far from now'];
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date') || !names.includes('x-amz-content-sha256'))
    return ['AccessDenied', 'host, x-amz-date and x-amz-content-sha256 must be signed'];
  const payload = req.headers['x-amz-content-sha256'];
  if (payload !== 'UNSIGNED-PAYLOAD' && payload !== sha256(body)) return ['XAmzContentSHA256Mismatch', 'body does not match x-amz-content-sha256'];
  const path = decodeURIComponent(url.pathname).split('/').map(enc).join('/');
  const query = [...url.searchParams.entries()].map(([k, v]) => [enc(k), enc(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const headers = names.map(n => `${n}:${String(req.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonical = [req.method, path, query, headers, signedHeaders, payload].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + keys[akid], date), region), 's3'), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  if (expected !== signature && process.env.S3SERVER_DEBUG) process.stderr.write(`canonical request:\n${canonical}\n---\n`);
  if (expected !== signature) return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided'];
  return null;
}

const xmlEscape = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

// ListObjectsV2: keys in UTF-8 binary order; the continuation token is opaque to clients (here: the
// base64 of the last key returned).
function listObjects(res, name, bucket, q) {
  const prefix = q.get('prefix') || '';
  const max = Math.min(Math.max(+(q.get('max-keys') || 1000), 0), 1000);
  const after = q.has('continuation-token') ? Buffer.from(q.get('continuation-token'), 'base64').toString() : (q.get('start-after') || '');
  const keys = [...bucket.keys()].filter(k => k.startsWith(prefix) && k > after).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const page = keys.slice(0, max);
  const truncated = keys.length > page.length;
  const contents = page.map(k => {
    const o = bucket.get(k);
    return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
  }).join('');
  const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]).toString('base64')}</NextContinuationToken>` : '';
  const token = q.has('continuation-token') ? `<ContinuationToken>${xmlEscape(q.get('continuation-token'))}</ContinuationToken>` : '';
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${name}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token}${contents}${next}</ListBucketResult>`);
}

const metaOf = req => Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-amz-meta-')));

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    stats.requests++;
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname === '/_stats') { res.end(JSON.stringify(stats)); return; }
    if (url.pathname === '/_tamper') {
      const obj = buckets.get(url.searchParams.get('bucket'))?.get(url.searchParams.get('key'));
      if (!obj || !obj.data.length) { res.writeHead(404); return res.end(); }
      obj.data = Buffer.from(obj.data);
      obj.data[obj.data.length >> 1] ^= 0xff;
      res.writeHead(204); return res.end();
    }
    const problem = verify(req, url, body);
    if (problem) { stats.rejected++; return xmlError(res, problem[0] === 'XAmzContentSHA256Mismatch' ? 400 : 403, problem[0], problem[1]); }
    const parts = decodeURIComponent(url.pathname).split('/');
    const bucket = buckets.get(parts[1]);
    const key = parts.slice(2).join('/');
    if (!bucket) return xmlError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const q = url.searchParams;
    if (!key && req.method === 'GET' && q.get('list-type') === '2') return listObjects(res, parts[1], bucket, q);
    if (!key) return xmlError(res, 400, 'InvalidRequest', 'object key required');
    if (req.method === 'POST' && q.has('uploads')) {
      const id = crypto.randomBytes(12).toString('hex');
      uploads.set(id, { key, meta: metaOf(req), parts: new Map() });
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(`<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>${parts[1]}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (q.has('uploadId')) {
      const up = uploads.get(q.get('uploadId'));
      if (!up || up.key !== key) return xmlError(res, 404, 'NoSuchUpload', 'The specified upload does not exist');
      if (req.method === 'PUT') {
        const n = +q.get('partNumber');
        up.parts.set(n, body);
        res.writeHead(200, { etag: `"${md5(body).toString('hex')}"` });
        return res.end();
      }
      if (req.method === 'DELETE') { uploads.delete(q.get('uploadId')); res.writeHead(204); return res.end(); }
      if (req.method === 'POST') {
        const listed = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>\s*<ETag>"?([0-9a-f]+)"?<\/ETag>/g)].map(m => [+m[1], m[2]]);
        if (!listed.length) return xmlError(res, 400, 'MalformedXML', 'no parts');
        const datas = [];
        for (let i = 0; i < listed.length; i++) {
          const [n, etag] = listed[i];
          const data = up.parts.get(n);
          if (!data || md5(data).toString('hex') !== etag) return xmlError(res, 400, 'InvalidPart', `part ${n} missing or ETag differs`);
          if (i > 0 && listed[i - 1][0] >= n) return xmlError(res, 400, 'InvalidPartOrder', 'parts must be ascending');
          if (i < listed.length - 1 && data.length < 5 * 1024 * 1024) return xmlError(res, 400, 'EntityTooSmall', 'parts but the last must be >= 5 MiB');
          datas.push(data);
        }
        const etag = md5(Buffer.concat(datas.map(md5))).toString('hex') + '-' + datas.length;
        let data = Buffer.concat(datas);
        if (corruptSuffix && key.endsWith(corruptSuffix)) data = data.subarray(0, data.length - 1);
        bucket.set(key, { data, etag, meta: up.meta, modified: new Date() });
        uploads.delete(q.get('uploadId'));
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end(`<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Key>${key}</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`);
      }
    }
    if (req.method === 'PUT') {
      let data = body;
      if (corruptSuffix && key.endsWith(corruptSuffix)) data = data.subarray(0, data.length - 1);
      const etag = md5(body).toString('hex');
      bucket.set(key, { data, etag, meta: metaOf(req), modified: new Date() });
      res.writeHead(200, { etag: `"${etag}"` });
      return res.end();
    }
    const obj = bucket.get(key);
    if (req.method === 'DELETE') { bucket.delete(key); res.writeHead(204); return res.end(); }
    if (!obj) return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    if (req.method === 'HEAD' || req.method === 'GET') {
      res.writeHead(200, { 'content-length': obj.data.length, etag: `"${obj.etag}"`, 'content-type': 'application/octet-stream', 'last-modified': obj.modified.toUTCString(), ...obj.meta });
      return res.end(req.method === 'GET' ? obj.data : undefined);
    }
    return xmlError(res, 405, 'MethodNotAllowed', req.method);
  });
});
server.listen(+(args.port || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
