"""scikit-learn estimators over barenet's engine: ``BarenetClassifier``, ``BarenetRegressor``.

They take ``MLPClassifier``/``MLPRegressor``'s parameters where the idea is the same, so one
can stand in for the other in a pipeline or a grid search::

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from barenet.sklearn import BarenetClassifier

    clf = make_pipeline(StandardScaler(), BarenetClassifier(hidden_layer_sizes=(64,)))
    clf.fit(X_train, y_train).score(X_test, y_test)

A fit trains a ``barenet.train.Model`` (``model_``) with barenet's ``Trainer``: float32
mini-batches, parameters in one packed buffer. What follows scikit-learn's MLP exactly:

* ``alpha`` is its L2 penalty, ½·α·‖W‖² added to each batch's mean loss over the batch's B rows
  (so barenet's weight decay is α / B, on weights, not biases);
* training stops when the loss (or, with ``early_stopping``, the validation score) has not
  improved by ``tol`` for more than ``n_iter_no_change`` epochs; reaching ``max_iter`` first
  warns ``ConvergenceWarning``; ``early_stopping`` keeps the weights of the best epoch;
* ``batch_size="auto"`` is min(200, n_samples); ``loss_curve_`` holds the mean loss of each
  epoch's batches plus the penalty, ``n_iter_`` the epochs run, ``t_`` the examples seen.

What differs: the solvers are barenet's (``"sgd"``, ``"adam"``, ``"rmsprop"``; there is no
L-BFGS), a learning-rate ``schedule`` replaces ``learning_rate="invscaling"``/``"adaptive"``,
the classifier always has a softmax output (two units for two classes, where scikit-learn
uses one logistic unit), there is no multilabel classification and no sparse input.
barenet's own parameters: ``layers`` (a full spec, as ``Model.from_spec`` takes it),
``dropout``, ``schedule`` and ``threads`` (BLAS threads while fitting and predicting: by
default ``$BARENET_THREADS`` or 1, as ``Model.fit``; 0 leaves NumPy's setting alone).

Randomness: ``random_state`` seeds the weights, the batch order, dropout and the early-stopping
split; the same ``random_state`` gives the same weights. Pickling works as for any
scikit-learn estimator (barenet's own model files, ``model_.save(...)``, stay pickle-free).
"""

from __future__ import annotations

import contextlib
import itertools
import warnings
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import _check_partial_fit_first_call, check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from barenet.nn import Optimizer, get_optimizer
from barenet.train import Callback, Model, Trainer, TrainingDiverged
from barenet.train.setup import make_trainer
from barenet.train.threads import limit_threads

__all__ = ["BarenetClassifier", "BarenetRegressor"]

ACTIVATIONS = {"identity", "logistic", "tanh", "relu", "sigmoid", "leaky_relu"}
SOLVERS = {"sgd", "adam", "rmsprop"}


class _EpochEnd(Callback):
    """Hands each finished epoch to the estimator, which decides whether to stop."""

    def __init__(self, estimator: _BarenetMLP, data: _Data) -> None:
        self.estimator, self.data = estimator, data

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        self.estimator._epoch_end(trainer, logs, self.data)


