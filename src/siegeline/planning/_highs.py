"""A thin layer over highspy: pass a sparse (MI)LP in one call and read back the solution with
HiGHS' own status, objective, dual bound and MIP gap."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Solution:
    status: str
    optimal: bool
    objective: float
    bound: float
    gap: float
    x: np.ndarray
    time_s: float
    nodes: int


_FD1_LOCK = threading.Lock()  # file descriptor 1 is process-wide: one redirect at a time


@contextlib.contextmanager
def _stdout_to_devnull():
    """HiGHS prints a banner from C++ when a solver object is made, before any option can
    silence it; point file descriptor 1 at /dev/null for that moment only (under a lock, so
    concurrent threads cannot leave stdout redirected)."""
    with _FD1_LOCK:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


def _new_highs(time_limit: float, threads: int) -> highspy.Highs:
    try:
        with _stdout_to_devnull():
            h = highspy.Highs()
    except OSError:  # no real file descriptor 1 (embedded interpreters): accept the banner
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("mip_rel_gap", 1e-9)
    return h


def solve(
    c: np.ndarray,
    a: sp.spmatrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    integer: np.ndarray | None = None,
    *,
    maximize: bool = False,
    time_limit: float = 60.0,
    threads: int = 1,
) -> Solution:
    """Solve ``opt c'x  s.t.  row_lo <= A x <= row_hi, lo <= x <= hi, x_j integer where
    integer[j]``. Infinite bounds are passed as HiGHS infinity."""
    a = sp.csc_matrix(a)
    n_row, n_col = a.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    inf = highspy.kHighsInf
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.clip(np.asarray(lo, dtype=float), -inf, inf)
    lp.col_upper_ = np.clip(np.asarray(hi, dtype=float), -inf, inf)
    lp.row_lower_ = np.clip(np.asarray(row_lo, dtype=float), -inf, inf)
    lp.row_upper_ = np.clip(np.asarray(row_hi, dtype=float), -inf, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    is_mip = integer is not None and bool(np.any(integer))
    if is_mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    h = _new_highs(time_limit, threads)
    h.passModel(lp)
    h.run()
    model_status = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value) if has_solution else np.full(n_col, np.nan)
    objective = info.objective_function_value if has_solution else float("nan")
    if is_mip:
        bound, gap = float(info.mip_dual_bound), float(info.mip_gap)
    else:  # an LP solved to optimality is its own bound
        bound = objective
        gap = 0.0 if model_status == highspy.HighsModelStatus.kOptimal else float("nan")
    return Solution(
        status=h.modelStatusToString(model_status),
        optimal=model_status == highspy.HighsModelStatus.kOptimal,
        objective=float(objective),
        bound=bound,
        gap=gap,
        x=x,
        time_s=float(h.getRunTime()),
        nodes=int(info.mip_node_count) if is_mip else 0,
    )
