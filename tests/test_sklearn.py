"""barenet.sklearn: the estimators as a scikit-learn user meets them: pipelines, grid search
on processes and on a Dask cluster, pickling, labels of any type, MLP's stopping rule, bad
input, and results as good as MLPClassifier's and MLPRegressor's on the same settings."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from barenet.nn.parameter import packed
from barenet.sklearn import BarenetClassifier, BarenetRegressor

ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def wine():
    x, y = load_wine(return_X_y=True)
    return StandardScaler().fit_transform(x), y


def small(**kw):
    defaults = {"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0, "batch_size": 32}
    return BarenetClassifier(**{**defaults, "learning_rate_init": 0.01, **kw})


def weights(est):
    return [p.value.copy() for p in est.model_.parameters()]


# ---------------------------------------------------------------- the estimator contract
@ignore_convergence
def test_same_random_state_same_weights_and_clone_is_unfitted(wine):
    x, y = wine
    a, b = small(dropout=0.2).fit(x, y), small(dropout=0.2).fit(x, y)
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    c = small(dropout=0.2, random_state=1).fit(x, y)
    assert not np.array_equal(weights(a)[0], weights(c)[0])
    twin = clone(a)
    assert twin.get_params() == a.get_params()
    assert not hasattr(twin, "model_") and not hasattr(twin, "classes_")
    with pytest.raises(NotFittedError):
        twin.predict(x)


@ignore_convergence
@pytest.mark.parametrize("solver", ["sgd", "adam", "rmsprop"])
def test_a_pickled_estimator_continues_on_the_packed_path_with_the_same_weights(wine, solver):
    x, y = wine
    est = small(alpha=0.0, solver=solver, warm_start=True, max_iter=5).partial_fit(
        x, y, classes=np.unique(y)
    )
    copy = pickle.loads(pickle.dumps(est))
    assert packed(copy.model_.parameters()) is not None
    assert len(copy._optimizer._groups()) == 1  # one whole-buffer step, not one per array
    for model in (est, copy):
        model.partial_fit(x, y).partial_fit(x, y)  # continues: optimizer state, batch order
        model.fit(x, y)  # warm start: continues from the weights
    for mine, theirs in zip(weights(est), weights(copy), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(est.predict_proba(x), copy.predict_proba(x))
    assert est.loss_curve_ == copy.loss_curve_ and len(est.loss_curve_) == 8


@ignore_convergence
def test_labels_of_any_type_and_feature_names(wine):
    pd = pytest.importorskip("pandas")
    x, y = wine
    names = np.array(["barolo", "grignolino", "barbera"])[y]
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(x.shape[1])])
    est = small().fit(frame, names)
    assert list(est.classes_) == ["barbera", "barolo", "grignolino"]
    assert set(est.predict(frame)) <= set(names)
    assert est.score(frame, names) > 0.9
    proba = est.predict_proba(frame)
    assert proba.shape == (len(x), 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert est.n_features_in_ == 13 and list(est.feature_names_in_) == list(frame.columns)
    assert est.n_iter_ == len(est.loss_curve_) == 30
    with pytest.raises(ValueError, match="has classes not in"):
        est.partial_fit(frame, np.where(names == "barolo", "nebbiolo", names))


def test_convergence_warning_and_the_stopping_rule(wine):
    x, y = wine
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        small(max_iter=3).fit(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = small(max_iter=500, tol=1e-2, n_iter_no_change=2).fit(x, y)
    # Stopped at the first epoch where the loss had failed to improve on the best so far by
    # tol for more than n_iter_no_change epochs in a row, as scikit-learn's MLP does.
    assert est.n_iter_ == len(est.loss_curve_) < 500
    best, count = np.inf, 0
    for epoch, loss in enumerate(est.loss_curve_, start=1):
        count = count + 1 if loss > best - 1e-2 else 0
        best = min(best, loss)
        assert (count > 2) == (epoch == est.n_iter_)


def test_early_stopping_keeps_the_best_validation_epoch(wine):
    x, y = wine
    est = small(early_stopping=True, max_iter=300, n_iter_no_change=5, learning_rate_init=0.01)
    est.fit(x, y)
    assert len(est.validation_scores_) == est.n_iter_ < 300
    assert est.best_validation_score_ == max(est.validation_scores_)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        est.partial_fit(x, y)


@ignore_convergence
def test_regressor_one_and_several_targets():
    x, y = make_regression(n_samples=200, n_features=5, n_targets=3, noise=1.0, random_state=0)
    y = y / y.std(axis=0)
    reg = BarenetRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    assert reg.fit(x, y).predict(x).shape == (200, 3)
    assert reg.score(x, y) > 0.9
    assert reg.fit(x, y[:, 0]).predict(x).shape == (200,)
    assert reg.n_outputs_ == 1 and reg.score(x, y[:, 0]) > 0.9


@ignore_convergence
def test_layers_spec_schedule_and_verbose(wine, capsys):
    x, y = wine
    spec = [
        {"in": 13, "out": 8, "activation": "tanh", "dropout": 0.1},
        {"in": 8, "out": 3, "activation": "softmax"},
    ]
    est = BarenetClassifier(
        layers=spec, schedule={"name": "step", "step_size": 2}, max_iter=4, verbose=True
    ).fit(x, y)
    assert [type(layer).__name__ for layer in est.model_.layers] == [
        "Dense",
        "Activation",
        "Dropout",
        "Dense",
        "Activation",
    ]
    assert est._optimizer.lr == pytest.approx(0.001 * 0.1)  # epochs 3 and 4 at η₀·γ
    assert capsys.readouterr().out.count("Iteration ") == 4
    with pytest.raises(ValueError, match="layers gives 3 outputs, but y has 2 classes"):
        BarenetClassifier(layers=spec).fit(x[y < 2], y[y < 2])
    with pytest.raises(ValueError, match="layers takes 13 input features, but X has 12"):
        BarenetClassifier(layers=spec).fit(x[:, 1:], y)


# ---------------------------------------------------------------- bad input
@ignore_convergence
def test_bad_input_gives_scikit_learns_errors(wine):
    x, y = wine
    est = small(max_iter=2).fit(x, y)
    with pytest.raises(
        ValueError, match="X has 12 features, but BarenetClassifier is expecting 13 features"
    ):
        est.predict(x[:, 1:])
    bad = x.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        small().fit(bad, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.predict(bad)
    with pytest.raises(ValueError, match=re.escape("Found array with 0 sample(s)")):
        small().fit(x[:0], y[:0])
    with pytest.raises(ValueError, match="Found array with dim 3"):
        small().fit(x.reshape(len(x), 13, 1), y)
    with pytest.raises(ValueError, match="Found array with dim 3"):
        BarenetRegressor().fit(x.reshape(len(x), 13, 1), y)
    with pytest.raises(
        InvalidParameterError,
        match=r"The 'solver' parameter of BarenetClassifier must be a str among .*'adam'.*"
        r"Got 'lbfgs' instead",
    ):
        small(solver="lbfgs").fit(x, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        small().fit(x, np.linspace(0, 1, len(x)))
    with pytest.raises(ValueError, match="only one class"):
        small().fit(x, np.zeros(len(x), int))
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        small().partial_fit(x, y)
    with pytest.raises(ValueError, match="training diverged"):
        BarenetRegressor(learning_rate_init=1e3, solver="sgd", random_state=0).fit(x * 1e3, y)


# ---------------------------------------------------------------- in the ecosystem
@ignore_convergence
def test_pipeline_and_grid_search_on_two_processes():
    x, y = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), small(max_iter=20))
    grid = {
        "barenetclassifier__hidden_layer_sizes": [(4,), (16,)],
        "barenetclassifier__alpha": [1e-4, 1e-2],
    }
    search = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(x, y)
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.best_score_ > 0.9
    assert search.best_estimator_.score(x, y) > 0.9


@ignore_convergence
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_grid_search_through_joblibs_dask_backend_on_a_local_cluster(wine):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend

    x, y = wine
    grid = {"hidden_layer_sizes": [(4,), (8,)]}
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
        parallel_backend("dask"),
    ):
        search = GridSearchCV(small(max_iter=10), grid, cv=2).fit(x, y)
        workers = client.run(lambda: __import__("os").getpid())
    assert len(workers) == 2
    assert search.best_score_ > 0.8
    local = GridSearchCV(small(max_iter=10), grid, cv=2).fit(x, y)
    # Fitted in other processes, the same results as here: same seeds, same weights.
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )


# ---------------------------------------------------------------- as good as scikit-learn's MLP
@pytest.fixture
def one_blas_thread():
    """MLPClassifier on one BLAS thread too: on a busy machine many threads only wait."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def cv_accuracy(est, x, y):
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    return cross_val_score(make_pipeline(StandardScaler(), est), x, y, cv=folds).mean()


