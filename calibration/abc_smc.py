"""ABC-SMC (pyABC) with every simulation run in batches by the caller, seeded and resumable.

pyABC's own parallel samplers accept particles in the order workers finish, so the same seed
can give different posteriors. Here a generation is sampled in two passes per batch instead:

1. *propose*: pyABC's ``simulate_one`` is called B times; the model records each proposed
   parameter and stops the particle before any simulation (so only the proposal's random
   draws are used);
2. the caller simulates the B parameters at once (``simulate``: the project's runner, on a
   local pool or Dask, results in order);
3. *replay*: numpy's random state is put back and ``simulate_one`` called again: the same
   parameters come out, the model hands over their statistics, pyABC computes distances,
   acceptance and weights. Replay stops at the n-th accepted particle.

So a generation is exactly what pyABC's single-core sampler would produce, whatever the batch
size or engine. Each generation starts from numpy's random state seeded by (seed, t), and the
epsilon of a resumed run is the quantile of the last stored generation, as it would have been
without the interruption: a resumed run gives the uninterrupted run's draws. The run is kept
in pyABC's SQLite history, one finished generation at a time.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.priors import Prior

# simulate(t, first, parameters) -> summary statistics of each parameter set, in order;
# ``first`` numbers the generation's simulations, so each one can have its own seed
Simulate = Callable[[int, int, list[dict[str, float]]], list[dict[str, float]]]


@dataclass(frozen=True)
class SmcSettings:
    population: int = 200
    generations: int = 8
    max_simulations: int = 3000
    min_epsilon: float = 0.0
    min_acceptance: float = 0.02
    seed: int = 2015
    batch: int = 2  # the least simulations per batch (the engine's width)
    schedule: tuple[float, ...] = ()  # fixed ε per generation instead of adaptive ones
    defensive: float = 0.1  # the prior's share in every proposal


@dataclass
class SmcResult:
    draws: pd.DataFrame  # final generation: one column per parameter
    weights: np.ndarray
    generations: pd.DataFrame  # t, epsilon, simulations, acceptance, ess
    resumed_from: int  # generations found in the history when the run started
    stopped: str


def weighted_distance(weights: Mapping[str, float]) -> Callable[[dict, dict], float]:
    """sqrt(Σ w_i (x_i - x0_i)^2): with w = weight / tolerance², the square root of the
    simulated-moments distance of calibration/msm.py."""
    keys = sorted(weights)
    w = np.array([weights[k] for k in keys])

    def distance(x: dict, x_0: dict) -> float:
        d = np.array([float(x[k]) - float(x_0[k]) for k in keys])
        value = float(np.sqrt(np.sum(w * d * d)))
        return value if math.isfinite(value) else 1e12

    return distance


def _logit_rv_class() -> type:
    from pyabc.random_variables import RVBase
    from scipy.special import expit

    class LogitRV(RVBase):
        """A prior seen on the logit scale of its range, u = logit((x − lower) / (upper −
        lower)): pyABC's Gaussian proposals then never leave the prior's support (on the
        bounded scale, in two dozen dimensions, most of them would) and the importance
        weights stay finite. The density carries the Jacobian, so the posterior is the same."""

        def __init__(self, prior: Prior) -> None:
            self.prior = prior
            self.frozen = prior.frozen()
            self.width = prior.upper - prior.lower

        def to_x(self, u: float) -> float:
            return float(self.prior.lower + self.width * expit(u))

        def copy(self) -> LogitRV:
            return LogitRV(self.prior)

        def rvs(self, *args: Any, **kwargs: Any) -> float:
            # one uniform from numpy's global state (seeded per generation), by inverse CDF
            x = float(self.frozen.ppf(np.random.uniform()))  # noqa: NPY002
            z = min(max((x - self.prior.lower) / self.width, 1e-12), 1 - 1e-12)
            return float(np.log(z / (1 - z)))

        def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
            return 0.0

        def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
            s = float(expit(x))
            return float(self.frozen.pdf(self.prior.lower + self.width * s)
                         * self.width * s * (1 - s))

        def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
            return float(self.frozen.cdf(self.to_x(x)))

    return LogitRV


def _transition_class() -> type:
    import scipy.stats as st
    from pyabc.parameters import Parameter
    from pyabc.transition import Transition
    from pyabc.transition.util import smart_cov

    class GaussianWithPrior(Transition):
        """The proposal: one Gaussian fitted to the last generation (its weighted mean and
        covariance, times ``widen``) mixed with the prior itself (``share``; defensive
        importance sampling, Hesterberg 1995).

        pyABC's default kernel density proposal puts a small Gaussian around every particle;
        with a dozen or more parameters the particles are far apart relative to it, the
        importance weights prior/proposal spread over orders of magnitude and a handful of
        particles carry the population (measured on a 23-parameter toy: effective sample size
        5 of 150 by the fourth generation). One smooth Gaussian, a little wider than the
        population, with the prior's share bounding every weight, keeps it near half
        (the same toy with 11 parameters: 46–71 of 150 over seven generations)."""

        def __init__(self, prior: Any, share: float, widen: float = 1.5) -> None:
            self.prior, self.share, self.widen = prior, share, widen

        def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
            values = X.to_numpy(float)
            self.mean = np.average(values, axis=0, weights=w)
            self.cov = smart_cov(values, w) * self.widen
            self.normal = st.multivariate_normal(mean=self.mean, cov=self.cov,
                                                 allow_singular=True)

        def rvs_single(self) -> Any:
            if np.random.uniform() < self.share:  # noqa: NPY002 - pyABC's global state
                return self.prior.rvs()
            v = np.random.multivariate_normal(self.mean, self.cov)  # noqa: NPY002
            return Parameter(dict(zip(self.X.columns, v, strict=True)))

        def pdf(self, x: Any) -> Any:
            if isinstance(x, pd.DataFrame):
                return np.array([self.pdf(row) for _, row in x.iterrows()])
            v = np.array([float(x[k]) for k in self.X.columns])
            return self.share * float(self.prior.pdf(x)) \
                + (1 - self.share) * float(self.normal.pdf(v))

    return GaussianWithPrior


class _Deferred(Exception):  # noqa: N818 - a signal, not an error
    """Raised by the model in the propose pass: the particle stops before simulating."""


def _model_class() -> type:
    import pyabc

    class BatchModel(pyabc.Model):
        """pyABC's view of the simulator: it never simulates, it records or hands over.
        pyABC's parameters are on the logit scale; the simulator gets the values."""

        def __init__(self, scales: dict[str, Any]) -> None:
            super().__init__("pilotsim")
            self.scales = scales
            self.proposing = True
            self.proposed: list[dict[str, float]] = []
            self.ready: deque[tuple[dict[str, float], dict[str, float]]] = deque()

        def sample(self, pars: Any) -> dict[str, float]:
            theta = {k: self.scales[k].to_x(float(v)) for k, v in dict(pars).items()}
            if self.proposing:
                self.proposed.append(theta)
                raise _Deferred
            expected, stats = self.ready.popleft()
            if expected != theta:  # the replay must propose exactly what was simulated
                raise RuntimeError("ABC replay diverged from the proposals")
            return stats

    return BatchModel


