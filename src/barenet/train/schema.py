"""Every key a recipe accepts, declared once: its table, default, allowed values and meaning.

In the manner of scikit-learn's ``_parameter_constraints``: one list, ``KEYS``, that
``Recipe.from_dict`` validates against, that ``--set`` overrides are checked against, and
from which ``docs/recipes.md`` is generated (a test keeps the document equal to
``markdown_table()``). To add a recipe setting, add one ``Key`` here.

Keys of ``[optimizer]`` and ``[schedule]`` apply to some of the optimizers or schedules only;
which ones is read from their constructors' signatures (``applies_to``), so a key is never
accepted for an optimizer that would not take it.
"""

from __future__ import annotations

import difflib
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from barenet.errors import BarenetError
from barenet.nn.activations import ACTIVATIONS
from barenet.nn.init import INITIALIZERS
from barenet.nn.losses import LOSSES
from barenet.nn.optim import OPTIMIZERS
from barenet.nn.schedules import SCHEDULES


@dataclass(frozen=True)
class Constraint:
    """What values a key takes: ``check(value)`` and the words for the documentation."""

    text: str
    check: Callable[[Any], bool]

    def __or__(self, other: Constraint) -> Constraint:
        return Constraint(
            f"{self.text}, or {other.text}", lambda v: self.check(v) or other.check(v)
        )


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def integer(low: int) -> Constraint:
    return Constraint(f"an integer ≥ {low}", lambda v: _is_int(v) and v >= low)


def number(low: float, high: float = math.inf, *, low_open: bool = False, high_open: bool = False):
    left = "(" if low_open else "["
    right = ")" if high_open or high == math.inf else "]"
    high_text = "∞" if high == math.inf else f"{high:g}"

    def check(v: Any) -> bool:
        if not _is_number(v):
            return False
        above = v > low if low_open else v >= low
        below = v < high if high_open else v <= high
        return above and below

    return Constraint(f"a number in {left}{low:g}, {high_text}{right}", check)


def options(*names: str) -> Constraint:
    return Constraint("one of " + ", ".join(f'`"{n}"`' for n in names), lambda v: v in names)


def registry(reg: Any, what: str) -> Constraint:
    """A name from one of the engine's registries (aliases included); ``what`` is plural."""
    return Constraint(
        f"one of the {what} " + ", ".join(f"`{n}`" for n in reg.names()),
        lambda v: isinstance(v, str) and v.lower() in {*reg.classes, *reg.aliases},
    )


STRING = Constraint("a string", lambda v: isinstance(v, str))
BOOLEAN = Constraint("`true` or `false`", lambda v: isinstance(v, bool))
TABLE = Constraint("a table", lambda v: isinstance(v, dict))
SIZES = Constraint(
    "a list of integers ≥ 1 (input, hidden..., output)",
    lambda v: isinstance(v, list) and len(v) >= 2 and all(_is_int(n) and n >= 1 for n in v),
)
SIZES_ANY = Constraint(
    "a list of integers ≥ 1",
    lambda v: isinstance(v, list) and len(v) >= 1 and all(_is_int(n) and n >= 1 for n in v),
)
HIDDEN = Constraint(
    "a list of integers ≥ 1 (the hidden widths; input and output stay)",
    lambda v: isinstance(v, list) and all(_is_int(n) and n >= 1 for n in v),
)
LAYERS = Constraint(
    "a list of tables `{in, out, activation}`, or typed tables such as "
    '`{type = "conv2d", out = 32, kernel = 5}` (see `Sequential.from_spec`)',
    lambda v: isinstance(v, list) and len(v) >= 1 and all(isinstance(x, dict) for x in v),
)
BETAS = Constraint(
    "a list of two numbers in [0, 1)",
    lambda v: (
        isinstance(v, list | tuple)
        and len(v) == 2
        and all(_is_number(b) for b in v)
        and all(0 <= b < 1 for b in v)
    ),
)
INIT = registry(INITIALIZERS, "initializers") | Constraint(
    'a table like `{name = "normal", std = 0.1}`', lambda v: isinstance(v, dict) and "name" in v
)
EARLY_STOPPING = Constraint(
    'a table `{patience = 5, metric = "val_accuracy"}` (metric: `val_accuracy`, `val_loss`, '
    "`accuracy`, `loss`; patience: integer ≥ 1)",
    lambda v: (
        isinstance(v, dict)
        and set(v) <= {"patience", "metric", "min_delta"}
        and _is_int(v.get("patience", 5))
        and v.get("patience", 5) >= 1
        and v.get("metric", "val_accuracy") in ("val_accuracy", "val_loss", "accuracy", "losses")
        and _is_number(v.get("min_delta", 0.0))
    ),
)
AUGMENT = Constraint(
    '`"shift"`, or a table `{shift, rotate, scale, elastic}` ([augmentation.md](augmentation.md))',
    lambda v: isinstance(v, str | dict),
)
NO_DEFAULT = None
"""``default`` of a key that has none: absent means "not used" (documented as —)."""