@ignore_convergence
@pytest.mark.parametrize("load", [load_wine, load_breast_cancer], ids=["wine", "breast_cancer"])
def test_classifier_accuracy_matches_mlpclassifier(load, one_blas_thread):
    x, y = load(return_X_y=True)
    # Same sizes, solver, batch size and epochs (no early stop: n_iter_no_change=max_iter).
    settings = dict(
        hidden_layer_sizes=(32,), solver="adam", batch_size=32, max_iter=60, n_iter_no_change=60
    )
    ours = cv_accuracy(BarenetClassifier(random_state=0, **settings), x, y)
    theirs = cv_accuracy(MLPClassifier(random_state=0, **settings), x, y)
    assert ours > 0.9
    assert abs(ours - theirs) <= 0.01, (ours, theirs)


@ignore_convergence
@pytest.mark.mnist
def test_classifier_accuracy_matches_mlpclassifier_on_real_mnist(mnist, one_blas_thread):
    x, y = mnist.train.x[:10_000], mnist.train.y[:10_000]
    settings = dict(hidden_layer_sizes=(64,), solver="adam", max_iter=8, n_iter_no_change=8)
    ours = BarenetClassifier(random_state=0, **settings).fit(x, y)
    theirs = MLPClassifier(random_state=0, **settings).fit(x, y)
    acc_ours = ours.score(mnist.test.x, mnist.test.y)
    acc_theirs = theirs.score(mnist.test.x, mnist.test.y)
    assert acc_ours > 0.9
    assert abs(acc_ours - acc_theirs) <= 0.01, (acc_ours, acc_theirs)