class _Data:
    """What one call of fit or partial_fit trains on: the training rows, the held-out rows
    for ``early_stopping`` (or None), and whether the call is incremental."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray] | None,
        incremental: bool,
    ) -> None:
        self.x, self.y, self.validation, self.incremental = x, y, validation, incremental


class _BarenetMLP(BaseEstimator):
    """What both estimators share: parameters, training and early stopping."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS)],
        "solver": [StrOptions(SOLVERS)],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "layers": [list, None],
        "input_shape": ["array-like", None],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "schedule": [str, dict, None],
        "threads": [Interval(Integral, 0, None, closed="left"), None],
    }

    _loss = "cross_entropy"
    _output_activation = "softmax"

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        layers: list[dict[str, Any]] | None = None,
        input_shape: Any = None,
        dropout: float = 0.0,
        schedule: str | dict[str, Any] | None = None,
        threads: int | None = None,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.layers = layers
        self.input_shape = input_shape
        self.dropout = dropout
        self.schedule = schedule
        self.threads = threads

    # ------------------------------------------------------------------ subclass hooks
    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Checked ``X`` (n, features) and the engine's targets for ``y``."""
        raise NotImplementedError

    def _validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        raise NotImplementedError

    # ------------------------------------------------------------------ building
    def _network(self, n_in: int, n_out: int, seed: int) -> Model:
        """A fresh network n_in → hidden_layer_sizes → n_out, or the ``layers`` spec."""
        if self.layers is not None:
            shape = None if self.input_shape is None else tuple(self.input_shape)
            model = Model.from_spec(
                [dict(entry) for entry in self.layers],
                input_shape=shape,
                dropout=self.dropout,
                seed=seed,
            )
            what = "classes" if isinstance(self, ClassifierMixin) else "targets"
            if model.in_features != n_in:
                raise ValueError(
                    f"layers takes {model.in_features} input features, but X has {n_in}"
                )
            if model.out_features != n_out:
                raise ValueError(
                    f"layers gives {model.out_features} outputs, but y has {n_out} {what}"
                )
            return model
        hidden = self.hidden_layer_sizes
        sizes = list(hidden) if np.iterable(hidden) else [hidden]
        if any(isinstance(n, bool) or not isinstance(n, Integral) or n <= 0 for n in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        widths = [n_in, *(int(n) for n in sizes), n_out]
        spec = [
            {"in": a, "out": b, "activation": self.activation}
            for a, b in itertools.pairwise(widths)
        ]
        spec[-1]["activation"] = self._output_activation
        # scikit-learn's MLP draws W from Glorot's uniform too; its biases are small uniform
        # draws where barenet's start at 0.
        return Model.from_spec(spec, init="xavier_uniform", dropout=self.dropout, seed=seed)

    def _optimizer_for(self, model: Model, batch_size: int) -> Optimizer:
        decay = self.alpha / batch_size
        config: dict[str, Any] = {
            "name": self.solver,
            "lr": self.learning_rate_init,
            "weight_decay": decay,
        }
        if self.solver == "sgd":
            nesterov = self.nesterovs_momentum and self.momentum > 0
            config.update(momentum=self.momentum, nesterov=nesterov)
        elif self.solver == "adam":
            config.update(betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        else:
            config.update(eps=self.epsilon)
        return get_optimizer(config, model.parameters())

    def _initialize(self, n_features: int, n_outputs: int, seed: int) -> None:
        self.model_ = self._network(n_features, n_outputs, seed)
        self.n_outputs_ = n_outputs
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_: list[float] = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_: list[float] | None = []
            self.best_validation_score_: float | None = -np.inf
            self.best_loss_: float | None = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        self._data_rng = np.random.default_rng(seed)
        self._optimizer: Optimizer | None = None
        self._epochs = 0
        self._best_state: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------ training
    def _fit(self, X: Any, y: Any, incremental: bool) -> _BarenetMLP:
        first_pass = not hasattr(self, "model_") or (not self.warm_start and not incremental)
        x, target = self._validate_input(X, y, incremental, reset=first_pass)
        n_samples, n_features = x.shape
        n_outputs = len(self.classes_) if hasattr(self, "classes_") else target.shape[1]
        rs = check_random_state(self.random_state)
        if first_pass:
            self._initialize(n_features, n_outputs, int(rs.randint(np.iinfo(np.int32).max)))
        x = x.astype(self.model_.dtype, copy=False)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        validation = None
        if self.early_stopping:
            stratify = target if isinstance(self, ClassifierMixin) else None
            x, x_val, target, y_val = train_test_split(
                x, target, random_state=rs, test_size=self.validation_fraction, stratify=stratify
            )
            if x_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            validation = (x_val, y_val)
            n_samples = x.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. "
                    "It is going to be clipped",
                    stacklevel=4,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        if self._optimizer is None or not incremental:
            self._optimizer = self._optimizer_for(self.model_, batch_size)
        self._batch_size = batch_size
        # The schedule (if any) scales the initial rate, not where the last call left it.
        self._optimizer.lr = self.learning_rate_init
        data = _Data(x, target, validation, incremental)
        trainer = make_trainer(
            self.model_,
            optimizer=self._optimizer,
            loss=self._loss,
            batch_size=batch_size,
            seed=self._data_rng,
            schedule=self.schedule,
            callbacks=[_EpochEnd(self, data)],
        )
        # A partial_fit continues the schedule where the previous call left it.
        trainer.epoch = self._epochs if incremental else 0
        epochs = trainer.epoch + (1 if incremental else self.max_iter)
        self._stopped = False
        try:
            with self._blas_threads():
                trainer.fit(x, target, epochs)
        except TrainingDiverged as exc:
            raise ValueError(
                f"training diverged ({exc}); the input data may contain large values and "
                "need to be preprocessed (StandardScaler), or learning_rate_init is too large"
            ) from None
        self._epochs = trainer.epoch
        if not incremental and not self._stopped:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if self.early_stopping and self._best_state is not None:
            self.model_.load_state_dict(self._best_state)
        return self

    def _epoch_end(self, trainer: Trainer, logs: dict[str, Any], data: _Data) -> None:
        """scikit-learn's bookkeeping after an epoch: the loss curve, the stopping rule."""
        weights = sum(float(np.vdot(p.value, p.value)) for p in self.model_.parameters() if p.decay)
        # The mean loss of the epoch's batches, as scikit-learn's loss_ (not the clean loss).
        penalty = 0.5 * self.alpha * weights / self._batch_size
        loss = logs["batch_loss"] / self._loss_scale() + penalty
        self.n_iter_ += 1
        self.t_ += len(data.x)
        self.loss_ = loss
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
        if data.validation is not None:
            score = self._validation_score(*data.validation)
            assert self.validation_scores_ is not None and self.best_validation_score_ is not None
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_state = self.model_.state_dict()
        else:
            assert self.best_loss_ is not None
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, loss)
        if self._no_improvement_count > self.n_iter_no_change:
            self._stopped = True
            trainer.stop_training = True
            if self.verbose:
                what = "Validation score" if data.validation is not None else "Training loss"
                print(
                    f"{what} did not improve more than tol={self.tol:f} for "
                    f"{self.n_iter_no_change} consecutive epochs. Stopping."
                )

    def _loss_scale(self) -> float:
        return 1.0

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> _BarenetMLP:
        """Train on ``X`` (n_samples, n_features) and ``y`` for up to ``max_iter`` epochs;
        with ``warm_start`` continue from the current weights."""
        return self._fit(X, y, incremental=False)

    def _blas_threads(self) -> contextlib.AbstractContextManager[Any]:
        """Cap NumPy's BLAS at ``threads`` threads while this estimator computes (None:
        ``$BARENET_THREADS`` or 1; 0: not capped), as ``Model.fit`` and ``barenet train`` do:
        small networks run as fast on one thread on a quiet machine, many times faster on a
        busy one, and give the same bits on any machine."""
        return limit_threads(self.threads)

    def _checked(self, X: Any) -> np.ndarray:
        """``X`` checked against what the estimator was fitted on, in the network's dtype."""
        check_is_fitted(self)
        x = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return x.astype(self.model_.dtype, copy=False)

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        # The optimizer travels as its state: its arrays are views of the network's packed
        # buffer, which unpickling rebuilds (Sequential.__setstate__).
        state = dict(super().__getstate__())
        optimizer = state.pop("_optimizer", None)
        if optimizer is not None:
            state["_optimizer_state"] = optimizer.state_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        optimizer = state.pop("_optimizer_state", None)
        super().__setstate__(state)
        if optimizer is not None:
            self._optimizer = get_optimizer(optimizer["config"], self.model_.parameters())
            self._optimizer.load_state_dict(optimizer)


class BarenetClassifier(ClassifierMixin, _BarenetMLP):
    """A multi-layer perceptron classifier trained by barenet: softmax output, cross-entropy.

    ``classes_`` may be of any label type (integers, strings); ``predict_proba`` gives
    (n_samples, n_classes) probabilities in the order of ``classes_``.
    """

    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        x, labels = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=reset)
        check_classification_targets(labels)
        if not incremental and (reset or not hasattr(self, "classes_")):
            self.classes_ = np.unique(labels)
        else:
            classes = np.unique(labels)
            if not incremental and set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                )
            if len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {self.classes_[0]!r}"
            )
        return x, np.searchsorted(self.classes_, labels)

    def _validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.model_.predict(x) == y))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> BarenetClassifier:
        """One epoch over ``X``, ``y``. ``classes`` (every label there will ever be) is
        required on the first call."""
        _check_partial_fit_first_call(self, classes)  # sets classes_ on the first call
        return self._fit(X, y, incremental=True)  # type: ignore[return-value]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), rows summing to 1."""
        x = self._checked(X)
        with self._blas_threads():
            return self.model_.predict_proba(x).astype(np.float64)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each row, shape (n_samples,)."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class BarenetRegressor(RegressorMixin, _BarenetMLP):
    """A multi-layer perceptron regressor trained by barenet: identity output, squared error
    ½‖ŷ − y‖² per example; one target (y of shape (n,)) or several ((n, targets))."""

    _loss = "quadratic"
    _output_activation = "identity"

    def _validate_input(
        self, X: Any, y: Any, incremental: bool, reset: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        x, target = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if target.ndim == 2 and target.shape[1] == 1:
            target = column_or_1d(target, warn=True)
        target = target.reshape(len(target), -1).astype(np.float32)
        if not reset and target.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {target.shape[1]} targets, but {type(self).__name__} was fitted "
                f"with {self.n_outputs_}"
            )
        return x, target

    def _loss_scale(self) -> float:
        # scikit-learn reports the squared error averaged over the targets too.
        return float(self.n_outputs_)

    def _validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(r2_score(y, self.model_.infer(x)))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any) -> BarenetRegressor:
        """One epoch over ``X``, ``y`` (the first call starts a new network)."""
        return self._fit(X, y, incremental=True)  # type: ignore[return-value]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n_samples,) for one target, (n_samples, n_targets) for several."""
        x = self._checked(X)
        with self._blas_threads():
            out = self.model_.infer(x).astype(np.float64)
        return out.ravel() if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
