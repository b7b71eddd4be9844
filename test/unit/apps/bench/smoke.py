#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Smoke test: run every uiommu-bench scenario with tiny sample counts.

Usage: smoke.py UIOMMU_BENCH

Checks: --help and usage errors exit 0 and 2 without starting EAL; a run of
every registered scenario (names from --list) with --quick and --no-huge
exits 0; its JSON parses and names every scenario either as a result or as
not measured (never failed); the CSV has one row per result; the plot is
written when gnuplot is installed. The uiommu scenarios (poll, trap's
cmdq-eventfd, tput, scale, translate) must produce every result their
targets and the documentation name, and every target of a measured
scenario must be evaluated (MET or MISSED, never n.a.); kernel is either
measured (map, unmap, unmap64 and/or hwpt-inv1/32/256) or skipped with a
reason. Timing is never
asserted.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

# Results the uiommu scenarios must produce (their targets read them).
EXPECTED = {
    'poll': ['rtt', 'rtt-bare', 'sync-only', 'rtt-prefetch'],
    'trap': ['eventfd', 'futex', 'cmdq-eventfd'],
    'tput': ['sync1', 'sync8', 'sync32', 'sync256', 'ring1', 'ring8',
             'ring32', 'ring256', 'inline-sync1',
             'inline-sync8', 'inline-sync32', 'inline-sync256',
             'inline-dispatch32', 'solo32', 'shared32-vnone', 'shared32'],
    'scale': ['idle1', 'idle4', 'idle16', 'idle64', 'idle256',
              'per-idle-queue', 'quiet', 'flood', 'flood-vnone', 'flood-v32',
              'flood-v16', 'flood-v4'],
    'translate': ['hit', 'miss-s2-1g', 'miss-s2-2m', 'miss-s2-4k',
                  'chain-d14', 'chain-d19', 'chain-d24'],
}
KERNEL = (['map', 'unmap', 'unmap64'],
          ['hwpt-inv1', 'hwpt-inv32', 'hwpt-inv256'])

EAL = ['--no-pci', '--in-memory', '--no-huge', '-m', '256', '-l', '0-1',
       '--file-prefix', 'bench_smoke', '--no-telemetry']


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def main():
    bench = sys.argv[1]
    p = subprocess.run([bench, '--', '--help'], capture_output=True, text=True, timeout=30)
    if p.returncode != 0 or 'Exit status' not in p.stdout:
        fail('--help: exit %d' % p.returncode)
    p = subprocess.run([bench, '--', '--scenario', 'no-such'], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 2:
        fail('unknown scenario should exit 2, got %d' % p.returncode)
    p = subprocess.run([bench, '--', '--plot', 'x.pdf'], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 2:
        fail('--plot x.pdf should exit 2, got %d' % p.returncode)
    p = subprocess.run([bench, '--', '--list'], capture_output=True, text=True,
                       timeout=30, check=True)
    names = [line.split('\t')[0] for line in p.stdout.splitlines() if line]
    if not names:
        fail('--list printed nothing')

    with tempfile.TemporaryDirectory() as d:
        jpath, cpath = os.path.join(d, 'r.json'), os.path.join(d, 'r.csv')
        ppath = os.path.join(d, 'cdf.svg')
        args = [bench] + EAL + ['--', '--quick', '--samples', '300', '--warmup', '30',
                                '--reps', '2', '--scenario', ','.join(names),
                                '--json', jpath, '--csv', cpath, '--plot', ppath]
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
        sys.stdout.write(p.stdout)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            fail('run exited %d' % p.returncode)
        with open(jpath, encoding='utf-8') as f:
            doc = json.load(f)
        with open(cpath, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))
        measured = {r['scenario'] for r in doc['results']}
        notes = {n['scenario']: n for n in doc['not_measured']}
        for n in names:
            if n not in measured and n not in notes:
                fail('scenario %s neither measured nor explained' % n)
            if n in notes and notes[n]['status'] == 'failed':
                fail('scenario %s failed: %s' % (n, notes[n]['why']))
            if n in measured and n in notes:
                fail('scenario %s both measured and not measured' % n)
        got = {(r['scenario'], r['variant']) for r in doc['results']}
        for sc, variants in EXPECTED.items():
            if sc not in names:
                fail('scenario %s is not registered' % sc)
            for v in variants:
                if (sc, v) not in got:
                    fail('result %s/%s missing' % (sc, v))
        if 'kernel' in measured:
            # A part (VFIO, or the iommufd invalidation) may be skipped
            # where its device is missing, never half measured.
            parts = [all(('kernel', v) in got for v in part) for part in KERNEL]
            if not any(parts):
                fail('kernel measured but no complete part: %s' %
                     sorted(v for s, v in got if s == 'kernel'))
        elif 'kernel' not in notes or notes['kernel']['status'] != 'skipped' \
                or not notes['kernel']['why']:
            fail('kernel neither measured nor skipped with a reason')
        for t in doc['targets']:
            if t['scenario'] in measured and t['status'] not in ('MET', 'MISSED'):
                fail('target "%s" not evaluated: %s' % (t['label'], t['why']))
        if len(rows) != 1 + len(doc['results']):
            fail('CSV rows %d != results %d' % (len(rows) - 1, len(doc['results'])))
        if shutil.which('gnuplot'):
            with open(ppath, encoding='utf-8', errors='replace') as f:
                if '<svg' not in f.read(4096):
                    fail('plot is not an SVG')
        elif 'plot' not in p.stderr:
            fail('missing gnuplot was not reported')
    print('1 passed, 0 failed')


if __name__ == '__main__':
    main()
