#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end tests: a real uiommu-mgr process, uiommu-guest processes
driving it, uiommu-ctl inspecting it.

    guest_it.py CASE

Paths come from the environment (set by meson): UIOMMU_MGR, UIOMMU_GUEST,
UIOMMU_CTL. Each case starts its own manager (temporary socket directory,
unique EAL file prefix, --no-huge) so cases run in parallel, and stops it
with SIGTERM at the end, which must exit 0.

What is asserted is behaviour, from the simulator's JSON summary and
uiommu-ctl's JSON: every DMA verified byte for byte (the simulator exits 1
otherwise), every fault it provoked seen both in the descriptor status and
as a fault record, the manager consumed exactly the commands the guest
wrote, and per workload that the operations it is about really happened.
No timing is asserted; waits have generous deadlines only so that a broken
manager fails a case instead of hanging it.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time

MGR = os.environ.get("UIOMMU_MGR", "uiommu-mgr")
GUEST = os.environ.get("UIOMMU_GUEST", "uiommu-guest")
CTL = os.environ.get("UIOMMU_CTL", "uiommu-ctl")
DEADLINE = 60.0


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Manager:
    """A uiommu-mgr child process with its own socket and file prefix."""

    seq = 0

    def __init__(self, extra=()):
        Manager.seq += 1
        self.dir = tempfile.mkdtemp(prefix="uiommu-git-")
        self.sock = os.path.join(self.dir, "mgr.sock")
        prefix = "uiommu_git_%d_%d" % (os.getpid(), Manager.seq)
        argv = [MGR, "--no-pci", "--in-memory", "--no-huge", "-m", "256",
                "--no-telemetry", "-l", "0-1", "--file-prefix", prefix,
                "--log-level=lib.eal:error", "--",
                "--socket", self.sock,
                # Sleep when idle: parallel cases share two cores.
                "--idle-sleep-us", "20", "--idle-after-us", "2000"]
        argv += list(extra)
        self.log = open(os.path.join(self.dir, "mgr.log"), "w+")
        self.p = subprocess.Popen(argv, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        end = time.monotonic() + DEADLINE
        while True:
            if self.p.poll() is not None:
                raise Fail("uiommu-mgr exited early (%d): %s" %
                           (self.p.returncode, self.logtext()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                break
            except OSError:
                pass
            if time.monotonic() > end:
                self.p.kill()
                raise Fail("uiommu-mgr socket never appeared")
            time.sleep(0.05)

    def logtext(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-2000:]

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            raise Fail("uiommu-mgr did not stop on SIGTERM")
        check(rc == 0, "uiommu-mgr exited %d on SIGTERM: %s" %
              (rc, self.logtext()))
        check(not os.path.exists(self.sock), "socket left behind")


def run_guest(mgr, args, expect_rc=0):
    argv = [GUEST, "--socket", mgr.sock, "--json"] + [str(a) for a in args]
    print("+ " + " ".join(argv), flush=True)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=DEADLINE * 10)
    sys.stderr.write(p.stderr)
    check(p.returncode == expect_rc, "uiommu-guest exited %d, expected %d"
          "\nstdout: %s\nstderr: %s" % (p.returncode, expect_rc,
                                        p.stdout[-3000:], p.stderr[-3000:]))
    try:
        out = json.loads(p.stdout)
    except ValueError as e:
        raise Fail("uiommu-guest JSON unreadable (%s): %r" %
                   (e, p.stdout[:500]))
    return out


def verified(out, what):
    """The invariants of every successful run."""
    t = out["totals"]
    check(out["result"] == "pass" and out["exit_code"] == 0,
          "%s: result %s, errors %s" % (what, out["result"], out["errors"]))
    check(out["errors"] == [], "%s: errors %s" % (what, out["errors"]))
    check(t["mismatches"] == 0, "%s: %d mismatches" % (what, t["mismatches"]))
    check(t["ops"] > 0 and t["dma_ok"] > 0 and t["bytes_verified"] > 0,
          "%s: nothing was verified: %s" % (what, t))
    check(t["faults_seen"] == t["faults_expected"],
          "%s: faults %d of %d" % (what, t["faults_seen"],
                                   t["faults_expected"]))
    check(t["events_lost"] == 0, "%s: fault records lost" % what)
    check(t["events_expected"] <= t["events_seen"] <=
          t["events_expected"] + t["events_optional"],
          "%s: fault records: %d read, %d expected (+%d allowed)" %
          (what, t["events_seen"], t["events_expected"],
           t["events_optional"]))
    check(t["mgr_commands"] == t["commands"] and
          t["mgr_syncs"] == t["syncs"],
          "%s: guest wrote %d commands (%d syncs), manager consumed %d (%d)"
          % (what, t["commands"], t["syncs"], t["mgr_commands"],
             t["mgr_syncs"]))
    check(t["maps"] == t["unmaps"], "%s: %d maps, %d unmaps" %
          (what, t["maps"], t["unmaps"]))
    lat = out["latency_ns"]["invalidation"]
    check(lat["count"] == t["syncs"] and lat["p50"] <= lat["p99"] <=
          lat["max"], "%s: latency summary inconsistent: %s" % (what, lat))
    return t


# ------------------------------------------------------------------ cases

def case_workload(workload, extra=(), ops=150):
    def run():
        m = Manager()
        try:
            out = run_guest(m, ["--workload", workload, "--ops", ops,
                                "--seed", random.randrange(1 << 32)] +
                            list(extra))
            t = verified(out, workload)
            n = out["config"]["queues"] * ops * out["config"]["vms"]
            check(t["ops"] == n, "%d operations done, %d asked" %
                  (t["ops"], n))
            if out["config"]["probe_every"] == 1 and workload != "churn":
                check(t["probes"] > 0 and t["events_seen"] > 0,
                      "no protection probe ran")
            if workload == "strict":
                check(t["syncs"] >= t["ops"] and t["tlbi"] >= t["ops"],
                      "strict: fewer CMD_SYNC/TLBI than operations: %s" % t)
            elif workload == "lazy":
                check(t["syncs"] < t["ops"] and t["tlbi"] > 0,
                      "lazy: invalidations were not batched: %s" % t)
            elif workload == "churn":
                check(t["cd_swaps"] > 0 and t["cfgi"] > t["cd_swaps"] and
                      t["ste_bypass"] + t["ste_abort"] + t["ste_invalid"] > 0,
                      "churn: no configuration change: %s" % t)
            elif workload == "stale":
                check(t["stale_landed"] + t["stale_faulted"] == t["ops"],
                      "stale: outcomes do not add up: %s" % t)
                # With a few buffers in a large IOTLB the cached entry
                # survives: the missing invalidation must be visible.
                check(t["stale_landed"] > 0,
                      "stale: no DMA used the stale translation")
            return out
        finally:
            m.stop()
    return run


def case_two_vms():
    m = Manager()
    try:
        out = run_guest(m, ["--vms", 2, "--queues", 2, "--devices", 3,
                            "--workload", "mixed", "--ops", 60,
                            "--seed", random.randrange(1 << 32)])
        verified(out, "two VMs")
        vms = out["vms"]
        check(len(vms) == 2 and all(v["result"] == "pass" for v in vms),
              "per-VM results: %s" % vms)
        check(vms[0]["vm_id"] != vms[1]["vm_id"] and
              vms[0]["vmid"] != vms[1]["vmid"],
              "two VMs got the same vm_id or VMID: %s" % vms)
        for v in vms:
            check(v["stats"]["ops"] == 120, "vm %d: %d ops" %
                  (v["index"], v["stats"]["ops"]))
    finally:
        m.stop()


def case_broken_driver():
    """A driver that skips the TLBI must be caught (exit 1)."""
    m = Manager()
    try:
        out = run_guest(m, ["--workload", "strict", "--ops", 50,
                            "--omit-tlbi"], expect_rc=1)
        check(out["result"] == "mismatch" and out["errors"],
              "broken driver not reported: %s" % out)
        check(any("landed" in e for e in out["errors"]),
              "the error does not say the DMA landed: %s" % out["errors"])
    finally:
        m.stop()


def ctl(mgr, args, expect_rc=0, as_json=True):
    argv = [CTL, "--socket", mgr.sock] + (["--json"] if as_json else []) + \
        [str(a) for a in args]
    print("+ " + " ".join(argv), flush=True)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=DEADLINE)
    check(p.returncode == expect_rc, "uiommu-ctl %s exited %d, expected %d: "
          "%s %s" % (args, p.returncode, expect_rc, p.stdout, p.stderr))
    if not as_json or expect_rc not in (0, 4):
        return p
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        raise Fail("uiommu-ctl JSON unreadable (%s): %r" % (e, p.stdout))


def case_ctl():
    m = Manager()
    ready = os.path.join(m.dir, "ready.json")
    argv = [GUEST, "--socket", m.sock, "--json", "--queues", 2,
            "--devices", 3, "--workload", "strict", "--ops", 100,
            "--linger", 60, "--ready-file", ready]
    g = subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + DEADLINE
        lay = None
        while True:
            if g.poll() is not None:
                raise Fail("uiommu-guest ended early: %s" %
                           g.communicate()[1])
            if os.path.exists(ready):
                lay = json.load(open(ready))
                if lay["phase"] == "linger":
                    break
            check(time.monotonic() < end, "guest never reached linger")
            time.sleep(0.05)
        check(lay["status"] == 0, "guest failed before linger: %s" % lay)
        vm = lay["vm_id"]

        lst = ctl(m, ["list"])
        mine = [v for v in lst["vms"] if v["vm_id"] == vm]
        check(len(mine) == 1, "list lacks VM %d: %s" % (vm, lst))
        v = mine[0]
        check(len(v["viommus"]) == 1, "vIOMMUs: %s" % v["viommus"])
        vi = v["viommus"][0]
        check(vi["id"] == lay["viommu_id"] and vi["vmid"] == lay["vmid"],
              "vIOMMU ids differ from the guest's: %s / %s" % (vi, lay))
        check(sorted(d["vsid"] for d in vi["vdevices"]) ==
              sorted(d["vsid"] for d in lay["devices"]),
              "vDEVICEs differ: %s" % vi["vdevices"])
        check(len(vi["vcmdqs"]) == 2, "vCMDQs: %s" % vi["vcmdqs"])
        for q in vi["vcmdqs"]:
            check(q["stats"]["commands"] == q["consumed"] > 0 and
                  q["stats"]["errors"] == 0 and q["stats"]["syncs"] > 0,
                  "vCMDQ counters: %s" % q)
        check(v["stats"]["vcmdqs"] == 2 and v["stats"]["vdevices"] == 3,
              "VM counters: %s" % v["stats"])
        check(len(v["mem"]) == 1 and v["mem"][0]["gpa"] == lay["ram_gpa"] and
              v["mem"][0]["size"] == lay["ram_size"], "RAM: %s" % v["mem"])

        st = ctl(m, ["stats"])
        check(st["manager"]["vms"] >= 1 and st["manager"]["commands"] > 0,
              "manager stats: %s" % st)
        st = ctl(m, ["stats", vm])
        check(st["stats"]["vm_id"] == vm, "VM stats: %s" % st)
        st = ctl(m, ["stats", vm, lay["viommu_id"], 1])
        check(st["stats"]["index"] == 1 and st["stats"]["commands"] > 0,
              "vCMDQ stats: %s" % st)
        ev = ctl(m, ["events", vm])
        check(any(e["viommu_id"] == lay["viommu_id"] for e in ev["viommus"]),
              "events: %s" % ev)

        d0 = lay["devices"][0]
        # The descriptor ring is identity-mapped read-write.
        t = ctl(m, ["translate", vm, d0["vsid"], d0["ring_iova"],
                    "--access", "rw"])
        check(not t["fault"] and (t["iotlb_hit"] or
                                  (t["s1"]["valid"] and
                                   t["s1"]["out"] == d0["ring_iova"])),
              "ring translation: %s" % t)
        # The probe source page is read-only: a write faults (exit 4).
        t = ctl(m, ["translate", vm, d0["vsid"], d0["probe_src_iova"],
                    "--access", "w"], expect_rc=4)
        check(t["fault"] and t["event"]["name"] == "F_PERMISSION",
              "write to a read-only page: %s" % t)
        # Nothing is left mapped in the buffer window after the workload.
        t = ctl(m, ["translate", vm, d0["vsid"], d0["window"]],
                expect_rc=4)
        check(t["fault"] and t["event"]["name"] == "F_TRANSLATION",
              "unmapped IOVA: %s" % t)
        # The guest's stage-1 descriptors over the identity-mapped pages
        # (PT_DUMP): the tables above them, then leaves with out == in.
        lo, hi = d0["ring_iova"], d0["ring_iova"] + 0x3000 - 1
        dump = ctl(m, ["dump", vm, d0["vsid"], lo, 0x3000])
        check(dump["method"] == "pt_dump" and dump["complete"] and
              dump["state"] == "table" and dump["stage"] == 1,
              "dump of the identity-mapped pages: %s" % dump)
        ents = dump["entries"]
        leaves = [e for e in ents if e["kind"] in ("page", "block")]
        tables = [e for e in ents if e["kind"] == "table"]
        check(leaves and tables and
              all(e["out"] == e["in"] for e in leaves) and
              sum(min(hi, e["in"] + e["size"] - 1) - max(lo, e["in"]) + 1
                  for e in leaves) == 0x3000 and
              [e["level"] for e in tables] ==
              list(range(dump["start_level"],
                         dump["start_level"] + len(tables))),
              "stage-1 entries of the identity-mapped pages: %s" % ents)
        ring = [e for e in leaves if e["in"] <= lo <= e["in"] + e["size"] - 1]
        check(len(ring) == 1 and ring[0]["prot"] == "rw",
              "ring page entry: %s" % ring)
        # The manager's stage 2: guest RAM only, host addresses hidden.
        s2 = ctl(m, ["dump", vm, d0["vsid"], "--table", "s2"])
        s2leaves = [e for e in s2["entries"] if e["kind"] != "table"]
        check(s2["complete"] and s2["state"] == "table" and
              s2.get("ttb_hidden") and
              all(e.get("out_hidden") and "out" not in e
                  for e in s2["entries"]) and
              sum(e["size"] for e in s2leaves) == lay["ram_size"] and
              all(lay["ram_gpa"] <= e["in"] and
                  e["in"] + e["size"] <= lay["ram_gpa"] + lay["ram_size"]
                  for e in s2leaves),
              "stage-2 dump: %s" % s2)
        text = ctl(m, ["dump", vm, d0["vsid"], lo, 0x1000],
                   as_json=False).stdout
        check("page" in text and "TTB0" in text, "text dump: %s" % text)
        # Errors a person can act on.
        p = ctl(m, ["translate", 999999, 1, 0], expect_rc=1, as_json=False)
        check("no VM" in p.stderr, "message: %s" % p.stderr)
        p = ctl(m, ["translate", vm, 63, 0], expect_rc=1, as_json=False)
        check("vSID 63" in p.stderr, "message: %s" % p.stderr)
        ctl(m, ["frobnicate"], expect_rc=3, as_json=False)
        ctl(m, ["translate", vm], expect_rc=3, as_json=False)
        p = subprocess.run([CTL, "--socket", os.path.join(m.dir, "none"),
                            "list"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        check(p.returncode == 2 and "no manager" in p.stderr,
              "no manager: %d %s" % (p.returncode, p.stderr))
        text = ctl(m, ["list"], as_json=False).stdout
        check(("VM %d" % vm) in text and "vCMDQ 1" in text,
              "text list: %s" % text)

        # End the linger: the guest exits 0 and its VM disappears.
        g.send_signal(signal.SIGTERM)
        out, err = g.communicate(timeout=DEADLINE)
        check(g.returncode == 0, "guest exited %d: %s" % (g.returncode, err))
        verified(json.loads(out), "ctl run")
        end = time.monotonic() + DEADLINE
        while any(v["vm_id"] == vm for v in ctl(m, ["list"])["vms"]):
            check(time.monotonic() < end, "VM %d still listed" % vm)
            time.sleep(0.05)
    finally:
        if g.poll() is None:
            g.kill()
            g.wait()
        m.stop()


def case_no_manager():
    d = tempfile.mkdtemp(prefix="uiommu-git-")
    sock = os.path.join(d, "absent.sock")
    p = subprocess.run([GUEST, "--socket", sock, "--ops", "1", "--json",
                        "--timeout-ms", "300"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(p.returncode == 2, "no manager: exit %d" % p.returncode)
    check("cannot connect" in p.stderr, "message: %s" % p.stderr)
    out = json.loads(p.stdout)
    check(out["result"] == "error", "JSON result: %s" % out["result"])
    for bad in (["--vms", 0], ["--workload", "none"], ["--ops", 1,
                "--duration", 1], ["--queues", 3, "--devices", 2], []):
        argv = [GUEST] + (["--socket", sock] if bad else []) + \
            [str(a) for a in bad]
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        check(p.returncode == 3 and p.stderr, "usage %s: exit %d" %
              (bad, p.returncode))
    p = subprocess.run([GUEST, "--help"], stdout=subprocess.PIPE, text=True)
    check(p.returncode == 0 and "--workload" in p.stdout, "--help")
    os.rmdir(d)


def case_long_multi():
    """Several VMs, queues and devices, mixed workload, minutes."""
    m = Manager()
    try:
        out = run_guest(m, ["--vms", 3, "--queues", 3, "--devices", 5,
                            "--workload", "mixed", "--duration", 60,
                            "--buf-size", "16K", "--seed",
                            random.randrange(1 << 32)])
        verified(out, "long multi")
        check(all(v["result"] == "pass" and v["stats"]["ops"] > 0
                  for v in out["vms"]), "a VM did nothing: %s" % out["vms"])
    finally:
        m.stop()


def case_long_random():
    """Random configurations back to back on one manager, ~2 minutes."""
    seed = int(os.environ.get("UIOMMU_TEST_SEED", random.randrange(1 << 32)))
    rnd = random.Random(seed)
    print("seed %d" % seed, flush=True)
    m = Manager()
    try:
        end = time.monotonic() + 120
        runs = 0
        while time.monotonic() < end or runs < 3:
            q = rnd.randint(1, 3)
            buf = rnd.choice([1, 100, 4096, 5000, 65536, 262144])
            batch = rnd.choice([1, 8, 32, 128])
            # Guest RAM for a whole lazy batch per queue, with room for
            # tables, rings and the allocator's fragmentation.
            need = q * batch * 2 * (buf // 4096 + 2) * 4096
            ram_mb = max(64, (need * 3 // 2 >> 20) + 32)
            args = ["--vms", rnd.randint(1, 3), "--queues", q,
                    "--devices", rnd.randint(q, q + 3),
                    "--workload", rnd.choice(["strict", "lazy", "churn",
                                              "mixed", "stale"]),
                    "--duration", rnd.choice([5, 10, 15]),
                    "--buf-size", buf, "--batch", batch,
                    "--probe-every", rnd.choice([1, 2, 5]),
                    "--sync", rnd.choice(["cons", "msi"]),
                    "--ring-log2", rnd.choice([2, 4, 8, 12]),
                    "--ram-mb", ram_mb,
                    "--seed", rnd.randrange(1 << 32)]
            out = run_guest(m, args)
            verified(out, "random run %d" % runs)
            runs += 1
        # Every VM was torn down with its connection.
        lst = ctl(m, ["list"])
        check(lst["vms"] == [], "VMs left behind: %s" % lst["vms"])
    finally:
        m.stop()


CASES = {
    "strict": case_workload("strict"),
    "lazy": case_workload("lazy", ["--batch", 8]),
    "churn": case_workload("churn", ["--devices", 2], ops=100),
    "mixed": case_workload("mixed", ["--queues", 2, "--devices", 3,
                                     "--buf-size", 10000]),
    "stale": case_workload("stale"),
    "msi_sync": case_workload("strict", ["--sync", "msi", "--ring-log2", 3,
                                         "--buf-size", 65536], ops=60),
    "two_vms": case_two_vms,
    "broken_driver": case_broken_driver,
    "ctl": case_ctl,
    "no_manager": case_no_manager,
    "long_multi": case_long_multi,
    "long_random": case_long_random,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print("usage: guest_it.py {%s}" % "|".join(CASES), file=sys.stderr)
        return 2
    try:
        CASES[sys.argv[1]]()
    except Fail as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