@ignore_convergence
def test_regressor_r2_matches_mlpregressor_on_diabetes(one_blas_thread):
    from sklearn.model_selection import train_test_split

    x, y = load_diabetes(return_X_y=True, scaled=False)
    x_train, x_test, y_train, y_test = train_test_split(x, y, random_state=0)
    settings = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=300)
    scores = [
        make_pipeline(StandardScaler(), est(random_state=0, **settings))
        .fit(x_train, y_train)
        .score(x_test, y_test)
        for est in (BarenetRegressor, MLPRegressor)
    ]
    assert scores[0] > 0.2
    assert abs(scores[0] - scores[1]) <= 0.05, scores


@ignore_convergence
def test_a_conv_net_from_a_typed_layers_spec():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    spec = [
        {"type": "conv2d", "out": 8, "kernel": 3, "padding": "same", "activation": "relu"},
        {"type": "maxpool2d", "size": 2},
        {"type": "flatten"},
        {"type": "dense", "out": 10, "activation": "softmax"},
    ]
    clf = BarenetClassifier(
        layers=spec, input_shape=(8, 8, 1), learning_rate_init=0.01, max_iter=10, random_state=0
    )
    clf.fit(x[:1200] / 16, y[:1200])  # rows of 64 values, seen by the network as 8×8 images
    assert clf.model_.input_shape == (8, 8, 1)
    assert clf.score(x[1200:] / 16, y[1200:]) > 0.85
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict(x), clf.predict(x))