@dataclass(frozen=True)
class Key:
    """One recipe setting, ``[table] name``, with its default and allowed values."""

    table: str
    name: str
    allowed: Constraint
    default: Any
    doc: str
    override_only: bool = False

    @property
    def path(self) -> str:
        return f"{self.table}.{self.name}" if self.table else self.name

    def applies_to(self) -> list[str] | None:
        """For ``[optimizer]`` / ``[schedule]`` keys: the names whose constructor takes it."""
        reg = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES}.get(self.table)
        if reg is None or self.name == "name":
            return None
        return [n for n in reg.names() if self.name in constructor_args(reg.lookup(n))]

    def check(self, value: Any, where: str = "recipe") -> None:
        if not self.allowed.check(value):
            raise BarenetError(
                f"{where}: {self.path} must be {self.allowed.text.replace('`', '')}, got {value!r}"
            )


def constructor_args(cls: type) -> dict[str, Any]:
    """Keyword arguments of an optimizer or schedule class and their defaults."""
    params = inspect.signature(cls.__init__).parameters
    return {
        n: p.default
        for n, p in params.items()
        if n not in ("self", "params") and p.kind is not p.VAR_KEYWORD
    }


KEYS: tuple[Key, ...] = (
    Key("", "name", STRING, "the file's name", "the recipe's name; runs are named after it"),
    Key("", "description", STRING, "", "one line shown by `barenet recipes`"),
    Key(
        "data",
        "split",
        options("official", "validation", "seed001"),
        "official",
        "`official`: 60,000 train / 10,000 test; `validation`: the last 10,000 training "
        "digits held out for validation; `seed001`: all 70,000 pooled, 67% / 33%",
    ),
    Key("data", "seed", integer(0), 42, "shuffles the pooled digits of the `seed001` split"),
    Key(
        "data",
        "source",
        STRING,
        NO_DEFAULT,
        "written by a run: where its data came from (`cache` or the `--data` path)",
    ),
    Key(
        "data",
        "sha256",
        STRING,
        NO_DEFAULT,
        "written by a run: the SHA-256 of the decoded arrays it trained on",
    ),
    Key(
        "model",
        "sizes",
        SIZES,
        NO_DEFAULT,
        "layer widths of a dense network; give `sizes` or `layers`",
    ),
    Key(
        "model",
        "layers",
        LAYERS,
        NO_DEFAULT,
        "seed 001's form: one table per dense layer, or typed layers (conv2d, maxpool2d, "
        "flatten, dense, ...); give `sizes` or `layers`",
    ),
    Key(
        "model",
        "input_shape",
        SIZES_ANY,
        NO_DEFAULT,
        "the shape of one input example for typed layers, e.g. `[28, 28, 1]` (channels last)",
    ),
    Key(
        "model",
        "hidden",
        HIDDEN,
        NO_DEFAULT,
        "override only (`--set model.hidden=[128,64]`, `--hidden`): replace the hidden widths",
        override_only=True,
    ),
    Key(
        "model",
        "activation",
        registry(ACTIVATIONS, "activations"),
        "relu",
        "activation after every hidden layer (with `sizes`)",
    ),
    Key(
        "model",
        "output_activation",
        registry(ACTIVATIONS, "activations"),
        "same as activation",
        "activation after the last layer (with `sizes`)",
    ),
    Key("model", "init", INIT, "standard_normal", "weight initializer"),
    Key(
        "model",
        "bias_init",
        INIT,
        "zeros",
        "bias initializer (default: like `init` when that is a plain normal, else zeros)",
    ),
    Key(
        "model",
        "dropout",
        number(0, 1, high_open=True),
        0.0,
        "dropout rate after each hidden layer (training only)",
    ),
    Key("model", "dtype", options("float32", "float64"), "float32", "floating-point type"),
    Key("train", "epochs", integer(1), 10, "number of passes over the training set"),
    Key("train", "batch_size", integer(1), 64, "examples per gradient step"),
    Key("train", "loss", registry(LOSSES, "losses"), "cross_entropy", "the cost minimised"),
    Key("train", "seed", integer(0), 0, "seeds the weights, dropout, batch order and augmentation"),
    Key(
        "train",
        "augment",
        AUGMENT,
        NO_DEFAULT,
        "distort the training digits afresh every epoch; `shift` moves each by up to 2 pixels",
    ),
    Key(
        "train",
        "validate_on",
        options("validation", "test", "none"),
        "validation with that split, else none",
        "what the validation curve measures (`test` is labelled a test set)",
    ),
    Key(
        "train",
        "early_stopping",
        EARLY_STOPPING,
        NO_DEFAULT,
        "stop when `metric` has not improved for `patience` epochs and keep the best weights",
    ),
    Key(
        "optimizer",
        "name",
        registry(OPTIMIZERS, "optimizers"),
        "adam",
        "changing it keeps the settings the new optimizer takes and drops the others",
    ),
    Key(
        "optimizer",
        "lr",
        number(0, low_open=True),
        "the optimizer's",
        "learning rate (the base rate of a schedule); sgd 0.1, adam and rmsprop 0.001",
    ),
    Key("optimizer", "weight_decay", number(0), 0.0, "L2 penalty: each step adds wd·w to ∇C"),
    Key("optimizer", "momentum", number(0, 1, high_open=True), 0.0, "velocity decay μ"),
    Key("optimizer", "nesterov", BOOLEAN, False, "Nesterov momentum (needs momentum > 0)"),
    Key("optimizer", "betas", BETAS, [0.9, 0.999], "Adam's moment decays β₁, β₂"),
    Key("optimizer", "eps", number(0, low_open=True), 1e-8, "added to √v in the denominator"),
    Key("optimizer", "alpha", number(0, 1, high_open=True), 0.99, "RMSProp's decay of v"),
    Key(
        "schedule",
        "name",
        registry(SCHEDULES, "schedules"),
        NO_DEFAULT,
        "learning rate per epoch (per step for `one_cycle`); no `[schedule]` means a constant rate",
    ),
    Key("schedule", "step_size", integer(1), 10, "epochs between decays"),
    Key(
        "schedule",
        "gamma",
        number(0, 1, low_open=True),
        "0.1 (step), 0.95 (exponential)",
        "decay factor",
    ),
    Key(
        "schedule",
        "total_epochs",
        integer(1),
        "train.epochs",
        "length of the cosine or the cycle; follows `train.epochs` when that changes (see "
        "Extending a run)",
    ),
    Key("schedule", "min_lr", number(0), 0.0, "the rate the cosine ends at"),
    Key("schedule", "warmup_epochs", integer(1), NO_DEFAULT, "epochs of linear warm-up"),
    Key("schedule", "after", TABLE, "constant", "the schedule after the warm-up, as a table"),
    Key(
        "schedule",
        "warmup_fraction",
        number(0, 1, low_open=True, high_open=True),
        0.3,
        "the part of the cycle spent rising to the peak, `optimizer.lr` (set every step)",
    ),
    Key(
        "schedule",
        "div_factor",
        number(1),
        25.0,
        "the cycle starts at `optimizer.lr` / div_factor",
    ),
    Key(
        "schedule",
        "final_div_factor",
        number(1),
        10000.0,
        "the cycle ends at `optimizer.lr` / (div_factor · final_div_factor)",
    ),
    Key(
        "schedule",
        "anneal",
        options("cosine", "linear"),
        "cosine",
        "the shape of both phases of the cycle: half a cosine, or a straight line",
    ),
    Key(
        "schedule",
        "max_momentum",
        number(0, 1, high_open=True),
        NO_DEFAULT,
        "cycle the momentum (SGD's μ, Adam's β₁) inversely to the rate: from this down to "
        "`base_momentum` at the peak and back",
    ),
    Key(
        "schedule",
        "base_momentum",
        number(0, 1, high_open=True),
        NO_DEFAULT,
        "the momentum at the cycle's peak (give it with `max_momentum`)",
    ),
    Key(
        "expected",
        "test_accuracy",
        number(0, 1, low_open=True),
        NO_DEFAULT,
        "a floor the recipe must reach on the test set (tests and docs check it)",
    ),
    Key(
        "expected",
        "published",
        number(0, 1, low_open=True),
        NO_DEFAULT,
        "the accuracy the recipe's source reports",
    ),
    Key("expected", "source", STRING, NO_DEFAULT, "where the expected result comes from"),
    Key("expected", "note", STRING, NO_DEFAULT, "anything else about the result"),
)

