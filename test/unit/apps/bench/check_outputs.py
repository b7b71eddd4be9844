#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Parse the JSON and CSV that bench_emit writes and check their content.

Usage: check_outputs.py BENCH_EMIT

Expected numbers follow from emit.c's inputs: floor 100 cycles, trap
eventfd 1000 and futex 800 cycles, chase 3200 cycles per 32 walks, ring b1
repetitions 3e6/1e6/2e6 (median 2e6) and b32 8e6, a 2 GHz TSC.
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

NASTY = 'a "quoted", back\\slash,\nnew line\ttab \x01 ≤×'


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def close(a, b):
    return a is not None and math.isclose(a, b, rel_tol=1e-9)


def main():
    emit = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        jpath = os.path.join(d, 'out.json')
        cpath = os.path.join(d, 'out.csv')
        subprocess.run([emit, jpath, cpath], check=True, stdout=subprocess.DEVNULL)
        # json.tool is what a user would run; it must accept the file.
        subprocess.run([sys.executable, '-m', 'json.tool', jpath],
                       check=True, stdout=subprocess.DEVNULL)
        with open(jpath, encoding='utf-8') as f:
            doc = json.load(f)
        with open(cpath, newline='', encoding='utf-8') as f:
            rows = list(csv.reader(f))

    check(doc['tool'] == 'uiommu-bench' and doc['schema'] == 1, 'header')
    check(doc['conditions']['cpu_model'] == NASTY, 'string escaping')
    check(doc['conditions']['loadavg1'] is None, 'unknown number is null')
    check(doc['conditions']['lcores']['smt_siblings'] is None, 'unknown bool is null')
    check(doc['conditions']['tsc']['hz_used'] == 2000000000, 'tsc')
    res = {r['scenario'] + '/' + r['variant']: r for r in doc['results']}
    check(sorted(res) == ['chase/l1-d1', 'floor/rtt', 'ring/b1', 'ring/b32',
                          'trap/eventfd', 'trap/futex'], 'result names %s' % sorted(res))
    fl = res['floor/rtt']
    check(fl['note'] == NASTY, 'note escaping')
    check(fl['baseline'] is None and fl['ratio'] is None, 'root baseline has no ratio')
    check(fl['cycles']['p50'] == 100 and fl['cycles']['p99.9'] == 100, 'floor cycles')
    check(close(fl['ns']['p50'], 50.0), 'floor ns at 2 GHz')
    check(fl['samples'] == 1000, 'samples')
    check(close(res['trap/eventfd']['ratio'], 10.0), 'eventfd ratio')
    check(close(res['trap/futex']['ratio'], 8.0), 'futex ratio')
    check(close(res['trap/futex']['ratio_p99'], 8.0), 'futex p99 ratio')
    check(res['chase/l1-d1']['cycles']['p50'] == 100, 'per-op division')
    b1, b32 = res['ring/b1'], res['ring/b32']
    check(b1['kind'] == 'rate' and close(b1['rate']['median'], 2e6), 'rate median')
    check(close(b1['rate']['min'], 1e6) and close(b1['rate']['max'], 3e6), 'rate range')
    check(close(b1['ns_per_op'], 500.0) and close(b1['cycles_per_op'], 1000.0), 'per op')
    check(close(b32['ratio'], 4.0), 'rate ratio')
    tg = {t['label']: t for t in doc['targets']}
    check(tg['poll p50 ≤ 2× floor p50']['status'] == 'n.a.', 'n.a. target')
    check(tg['poll p50 ≤ 2× floor p50']['value'] is None, 'n.a. value null')
    check(tg['trap ≥ 5× floor']['status'] == 'MET', 'met target')
    check(close(tg['trap ≥ 5× floor']['value'], 8.0), 'target uses fastest variant')
    check(tg['trap ≥ 20× floor']['status'] == 'MISSED', 'missed target')
    nm = {n['scenario']: n for n in doc['not_measured']}
    check(nm['poll']['status'] == 'not yet available' and nm['poll']['why'] == 'needs lib/cmdq',
          'not available note')
    check(nm['kernel']['status'] == 'skipped', 'skipped note')
    check(not any(r['scenario'] in ('poll', 'kernel') for r in doc['results']),
          'unavailable scenarios are not results')

    header, body = rows[0], rows[1:]
    check(len(body) == len(doc['results']), 'one CSV row per result')
    check(all(len(r) == len(header) for r in body), 'CSV rows as wide as the header')
    by = {r[0] + '/' + r[1]: dict(zip(header, r)) for r in body}
    check(by['floor/rtt']['ratio'] == '', 'root ratio empty in CSV')
    check(float(by['trap/eventfd']['ratio']) == 10.0, 'CSV ratio')
    check(float(by['trap/futex']['p50_cycles']) == 800.0, 'CSV p50 cycles')
    check(float(by['floor/rtt']['p50_ns']) == 50.0, 'CSV p50 ns')
    check(by['ring/b1']['p50_ns'] == '' and float(by['ring/b1']['rate_median']) == 2e6,
          'CSV rate row')
    print('1 passed, 0 failed')


if __name__ == '__main__':
    main()
