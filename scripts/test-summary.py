#!/usr/bin/env python3
"""Summarise Meson test logs into the one closing line make check promises.

Usage: test-summary.py BUILDDIR [BUILDDIR...]
Prints failures and skips (with the reason each skipped test printed as
'SKIP: reason'), then 'N passed, N failed[, N skipped]'.  Exits 1 on any
failure, or if no test ran at all."""
import json
import os
import sys

passed = failed = skipped = 0
fails, skips = [], []
for build in sys.argv[1:]:
    log = os.path.join(build, 'meson-logs', 'testlog.json')
    if not os.path.exists(log):
        print(f'test-summary: no test log in {build}', file=sys.stderr)
        failed += 1
        fails.append(f'{build}: no tests ran')
        continue
    tag = '' if build == 'build' else f'[{os.path.basename(build)}] '
    with open(log) as f:
        for line in f:
            t = json.loads(line)
            name = tag + t['name']
            res = t['result']
            if res in ('OK', 'EXPECTEDFAIL'):
                passed += 1
            elif res == 'SKIP':
                skipped += 1
                out = (t.get('stdout') or '') + (t.get('stderr') or '')
                reason = next((l[5:].strip() for l in reversed(out.splitlines())
                               if l.startswith('SKIP:')), 'no reason given')
                skips.append(f'{name}: {reason}')
            else:
                failed += 1
                fails.append(f'{name}: {res}')

for s in skips:
    print(f'skipped {s}')
for s in fails:
    print(f'FAILED  {s}')
line = f'{passed} passed, {failed} failed'
if skipped:
    line += f', {skipped} skipped'
print(line)
sys.exit(1 if failed or passed + skipped == 0 else 0)
