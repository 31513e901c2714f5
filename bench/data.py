"""Data benchmark: tokenize-and-batch throughput, and loading a large CSV.

1. Tokenizes SENTENCES short sentences into padded i64 tensors with `mlang.runtime.text`
   and with `transformers`' fast tokenizer called as its documentation shows
   (`tok(texts, padding="max_length", truncation=True, max_length=L, return_tensors="pt")`),
   on the same tokenizer.json; prints sentences per second of each (best of REPEATS).
2. Writes a CSV of `--rows` rows (default about 1 GB) into /tmp and loads it with mlang's
   `load_dataset` and with `pandas.read_csv`, each in its own process, printing the time and
   the process's peak resident memory.

Run: `python bench/data.py [--rows N] [--sentences N]` (pandas and transformers are needed
for the comparison only).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = 3
COLUMNS = 10
WORDS = ("the a quick brown fox jumps over lazy dog model data set train test loss cafe naive "
         "resume token piece word sentence short long city paris rome").split()


def sentences(n: int) -> list[str]:
    """`n` short random sentences of 4 to 14 words."""
    rng = random.Random(0)
    return [" ".join(rng.choices(WORDS, k=rng.randint(4, 14))).capitalize() + "."
            for _ in range(n)]


def best(run: object) -> float:
    """The best time of REPEATS runs of a callable."""
    assert callable(run)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def tokenize_bench(n: int, max_len: int = 32) -> None:
    """Sentences per second: mlang's tokenize against transformers' fast tokenizer."""
    from transformers import PreTrainedTokenizerFast

    from mlang.runtime.text import load_tokenizer, tokenize, train_tokenizer

    texts = sentences(n)
    folder = Path(tempfile.mkdtemp())
    train_tokenizer(texts[:10_000], vocab=2000).save(str(folder / "tokenizer.json"))
    ours = load_tokenizer(str(folder))
    theirs = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"),
                                     pad_token="[PAD]")
    t_ours = best(lambda: tokenize(ours, texts, max_len))
    t_theirs = best(lambda: theirs(texts, padding="max_length", truncation=True,
                                   max_length=max_len, return_tensors="pt",
                                   return_token_type_ids=True))
    print(f"tokenize {n} sentences (max_len {max_len}): mlang {n / t_ours:,.0f}/s "
          f"({t_ours:.2f} s), transformers {n / t_theirs:,.0f}/s ({t_theirs:.2f} s), "
          f"ratio {t_theirs / t_ours:.2f}x")


def write_csv(path: Path, rows: int) -> None:
    """A CSV of `rows` rows: COLUMNS - 2 numeric features, a city and a label."""
    rng = random.Random(0)
    header = [f"f{i}" for i in range(COLUMNS - 2)] + ["city", "label"]
    with path.open("w") as out:
        out.write(",".join(header) + "\n")
        chunk = []
        for i in range(rows):
            numbers = ",".join(f"{rng.random() * 1000:.6f}" for _ in range(COLUMNS - 2))
            chunk.append(f"{numbers},{rng.choice(('paris', 'rome', 'oslo'))},{i % 2}\n")
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


LOADERS = {  # (import, load): only the load is timed
    "mlang": ("from mlang.runtime.loading import load_dataset", "d = load_dataset(PATH)"),
    "pandas": ("import pandas", "d = pandas.read_csv(PATH)"),
}


def load_in_process(name: str, path: Path) -> tuple[float, float]:
    """(seconds, peak resident MiB) of loading `path` with one loader in a fresh process."""
    setup, load = LOADERS[name]
    code = (f"import resource, sys, time\n{setup}\nPATH = sys.argv[1]\n"
            f"start = time.perf_counter()\n{load}\nassert len(d) > 0\n"
            "print(time.perf_counter() - start, "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def csv_bench(rows: int) -> None:
    """Time and peak memory of loading a CSV of `rows` rows: mlang against pandas."""
    path = Path(tempfile.gettempdir()) / f"mlang-bench-{rows}.csv"
    if not path.exists():
        write_csv(path, rows)
    size = path.stat().st_size / 2**20
    print(f"CSV {path} ({rows:,} rows, {size:,.0f} MiB):")
    for name in LOADERS:
        seconds, peak = load_in_process(name, path)
        print(f"  {name:7s} {seconds:6.1f} s  peak RSS {peak:,.0f} MiB")


def main() -> None:
    """Runs both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=11_000_000,
                        help="rows of the CSV (the default makes about 1 GB)")
    parser.add_argument("--sentences", type=int, default=100_000)
    args = parser.parse_args()
    tokenize_bench(args.sentences)
    csv_bench(args.rows)


if __name__ == "__main__":
    main()
