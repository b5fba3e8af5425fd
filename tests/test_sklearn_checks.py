"""Both estimators pass scikit-learn's own estimator checks (``parametrize_with_checks``)."""

import pytest

pytest.importorskip("sklearn")

from sklearn.utils.estimator_checks import parametrize_with_checks

from barenet.sklearn import BarenetClassifier, BarenetRegressor

# Small networks and few epochs keep the ~50 checks per estimator quick; each check that
# judges quality (accuracy on blobs, R² on a regression) still has to pass with them.
ESTIMATORS = [
    BarenetClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=50),
    BarenetRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=50),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
