"""The audit's write load: client threads on loopback, each request with its idempotency key and marker.

Each client thread works with a seat of its own (a staff person with a token, and an asset) and
goes round the write paths that take locks and send tasks: a work order for the vendor (the
client's numbering lock, the vendor's notification), a permit (the verifiers' notification), a
check-in and its check-out (the person's attendance lock) and an asset status change (the
asset's lock). Every request carries a fresh ``Idempotency-Key`` and writes a fresh marker into a
text field, so the database can say what it wrote.

A request whose answer is lost (no answer, a reset connection, a timeout, a 502 or 504) is sent
again with the same key and body, a few times with a pause; what is still unanswered when the
load ends is sent again once the servers are back (``retry_unanswered``).
"""

import http.client
import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from ..fixtures import permit_details
from .records import HOLD_PREFIX, MARKER_PREFIX

HOST = "127.0.0.1"
REQUEST_TIMEOUT = 10.0
#: Answers that tell the client nothing about what happened: it must ask again.
LOST = frozenset({0, 502, 504})
RETRY_PAUSES = (0.5, 1.0, 2.0)
LOCK_TAKING = frozenset({"work_order", "check_in", "check_out", "asset_status"})


def new_marker(prefix=MARKER_PREFIX):
    return f"{prefix}{uuid.uuid4().hex}"


@dataclass
class Attempt:
    status: int
    body: object
    error: str = ""


@dataclass
class Request:
    """One write the load asked for, with every answer it got (the first, then the retries)."""

    kind: str
    path: str
    body: dict
    token: str
    marker: str
    phase: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempts: list = field(default_factory=list)

    @property
    def first_lost(self):
        return self.attempts[0].status in LOST

    @property
    def answer(self):
        """The status of the last attempt when it was an answer, else 0 (unanswered)."""
        status = self.attempts[-1].status if self.attempts else 0
        return 0 if status in LOST else status

    @property
    def acknowledged(self):
        return 200 <= self.answer < 300

    def says(self, text):
        return text in json.dumps(self.attempts[-1].body) if self.attempts else False