def _sampler_class() -> type:
    from pyabc.sampler import Sampler

    class BatchSampler(Sampler):
        def __init__(self, model: Any, simulate: Simulate, seed: int, batch: int) -> None:
            super().__init__()
            self.model, self.simulate, self.seed, self.batch = model, simulate, seed, batch
            self.acceptance = 1.0  # last generation's, to size batches

        def sample_until_n_accepted(self, n: int, simulate_one: Callable, t: int, *,
                                    max_eval: float = np.inf, all_accepted: bool = False,
                                    ana_vars: Any = None) -> Any:
            # pyABC proposes from numpy's global random state: seed it per generation
            np.random.seed(np.random.SeedSequence(self.seed, spawn_key=(t + 1,))  # noqa: NPY002
                           .generate_state(4))
            sample = self._create_empty_sample()
            done = 0
            while sample.n_accepted < n and done < max_eval:
                # the acceptance so far in this generation (the last one's before any)
                rate = max(sample.n_accepted, 1) / done if done else self.acceptance
                wanted = (n - sample.n_accepted) / max(rate, 1e-3)
                size = int(min(max(self.batch, math.ceil(1.1 * wanted)), 4 * n,
                               max_eval - done if math.isfinite(max_eval) else 4 * n))
                state = np.random.get_state()  # noqa: NPY002 - replayed below
                proposals = self._propose(simulate_one, size)
                stats = self.simulate(t, done, proposals)
                np.random.set_state(state)  # noqa: NPY002
                self.model.proposing = False
                self.model.ready = deque(zip(proposals, stats, strict=True))
                try:
                    for _ in range(size):
                        particle = simulate_one()
                        sample.append(particle)
                        done += 1
                        if sample.n_accepted >= n:
                            break
                finally:
                    self.model.proposing = True
                    self.model.ready.clear()
            self.nr_evaluations_ = done
            self.acceptance = sample.n_accepted / max(done, 1)
            if sample.n_accepted < n:
                sample.ok = False
            return sample

        def _propose(self, simulate_one: Callable, size: int) -> list[dict[str, float]]:
            self.model.proposed = []
            for _ in range(size):
                try:
                    simulate_one()
                except _Deferred:
                    continue
                raise RuntimeError("the ABC model simulated in the propose pass")
            return list(self.model.proposed)

    return BatchSampler