TABLES = ("data", "model", "train", "optimizer", "schedule", "expected")


def keys_of(table: str) -> dict[str, Key]:
    return {k.name: k for k in KEYS if k.table == table}


def find_key(path: str, *, overrides: bool = False) -> Key:
    """The ``Key`` of a dotted path such as ``"optimizer.lr"``; an unknown path is a
    ``BarenetError`` that names it and suggests the closest valid ones."""
    table, _, name = path.rpartition(".")
    for key in KEYS:
        if key.table == table and key.name == name and (overrides or not key.override_only):
            return key
    valid = [k.path for k in KEYS if overrides or not k.override_only]
    close = difflib.get_close_matches(path, valid, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    if table in TABLES or table == "":
        listed = ", ".join(
            k.path for k in KEYS if k.table == table and (overrides or not k.override_only)
        )
        hint += f" (keys of [{table or 'top level'}]: {listed})"
    else:
        hint += f" (tables: {', '.join(TABLES)})"
    raise BarenetError(f"unknown recipe key {path!r}{hint}")


def validate(data: dict[str, Any], where: str = "recipe") -> None:
    """Check every table and key of a recipe's data against ``KEYS`` (names, types, ranges,
    and that optimizer/schedule keys apply to the chosen one). Raises ``BarenetError``."""
    for top, value in data.items():
        if top in TABLES:
            if not isinstance(value, dict):
                raise BarenetError(f"{where}: [{top}] must be a table")
            continue
        try:
            key = find_key(top)
        except BarenetError as exc:
            raise BarenetError(f"{where}: {exc}") from None
        key.check(value, where)
    for table in TABLES:
        section = data.get(table, {})
        for name, value in section.items():
            try:
                key = find_key(f"{table}.{name}")
            except BarenetError as exc:
                raise BarenetError(f"{where}: {exc}") from None
            key.check(value, where)
            chosen = section.get("name")
            users = key.applies_to()
            if users is not None and chosen is not None and chosen.lower() not in users:
                raise BarenetError(
                    f"{where}: {key.path} does not apply to {table} {chosen!r} "
                    f"(it applies to {', '.join(users)})"
                )
    model = data.get("model", {})
    if ("layers" in model) == ("sizes" in model):
        raise BarenetError(f"{where}: [model] needs exactly one of 'layers' or 'sizes'")
    if data.get("schedules") and "name" not in data["schedule"]:
        raise BarenetError(f"{where}: [schedule] needs a name")


def _default_text(key: Key) -> str:
    if key.default is NO_DEFAULT:
        return "—"
    if isinstance(key.default, str) and (" " in key.default or key.default.startswith("train.")):
        return key.default
    if isinstance(key.default, str):
        return f'`"{key.default}"`'
    if isinstance(key.default, bool):
        return f"`{str(key.default).lower()}`"
    return f"`{key.default}`"


def markdown_table(keys: Sequence[Key] = KEYS) -> str:
    """The reference table of ``docs/recipes.md``: one row per key."""
    rows = [
        "| key | default | allowed values | applies to | meaning |",
        "|---|---|---|---|---|",
    ]
    for key in keys:
        users = key.applies_to()
        rows.append(
            f"| `{key.path}` | {_default_text(key)} | {key.allowed.text} | "
            f"{', '.join(users) if users is not None else '—'} | {key.doc} |"
        )
    return "\n".join(rows) + "\n"