def post(port, request):
    """Send ``request`` once; an ``Attempt`` with status 0 when no answer came back."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Token {request.token}",
        "Idempotency-Key": request.key,
        "Connection": "close",
    }
    try:
        connection.request("POST", request.path, body=json.dumps(request.body), headers=headers)
        response = connection.getresponse()
        payload, status = response.read(), response.status
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(0, None, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
    try:
        body = json.loads(payload) if payload else None
    except ValueError:
        body = payload[:200].decode(errors="replace")
    return Attempt(status, body)


def get(port, path, token):
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path, headers={"Authorization": f"Token {token}", "Connection": "close"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (OSError, http.client.HTTPException, ValueError):
        return 0, None
    finally:
        connection.close()


class Load:
    """The client threads and every request they sent; ``phase`` names the fault under way.

    Each client thread has a seat of ``data.seats``; the last seat is kept for the requests a fault
    sends itself (``send_holding``).
    """

    def __init__(self, port, data, *, clients, pause=0.0):
        self.port = port
        self.pause = pause
        self.data = data
        self.phase = "warm-up"
        self.requests = []
        self.in_flight = dict.fromkeys(("work_order", "permit", "check_in", "check_out", "asset_status"), 0)
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._client, args=(seat,), daemon=True) for seat in data.seats[:clients]
        ]
        self._holder = data.seats[-1]

    def start(self):
        for thread in self._threads:
            thread.start()

    def stop(self, timeout):
        """Let every thread finish the request it is sending (bounded by ``timeout`` seconds)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def lock_takers_under_way(self):
        with self._guard:
            return sum(number for kind, number in self.in_flight.items() if kind in LOCK_TAKING)

    def send_holding(self, kind):
        """Send, from a thread of its own, a check-in or permit held open in its transaction; the thread.

        Its marker starts with ``HOLD_PREFIX``: the database keeps its INSERT waiting ``HOLD_SECONDS``.
        """
        seat, marker = self._holder, new_marker(HOLD_PREFIX)
        if kind == "check_in":
            path, body = "/api/v1/attendance/check-in/", {"people": seat.person_id, "remarks": marker}
        else:
            path, body = "/api/v1/work-permits/", self._permit_body(marker)
        thread = threading.Thread(target=self._send, args=(seat, kind, path, body, marker), daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def retry_unanswered(self, attempts=3):
        """Ask again, with the same key, for every request still without an answer."""
        for request in self.requests:
            for pause in (0.0, *RETRY_PAUSES)[:attempts]:
                if request.answer:
                    break
                time.sleep(pause)
                request.attempts.append(post(self.port, request))

    # One client thread
    # --------------------------------------------------------------------------

    def _client(self, seat):
        state = {"asset_status": "WORKING", "open_marker": None}
        steps = (self._work_order, self._permit, self._attendance, self._asset_status)
        while not self._stop.is_set():
            for step in steps:
                if self._stop.wait(self.pause):
                    break
                step(seat, state)

    def _send(self, seat, kind, path, body, marker):
        request = Request(kind, path, body, seat.token, marker, self.phase)
        with self._guard:
            self.in_flight[kind] += 1
        try:
            for pause in (0.0, *RETRY_PAUSES):
                time.sleep(pause)
                request.attempts.append(post(self.port, request))
                if len(request.attempts) == 1:
                    request.phase = self.phase  # what was under way when the first answer came (or did not)
                if request.answer or self._stop.is_set():
                    break
        finally:
            with self._guard:
                self.in_flight[kind] -= 1
                self.requests.append(request)
        return request

    def _work_order(self, seat, state):
        marker = new_marker()
        body = {"description": marker, "site": self.data.site_id, "vendor": self.data.vendor_id}
        self._send(seat, "work_order", "/api/v1/work-orders/", body, marker)

    def _permit(self, seat, state):
        marker = new_marker()
        self._send(seat, "permit", "/api/v1/work-permits/", self._permit_body(marker), marker)

    def _permit_body(self, marker):
        return {
            "site": self.data.site_id,
            "permit_type": self.data.permit_type_id,
            "details": permit_details(),
            "remarks": marker,
        }

    def _attendance(self, seat, state):
        """Check in, then out; the check-out keeps the check-in's marker first in the remarks."""
        if state["open_marker"] is None:
            marker = new_marker()
            request = self._send(
                seat, "check_in", "/api/v1/attendance/check-in/", {"people": seat.person_id, "remarks": marker}, marker
            )
            if request.answer == 400 and request.says("already checked in"):
                state["open_marker"] = self._open_event_marker(seat)
            else:
                # Also after an error: the check-in may have been written all the same.
                state["open_marker"] = marker
        if state["open_marker"] is None or self._stop.is_set():
            return
        marker = new_marker()
        body = {"people": seat.person_id, "remarks": f"{state['open_marker']} {marker}"}
        request = self._send(seat, "check_out", "/api/v1/attendance/check-out/", body, marker)
        if request.acknowledged or (request.answer == 400 and request.says("not checked in")):
            state["open_marker"] = None

    def _open_event_marker(self, seat):
        status, body = get(self.port, f"/api/v1/attendance/?people={seat.person_id}", seat.token)
        events = body.get("results", []) if status == 200 and isinstance(body, dict) else []
        for event in events:
            if event.get("people") == seat.person_id and event.get("punchouttime") is None:
                return (event.get("remarks") or "").split(" ")[0] or None
        return None

    def _asset_status(self, seat, state):
        target = "MAINTENANCE" if state["asset_status"] == "WORKING" else "WORKING"
        marker = new_marker()
        request = self._send(
            seat,
            "asset_status",
            f"/api/v1/assets/{seat.asset_id}/status/",
            {"status": target, "remarks": marker},
            marker,
        )
        if request.acknowledged or (request.answer == 400 and request.says("already")):
            state["asset_status"] = target