def run_smc(priors: Sequence[Prior], observed: Mapping[str, float],
            weights: Mapping[str, float], simulate: Simulate, db: Path,
            settings: SmcSettings, log: Callable[[str], None] = print) -> SmcResult:
    """Run (or resume) ABC-SMC until a stopping rule holds; the history is kept in ``db``."""
    import pyabc
    from pyabc.storage import History

    logging.getLogger("ABC").setLevel(logging.WARNING)
    logging.getLogger("pyabc").setLevel(logging.WARNING)
    names = [p.name for p in priors]
    scales = {p.name: _logit_rv_class()(p) for p in priors}
    prior = pyabc.Distribution(**scales)
    url = f"sqlite:///{db.resolve()}"
    stored = 0
    if db.exists():
        history = History(url)
        history.id = 1
        stored = history.n_populations if history.total_nr_simulations is not None else 0
    model = _model_class()(scales)
    sampler = _sampler_class()(model, simulate, settings.seed, settings.batch)
    # a fresh run accepts the whole first (prior) generation; a resumed one takes epsilon from
    # the last stored generation exactly as the uninterrupted run did after it
    eps = pyabc.QuantileEpsilon(initial_epsilon="from_sample" if stored else math.inf,
                                alpha=0.5) if not settings.schedule else \
        pyabc.ListEpsilon(list(settings.schedule))
    abc = pyabc.ABCSMC(model, prior, weighted_distance(weights),
                       population_size=settings.population, eps=eps, sampler=sampler,
                       transitions=_transition_class()(prior, settings.defensive))
    if stored:
        abc.load(url, 1)
        done_sims = abc.history.total_nr_simulations
        sampler.acceptance = _last_acceptance(abc.history)
        log(f"resuming: {stored} generations and {done_sims} simulations already in {db}")
    else:
        db.parent.mkdir(parents=True, exist_ok=True)
        if db.exists():
            db.unlink()  # interrupted before its first generation was stored
        abc.new(url, dict(observed))
    stopped = _already_stopped(abc.history, settings)
    if not stopped:
        with warnings.catch_warnings():
            # pyABC compares ε with the previous ε; the first generation's is infinite
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            _run(abc, settings, stored)
        stopped = _already_stopped(abc.history, settings) or "acceptance below the minimum"
    history = abc.history
    frame, w = history.get_distribution(m=0, t=history.max_t)
    draws = pd.DataFrame({n: [scales[n].to_x(u) for u in frame[n]] for n in names})
    return SmcResult(draws, np.asarray(w, float), generations_table(history), stored, stopped)


def _run(abc: Any, settings: SmcSettings, stored: int) -> None:
    generations = len(settings.schedule) or settings.generations
    abc.run(minimum_epsilon=settings.min_epsilon,
            max_nr_populations=generations - stored,
            min_acceptance_rate=settings.min_acceptance,
            max_total_nr_simulations=settings.max_simulations)


def _last_acceptance(history: Any) -> float:
    pops = history.get_all_populations()
    last = pops[pops["t"] >= 0].iloc[-1]
    return float(history.get_nr_particles_per_population().iloc[-1] / last["samples"])


def _already_stopped(history: Any, settings: SmcSettings) -> str:
    """Which stopping rule the stored history meets, or ''."""
    if history.n_populations == 0:
        return ""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    generations = len(settings.schedule) or settings.generations
    if len(pops) >= generations:
        return f"{generations} generations"
    if int(pops["samples"].sum()) >= settings.max_simulations:
        return f"{settings.max_simulations} simulations"
    if float(pops["epsilon"].iloc[-1]) <= settings.min_epsilon:
        return f"epsilon at or below {settings.min_epsilon:.3g}"
    return ""


def generations_table(history: Any) -> pd.DataFrame:
    """Per generation: epsilon, simulations, acceptance rate and effective sample size."""
    from pyabc.weighted_statistics import effective_sample_size

    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for _, row in pops.iterrows():
        t = int(row["t"])
        _, w = history.get_distribution(m=0, t=t)
        n = len(w)
        rows.append({"generation": t, "epsilon": float(row["epsilon"]),
                     "simulations": int(row["samples"]), "accepted": n,
                     "acceptance": n / float(row["samples"]),
                     "ess": float(effective_sample_size(np.asarray(w, float)))})
    return pd.DataFrame(rows)
