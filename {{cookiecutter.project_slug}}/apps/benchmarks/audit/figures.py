"""Every answer compared with what the database holds, as the figures the audit must find at zero.

A request "wrote" when rows carry its marker. For a request answered at once: a 2xx must have
written exactly once, an error (4xx or 5xx) not at all. For a request whose answer was lost and
that was sent again with its key: the retry's answer must say what the database holds (2xx and
written once, or an error and nothing written); one still unanswered after its retries counts
against it too.
"""

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    count: int
    of: int
    examples: list = field(default_factory=list)
    by_phase: Counter = field(default_factory=Counter)

    @property
    def ok(self):
        return self.count == 0


def _example(request, written):
    answers = ", ".join(str(attempt.status or attempt.error.split(":")[0]) for attempt in request.attempts)
    body = request.attempts[-1].body
    detail = str(body)[:160] if body is not None else request.attempts[-1].error[:160]
    return f"{request.kind} during {request.phase!r}: answers [{answers}], rows written {written}; {detail}"


def compare(requests, written, tasks_missing, tasks_expected):
    """The figures of the audit: ``written`` maps a marker to its row count (from the database)."""
    answered = [request for request in requests if not request.first_lost]
    lost = [request for request in requests if request.first_lost]

    def figure(name, population, wrong):
        bad = [request for request in population if wrong(request, written.get(request.marker, 0))]
        # The first of each fault, then the next ones: one fault's many cases do not hide another's.
        firsts = list({request.phase: request for request in reversed(bad)}.values())[::-1]
        shown = (firsts + [request for request in bad if request not in firsts])[:5]
        examples = [_example(request, written.get(request.marker, 0)) for request in shown]
        return Figure(name, len(bad), len(population), examples, Counter(request.phase for request in bad))

    figures = [
        figure("acknowledged (2xx) but missing", answered, lambda request, rows: request.acknowledged and rows == 0),
        figure("answered as an error but written", answered, lambda request, rows: not request.acknowledged and rows),
        figure(
            "lost answers whose retry disagrees with the database",
            lost,
            lambda request, rows: not request.answer or rows != (1 if request.acknowledged else 0),
        ),
        figure("written more than once", requests, lambda request, rows: rows > 1),
    ]
    tasks = Figure("committed records' tasks without a delivery receipt", len(tasks_missing), tasks_expected)
    tasks.examples = [f"{task} of record {pk}: {state}" for task, pk, state in tasks_missing[:5]]
    figures.append(tasks)
    return figures
