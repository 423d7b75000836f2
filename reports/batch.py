"""Render many documents on several cores: plain data goes to worker processes, bytes come back.

The workers import reportlab and reports/ only (never the app or the database); the caller
collects and issues the data first, then writes the files this returns.
"""
from __future__ import annotations

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from reports.card import render_card
from reports.model import CardData, SummaryData
from reports.summary import render_summary

Job = tuple[str, CardData | SummaryData]  # (file name, data)


def render_one(job: Job) -> tuple[str, bytes]:
    name, data = job
    if isinstance(data, SummaryData):
        return name, render_summary(data)
    return name, render_card(data)


def render_all(jobs: Iterable[Job], processes: int = 2) -> Iterable[tuple[str, bytes]]:
    """(file name, PDF bytes) for each job, in order; in this process when processes <= 1.

    Workers come from a fork server (spawn where there is none), never from a fork of the caller:
    the caller holds database connections and perhaps threads, which a fork would copy half-way.
    The fork server loads reportlab once, so each worker starts ready."""
    jobs = list(jobs)
    if processes <= 1 or len(jobs) < 2:
        yield from map(render_one, jobs)
        return
    # the summary is the longest job: start it first so it does not finish last on its own
    order = sorted(range(len(jobs)), key=lambda i: not isinstance(jobs[i][1], SummaryData))
    if "forkserver" in multiprocessing.get_all_start_methods():
        context: multiprocessing.context.BaseContext = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["reports.batch"])
    else:
        context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        chunk = max(1, min(16, len(jobs) // (processes * 4)))
        results = dict(zip(order, pool.map(render_one, [jobs[i] for i in order], chunksize=chunk),
                           strict=True))
    for i in range(len(jobs)):
        yield results[i]
