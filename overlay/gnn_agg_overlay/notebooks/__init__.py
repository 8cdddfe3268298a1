"""Notebooks of the gnn_agg overlay; `pynq get-notebooks gnn-agg` copies this folder (the
`pynq.notebooks` entry point). Each reads its backend from $GNN_AGG_BACKEND (default "board")."""
