"""A new user's first steps on their own data, scripted: Amazon- and Yelp-format files written by the
test (the data set's own reviewer / business ids), the pipeline trained briefly, then
recommendations asked for by a raw reviewer id, with titles and raw item ids back. Also every CLI's
user errors: one line on stderr, exit status 2, a traceback only with --debug."""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from host.driver import Accelerator
from host.rec.data.synthetic import generate_default
from host.rec.pipeline import main as pipeline_main
from host.rec.serve import OnlineRecommender, main as serve_main

pytestmark = pytest.mark.xdist_group("test_first_steps")  # one worker: `trained` trains two models once

ROOT = Path(__file__).resolve().parents[2]


def raw_ids(prefix: str, n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
    return [prefix + "".join(rng.choice(letters, 12)) for _ in range(n)]


def write_amazon(directory: Path, ds, users: list[str], items: list[str]) -> list[str]:
    with open(directory / "reviews.json", "w") as f:
        for u, i, r, t in zip(ds.users, ds.items, ds.ratings, ds.timestamps):
            f.write(json.dumps({"reviewerID": users[u], "asin": items[i], "overall": float(r),
                                "unixReviewTime": int(t), "reviewText": f"about {ds.item_titles[i]}"}) + "\n")
    with open(directory / "meta.json", "w") as f:
        for i, (title, attrs) in enumerate(zip(ds.item_titles, ds.item_attributes)):
            f.write(json.dumps({"asin": items[i], "title": title, "categories": [[attrs or "Music"]]}) + "\n")
    return ["--data", "amazon", "--path", str(directory / "reviews.json"), "--meta", str(directory / "meta.json")]


def write_yelp(directory: Path, ds, users: list[str], items: list[str]) -> list[str]:
    with open(directory / "review.json", "w") as f:
        for u, i, r, t in zip(ds.users, ds.items, ds.ratings, ds.timestamps):
            date = datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            f.write(json.dumps({"user_id": users[u], "business_id": items[i], "stars": float(r), "date": date,
                                "text": f"dinner at {ds.item_titles[i]}"}) + "\n")
    with open(directory / "business.json", "w") as f:
        for i, title in enumerate(ds.item_titles):
            f.write(json.dumps({"business_id": items[i], "name": title, "city": "Tempe",
                                "categories": "Restaurants"}) + "\n")
    return ["--data", "yelp", "--path", str(directory / "review.json"), "--meta", str(directory / "business.json")]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Both formats written and trained once: name -> (model file, data set, raw user ids, raw item ids)."""
    ds = generate_default(seed=5, n_users=50, n_items=90, mean_interactions=20)
    out = {}
    for name, writer, prefix in (("amazon", write_amazon, ("A", "B0")), ("yelp", write_yelp, ("u-", "b-"))):
        directory = tmp_path_factory.mktemp(name)
        users, items = raw_ids(prefix[0], ds.n_users, 1), raw_ids(prefix[1], ds.n_items, 2)
        args = writer(directory, ds, users, items)
        assert pipeline_main(args + ["--backend", "cpu", "--epochs", "5", "--head-epochs", "3", "--out",
                                     str(directory / "out"), "--cache", str(directory / "cache"),
                                     "--device", "cpu"]) == 0
        out[name] = (directory / "out" / "recommender.pt", ds, users, items)
    return out


@pytest.mark.parametrize("name", ["amazon", "yelp"])
def test_recommend_for_a_raw_user_id(trained, name, capsys):
    model, ds, users, items = trained[name]
    capsys.readouterr()
    raw = users[int(np.argmax(np.bincount(ds.users)))]  # the heaviest user: plenty of seen items to exclude
    assert serve_main(["--model", str(model), "--user", raw, "--k", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"user {raw}:" and len(lines) == 6
    with Accelerator("cpu") as acc:
        rec = OnlineRecommender.load(model, acc)
    u = rec.user_index(raw)
    seen = {rec.item_ids[i] for i in rec.known[u]}  # train + valid: never recommended
    assert len(seen) >= 10 and seen <= set(items)
    for line in lines[1:]:
        item = line.rsplit("(item ", 1)[1].split(",")[0]
        assert item in items and item not in seen  # a raw id, never one the user has seen
        assert line.split(". ", 1)[1].startswith(ds.item_titles[items.index(item)])  # with its title


@pytest.mark.parametrize("argv,message", [
    (["--user", "nobody"], "unknown user id 'nobody'"),
    (["--k", "0"], "(the catalogue), got 0"),
    (["--k", "5000"], "(the catalogue), got 5000"),
])
def test_serve_user_errors_are_one_line(trained, argv, message, capsys):
    model, ds, users, _ = trained["amazon"]
    argv = ["--model", str(model)] + (argv if "--user" in argv else ["--user", users[0]] + argv)
    capsys.readouterr()
    assert serve_main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m host.rec.serve: error: ") and message in err


def test_a_wrong_or_missing_model_file_is_one_line(tmp_path, capsys):
    junk = tmp_path / "model.pt"
    junk.write_text("not a model")
    for path, message in ((junk, "not a recommender saved by host.rec.serve"), (tmp_path / "none.pt", "no such model")):
        assert serve_main(["--model", str(path), "--user", "1"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and str(path) in err


def test_pipeline_and_bench_user_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "u.data"
    bad.write_text("1\t2\tfive\t881250949\n")
    assert pipeline_main(["--data", "ml-100k", "--path", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "u.data:1" in err
    from host.bench.cli import main as bench_main
    assert bench_main(["--boards", "nosuchboard", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err == "python -m host.bench: error: unknown board 'nosuchboard'; choose from " \
                  "['kv260', 'pynq-z2', 'zcu104']\n"


def test_debug_shows_the_traceback_and_python_m_exits_2(tmp_path):
    with pytest.raises(ValueError, match="no such model"):
        serve_main(["--model", str(tmp_path / "none.pt"), "--user", "1", "--debug"])
    proc = subprocess.run([sys.executable, "-m", "host.rec.serve", "--model", str(tmp_path / "none.pt"),
                           "--user", "1"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stdout == "" and proc.stderr.count("\n") == 1
