"""The official Python client (PyPI `woocommerce`) against our routes, version="mulopimfwc/v1".

    python test_python.py CONFIG.json          run (the venv's python, with `woocommerce` installed)
    python test_python.py --count              how many tests a run has (no client needed: for the skip count)

CONFIG (written by tests/clients/run.sh): the site's URLs, its certificate, the WooCommerce API keys and products
made by tests/clients/lib/setup.php, and the URL of the site's probe (tests/clients/lib/probe.php, a test-only route:
the location's stock meta rows and wc_get_product()->get_stock_quantity()).

Over plain HTTP the client signs with OAuth 1.0a (one-legged); over HTTPS it sends HTTP Basic (the site's
self-signed certificate given as the CA: verify_ssl=CERT), and, once, the keys in the query string
(query_string_auth=True). Each test asserts on the response and on the database. Output: one line per test, then
`E2E-COUNTS SUITE passed=N failed=M skipped=K`.
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request

CASES = ("bulk-sync with failures", "dry run", "export page", "wrong secret", "read key on a write route",
         "job: create, status, list, cancel")
TRANSPORTS = ("http", "https")
EXTRA_HTTPS = ("keys in the query string",)


def count():
    return len(CASES) * len(TRANSPORTS) + len(EXTRA_HTTPS)


class Run:
    def __init__(self, suite):
        self.suite = suite
        self.passed = self.failed = 0

    def test(self, name, fn):
        t0 = time.time()
        try:
            problems = fn() or []
        except Exception as e:  # noqa: BLE001 - a test that throws fails, with the reason
            problems = [f"{type(e).__name__}: {e}"]
        ms = int((time.time() - t0) * 1000)
        if not problems:
            self.passed += 1
            print(f"ok    [{self.suite}] {name} ({ms} ms)", flush=True)
        else:
            self.failed += 1
            print(f"FAIL  [{self.suite}] {name} ({ms} ms)", flush=True)
            for p in problems[:12]:
                print(f"      - {p}", flush=True)

    def finish(self):
        print(f"E2E-COUNTS {self.suite} passed={self.passed} failed={self.failed} skipped=0", flush=True)
        return 1 if self.failed else 0


def main():
    if sys.argv[1:] == ["--count"]:
        print(count())
        return 0
    cfg = json.load(open(sys.argv[1], encoding="utf-8"))
    from woocommerce import API  # the client under test (installed by run.sh into its venv)

    loc = cfg["location"]
    keys = cfg["keys"]
    run = Run(f"{cfg['site']} python")

    def probe(*skus):
        q = urllib.parse.urlencode({"location": loc, "sku": ",".join(skus)})
        req = urllib.request.Request(f"{cfg['probe']}?{q}", headers={"X-API-Key": cfg["api_key"]})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def api(url, key, secret=None, **kw):
        k = keys[key]
        return API(url=url, consumer_key=k["ck"], consumer_secret=secret or k["cs"], version="mulopimfwc/v1",
                   timeout=60, **kw)

    def expect(problems, what, got, want):
        if got != want:
            problems.append(f"{what}: got {got!r}, want {want!r}")

    def stock_of(state, sku):
        return state[sku]["location_stock"], state[sku]["wc_stock"]

    for transport, stock in (("http", 31), ("https", 32)):
        url = cfg["http_url"] if transport == "http" else cfg["https_url"]
        opts = {} if transport == "http" else {"verify_ssl": cfg["cert"]}
        rw = api(url, "rw", **opts)

        def bulk_sync_with_failures(rw=rw, stock=stock):
            p = []
            before = probe("CL-3")
            r = rw.post("inventory/bulk-sync", {"items": [
                {"sku": "CL-1", "location_id": loc, "stock": stock},
                {"sku": "CL-NOPE", "location_id": loc, "stock": 1},
                {"sku": "CL-3", "location_id": loc, "stock": "abc"},
            ]})
            expect(p, "status", r.status_code, 200)
            res = r.json().get("results", {})
            expect(p, "results.success", res.get("success"), 1)
            expect(p, "results.failed", res.get("failed"), 2)
            expect(p, "items_failed (index, code)", [(f["index"], f["code"]) for f in res.get("items_failed", [])],
                   [(2, "product_not_found"), (3, "invalid_stock")])
            after = probe("CL-1", "CL-3")
            expect(p, "CL-1 location stock rows, WooCommerce stock", stock_of(after, "CL-1"), ([str(stock)], stock))
            expect(p, "CL-3 (failed item) unchanged", stock_of(after, "CL-3"), stock_of(before, "CL-3"))
            return p

        def dry_run(rw=rw, stock=stock):
            p = []
            r = rw.post("inventory/bulk-sync", {"items": [{"sku": "CL-1", "location_id": loc, "stock": stock + 100}]},
                        params={"dry_run": 1})
            expect(p, "status", r.status_code, 200)
            body = r.json()
            expect(p, "dry_run", body.get("dry_run"), True)
            expect(p, "results.success", body.get("results", {}).get("success"), 1)
            expect(p, "CL-1 after the dry run", stock_of(probe("CL-1"), "CL-1"), ([str(stock)], stock))
            return p

        def export_page(rw=rw, stock=stock):
            p = []
            r = rw.get("inventory/export", params={"location_id": loc, "per_page": 2, "page": 1})
            expect(p, "status", r.status_code, 200)
            body = r.json()
            total = body.get("total")
            expect(p, "count, page, per_page", (body.get("count"), body.get("page"), body.get("per_page")), (2, 1, 2))
            if not isinstance(total, int) or total < len(cfg["products"]):
                p.append(f"total {total!r}: at least the {len(cfg['products'])} products of the location")
                return p
            expect(p, "X-WP-Total, X-WP-TotalPages", (r.headers.get("X-WP-Total"), r.headers.get("X-WP-TotalPages")),
                   (str(total), str((total + 1) // 2)))
            every = rw.get("inventory/export", params={"location_id": loc, "per_page": 1000}).json().get("data", [])
            expect(p, "page 1 of 2 = the first two rows of all", body.get("data"), every[:2])
            rows = [(d["location_id"], d["stock"]) for d in every if d.get("sku") == "CL-1"]
            expect(p, "CL-1's row", rows, [(loc, str(stock))])
            return p

        def wrong_secret(url=url, opts=opts, stock=stock):
            p = []
            bad = api(url, "rw", secret="cs_0000000000000000000000000000000000000000", **opts)
            r = bad.post("inventory/bulk-sync", {"items": [{"sku": "CL-1", "location_id": loc, "stock": stock + 200}]})
            expect(p, "status", r.status_code, 401)
            expect(p, "code", r.json().get("code"), "woocommerce_rest_authentication_error")
            r = bad.get("inventory/export")
            expect(p, "export: status", r.status_code, 401)
            expect(p, "CL-1 unchanged", stock_of(probe("CL-1"), "CL-1"), ([str(stock)], stock))
            return p

        def read_key_on_write_route(url=url, opts=opts, stock=stock):
            p = []
            ro = api(url, "read", **opts)
            r = ro.post("inventory/bulk-sync", {"items": [{"sku": "CL-1", "location_id": loc, "stock": stock + 300}]})
            expect(p, "status", r.status_code, 401)
            body = r.json()
            expect(p, "code", body.get("code"), "woocommerce_rest_authentication_error")
            expect(p, "message", body.get("message"), "The API key provided does not have write permissions.")
            r = ro.post("inventory/update", {"sku": "CL-1", "location_id": loc, "stock": stock + 300})
            expect(p, "inventory/update: status", r.status_code, 401)
            expect(p, "CL-1 unchanged", stock_of(probe("CL-1"), "CL-1"), ([str(stock)], stock))
            r = ro.get("inventory/export", params={"per_page": 1})
            expect(p, "the read key on the export: status", r.status_code, 200)
            return p

        def job(rw=rw, url=url, opts=opts, stock=stock):
            # No runner works here (WP-Cron is off on test sites): the job stays queued until it is cancelled.
            p = []
            r = rw.post("inventory/bulk-sync/jobs", {"items": [
                {"sku": "CL-1", "location_id": loc, "stock": stock + 400},
                {"sku": "CL-NOPE", "location_id": loc, "stock": 1},
            ]})
            expect(p, "status", r.status_code, 202)
            body = r.json()
            job_id = body.get("id")
            expect(p, "state, format, items.total", (body.get("state"), body.get("format"), body.get("items", {}).get("total")),
                   ("queued", "json", 2))
            location = r.headers.get("Location", "")
            if not location.endswith(f"/mulopimfwc/v1/inventory/bulk-sync/jobs/{job_id}"):
                p.append(f"Location {location!r} is not job {job_id}'s status URL")
            r = rw.get(f"inventory/bulk-sync/jobs/{job_id}")
            expect(p, "GET status", r.status_code, 200)
            expect(p, "GET: id, state, chunks pending", (r.json().get("id"), r.json().get("state"),
                                                        r.json().get("chunks", {}).get("pending")), (job_id, "queued", 1))
            r = rw.get("inventory/bulk-sync/jobs", params={"state": "queued"})
            expect(p, "list status", r.status_code, 200)
            if job_id not in [j.get("id") for j in r.json()]:
                p.append(f"job {job_id} not in the list of queued jobs")
            r = api(url, "read", **opts).delete(f"inventory/bulk-sync/jobs/{job_id}")
            expect(p, "DELETE with a read key", r.status_code, 401)
            r = rw.delete(f"inventory/bulk-sync/jobs/{job_id}")
            expect(p, "DELETE status", r.status_code, 200)
            expect(p, "DELETE: state, chunks cancelled", (r.json().get("state"), r.json().get("chunks", {}).get("cancelled")),
                   ("cancelled", 1))
            r = rw.delete(f"inventory/bulk-sync/jobs/{job_id}")
            expect(p, "DELETE again: still cancelled", (r.status_code, r.json().get("state")), (200, "cancelled"))
            expect(p, "CL-1 unchanged", stock_of(probe("CL-1"), "CL-1"), ([str(stock)], stock))
            return p

        for name, fn in zip(CASES, (bulk_sync_with_failures, dry_run, export_page, wrong_secret,
                                    read_key_on_write_route, job)):
            run.test(f"{transport}: {name}", fn)

    def query_string_auth():
        p = []
        qs = api(cfg["https_url"], "rw", verify_ssl=cfg["cert"], query_string_auth=True)
        r = qs.post("inventory/bulk-sync", {"items": [{"sku": "CL-2", "location_id": loc, "stock": 33}]})
        expect(p, "status", r.status_code, 200)
        expect(p, "results.success", r.json().get("results", {}).get("success"), 1)
        expect(p, "CL-2", stock_of(probe("CL-2"), "CL-2"), (["33"], 33))
        return p

    run.test("https: " + EXTRA_HTTPS[0], query_string_auth)
    return run.finish()


if __name__ == "__main__":
    sys.exit(main())
