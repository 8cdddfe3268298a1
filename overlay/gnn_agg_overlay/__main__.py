"""python -m gnn_agg_overlay: which boards' bitstreams this package holds, how to build the rest."""
import sys

from . import BOARDS, BUILD_HINT, HERE, boards

have = boards()
for b in BOARDS:
    print(f"{b:8s} {HERE / b / 'gnn_agg.bit' if b in have else 'missing: ' + BUILD_HINT.format(board=b)}")
sys.exit(0 if have else 1)
