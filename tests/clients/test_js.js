// The official JavaScript client (npm @woocommerce/woocommerce-rest-api 1.0.2) against our routes,
// version: "mulopimfwc/v1".
//
//   NODE_PATH=target/clients/node/node_modules node test_js.js CONFIG.json    run
//   node test_js.js --count                                                   how many tests a run has (for the skip count)
//
// CONFIG: see test_python.py. Over plain HTTP the client signs with OAuth 1.0a; over HTTPS it sends HTTP Basic, here
// with certificate checks off (an https.Agent with rejectUnauthorized: false through axiosConfig, the client's way of
// passing axios options; the README's example trusts the certificate through NODE_EXTRA_CA_CERTS instead).
// Output: one line per test, then `E2E-COUNTS SUITE passed=N failed=M skipped=K`.
"use strict";

const fs = require("fs");
const https = require("https");

const CASES = ["bulk-sync with failures", "dry run", "export page", "wrong secret", "read key on a write route"];
const TRANSPORTS = ["http", "https"];

async function main() {
  if (process.argv[2] === "--count") {
    console.log(CASES.length * TRANSPORTS.length);
    return 0;
  }
  const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const WooCommerceRestApi = require("@woocommerce/woocommerce-rest-api").default;
  const loc = cfg.location;
  const suite = `${cfg.site} js`;
  let passed = 0;
  let failed = 0;

  const probe = async (...skus) => {
    const q = new URLSearchParams({ location: String(loc), sku: skus.join(",") });
    const r = await fetch(`${cfg.probe}?${q}`, { headers: { "X-API-Key": cfg.api_key } });
    if (!r.ok) throw new Error(`probe: HTTP ${r.status}`);
    return r.json();
  };
  const stockOf = (state, sku) => [state[sku].location_stock, state[sku].wc_stock];
  const expect = (p, what, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      p.push(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  };
  // The client rejects on a non-2xx answer (axios): the response either way.
  const call = async (promise) => {
    try {
      return await promise;
    } catch (e) {
      if (e.response) return e.response;
      throw e;
    }
  };
  const test = async (name, fn) => {
    const t0 = Date.now();
    let p;
    try {
      p = (await fn()) || [];
    } catch (e) {
      p = [`${e.name}: ${e.message}`];
    }
    const ms = Date.now() - t0;
    if (p.length === 0) {
      passed++;
      console.log(`ok    [${suite}] ${name} (${ms} ms)`);
    } else {
      failed++;
      console.log(`FAIL  [${suite}] ${name} (${ms} ms)`);
      for (const line of p.slice(0, 12)) console.log(`      - ${line}`);
    }
  };

  for (const [transport, stock] of [["http", 41], ["https", 42]]) {
    const url = transport === "http" ? cfg.http_url : cfg.https_url;
    const axiosConfig = transport === "https" ? { httpsAgent: new https.Agent({ rejectUnauthorized: false }) } : {};
    const api = (key, secret) =>
      new WooCommerceRestApi({
        url,
        consumerKey: cfg.keys[key].ck,
        consumerSecret: secret || cfg.keys[key].cs,
        version: "mulopimfwc/v1",
        timeout: 60000,
        axiosConfig,
      });
    const rw = api("rw");

    const cases = {
      "bulk-sync with failures": async () => {
        const p = [];
        const before = await probe("CL-3");
        const r = await call(
          rw.post("inventory/bulk-sync", {
            items: [
              { sku: "CL-1", location_id: loc, stock },
              { sku: "CL-NOPE", location_id: loc, stock: 1 },
              { sku: "CL-3", location_id: loc, stock: "abc" },
            ],
          })
        );
        expect(p, "status", r.status, 200);
        const res = (r.data && r.data.results) || {};
        expect(p, "results.success", res.success, 1);
        expect(p, "results.failed", res.failed, 2);
        expect(p, "items_failed (index, code)", (res.items_failed || []).map((f) => [f.index, f.code]), [
          [2, "product_not_found"],
          [3, "invalid_stock"],
        ]);
        const after = await probe("CL-1", "CL-3");
        expect(p, "CL-1 location stock rows, WooCommerce stock", stockOf(after, "CL-1"), [[String(stock)], stock]);
        expect(p, "CL-3 (failed item) unchanged", stockOf(after, "CL-3"), stockOf(before, "CL-3"));
        return p;
      },
      "dry run": async () => {
        const p = [];
        const r = await call(
          rw.post("inventory/bulk-sync", { items: [{ sku: "CL-1", location_id: loc, stock: stock + 100 }] }, { dry_run: 1 })
        );
        expect(p, "status", r.status, 200);
        expect(p, "dry_run", r.data.dry_run, true);
        expect(p, "results.success", r.data.results && r.data.results.success, 1);
        expect(p, "CL-1 after the dry run", stockOf(await probe("CL-1"), "CL-1"), [[String(stock)], stock]);
        return p;
      },
      "export page": async () => {
        const p = [];
        const r = await call(rw.get("inventory/export", { location_id: loc, per_page: 2, page: 2 }));
        expect(p, "status", r.status, 200);
        const total = r.data.total;
        expect(p, "count, page, per_page", [r.data.count, r.data.page, r.data.per_page], [2, 2, 2]);
        if (!Number.isInteger(total) || total < Object.keys(cfg.products).length) {
          p.push(`total ${total}: at least the products of the location`);
          return p;
        }
        expect(p, "X-WP-Total, X-WP-TotalPages", [r.headers["x-wp-total"], r.headers["x-wp-totalpages"]], [
          String(total),
          String(Math.ceil(total / 2)),
        ]);
        const every = (await call(rw.get("inventory/export", { location_id: loc, per_page: 1000 }))).data.data || [];
        expect(p, "page 2 of 2 = rows 3 and 4 of all", r.data.data, every.slice(2, 4));
        expect(p, "CL-1's row", every.filter((d) => d.sku === "CL-1").map((d) => [d.location_id, d.stock]), [
          [loc, String(stock)],
        ]);
        return p;
      },
      "wrong secret": async () => {
        const p = [];
        const bad = api("rw", "cs_0000000000000000000000000000000000000000");
        let r = await call(bad.post("inventory/bulk-sync", { items: [{ sku: "CL-1", location_id: loc, stock: stock + 200 }] }));
        expect(p, "status", r.status, 401);
        expect(p, "code", r.data && r.data.code, "woocommerce_rest_authentication_error");
        r = await call(bad.get("inventory/export"));
        expect(p, "export: status", r.status, 401);
        expect(p, "CL-1 unchanged", stockOf(await probe("CL-1"), "CL-1"), [[String(stock)], stock]);
        return p;
      },
      "read key on a write route": async () => {
        const p = [];
        const ro = api("read");
        let r = await call(ro.post("inventory/bulk-sync", { items: [{ sku: "CL-1", location_id: loc, stock: stock + 300 }] }));
        expect(p, "status", r.status, 401);
        expect(p, "code", r.data && r.data.code, "woocommerce_rest_authentication_error");
        r = await call(ro.post("webhook/inventory-update", { sku: "CL-1", location_id: loc, stock: stock + 300 }));
        expect(p, "webhook: status, code", [r.status, r.data && r.data.code], [401, "woocommerce_rest_authentication_error"]);
        expect(p, "CL-1 unchanged", stockOf(await probe("CL-1"), "CL-1"), [[String(stock)], stock]);
        r = await call(ro.get("inventory/export", { per_page: 1 }));
        expect(p, "the read key on the export: status", r.status, 200);
        return p;
      },
    };
    for (const name of CASES) {
      await test(`${transport}: ${name}`, cases[name]);
    }
  }
  console.log(`E2E-COUNTS ${suite} passed=${passed} failed=${failed} skipped=0`);
  return failed ? 1 : 0;
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    console.error(e);
    process.exit(1);
  }
);
